"""The theory the verifier checks against: distributions, gains, fans and specs.

See ``THEORY.md`` for the formulas. Everything here depends only on numpy and scipy.
"""

from __future__ import annotations

from verifier.theory.distributions import (
    TRUNCATION_STD_FACTOR,
    Distribution,
    Normal,
    TruncatedNormal,
    Uniform,
)
from verifier.theory.fans import FAN_MODES, LAYOUTS, Fans, canonical_layout, compute_fans
from verifier.theory.gains import LEAKY_RELU_DEFAULT_SLOPE, NONLINEARITIES, calculate_gain
from verifier.theory.parsing import as_spec, parse_spec
from verifier.theory.exact import ConstantSpec, DiracSpec, EyeSpec, ExactSpec, PointMass  # registers the exact specs
from verifier.theory.specs import (
    SPEC_ALIASES,
    SPECS,
    NamedSpec,
    NormalSpec,
    Spec,
    SpecInfo,
    TruncNormalSpec,
    UniformSpec,
    VarianceScalingSpec,
    available_specs,
    canonical_spec_name,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    spec_names,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)

__all__ = [
    "TRUNCATION_STD_FACTOR",
    "Distribution",
    "Uniform",
    "Normal",
    "TruncatedNormal",
    "FAN_MODES",
    "LAYOUTS",
    "Fans",
    "canonical_layout",
    "compute_fans",
    "LEAKY_RELU_DEFAULT_SLOPE",
    "NONLINEARITIES",
    "calculate_gain",
    "parse_spec",
    "SPECS",
    "SPEC_ALIASES",
    "Spec",
    "NamedSpec",
    "VarianceScalingSpec",
    "UniformSpec",
    "NormalSpec",
    "TruncNormalSpec",
    "SpecInfo",
    "as_spec",
    "available_specs",
    "canonical_spec_name",
    "spec_names",
    "xavier_uniform",
    "xavier_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "variance_scaling",
    "uniform",
    "normal",
    "trunc_normal",
]
