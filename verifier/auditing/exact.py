"""Exact checks: tensors that must equal a constant (norm weights 1, biases 0, PReLU 0.25).

A constant is not a distribution to test statistically: the check is "every value equals
``c``", with p = 1 when it holds and p = 0 when any value differs. The result is still a
:class:`~verifier.verdict.Verdict`, so reports render it like any other row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from verifier.errors import SpecError
from verifier.stats.checks import CheckResult
from verifier.theory.distributions import Distribution
from verifier.verdict import SampleInfo, Verdict

__all__ = ["PointMass", "ExactSpec", "parse_exact", "exact_verdict"]


@dataclass(frozen=True)
class PointMass(Distribution):
    """The degenerate distribution at ``value``: ``P(X = value) = 1``."""

    value: float

    def cdf(self, x: Any) -> np.ndarray:
        return np.asarray(np.asarray(x, dtype=np.float64) >= self.value, dtype=np.float64)

    def sf(self, x: Any) -> np.ndarray:
        return 1.0 - self.cdf(x)

    def pdf(self, x: Any) -> np.ndarray:  # a point mass has no density; 0 off the atom
        x = np.asarray(x, dtype=np.float64)
        return np.where(x == self.value, np.inf, 0.0)

    def ppf(self, q: Any) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        return np.where((q >= 0) & (q <= 1), self.value, np.nan)

    @property
    def mean(self) -> float:
        return self.value

    def central_moment(self, k: int) -> float:
        k = self._check_k(k)
        return 1.0 if k == 0 else 0.0

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def to_scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.value, scale=0.0)

    def scaled(self, factor: float) -> PointMass:
        self._check_factor(factor)
        return self

    def __str__(self) -> str:
        return f"exactly {self.value:g}"


@dataclass(frozen=True)
class ExactSpec:
    """Every value must equal ``value`` (spec strings ``zeros``, ``ones``, ``constant(c)``)."""

    value: float

    needs_fans = False

    def distribution(self, *args: Any, **kwargs: Any) -> PointMass:
        return PointMass(self.value)

    def __str__(self) -> str:
        if self.value == 0.0:
            return "zeros"
        if self.value == 1.0:
            return "ones"
        return f"constant({self.value!r})"


_CONSTANT = re.compile(r"^\s*(?:constant|exact)\s*\(\s*(?:value\s*=\s*)?(.+?)\s*\)\s*$", re.I)


def parse_exact(text: str, number: Any = None) -> ExactSpec | None:
    """``ExactSpec`` for ``zeros``/``ones``/``constant(c)``; ``None`` for any other string.

    ``number`` evaluates the argument of ``constant(...)`` (default :func:`float`; the rules pass
    the safe-arithmetic evaluator, so ``constant(1/sqrt(2))`` works).
    """
    key = text.strip()
    key = key.lower() if key.lower() in ("zeros", "zero", "zeros()", "zeros_", "ones", "one", "ones()", "ones_") else key
    if key in ("zeros", "zero", "zeros()", "zeros_"):
        return ExactSpec(0.0)
    if key in ("ones", "one", "ones()", "ones_"):
        return ExactSpec(1.0)
    m = _CONSTANT.match(key)
    if m is None:
        return None
    try:
        value = float((number or float)(m.group(1)))
    except ValueError as exc:
        if isinstance(exc, SpecError) and number is not None:
            raise
        raise SpecError(f"constant(...) takes one number, got {text!r}; write e.g. constant(0.25)") from None
    if not math.isfinite(value):
        raise SpecError(f"constant(...) must be finite, got {text!r}")
    return ExactSpec(value)


def _as_numpy(tensor: Any) -> np.ndarray:
    if hasattr(tensor, "detach"):
        t = tensor.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        import torch

        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.float()  # exact: every 16-bit value is a float32 value
        return t.numpy()
    return np.asarray(tensor)


def exact_verdict(tensor: Any, spec: ExactSpec, *, info: SampleInfo, alpha: float) -> Verdict:
    """Check that every value of ``tensor`` equals ``spec.value`` exactly (p = 1 or 0)."""
    x = _as_numpy(tensor).reshape(-1)
    target = np.asarray(spec.value, dtype=x.dtype)
    bad = x != target
    n_bad = int(np.count_nonzero(bad))
    if n_bad:
        dev = np.abs(x[bad].astype(np.float64) - float(target))
        example = float(x[bad][0])
        detail = (
            f"{n_bad} of {x.size} values differ from {float(target):g} "
            f"(e.g. {example:.6g}; max |x − {float(target):g}| = {np.nanmax(dev) if np.isfinite(dev).any() else float('nan'):.4g})"
        )
    else:
        detail = f"all {x.size} values equal {float(target):g}"
    check = CheckResult("exact", float(n_bad), 0.0 if n_bad else 1.0, detail, passed=not n_bad)
    return Verdict(
        passed=not n_bad,
        checks=(check,),
        expected=str(spec),
        distribution=PointMass(float(target)),
        sample=info,
        alpha=alpha,
        detectable=(0.0, 0.0),
    )
