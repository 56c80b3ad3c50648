"""What a diagnosis says: the likely bugs (:class:`Cause`) and everything else found
(:class:`Diagnosis`), with the reading order of its one-line text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING


from verifier.theory.distributions import TruncatedNormal

if TYPE_CHECKING:
    pass

__all__ = ["Cause", "Diagnosis", "FAMILY_KURTOSIS", "TOLERANCE"]

TOLERANCE = 0.03
"""Relative distance between predicted and observed ratio accepted when the CI is wider than this."""


def _tn_kurtosis(c: float) -> float:
    d = TruncatedNormal(0.0, 1.0, -c, c)
    return d.central_moment(4) / d.variance**2


#: Kurtosis ``μ4/σ⁴`` of each family.
FAMILY_KURTOSIS: dict[str, float] = {
    "uniform": 1.8,
    "truncated normal (±2σ)": _tn_kurtosis(2.0),
    "normal": 3.0,
}


@dataclass(frozen=True)
class Cause:
    """One likely bug: its name, the ratio it predicts, and what happened."""

    name: str
    predicted: float
    explanation: str

    def __str__(self) -> str:
        return f"{self.name} (predicts ×{self.predicted:.4g}): {self.explanation}"


@dataclass(frozen=True)
class Diagnosis:
    """Why a verdict failed, as far as the usual bugs tell.

    Attributes
    ----------
    std_ratio : observed/expected std (``None`` when the variance check did not run).
    ci : its confidence interval.
    causes : the bugs whose predicted ratio fits, best first.
    shape : a hint on the shape of the distribution (from the kurtosis), or ``None``.
    kurtosis : observed kurtosis ``m4/m2²``.
    expected_kurtosis : the expected distribution's kurtosis.
    other : other findings (non-finite values, constant tensor, padding row, shifted mean, out of
        support).
    looks_like : the known scheme the values match instead (from :func:`verifier.identify`, run by
        :func:`refine` on the values), e.g. ``"he_normal(mode='fan_out', nonlinearity='relu')"``.
    at_bound : isolated values exactly at a bound of the support (count, bound, likely cause).

    Reading order (``str``): what makes the values unusable (non-finite, constant, structure),
    the scheme they look like, values at a bound, the scale (largest effect first: a 50× std error
    also moves the mean by many expected σ, so the scale comes before the mean), the mean, the
    support, the shape.
    """

    std_ratio: float | None
    ci: tuple[float, float] | None
    causes: tuple[Cause, ...] = ()
    shape: str | None = None
    kurtosis: float | None = None
    expected_kurtosis: float | None = None
    other: tuple[str, ...] = ()
    looks_like: str | None = None
    at_bound: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the likely bugs."""
        return tuple(c.name for c in self.causes)

    def _split(self) -> tuple[list[str], list[str]]:
        first = [o for o in self.other if not o.startswith(("mean shifted", "out of support"))]
        later = [o for o in self.other if o.startswith(("mean shifted", "out of support"))]
        return first, later

    @property
    def _scale_off(self) -> bool:
        return self.std_ratio is not None and self.ci is not None and not self.ci[0] <= 1.0 <= self.ci[1]

    @property
    def short(self) -> str:
        """One short phrase: the largest finding first."""
        first, later = self._split()
        if first:
            return first[0]
        if self.looks_like:
            return f"looks like {self.looks_like}"
        if self.at_bound:
            return self.at_bound.split(":")[0]
        if self.causes:
            return " or ".join(self.names)
        if self._scale_off:
            return f"std ×{self.std_ratio:.4g}"
        if later:
            return later[0]
        if self.shape:
            return self.shape.split(";")[0]
        return "no usual bug explains it"

    def __str__(self) -> str:
        first, later = self._split()
        parts: list[str] = list(first)
        if self.looks_like:
            parts.append(f"looks like {self.looks_like}")
        if self.at_bound:
            parts.append(self.at_bound)
        if self.causes:
            likely = "; or ".join(f"{c.name} ({c.explanation}, predicts ×{c.predicted:.4g})" for c in self.causes)
            parts.append(f"likely {likely}")
        elif not first and not self.looks_like and not self.at_bound and self._scale_off:
            parts.append(f"std ×{self.std_ratio:.4g} matches none of the usual bugs (fans swapped, gain missing or "
                         "doubled, bound/std or variance/std mixed up, truncation correction, layout)")
        elif self._scale_off:
            parts.append(f"std ×{self.std_ratio:.4g}")
        parts += later
        if self.shape:
            parts.append(self.shape)
        return "; ".join(parts) if parts else "no usual bug explains it"
