"""verifier: does a weight initializer really draw from the distribution it claims?

>>> import verifier
>>> verdict = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(256, 512))
>>> verdict.passed
True

``import verifier`` needs only numpy, scipy and tabulate; torch, Keras and JAX are
imported when a source needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import FanError, InputTypeError, SourceError, SpecError, VerifierError

if TYPE_CHECKING:
    from .api import assert_conforms, check
    from .diagnosis import Diagnosis, diagnose
    from .identification import Identification, Match, identify
    from .auditing import AuditReport, audit
    from .propagation import PropagationReport, propagate
    from .sources import Sample
    from .stats.checks import CheckResult, Effect
    from .stats.tolerance import Tolerance
    from .stats.decision import DEFAULT_ALPHA
    from .theory import (
        Distribution,
        Fans,
        Normal,
        Spec,
        TruncatedNormal,
        Uniform,
        as_spec,
        available_specs,
        calculate_gain,
        compute_fans,
        glorot_normal,
        glorot_uniform,
        he_normal,
        he_uniform,
        kaiming_normal,
        kaiming_uniform,
        lecun_normal,
        lecun_uniform,
        normal,
        parse_spec,
        trunc_normal,
        uniform,
        variance_scaling,
        xavier_normal,
        xavier_uniform,
        zeros,
        ones,
        constant,
        eye,
        dirac,
    )
    from .theory.structured import orthogonal, sparse
    from .verdict import SampleInfo, Verdict

# Public names and the module that defines each. They are imported on first use
# (PEP 562), so `import verifier` -- which pytest does for the plugin in every session of
# every project that has verifier installed -- costs almost nothing.
_LAZY = {
    **dict.fromkeys(("check", "assert_conforms"), ".api"),
    **dict.fromkeys(("Diagnosis", "diagnose"), ".diagnosis"),
    **dict.fromkeys(("Identification", "Match", "identify"), ".identification"),
    **dict.fromkeys(("AuditReport", "audit"), ".auditing"),
    **dict.fromkeys(("PropagationReport", "propagate"), ".propagation"),
    "Sample": ".sources",
    **dict.fromkeys(("CheckResult", "Effect"), ".stats.checks"),
    "Tolerance": ".stats.tolerance",
    "DEFAULT_ALPHA": ".stats.decision",
    **dict.fromkeys(("SampleInfo", "Verdict"), ".verdict"),
    **dict.fromkeys((
        "Distribution", "Fans", "Normal", "Spec", "TruncatedNormal", "Uniform", "as_spec", "available_specs",
        "calculate_gain", "compute_fans", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
        "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "parse_spec",
        "trunc_normal", "uniform", "variance_scaling", "xavier_normal", "xavier_uniform",
        "zeros", "ones", "constant", "eye", "dirac",
    ), ".theory"),
    **dict.fromkeys(("orthogonal", "sparse"), ".theory.structured"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'verifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = [
    "__version__",
    # checking
    "check",
    "assert_conforms",
    "audit",
    "AuditReport",
    "propagate",
    "PropagationReport",
    "identify",
    "Identification",
    "Match",
    "diagnose",
    "Diagnosis",
    "Verdict",
    "SampleInfo",
    "CheckResult",
    "Effect",
    "Tolerance",
    "Sample",
    "DEFAULT_ALPHA",
    # specs
    "Spec",
    "parse_spec",
    "as_spec",
    "available_specs",
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
    "zeros",
    "ones",
    "constant",
    "eye",
    "dirac",
    "orthogonal",
    "sparse",
    # theory
    "Distribution",
    "Uniform",
    "Normal",
    "TruncatedNormal",
    "Fans",
    "compute_fans",
    "calculate_gain",
    # errors
    "VerifierError",
    "SpecError",
    "FanError",
    "SourceError",
    "InputTypeError",
]
