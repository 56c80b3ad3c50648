"""Hooks that reduce each layer's activations and back-propagated gradients on the fly.

One :class:`Recorder` follows one model through several seeds. For each seed, forward hooks on
the selected modules reduce every output to a few numbers (count, Σx, Σx² in float64, counts in a
fixed-bin histogram, the fraction saturated or dead) and register a tensor hook on that output,
which reduces the gradient ``∂L/∂output`` the same way during the backward pass. No activation or
gradient is kept: memory stays that of one forward and backward pass. Everything the hooks add is
removed before :meth:`Recorder.run` returns.

Which module feeds which is read from the tensors themselves: a module is *linked* to the module
that ran before it when its input is that module's output tensor (the same object), as in a
``Sequential``. The theory's chained predictions follow links and restart from the observed value
where a link is missing (a residual sum, a functional op between modules).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

from ._torch import block_partials, combine, first_tensor, one_thread, tensor_sums
from .theory import IDENTITY_LIKE, Law, law_for

__all__ = ["RECTIFYING", "SATURATING", "Recorder", "module_kind"]

#: Activations that saturate and the test on their output (|tanh| > 0.99, sigmoid within 0.01 of 0 or 1).
SATURATING = {"Tanh": "|y| > 0.99", "Hardtanh": "|y| ≥ max_val", "Sigmoid": "y < 0.01 or y > 0.99"}
#: Rectifiers and their dead test (output exactly 0).
RECTIFYING = ("ReLU", "ReLU6")
_ACTIVATIONS = ("ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
                "Tanh", "Hardtanh", "Sigmoid", "Hardsigmoid", "Hardswish", "Softplus", "Softsign", "Tanhshrink")


def module_kind(module: Any) -> str:
    """``'weight'`` (owns a parameter of 2+ dimensions), ``'activation'``, ``'norm'`` or ``'other'``."""
    if any(p is not None and p.dim() >= 2 for p in module._parameters.values()):
        return "weight"
    name = type(module).__name__
    if name in _ACTIVATIONS:
        return "activation"
    if "Norm" in name:
        return "norm"
    return "other"


#: Values per call that go into the histograms: the first ones of the output, i.e. whole examples
#: (independent draws), so the histogram is that of a random subset; moments use every value.
HIST_VALUES = 1 << 16


class _Hist:
    """Fixed-bin histogram with under/overflow; the range is set by the first tensor it sees."""

    def __init__(self, bins: int, bounds: tuple[float, float] | None) -> None:
        self.bins, self.bounds = bins, bounds
        self.counts: Any = None

    def add(self, x: Any, mean: float | None = None, std: float | None = None) -> None:
        import torch

        v = x.detach().reshape(-1)[:HIST_VALUES]
        if v.dtype != torch.float32:
            v = v.float()
        if self.bounds is None:
            m = float(v.mean()) if mean is None else mean
            s = float(v.std()) if std is None else std
            if not (math.isfinite(m) and math.isfinite(s)):
                return
            s = s if s > 0 else max(abs(m), 1.0) * 1e-3
            self.bounds = (m - 6 * s, m + 6 * s)
        lo, hi = self.bounds
        w = (hi - lo) / self.bins
        # one clamp and one histc: the outer two bins collect the under- and overflow
        h = torch.histc(v.clamp(lo - w / 2, hi + w / 2), self.bins + 2, lo - w, hi + w)
        self.counts = h if self.counts is None else self.counts + h

    def result(self) -> dict[str, Any] | None:
        if self.counts is None or self.bounds is None:
            return None
        lo, hi = self.bounds
        c = [round(x) for x in self.counts.double().cpu().tolist()]
        return {"low": lo, "high": hi, "counts": c[1:-1], "underflow": c[0], "overflow": c[-1]}


@dataclass
class _Call:
    """One call of one module during one seed; sums are kept as block partials until the seed ends."""

    name: str
    n: int
    p1: Any
    p2: Any
    input_from: int | None          # index of the call whose output is this call's input (a link)
    input_own: tuple[int, Any, Any] | None   # partials of the input when not linked
    from_input: bool                # input is the model's input
    law: Law | None
    extreme: Any = None             # saturated or dead count
    grads: list[tuple[int, Any, Any]] = field(default_factory=list)


@dataclass
class SeedTrace:
    """Per-module values of one seed (floats; ``None`` where not defined)."""

    forward: dict[str, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    input_second: float = math.nan
    output_shape: tuple[int, ...] = ()


class Recorder:
    """Records ``entries`` (``[(name, module)]``) over seeds; histograms accumulate across seeds."""

    def __init__(self, entries: list[tuple[str, Any]], bins: int = 64) -> None:
        self.entries = entries
        self.bins = bins
        self.info: dict[str, dict[str, Any]] = {}
        self.hist: dict[str, _Hist] = {}
        self.grad_hist: dict[str, _Hist] = {}
        self.order: list[str] = []          # first-call order over all seeds

    # ---- one seed -----------------------------------------------------------------------
    def run(self, model: Any, x: Any, grad_seed: int) -> SeedTrace:
        import torch

        calls: list[_Call] = []
        last: dict[str, Any] = {"ref": None, "index": None}
        handles: list[Any] = []
        weight_stats: dict[str, tuple[float, float]] = {}

        def forward_hook(name: str, module: Any):
            def hook(mod: Any, args: Any, output: Any) -> None:
                if output_on_cpu(output):
                    with one_thread():
                        record(mod, args, output)
                else:
                    record(mod, args, output)

            def record(mod: Any, args: Any, output: Any) -> None:
                out = first_tensor(output)
                if out is None:
                    return
                inp = first_tensor(args)
                prev = last["ref"]() if last["ref"] is not None else None
                linked = inp is not None and prev is not None and inp is prev
                from_input = inp is not None and inp is x
                own = block_partials(inp) if inp is not None and not linked else None
                n, p1, p2 = block_partials(out)
                type_name = type(mod).__name__
                if name not in self.info:
                    self.info[name] = {"type": type_name, "kind": module_kind(mod),
                                       "shape": tuple(out.shape[1:])}
                    self.order.append(name)
                    bounds = _activation_bounds(mod)
                    self.hist[name] = _Hist(self.bins, bounds)
                    self.grad_hist[name] = _Hist(self.bins, None)
                law = None
                if self.info[name]["kind"] == "weight":
                    if name not in weight_stats:
                        weight_stats[name] = _weight_moments(mod)
                    w2, b2 = weight_stats[name]
                    law = law_for(type_name, vars(mod), w2, b2, tuple(inp.shape) if inp is not None else None)
                elif not (mod.training and type_name.startswith("Dropout")):
                    law = law_for(type_name, vars(mod))
                call = _Call(name, n, p1, p2, last["index"] if linked else None, own, from_input, law)
                if type_name in SATURATING:
                    v = out.detach()
                    if type_name == "Tanh":
                        call.extreme = (v.abs() > 0.99).sum()
                    elif type_name == "Hardtanh":
                        call.extreme = ((v <= mod.min_val) | (v >= mod.max_val)).sum()
                    else:
                        call.extreme = ((v < 0.01) | (v > 0.99)).sum()
                elif type_name in RECTIFYING:
                    call.extreme = n - torch.count_nonzero(out.detach())
                self.hist[name].add(out)
                calls.append(call)
                if out.requires_grad:
                    out.register_hook(_grad_hook(call, self.grad_hist[name]))
                last["ref"] = weakref.ref(out)
                last["index"] = len(calls) - 1

            return hook

        try:
            for name, module in self.entries:
                handles.append(module.register_forward_hook(forward_hook(name, module)))
            trace = self._forward_backward(model, x, grad_seed, calls)
        finally:
            for h in handles:
                h.remove()
        trace.params.update(self._last_params)
        self._finish(calls, trace, weight_stats)
        return trace

    def _forward_backward(self, model: Any, x: Any, grad_seed: int, calls: list[_Call]) -> SeedTrace:
        import torch

        from ..errors import SourceError
        from ..sources.values import _one_line

        trace = SeedTrace()
        n_in, _, s2_in = tensor_sums(x)
        trace.input_second = float(s2_in) / max(n_in, 1)
        try:
            output = model(x)
        except Exception as exc:
            raise SourceError(
                f"running the model on a batch of shape {tuple(x.shape)} failed: {type(exc).__name__}: "
                f"{_one_line(exc)}; pass input_shape= (without the batch dimension) or inputs="
            ) from exc
        out = first_tensor(output)
        if out is None:
            raise SourceError(f"the model returned {type(output).__name__} with no floating-point tensor; "
                              "propagation needs a model whose output is a float tensor")
        if not out.requires_grad:
            raise SourceError("the model's output does not require grad: it is not differentiable in its input or "
                              "parameters (no_grad, detach, or a non-differentiable op); propagation needs a "
                              "differentiable model")
        trace.output_shape = tuple(out.shape)
        params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        wrt = [p for _, p in params] + ([x] if x.requires_grad else [])
        gen = torch.Generator(device=out.device).manual_seed(int(grad_seed))
        g = torch.randn(out.shape, generator=gen, device=out.device, dtype=out.dtype)
        try:
            grads = torch.autograd.grad([out], wrt, [g], allow_unused=True)
        except RuntimeError as exc:
            raise SourceError(f"the backward pass failed: {_one_line(exc)}; propagation needs a differentiable model") from exc
        self._last_params = {}
        for (pname, p), gp in zip(params, grads):
            if gp is None:
                continue
            n, s1, s2 = tensor_sums(gp)
            mean = float(s1) / n
            self._last_params[pname] = {"grad_var": max(float(s2) / n - mean * mean, 0.0),
                                        "shape": tuple(p.shape)}
        del grads
        return trace

    def _finish(self, calls: list[_Call], trace: SeedTrace, weight_stats: dict[str, tuple[float, float]]) -> None:
        """Chained and local predictions along links; per-module aggregates of this seed."""
        fwd_chain: list[float | None] = []
        fwd_local: list[float | None] = []
        sums = [combine(c.p1, c.p2) for c in calls]
        second = [s2 / max(c.n, 1) for c, (_, s2) in zip(calls, sums)]
        for c in calls:
            if c.input_from is not None:
                in_obs: float | None = second[c.input_from]
            elif c.input_own is not None:
                in_obs = combine(c.input_own[1], c.input_own[2])[1] / max(c.input_own[0], 1)
            else:
                in_obs = None
            if c.from_input:
                m_in: float | None = trace.input_second
            elif c.input_from is not None:
                j = c.input_from
                m_in = fwd_chain[j] if fwd_chain[j] is not None else second[j]
            else:
                m_in = None
            fwd_chain.append(c.law.forward(m_in) if c.law is not None and m_in is not None else None)
            fwd_local.append(c.law.forward(in_obs) if c.law is not None and in_obs is not None else None)
        gsum = []
        for c in calls:
            if c.grads:
                g_n = sum(g[0] for g in c.grads)
                parts = [combine(g[1], g[2]) for g in c.grads]
                gsum.append((g_n, sum(p[0] for p in parts), sum(p[1] for p in parts)))
            else:
                gsum.append((0, 0.0, 0.0))
        gsec = [g[2] / g[0] if g[0] else None for g in gsum]
        bwd_chain: list[float | None] = [None] * len(calls)
        bwd_local: list[float | None] = [None] * len(calls)
        for i in range(len(calls) - 2, -1, -1):
            nxt = calls[i + 1]
            if nxt.input_from != i or nxt.law is None or gsec[i + 1] is None:
                continue
            base = bwd_chain[i + 1]
            base = base if base is not None else gsec[i + 1]
            assert base is not None
            bwd_chain[i] = nxt.law.backward(base)
            bwd_local[i] = nxt.law.backward(gsec[i + 1])  # type: ignore[arg-type]
        agg: dict[str, dict[str, Any]] = {}
        for i, c in enumerate(calls):
            a = agg.setdefault(c.name, {"n": 0, "s1": 0.0, "s2": 0.0, "g_n": 0, "g_s1": 0.0, "g_s2": 0.0,
                                        "extreme": None, "pc": [], "pl": [], "gc": [], "gl": [], "law": c.law})
            a["n"] += c.n
            a["s1"] += sums[i][0]
            a["s2"] += sums[i][1]
            g_n, g_s1, g_s2 = gsum[i]
            if g_n:
                a["g_n"] += g_n
                a["g_s1"] += g_s1
                a["g_s2"] += g_s2
            if c.extreme is not None:
                count = int(c.extreme)
                a["extreme"] = (a["extreme"] or 0) + count
            for key, val in (("pc", fwd_chain[i]), ("pl", fwd_local[i]), ("gc", bwd_chain[i]), ("gl", bwd_local[i])):
                a[key].append((val, c.n if key in ("pc", "pl") else (gsum[i][0] or 1)))
        for name, a in agg.items():
            n = a["n"]
            mean = a["s1"] / n
            row: dict[str, Any] = {
                "mean": mean, "var": max(a["s2"] / n - mean * mean, 0.0), "second": a["s2"] / n,
                "extreme": None if a["extreme"] is None else a["extreme"] / n,
                "grad_var": None, "grad_second": None,
            }
            if a["g_n"]:
                gm = a["g_s1"] / a["g_n"]
                row["grad_var"] = max(a["g_s2"] / a["g_n"] - gm * gm, 0.0)
                row["grad_second"] = a["g_s2"] / a["g_n"]
            for key, out_key in (("pc", "pred_chain"), ("pl", "pred_local"), ("gc", "grad_pred_chain"),
                                 ("gl", "grad_pred_local")):
                vals = a[key]
                row[out_key] = (sum(v * w for v, w in vals) / sum(w for _, w in vals)
                                if vals and all(v is not None for v, _ in vals) else None)
            if name in weight_stats:
                row["mean_w2"], row["mean_b2"] = weight_stats[name]
            law = a["law"]
            row["law"] = law.formula if law is not None else None
            row["fwd_gain"] = law.fwd_gain if law is not None else None
            trace.forward[name] = row


def _grad_hook(call: _Call, hist: _Hist):
    def hook(grad: Any) -> None:
        if grad.device.type == "cpu":
            with one_thread():
                call.grads.append(block_partials(grad))
                hist.add(grad)
        else:
            call.grads.append(block_partials(grad))
            hist.add(grad)

    return hook


def output_on_cpu(output: Any) -> bool:
    t = first_tensor(output)
    return t is not None and t.device.type == "cpu"


def _weight_moments(module: Any) -> tuple[float, float]:
    """Realised mean squares ``E[w²]`` of the module's weight and ``E[b²]`` of its bias."""
    w = module._parameters.get("weight")
    if w is None:
        w = next(p for p in module._parameters.values() if p is not None and p.dim() >= 2)
    n, _, s2 = tensor_sums(w)
    b = module._parameters.get("bias")
    b2 = 0.0
    if b is not None:
        nb, _, sb = tensor_sums(b)
        b2 = float(sb) / max(nb, 1)
    return float(s2) / max(n, 1), b2


def _activation_bounds(module: Any) -> tuple[float, float] | None:
    name = type(module).__name__
    if name == "Tanh":
        return (-1.0, 1.0)
    if name == "Sigmoid":
        return (0.0, 1.0)
    if name == "Hardtanh":
        return (float(module.min_val), float(module.max_val))
    return None


__all__ += ["IDENTITY_LIKE", "SeedTrace"]
