"""Shared hypothesis strategies: shapes, layouts, distributions and spec objects."""

from __future__ import annotations

from hypothesis import strategies as st

from verifier.theory import (
    NONLINEARITIES,
    Normal,
    TruncatedNormal,
    Uniform,
    he_normal,
    he_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)
from verifier.theory.specs import Spec

__all__ = [
    "shapes",
    "layouts",
    "finite_floats",
    "positive_floats",
    "uniforms",
    "normals",
    "truncated_normals",
    "distributions",
    "named_specs",
    "plain_specs",
    "specs",
]

layouts = st.sampled_from(["torch", "keras", "tf", "tensorflow", "jax", "flax"])


def shapes(min_dims: int = 2, max_dims: int = 5, max_side: int = 9) -> st.SearchStrategy[tuple[int, ...]]:
    """Weight shapes with positive sides."""
    return st.lists(st.integers(1, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


finite_floats = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
positive_floats = st.floats(1e-3, 1e2, allow_nan=False, allow_infinity=False)


@st.composite
def uniforms(draw: st.DrawFn) -> Uniform:
    low = draw(st.floats(-100, 100))
    width = draw(st.floats(1e-3, 100))
    return Uniform(low, low + width)


@st.composite
def normals(draw: st.DrawFn) -> Normal:
    return Normal(draw(st.floats(-100, 100)), draw(st.floats(1e-3, 100)))


@st.composite
def truncated_normals(draw: st.DrawFn) -> TruncatedNormal:
    """Moderate truncations: standardized bounds α ∈ [−5, 3], β − α ∈ [0.2, 6]."""
    mean = draw(st.floats(-10, 10))
    std = draw(st.floats(1e-2, 10))
    alpha = draw(st.floats(-5, 3))
    beta = alpha + draw(st.floats(0.2, 6))
    return TruncatedNormal(mean, std, mean + alpha * std, mean + beta * std)


distributions = st.one_of(uniforms(), normals(), truncated_normals())

_gains = st.floats(0.01, 10)
_slopes = st.floats(-1, 1)


@st.composite
def named_specs(draw: st.DrawFn) -> Spec:
    """Random xavier/he/lecun specs with valid parameter combinations."""
    factory = draw(
        st.sampled_from([xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_uniform, lecun_normal])
    )
    kwargs: dict[str, object] = {}
    how = draw(st.sampled_from(["default", "gain", "nonlinearity"]))
    if how == "gain":
        kwargs["gain"] = draw(_gains)
    elif how == "nonlinearity":
        nl = draw(st.sampled_from(NONLINEARITIES))
        kwargs["nonlinearity"] = nl
        if nl == "leaky_relu" and draw(st.booleans()):
            kwargs["a"] = draw(_slopes)
    elif factory in (he_uniform, he_normal) and draw(st.booleans()):
        kwargs["a"] = draw(_slopes)
    if factory not in (xavier_uniform, xavier_normal):
        kwargs["mode"] = draw(st.sampled_from(["fan_in", "fan_out"]))
    if factory in (xavier_normal, he_normal, lecun_normal):
        kwargs["truncated"] = draw(st.booleans())
    return factory(**kwargs)


@st.composite
def plain_specs(draw: st.DrawFn) -> Spec:
    """Random uniform/normal/trunc_normal/variance_scaling specs."""
    kind = draw(st.sampled_from(["uniform", "normal", "trunc_normal", "variance_scaling"]))
    if kind == "uniform":
        low = draw(finite_floats)
        return uniform(low, low + draw(positive_floats))
    if kind == "normal":
        return normal(draw(finite_floats), draw(positive_floats), draw(st.booleans()))
    if kind == "trunc_normal":
        mean, std = draw(st.floats(-10, 10)), draw(st.floats(0.1, 10))
        a = mean + std * draw(st.floats(-5, 3))
        return trunc_normal(mean, std, a, a + std * draw(st.floats(0.1, 5)))
    return variance_scaling(
        draw(positive_floats),
        draw(st.sampled_from(["fan_in", "fan_out", "fan_avg"])),
        draw(st.sampled_from(["truncated_normal", "untruncated_normal", "normal", "uniform"])),
    )


specs = st.one_of(named_specs(), plain_specs())
