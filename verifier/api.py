"""The Python API: :func:`check` and :func:`assert_conforms`."""

from __future__ import annotations

from typing import Any

from .contracts import contract_checks
from .sources import from_source
from .stats.decision import validate_alpha
from .stats.properties import spec_checks
from .stats.tolerance import Tolerance, as_tolerance
from .theory.fans import canonical_layout, compute_fans
from .theory.specs import Spec, as_spec
from .verdict import SampleInfo, Verdict, summarize_and_verify

__all__ = ["check", "assert_conforms"]


def check(
    source: Any,
    expect: Spec | str,
    *,
    shape: tuple[int, ...] | list[int] | None = None,
    layout: str = "torch",
    dtype: str | None = None,
    seed: int = 0,
    alpha: float | None = None,
    draws: int = 1,
    convention: str | None = None,
    fan_in: int | None = None,
    fan_out: int | None = None,
    tolerance: Tolerance | float | None = None,
    contracts: bool = False,
) -> Verdict:
    """Check that ``source`` draws from the distribution ``expect`` names.

    Parameters
    ----------
    source : tensor, array, initializer or import string
        A numpy array or torch tensor (any float dtype, any device); a torch-style
        in-place initializer ``f(tensor)``; a numpy-style ``f(shape, rng)`` or ``f(shape)``;
        a JAX ``f(key, shape, dtype)`` or Keras initializer; or an import string such as
        ``"torch.nn.init.kaiming_normal_(mode='fan_out')"`` or ``"path/to/file.py:init"``.
    expect : Spec or str
        The expected distribution, e.g. ``"he_normal(mode='fan_out')"`` or
        ``verifier.uniform(-0.1, 0.1)``.
    shape : the tensor shape to draw (initializers only; taken from values otherwise).
    layout : ``'torch'`` ``(out, in, *k)`` or ``'keras'`` ``(*k, in, out)`` (aliases tf, jax, flax).
    dtype : float32 (default for initializers), float64, float16 or bfloat16.
    seed : seeds the draw; the same seed gives the same values and the same verdict.
    alpha : family-wise false-alarm rate of the verdict (default 1e-4).
    draws : call the initializer this many times (different seeds) and pool the values.
    convention : force ``'torch'``, ``'numpy'``, ``'jax'`` or ``'keras'`` calling convention.
    fan_in, fan_out : override the fans computed from shape and layout.
    tolerance : float or Tolerance, optional
        Practical tolerance: a check rejected statistically whose effect is within it
        does not fail the verdict (``verdict.status == 'within tolerance'``). A float is a
        relative std error (KS tolerance half of it); ``verifier.Tolerance(std=, ks=)``
        sets both. Deterministic checks (finite, degenerate, support) ignore it.
    contracts : bool, default False
        Also check the contracts of an initializer itself (:mod:`verifier.contracts`):
        it returns the requested shape and dtype, the same seed gives the same values and a
        different seed different values. Values given directly have no contracts to check.

    Returns
    -------
    Verdict
        ``.passed``, ``.checks`` (each with ``statistic``, ``pvalue``, ``passed``), the
        expected distribution and what was sampled; ``str()`` is a readable report.

    Examples
    --------
    >>> import verifier
    >>> v = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(256, 512))
    >>> v.passed
    True
    """
    spec = as_spec(expect)
    level = validate_alpha(alpha)
    lay = canonical_layout(layout)
    if spec.needs_fans and shape is not None and all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        compute_fans(tuple(shape), lay, fan_in=fan_in, fan_out=fan_out)  # our fan error before the user's code runs
    sample = from_source(source, shape=shape, dtype=dtype, seed=seed, draws=draws, convention=convention)
    dist = spec.distribution(sample.shape, lay, fan_in=fan_in, fan_out=fan_out)
    fans = compute_fans(sample.shape, lay, fan_in=fan_in, fan_out=fan_out) if spec.needs_fans else None
    info = SampleInfo(
        source=sample.source, shape=tuple(sample.shape), dtype=sample.dtype, n=sample.n, draws=sample.draws,
        seed=sample.seed, convention=sample.convention, device=sample.device, layout=lay, fans=fans,
    )
    # issue 15b: structured specs (orthogonal, sparse) add their property checks and may narrow the
    # sample (sparse: the non-zeros); contracts of the initializer itself when asked for
    promised = contract_checks(source, sample, dist, shape=shape, dtype=dtype, seed=seed,
                               convention=convention) if contracts else ()
    sample, extra = spec_checks(spec, sample, lay)
    extra += promised
    return summarize_and_verify(sample, dist, expected=str(spec), info=info, alpha=level,
                                tolerance=as_tolerance(tolerance), extra=extra)


def assert_conforms(source: Any, expect: Spec | str, **kwargs: Any) -> Verdict:
    """Like :func:`check`, but raise ``AssertionError`` with the verdict's text if it fails."""
    verdict = check(source, expect, **kwargs)
    if not verdict.passed:
        raise AssertionError("\n" + str(verdict))
    return verdict
