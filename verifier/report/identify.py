"""How an identification (:class:`~verifier.identification.Identification`) reads: the readable
name of each candidate, the one-line headline, and the ranked table."""

from __future__ import annotations

import re
from typing import Any

from tabulate import tabulate

from .format import fmt_p, fmt_shape, format_spec, headline, status_of

__all__ = ["match_label", "identification_headline", "render_identification", "check_text"]


def match_label(match: Any) -> str:
    """Readable name: the spec's display name (:func:`~verifier.report.format.format_spec`:
    ``he_normal(a=√5)``, ``uniform(±0.0884) (fitted)``), ``kaiming_uniform(a=√5)`` for torch's
    ``nn.Linear``/``nn.Conv`` default, and a formula kept as written (``normal(std=0.02/√(2·12))``)."""
    from verifier.theory.parsing import parse_spec

    spec = match.spec
    if spec.startswith("he_uniform(a=sqrt(5))"):
        text = spec.replace("he_", "kaiming_")
    elif "/" in spec or "*" in spec:  # a formula: the parsed spec would print its value only
        text = spec
    else:
        text = format_spec(parse_spec(spec))
    text = re.sub(r"sqrt\((\d+)\)", r"√\1", text)
    return text + (" (fitted)" if match.fitted else "")


def identification_headline(ident: Any) -> str:
    """One line: ``matches kaiming_uniform(a=√5) = U(±1/√fan_in), ...; std ratio 1.000 ± 0.004``."""
    b = ident.best
    if ident.constant:
        return f"constant: {b.label}, {b.description} ({ident.n:,} values)"
    half = (b.std_ratio_ci[1] - b.std_ratio_ci[0]) / 2
    ratio = f"std ratio {b.std_ratio:.3f} ± {half:.3f}"
    if ident.identified:
        return f"matches {b.label} = {b.description}; {ratio}"
    if b.verdict is not None and not b.verdict.passed:  # named, fits the scale, rejected by the pipeline
        return f"no known scheme passes its check; nearest {b.label} = {b.description}: {headline(b.verdict)}"
    named = next((m for m in ident.matches if not m.fitted), None)
    tail = f"; nearest named: {named.label} (std ratio {named.std_ratio:.3f})" if named else ""
    return f"no known scheme fits; best fit {b.label} = {b.distribution}{tail}"


def check_text(match: Any) -> str:
    """The candidate's pipeline verdict in one word (``pass``, ``fail``, ...), ``—`` when not checked."""
    return "—" if match.verdict is None else status_of(match.verdict)


def render_identification(ident: Any) -> str:
    """What was read, the headline, the shape fit and the ranked candidates as a table."""
    shape = fmt_shape(ident.shape)
    fans = f", fan_in {ident.fans.fan_in}, fan_out {ident.fans.fan_out}" if ident.fans is not None else ""
    rows = [
        (i, m.label, str(m.distribution),
         f"{m.std_ratio:.4f} ({m.std_ratio_ci[0]:.4f}–{m.std_ratio_ci[1]:.4f})",
         f"{m.ks_statistic:.4g}", fmt_p(m.ks_pvalue), check_text(m), m.description)
        for i, m in enumerate(ident.matches, 1)
    ]
    shape_fit = ", ".join(f"{k} {v:.4f}" for k, v in ident.family_ks.items())
    head = [f"{ident.source}: shape {shape}, {ident.dtype}, n={ident.n:,}, {ident.layout} layout{fans}",
            f"  {ident.headline}"]
    if ident.constant:
        return "\n".join(head)
    return "\n".join([
        *head,
        f"  shape fit (KS of standardized values): {shape_fit}; kurtosis {ident.kurtosis:.3f}",
        tabulate(rows, headers=("#", "candidate", "distribution", "std ratio (99% CI)", "KS D", "p", "check", "what"),
                 disable_numparse=True),
    ])
