"""From the per-seed traces to a :class:`~verifier.propagation.result.PropagationReport`: per
layer, the variance and observed/predicted ratios as Student-t intervals on the log over seeds; per
direction (forward variance, backward gradient variance) the ratio first → last layer, its per-layer
factor, the steps, the worst step and the first layer outside ``[1/k, k]``; then the diagnosis."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..errors import SourceError
from .diagnosis import diagnose_propagation
from .recording import Recorder, SeedTrace
from .result import Direction, Histogram, LayerResult, ParamResult, PropagationReport
from .verdict import Interval, classify, log_t_interval

__all__ = ["report_over_seeds"]


def _hist(h: Any) -> Histogram | None:
    r = h.result() if h is not None else None
    return None if r is None else Histogram(r["low"], r["high"], tuple(r["counts"]), r["underflow"], r["overflow"])


def _iv(values: list[float | None], confidence: float) -> Interval | None:
    if not values or any(v is None for v in values):
        return None
    return log_t_interval([float(v) for v in values], confidence)  # type: ignore[arg-type]


def _direction(name: str, chain: list[str], per_seed: list[dict[str, float]], k: float, confidence: float,
               backward: bool) -> Direction:
    names = [n for n in chain if all(n in s and s[n] is not None for s in per_seed)]
    if len(names) < 2:
        raise SourceError(f"fewer than two layers of the chain have a {'gradient' if backward else 'variance'} in "
                          "every seed; nothing to compare over depth (pass layers= to choose modules)")
    first, last = names[0], names[-1]
    if backward:
        ratios = [s[first] / s[last] if s[last] > 0 else math.inf for s in per_seed]
    else:
        ratios = [s[last] / s[first] if s[first] > 0 else math.inf for s in per_seed]
    ratio = log_t_interval(ratios, confidence)
    per_layer = ratio.power(1.0 / (len(names) - 1))
    steps = []
    for a, b in itertools.pairwise(names):
        vals = [(s[a] / s[b]) if backward else (s[b] / s[a]) for s in per_seed if s[a] > 0 and s[b] > 0]
        est = float(np.exp(np.mean(np.log(vals)))) if vals else math.nan
        steps.append(((a if backward else b), est))
    worst = max(steps, key=lambda t: abs(math.log(t[1])) if t[1] > 0 and math.isfinite(t[1]) else math.inf)[0]
    first_outside = None
    order = list(reversed(names)) if backward else names
    ref = order[0]
    for n in order[1:]:
        vals = [s[n] / s[ref] for s in per_seed if s[ref] > 0 and s[n] > 0]
        r = float(np.exp(np.mean(np.log(vals)))) if vals else 0.0
        if not (1 / k <= r <= k):
            first_outside = n
            break
    return Direction(name, first, last, len(names), ratio, per_layer, classify(ratio, k), tuple(steps), worst,
                     first_outside)


def report_over_seeds(desc: str, rec: Recorder, traces: list[SeedTrace], seeds: tuple[int, ...], batch: int,
            input_shape: tuple[int, ...] | None, k: float, confidence: float, resampled: str, mode: str, device: str,
            notes: list[str]) -> PropagationReport:
    rows: list[LayerResult] = []
    for i, name in enumerate(rec.order):
        info = rec.info[name]
        per: list[Any] = [t.forward.get(name) for t in traces]
        if any(p is None for p in per):
            notes.append(f"{name!r} did not run in every seed; left out")
            continue

        def col(key: str, per: list[Any] = per) -> list[Any]:
            return [p[key] for p in per]

        def ratio(obs: str, pred: str, col: Any = col) -> Interval | None:
            o, q = col(obs), col(pred)
            if any(v is None for v in o + q) or any(v == 0 for v in q):
                return None
            return log_t_interval([a / b for a, b in zip(o, q)], confidence)

        extreme = col("extreme")
        ext = float(np.mean(extreme)) if all(e is not None for e in extreme) else None
        preds = col("pred_chain")
        gpreds = col("grad_pred_chain")
        gains = col("fwd_gain")
        rows.append(LayerResult(
            index=i, name=name, type=info["type"], kind=info["kind"], shape=tuple(info["shape"]), law=per[0]["law"],
            mean=float(np.mean(col("mean"))), var=log_t_interval(col("var"), confidence),
            second=float(np.mean(col("second"))),
            predicted=float(np.mean(preds)) if all(p is not None for p in preds) else None,
            ratio=ratio("second", "pred_chain"), ratio_local=ratio("second", "pred_local"),
            grad_var=_iv(col("grad_var"), confidence),
            grad_predicted=float(np.mean(gpreds)) if all(p is not None for p in gpreds) else None,
            grad_ratio=ratio("grad_second", "grad_pred_chain"), grad_ratio_local=ratio("grad_second", "grad_pred_local"),
            saturated=ext if info["type"] in ("Tanh", "Sigmoid", "Hardtanh") else None,
            dead=ext if info["type"] in ("ReLU", "ReLU6") else None,
            fan_gain=float(np.mean(gains)) if info["kind"] == "weight" and all(g is not None for g in gains) else None,
            histogram=_hist(rec.hist.get(name)), grad_histogram=_hist(rec.grad_hist.get(name)),
        ))
    weight_rows = [r.name for r in rows if r.kind == "weight"]
    chain = weight_rows if len(weight_rows) >= 2 else [r.name for r in rows]
    fwd = _direction("forward", chain, [{n: t.forward[n]["var"] for n in chain} for t in traces], k, confidence, False)
    bwd = _direction("backward", chain, [{n: t.forward[n]["grad_var"] for n in chain} for t in traces], k, confidence,
                     True)
    restarts = sum(1 for r in rows if r.name in chain[1:] and r.predicted is None)
    slopes = [float(getattr(m, "negative_slope", 0.01)) for n, m in rec.entries if type(m).__name__ == "LeakyReLU"]
    diagnosis = diagnose_propagation(fwd, bwd, rows, restarts, k, slopes)
    params = tuple(ParamResult(n, tuple(traces[0].params[n]["shape"]),
                               log_t_interval([t.params[n]["grad_var"] for t in traces], confidence))
                   for n in traces[0].params if all(n in t.params for t in traces))
    return PropagationReport(desc, fwd.kept and bwd.kept, k, confidence, seeds, batch, input_shape, resampled, mode,
                             device, tuple(chain), tuple(rows), params, fwd, bwd, diagnosis, tuple(notes))
