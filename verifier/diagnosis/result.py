"""What a diagnosis says: the likely bugs (:class:`Cause`) and everything else found
(:class:`Diagnosis`), with the reading order of its one-line text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verifier.theory.distributions import TruncatedNormal

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
        from verifier.report.diagnosis import render_cause

        return render_cause(self)


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
        support, values missing at an end of a bounded support, repeated values).
    looks_like : the known scheme the values match instead (from :func:`verifier.identify`, run by
        :func:`refine` on the values), e.g. ``"he_normal(mode='fan_out', nonlinearity='relu')"``.
    at_bound : isolated values exactly at a bound of the support (count, bound, likely cause).

    ``str`` and ``short`` are rendered by :mod:`verifier.report.diagnosis` (its reading order:
    unusable values, the scheme they look like, values at a bound, the scale, the mean, the
    support, the shape).
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

    @property
    def scale_off(self) -> bool:
        """Whether 1 lies outside the std ratio's interval."""
        return self.std_ratio is not None and self.ci is not None and not self.ci[0] <= 1.0 <= self.ci[1]

    # ---- rendering (verifier.report.diagnosis) ------------------------------------------------
    @property
    def short(self) -> str:
        """One short phrase: the largest finding first."""
        from verifier.report.diagnosis import diagnosis_short

        return diagnosis_short(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON data: the ``diagnosis`` object of ``verifier.verdict/1``."""
        from verifier.report.json_report import diagnosis_to_dict

        return diagnosis_to_dict(self) or {}

    def __str__(self) -> str:
        from verifier.report.diagnosis import render_diagnosis

        return render_diagnosis(self)
