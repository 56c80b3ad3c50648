"""Plots of propagation reports (matplotlib, optional): variance against depth with the theory
overlaid, per-layer histograms of activations and back-propagated gradients (as in Glorot &
Bengio 2010, Fig. 6–7), and the variance of the weight gradients per layer. Drawn from the
report's numbers only."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["have_matplotlib", "report_pngs", "suite_figures"]


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(w: float, h: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=100)


def _png(fig: Any) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _errorbar(ax: Any, xs: Sequence[int], ivs: Sequence[Any], label: str, color: str) -> None:
    est = [iv.estimate for iv in ivs]
    lo = [max(iv.estimate - iv.low, 0) if iv.low == iv.low else 0 for iv in ivs]
    hi = [max(iv.high - iv.estimate, 0) if iv.high == iv.high else 0 for iv in ivs]
    ax.errorbar(xs, est, yerr=[lo, hi], fmt="o-", ms=3, capsize=2, color=color, label=label)


def variance_axes(ax: Any, report: Any, *, backward: bool = False, label: str = "", color: str = "C0") -> None:
    """Observed variance per chain layer (interval over seeds) and the theory's prediction."""
    rows = report.chain_layers
    xs = list(range(len(rows)))
    ivs = [r.grad_var if backward else r.var for r in rows]
    keep = [(x, iv) for x, iv in zip(xs, ivs) if iv is not None and iv.estimate > 0]
    if keep:
        _errorbar(ax, [x for x, _ in keep], [iv for _, iv in keep], (label + " observed").strip(), color)
    preds = [(x, r.grad_predicted if backward else r.predicted) for x, r in zip(xs, rows)]
    preds = [(x, p) for x, p in preds if p is not None and p > 0]
    if preds:
        ax.plot([x for x, _ in preds], [p for _, p in preds], "--", color=color, alpha=0.7,
                label=(label + " theory").strip())
    ax.set_yscale("log")
    ax.set_xlabel("layer (chain index)")
    ax.set_ylabel("variance of " + ("∂L/∂output" if backward else "output"))


def _hist_axes(ax: Any, rows: Sequence[Any], *, grad: bool, title: str) -> None:
    import numpy as np

    for i, r in enumerate(rows):
        h = r.grad_histogram if grad else r.histogram
        if h is None or not h.counts:
            continue
        counts = np.asarray(h.counts, dtype=float)
        edges = np.linspace(h.low, h.high, counts.size + 1)
        total = counts.sum() + h.underflow + h.overflow
        dens = counts / max(total, 1) / np.diff(edges)
        ax.plot((edges[:-1] + edges[1:]) / 2, dens, label=f"{r.name} ({r.type})", color=f"C{i % 10}")
    ax.set_title(title, fontsize=9)
    ax.set_yscale("symlog", linthresh=1e-2)
    ax.legend(fontsize=6)


def report_pngs(report: Any) -> dict[str, str]:
    """Base64 PNGs of one report (empty without matplotlib): variance vs depth forward and
    backward with the theory, activation and gradient histograms, weight-gradient variance."""
    if not have_matplotlib():
        return {}
    out = {}
    fig = _figure(11, 3.8)
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    variance_axes(ax1, report)
    ax1.set_title("forward: activation variance per layer", fontsize=9)
    variance_axes(ax2, report, backward=True, color="C1")
    ax2.set_title("backward: gradient variance per layer", fontsize=9)
    for ax in (ax1, ax2):
        ax.legend(fontsize=7)
    out["variance against depth"] = base64.b64encode(_png(fig)).decode("ascii")
    acts = [r for r in report.layers if r.kind == "activation"] or list(report.chain_layers)
    fig = _figure(11, 3.8)
    _hist_axes(fig.add_subplot(1, 2, 1), acts[:12], grad=False, title="activation values (density)")
    _hist_axes(fig.add_subplot(1, 2, 2), list(report.chain_layers)[:12], grad=True,
               title="back-propagated gradients ∂L/∂output (density)")
    out["histograms per layer"] = base64.b64encode(_png(fig)).decode("ascii")
    weights = [p for p in report.params if len(p.shape) >= 2]
    if weights:
        fig = _figure(6, 3.2)
        ax = fig.add_subplot()
        _errorbar(ax, list(range(len(weights))), [p.grad_var for p in weights], "Var(∂L/∂W)", "C2")
        ax.set_yscale("log")
        ax.set_xticks(range(len(weights)))
        ax.set_xticklabels([p.name for p in weights], rotation=60, ha="right", fontsize=6)
        ax.set_title("variance of the weight gradients per layer", fontsize=9)
        out["weight gradient variance"] = base64.b64encode(_png(fig)).decode("ascii")
    return out


def suite_figures(results: Sequence[Any], out_dir: str | Path) -> list[Path]:
    """The README's figures from the suite's experiments (by key), written as PNG files."""
    if not have_matplotlib():
        return []
    by = {r.experiment.key: r.report for r in results}
    out = Path(out_dir)
    paths = []
    if "glorot_standard" in by and "glorot_normalized" in by:
        for grad, fname, what in ((False, "glorot_activations.png", "activation values"),
                                  (True, "glorot_gradients.png", "back-propagated gradients")):
            fig = _figure(11, 3.8)
            for j, (key, name) in enumerate((("glorot_standard", "standard U(±1/√n)"),
                                             ("glorot_normalized", "normalized (Xavier)"))):
                rep = by[key]
                rows = ([r for r in rep.layers if r.type == "Tanh"] if not grad else list(rep.chain_layers))
                _hist_axes(fig.add_subplot(1, 2, j + 1), rows, grad=grad, title=f"tanh MLP, {name}: {what}")
            p = out / fname
            p.write_bytes(_png(fig))
            paths.append(p)
        fig = _figure(11, 3.8)
        for j, backward in enumerate((False, True)):
            ax = fig.add_subplot(1, 2, j + 1)
            variance_axes(ax, by["glorot_standard"], backward=backward, label="standard", color="C3")
            variance_axes(ax, by["glorot_normalized"], backward=backward, label="normalized", color="C0")
            ax.set_title(f"tanh MLP: {'back-propagated gradient' if backward else 'activation'} variance", fontsize=9)
            ax.legend(fontsize=7)
        p = out / "glorot_variance.png"
        p.write_bytes(_png(fig))
        paths.append(p)
        fig = _figure(6, 3.4)
        ax = fig.add_subplot()
        for key, name, color in (("glorot_standard", "standard", "C3"), ("glorot_normalized", "normalized", "C0")):
            ws = [q for q in by[key].params if len(q.shape) >= 2]
            _errorbar(ax, list(range(1, len(ws) + 1)), [q.grad_var for q in ws], name, color)
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.set_ylabel("Var(∂L/∂W)")
        ax.set_title("tanh MLP: variance of the weight gradients per layer", fontsize=9)
        ax.legend(fontsize=7)
        p = out / "glorot_weight_gradients.png"
        p.write_bytes(_png(fig))
        paths.append(p)
    if "he_xavier" in by and "he_he" in by:
        fig = _figure(7, 4)
        ax = fig.add_subplot()
        variance_axes(ax, by["he_xavier"], label="Xavier", color="C3")
        variance_axes(ax, by["he_he"], label="He", color="C0")
        ax.set_title("deep ReLU MLP: forward variance per layer (theory dashed)", fontsize=9)
        ax.legend(fontsize=7)
        p = out / "he_relu_variance.png"
        p.write_bytes(_png(fig))
        paths.append(p)
    return paths
