"""What identification returns: the ranked :class:`Match` es of one :class:`Identification`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from verifier.theory.distributions import Distribution
from verifier.theory.fans import Fans
from verifier.verdict import Verdict

__all__ = ["Match", "Identification"]


# ---- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """One candidate scheme and how well the weights fit it.

    Attributes
    ----------
    spec : a spec string that :func:`~verifier.parse_spec` reads back (``"he_uniform(a=sqrt(5))"``).
    distribution : the concrete distribution for the weight's shape.
    std_ratio : observed/expected std; ``std_ratio_ci`` its 99 % confidence interval.
    ks_statistic, ks_pvalue : Kolmogorov–Smirnov against the distribution.
    description : the formula and who uses it (``"U(±1/√fan_in), the nn.Linear/Conv default"``).
    shape_ks : KS distance of the standardized values to this candidate's family.
    fitted : whether the scale was estimated from the data.
    equivalents : other candidates with exactly the same distribution for this shape.
    consistent : the std ratio is 1 within the verifier's default level (α = 1e-4, two-sided).
    verdict : the :class:`~verifier.verdict.Verdict` of :func:`verifier.pipeline.evaluate` for this
        candidate (the same as :func:`verifier.check` gives), for the confirmed top candidates;
        ``None`` for the others and for fitted families (their parameters come from the data, so a
        test against them would not be calibrated). ``ks_statistic``/``ks_pvalue`` are then the
        verdict's own KS check.
    """

    spec: str
    distribution: Distribution
    std_ratio: float
    std_ratio_ci: tuple[float, float]
    ks_statistic: float
    ks_pvalue: float
    description: str
    shape_ks: float = math.nan
    fitted: bool = False
    equivalents: tuple[str, ...] = ()
    consistent: bool = False
    verdict: Verdict | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """Readable name: ``kaiming_uniform(a=√5)``, ``normal(std=0.0213) (fitted)``."""
        from verifier.report.identify import match_label

        return match_label(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON data; ``verdict`` is the pipeline's verdict (schema ``verifier.verdict/1``'s case) or null."""
        from verifier.report.json_report import result_to_dict

        return {"spec": self.spec, "label": self.label, "distribution": str(self.distribution),
                "std_ratio": self.std_ratio, "std_ratio_ci": list(self.std_ratio_ci),
                "ks_statistic": self.ks_statistic, "ks_pvalue": self.ks_pvalue, "description": self.description,
                "shape_ks": self.shape_ks, "fitted": self.fitted, "equivalents": list(self.equivalents),
                "verdict": None if self.verdict is None else result_to_dict(self.verdict)}

    as_dict = to_dict


@dataclass(frozen=True)
class Identification:
    """The ranked candidates for one tensor or initializer (see :func:`identify`)."""

    source: str
    shape: tuple[int, ...]
    dtype: str
    n: int
    layout: str
    fans: Fans | None
    matches: tuple[Match, ...]
    family_ks: dict[str, float] = field(default_factory=dict)
    kurtosis: float = math.nan

    @property
    def best(self) -> Match:
        """The top-ranked candidate."""
        return self.matches[0]

    @property
    def identified(self) -> bool:
        """Whether the best candidate is a named (not fitted) scheme the data conform to: its
        pipeline verdict passes (:func:`verifier.check` would pass), or, when it was not confirmed
        (``confirm=0``), its std ratio is consistent with 1."""
        b = self.best
        if b.fitted:
            return False
        return b.verdict.passed if b.verdict is not None else b.consistent

    @property
    def verdict(self) -> Verdict | None:
        """The pipeline's verdict for the best candidate (``None`` when not confirmed)."""
        return self.best.verdict

    @property
    def constant(self) -> bool:
        """Whether every finite value is equal (the best match is ``zeros``/``ones``/``constant(c)``)."""
        return not self.family_ks and self.best.std_ratio_ci == (1.0, 1.0) and self.best.ks_statistic == 0.0

    @property
    def headline(self) -> str:
        """One line: ``matches kaiming_uniform(a=√5) = U(±1/√fan_in), ...; std ratio 1.000 ± 0.004``."""
        from verifier.report.identify import identification_headline

        return identification_headline(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON data, schema ``verifier.identify/1`` (``verifier/schemas/identify.schema.json``)."""
        fans = None if self.fans is None else {"fan_in": self.fans.fan_in, "fan_out": self.fans.fan_out}
        return {"schema": "verifier.identify/1", "source": self.source, "shape": list(self.shape), "dtype": self.dtype, "n": self.n,
                "layout": self.layout, "fans": fans, "identified": self.identified, "headline": self.headline,
                "family_ks": self.family_ks, "kurtosis": self.kurtosis,
                "matches": [m.to_dict() for m in self.matches]}

    def __str__(self) -> str:
        from verifier.report.identify import render_identification

        return render_identification(self)
