"""The Python API: :func:`check` and :func:`assert_conforms`."""

from __future__ import annotations

from typing import Any

from .contracts import contract_checks, contract_failure
from .errors import ContractError
from .sources import from_source
from .pipeline import evaluate
from .stats.checks import CheckResult
from .stats.decision import validate_alpha
from .stats.tolerance import Tolerance
from .theory.fans import canonical_layout, compute_fans
from .theory.parsing import as_spec
from .theory.specs import Spec
from .verdict import Verdict

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
    label: str | None = None,
    known_deviation: str | None = None,
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
        relative std error (``ks`` half of it); ``verifier.Tolerance(std=, ks=)``
        sets both. Deterministic checks (finite, degenerate, support) ignore it.
    label : the name reports show for the source (default: a description of it).
    known_deviation : a documented deviation of the library, shown beside a failing verdict.
    contracts : bool, default False
        Also check the contracts of an initializer itself (:mod:`verifier.contracts`):
        it returns the requested shape and dtype, the same seed gives the same values and a
        different seed different values. Values given directly have no contracts to check.
        An initializer that returns another dtype or shape is then a failed verdict (a failing
        ``dtype`` or ``returned shape`` check) rather than a refused source.

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
    validate_alpha(alpha)
    lay = canonical_layout(layout)
    if spec.needs_fans and shape is not None and all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        compute_fans(tuple(shape), lay, fan_in=fan_in, fan_out=fan_out)  # our fan error before the user's code runs
    try:
        sample = from_source(source, shape=shape, dtype=dtype, seed=seed, draws=draws, convention=convention)
    except ContractError as exc:  # another dtype or shape than asked: refused, or a failed verdict with contracts
        if not contracts:
            raise
        return contract_failure(exc, spec, seed=seed, convention=convention, alpha=alpha, layout=lay, fan_in=fan_in,
                                fan_out=fan_out, tolerance=tolerance, label=label, known_deviation=known_deviation)
    promised: tuple[CheckResult, ...] = ()
    if contracts:  # the initializer's own contracts (dtype, seeds), decided with the other checks
        law = spec.distribution(sample.shape, lay, fan_in=fan_in, fan_out=fan_out) if not spec.exact else None
        promised = contract_checks(source, sample, law, shape=shape, dtype=dtype, seed=seed, convention=convention)
    return evaluate(sample, spec, layout=lay, fan_in=fan_in, fan_out=fan_out, alpha=alpha, tolerance=tolerance,
                    label=label, known_deviation=known_deviation, extra=promised)


def assert_conforms(source: Any, expect: Spec | str, **kwargs: Any) -> Verdict:
    """Like :func:`check`, but raise ``AssertionError`` with the verdict's text if it fails."""
    verdict = check(source, expect, **kwargs)
    if not verdict.passed:
        raise AssertionError("\n" + str(verdict))
    return verdict
