"""``verifier suite propagation``: the seed experiments of signal propagation at initialisation.

1. Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward neural
   networks", §4.2–4.3: a deep tanh MLP (5 layers of 1000 units) with the "standard" init
   ``W ~ U(±1/√n)`` (``n·Var(W) = 1/3``) against the normalized init ``W ~ U(±√6/√(n_in+n_out))``
   (``n·Var(W) = 1`` for equal widths). Predictions: under the standard init the activation
   variance shrinks layer after layer (×1/3 in the linear regime) and so do the back-propagated
   gradients towards the input; the normalized init keeps the back-propagated gradients (and the
   activations) level while tanh is in its linear regime (inputs ``N(0, 0.1²)``). A third run with
   unit-variance inputs shows what happens outside that regime.
2. He et al. (2015), "Delving deep into rectifiers", §2.2: a deep ReLU MLP (32 layers of 1024) with
   Xavier against He init. Predictions: Xavier halves the forward variance at every layer, He keeps
   it. (He keeps it *in expectation*; one finite-width network scatters around that, with
   ``Var[log ratio] ≈ 5·Σ 1/n_l`` over the depth (Hanin 2018), hence the width of 1024.)

Each experiment states its claim, runs :func:`verifier.propagate` over independent seeds (weights,
inputs and output gradients redrawn per seed) and records whether the claim holds, judged by the
measured intervals. Reports: ``propagation.{md,json,html}`` and the PNG figures the README shows.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "SUITE_SCHEMA",
    "TITLE",
    "Experiment",
    "ExperimentResult",
    "experiments",
    "relu_mlp",
    "run",
    "run_suite_command",
    "tanh_mlp",
]

TITLE = "Signal propagation: the seed experiments of Glorot & Bengio (2010) and He et al. (2015)"
SUITE_SCHEMA = "verifier.propagation-suite/1"


# ---- the models --------------------------------------------------------------------------
def tanh_mlp(init: str, depth: int = 5, width: int = 1000) -> Callable[[], Any]:
    """A factory of ``depth`` × (Linear(width, width), Tanh) with ``init`` ``'standard'``
    (``U(±1/√n)``) or ``'normalized'`` (``U(±√6/√(n_in+n_out))``, i.e. ``xavier_uniform_``); zero biases."""
    import torch
    from torch import nn

    def build() -> Any:
        layers: list[Any] = []
        for _ in range(depth):
            lin = nn.Linear(width, width)
            with torch.no_grad():
                if init == "standard":
                    bound = 1 / math.sqrt(width)
                    lin.weight.uniform_(-bound, bound)
                else:
                    nn.init.xavier_uniform_(lin.weight)
                lin.bias.zero_()
            layers += [lin, nn.Tanh()]
        return nn.Sequential(*layers)

    build.__qualname__ = f"tanh_mlp({init!r}, depth={depth}, width={width})"
    return build


def relu_mlp(init: str, depth: int = 32, width: int = 512) -> Callable[[], Any]:
    """A factory of ``depth`` × (Linear(width, width), ReLU) with ``init`` ``'xavier'``
    (``xavier_normal_``) or ``'he'`` (``kaiming_normal_(nonlinearity='relu')``); zero biases."""
    import torch
    from torch import nn

    def build() -> Any:
        layers: list[Any] = []
        for _ in range(depth):
            lin = nn.Linear(width, width)
            with torch.no_grad():
                if init == "xavier":
                    nn.init.xavier_normal_(lin.weight)
                else:
                    nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
                lin.bias.zero_()
            layers += [lin, nn.ReLU()]
        return nn.Sequential(*layers)

    build.__qualname__ = f"relu_mlp({init!r}, depth={depth}, width={width})"
    return build


# ---- experiments -------------------------------------------------------------------------
@dataclass(frozen=True)
class Experiment:
    """One experiment: a model factory, its inputs' std, the claim and how to judge it."""

    key: str
    title: str
    source: str
    claim: str
    factory: Callable[[], Any]
    width: int
    input_std: float
    judge: Callable[[Any], tuple[bool, str]]


@dataclass(frozen=True)
class ExperimentResult:
    experiment: Experiment
    report: Any
    holds: bool
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        e = self.experiment
        return {"key": e.key, "title": e.title, "source": e.source, "claim": e.claim, "input_std": e.input_std,
                "holds": self.holds, "evidence": self.evidence, "report": self.report.to_dict()}

    def __str__(self) -> str:
        from ..report.propagation_suite import render_suite_text

        return render_suite_text([self])


def _fmt(iv: Any) -> str:
    from ..report.propagation import fmt_interval

    return fmt_interval(iv)


def _shrinks(r: Any) -> tuple[bool, str]:
    steps = [f for _, f in r.forward.steps]
    ok = r.forward.status == "vanishing" and r.forward.per_layer.high < 1 and all(f < 1 for f in steps)
    return ok, (f"forward per layer ×{_fmt(r.forward.per_layer)}, steps "
                + ", ".join(f"×{f:.3g}" for f in steps) + f"; backward per layer ×{_fmt(r.backward.per_layer)} "
                f"({r.backward.status}); verdict {'PASS' if r.passed else 'FAIL'}: {r.diagnosis.short}")


def _gradients_level(r: Any) -> tuple[bool, str]:
    ok = r.backward.status == "kept" and r.backward.per_layer.contains(1.0) or (
        r.backward.status == "kept" and 0.9 <= r.backward.per_layer.low and r.backward.per_layer.high <= 1.1)
    return ok, (f"backward ratio first/last ×{_fmt(r.backward.ratio)} ({r.backward.status}), per layer "
                f"×{_fmt(r.backward.per_layer)}; forward ×{_fmt(r.forward.ratio)} ({r.forward.status})")


def _outside_linear(r: Any) -> tuple[bool, str]:
    last = r.chain_layers[-1]
    ok = last.ratio is not None and last.ratio.high < 1
    return ok, (f"last layer observed/predicted (linear regime) ×{_fmt(last.ratio)}; forward "
                f"×{_fmt(r.forward.ratio)} ({r.forward.status}), backward ×{_fmt(r.backward.ratio)} "
                f"({r.backward.status})")


def _halves(r: Any) -> tuple[bool, str]:
    pl = r.forward.per_layer
    ok = r.forward.status == "vanishing" and 0.45 <= pl.low and pl.high <= 0.55 and "He" in (r.diagnosis.hint or "")
    return ok, f"forward per layer ×{_fmt(pl)} ({r.forward.status}); diagnosis: {r.diagnosis.short}; hint: {r.diagnosis.hint}"


def _level(r: Any) -> tuple[bool, str]:
    pl = r.forward.per_layer
    ok = 0.95 <= pl.low and pl.high <= 1.05
    return ok, (f"forward per layer ×{_fmt(pl)}; over the depth ×{_fmt(r.forward.ratio)} ({r.forward.status}), "
                f"backward ×{_fmt(r.backward.ratio)} ({r.backward.status}); verdict {'PASS' if r.passed else 'FAIL'}")


def experiments(quick: bool = False) -> list[Experiment]:
    """The experiments; ``quick`` uses narrower, shallower nets (the tests use it)."""
    tw, rw, rd = (128, 256, 32) if quick else (1000, 1024, 32)
    glorot = "Glorot & Bengio 2010, §4.2.1 and Fig. 6–7"
    he = "He et al. 2015, §2.2 and Fig. 3"
    return [
        Experiment("glorot_standard", "tanh MLP, standard init U(±1/√n)", glorot,
                   "the activation variance shrinks layer after layer (×1/3 per layer in the linear regime), and "
                   "so do the back-propagated gradients towards the input", tanh_mlp("standard", 5, tw), tw, 0.1,
                   _shrinks),
        Experiment("glorot_normalized", "tanh MLP, normalized init U(±√6/√(n_in+n_out))", glorot,
                   "the normalized init keeps the back-propagated gradients level (per-layer factor ≈ 1) while "
                   "tanh is in its linear regime", tanh_mlp("normalized", 5, tw), tw, 0.1, _gradients_level),
        Experiment("glorot_normalized_unit_inputs", "tanh MLP, normalized init, unit-variance inputs", glorot,
                   "outside tanh's linear regime (inputs N(0, 1)) the linear theory over-predicts the variance "
                   "of the deeper layers: observed/predicted < 1 at the last layer", tanh_mlp("normalized", 5, tw),
                   tw, 1.0, _outside_linear),
        Experiment("he_xavier", f"ReLU MLP, {rd} layers, Xavier init", he,
                   "Xavier under ReLU halves the forward variance at every layer (per-layer factor in "
                   "[0.45, 0.55]); the diagnosis names He", relu_mlp("xavier", rd, rw), rw, 1.0, _halves),
        Experiment("he_he", f"ReLU MLP, {rd} layers, He init", he,
                   "He init keeps the forward variance level over all layers (per-layer factor in [0.95, 1.05])",
                   relu_mlp("he", rd, rw), rw, 1.0, _level),
    ]


def run(*, seed: int = 0, alpha: float | None = None, progress: bool = False, quick: bool = False,
        seeds: int = 6, batch: int = 256) -> list[ExperimentResult]:
    """Run every experiment with ``seeds`` seeds starting at ``seed``; ``alpha`` is unused (the
    verdict uses 95 % intervals)."""
    import torch

    from ..propagation import propagate

    out = []
    seed_list = list(range(seed, seed + seeds))
    for exp in experiments(quick):
        if progress:
            print(f"  {exp.key} ...", file=sys.stderr)

        def inputs(s: int, exp: Experiment = exp) -> Any:
            g = torch.Generator().manual_seed(s)
            return torch.randn(batch, exp.width, generator=g) * exp.input_std

        report = propagate(exp.factory, inputs, seeds=seed_list, batch=batch)
        holds, evidence = exp.judge(report)
        out.append(ExperimentResult(exp, report, holds, evidence))
    return out


def document(results: list[ExperimentResult], command: str) -> dict[str, Any]:
    return {"schema": SUITE_SCHEMA, "title": TITLE, "command": command,
            "all_claims_hold": all(r.holds for r in results), "experiments": [r.to_dict() for r in results]}


def markdown(results: list[ExperimentResult], command: str, figures: list[str]) -> str:
    """The suite as Markdown (rendered by :mod:`verifier.report.propagation_suite`)."""
    from ..report.propagation_suite import render_suite_markdown

    return render_suite_markdown(results, command, figures, TITLE)


def run_suite_command(args: argparse.Namespace) -> int:
    """What ``verifier suite propagation`` runs: the experiments, the reports in ``--out`` (default
    ``reports/propagation``), the table on stdout; exit 0 iff every claim holds."""
    import json

    from ..report.propagation import write_propagation_reports
    from ..report.propagation_plots import suite_figures
    from ..report.propagation_suite import render_suite_text, suite_section

    quick = bool(getattr(args, "quick", False))
    results = run(seed=args.seed, quick=quick)
    out = Path(args.out or "reports/propagation")
    command = "verifier suite propagation" + (" --quick" if quick else "") + (f" --seed {args.seed}" if args.seed else "")
    figures: list[Path] = []
    if not getattr(args, "no_reports", False):
        out.mkdir(parents=True, exist_ok=True)
        figures = [] if getattr(args, "no_plots", False) else suite_figures(results, out)
        write_propagation_reports([r.report for r in results], out, title=TITLE, command=command,
                                  document=document(results, command),
                                  markdown=markdown(results, command, [p.name for p in figures]),
                                  sections=[(r.experiment.title, suite_section(r)) for r in results])
        print(f"reports written to {out}/", file=sys.stderr)
    stdout = getattr(args, "stdout", None) or sys.stdout  # the CLI's real stdout (user code prints to stderr)
    if args.format == "json":
        print(json.dumps(document(results, command), indent=2, ensure_ascii=False, allow_nan=False), file=stdout)
    elif args.format == "markdown":
        print(markdown(results, command, [p.name for p in figures]), file=stdout)
    else:
        print(render_suite_text(results), file=stdout)
    return 0 if all(r.holds for r in results) else 1
