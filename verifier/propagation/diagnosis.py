"""From the two directions' verdicts to a diagnosis: what fails, where, and which scheme fixes it.

The hint compares each weight layer's theory gain ``fan_in·E[w²]`` (the factor (1) of
:mod:`verifier.propagation.theory` multiplies the input's second moment by) with what keeps the
variance under the activation that follows it:

===================  ===================================  =========================================
activation           keeping gain ``fan_in·E[w²]``        a gain seen in the wild
===================  ===================================  =========================================
ReLU                 2 (He / Kaiming, gain √2)            1: Xavier or LeCun under ReLU, ×½ a layer
LeakyReLU(a)         2/(1+a²)
tanh (linear)        1 (Xavier / Glorot normalized)       1/3: "standard" U(±1/√n), ×⅓ a layer
none (linear net)    1 (LeCun / Xavier for equal widths)
===================  ===================================  =========================================

When every layer's gain keeps the variance and the signal still grows, the growth comes from what
the theory does not model: residual sums (each block adds its branch's variance to the stream), so
the hint is to scale the residual branches.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from .result import Direction, LayerResult, PropagationDiagnosis

__all__ = ["diagnose_propagation"]


def _keeping_gain(activations: set[str], slopes: Sequence[float]) -> tuple[float, str, str]:
    if "ReLU" in activations or "ReLU6" in activations:
        return 2.0, "ReLU", "He (kaiming_normal_/kaiming_uniform_ with nonlinearity='relu'): fan_in·Var(W) = 2"
    if "LeakyReLU" in activations and slopes:
        a = slopes[0]
        return 2 / (1 + a * a), f"LeakyReLU({a:g})", (
            f"He for leaky ReLU (kaiming_normal_(a={a:g}, nonlinearity='leaky_relu')): fan_in·Var(W) = 2/(1+a²)")
    if "Tanh" in activations:
        return 1.0, "tanh", ("Xavier/Glorot normalized init (xavier_uniform_/xavier_normal_): Var(W) = "
                             "2/(fan_in+fan_out), so fan_in·Var(W) ≈ 1 in tanh's linear regime")
    return 1.0, "no nonlinearity", "LeCun/Xavier scaling: fan_in·Var(W) = 1"


def diagnose_propagation(forward: Direction, backward: Direction, layers: Sequence[LayerResult],
                         restarts: int, k: float, slopes: Sequence[float] = ()) -> PropagationDiagnosis:
    """The diagnosis of a propagation run (``restarts``: links missing in the chain, e.g. residual sums)."""
    bad = [d for d in (forward, backward) if d.status in ("vanishing", "exploding")]
    undecided = [d for d in (forward, backward) if d.status == "undecided"]
    if not bad and not undecided:
        return PropagationDiagnosis("ok", f"variance kept within [{1 / k:.3g}, {k:.3g}] forward and backward",
                                    None, None)
    if not bad:
        names = " and ".join(d.direction for d in undecided)
        return PropagationDiagnosis(
            "undecided", f"{names}: the interval crosses a bound of [{1 / k:.3g}, {k:.3g}]; run more seeds "
                         "(or a larger batch) to decide", None, None)
    short = " and ".join(f"{d.status} {d.direction}" for d in bad)
    main = bad[0]
    layer = main.first_outside or main.worst
    parts = [f"{d.direction} variance ×{d.ratio.estimate:.3g} from {d.first!r} to {d.last!r} "
             f"({d.ratio.confidence:.0%} CI {d.ratio.low:.3g}–{d.ratio.high:.3g}), "
             f"×{d.per_layer.estimate:.3g} per layer" for d in bad]
    if main.first_outside:
        parts.append(f"it leaves [{1 / k:.3g}, {k:.3g}] at {main.first_outside!r}")
    if main.worst:
        step = dict(main.steps).get(main.worst)
        if step is not None:
            parts.append(f"the largest step is at {main.worst!r} (×{step:.3g})")
    activations = {r.type for r in layers if r.kind == "activation"}
    gains = [r.fan_gain for r in layers if r.kind == "weight" and r.fan_gain is not None]
    target, act, scheme = _keeping_gain(activations, slopes)
    hint = None
    if gains:
        g = statistics.median(gains)
        if abs(math.log(g / target)) > math.log(1.25):
            parts.append(f"the weight layers have fan_in·E[w²] ≈ {g:.3g} where {act} needs {target:.3g} "
                         f"(×{g / target:.3g} of the variance per layer)")
            hint = scheme
            if act == "ReLU" and abs(math.log(g)) < math.log(1.25):
                hint += "; Xavier/LeCun scaling under ReLU halves the variance at every layer"
            if act == "tanh" and abs(math.log(3 * g)) < math.log(1.25):
                hint += "; the 'standard' U(±1/√fan_in) gives fan_in·Var(W) = 1/3, ×1/3 per layer"
        elif any(d.status == "exploding" for d in bad) and restarts:
            hint = ("the layers' gains keep the variance, so it grows at the residual sums: scale each residual "
                    "branch down (zero-init its last norm or Linear, or multiply it by 1/√(number of blocks))")
        elif act == "tanh" and any(d.status == "vanishing" for d in bad):
            hint = ("the weights have the Xavier gain, so the loss comes from tanh leaving its linear regime "
                    "(saturation); lower the input scale or the gain")
    if hint is None and restarts and any(d.status == "exploding" for d in bad):
        hint = "scale the residual branches (zero-init the last layer of each branch, or 1/√(number of blocks))"
    return PropagationDiagnosis(short, "; ".join(parts), layer, hint)
