"""What the variance of each layer should be: the laws of Glorot & Bengio (2010) and He et al. (2015).

Assumptions (stated once, used everywhere): the weights of a layer are independent, zero-mean
and sign-symmetric, independent of the layer's input (true at initialisation); biases likewise.
Second moments, not variances, are propagated: for such weights ``E[y] = 0`` over the weight draw,
so the pooled second moment ``E[y²]`` of a weight layer's output is its variance in expectation.

Forward, for a weight layer ``y = W x + b`` with ``fan_in`` inputs per output::

    E[y²] = fan_in · E[w²] · E[x²] + E[b²]                                    (1)

exact in expectation over the weights, for *any* input distribution: conditional on the realised
mean square ``E[w²]`` of the tensor, exchangeability gives every entry the same conditional second
moment and sign symmetry kills the cross terms. ``E[w²]`` is the realised mean square of the tensor
(so (1) needs no spec); for a convolution ``fan_in = (C_in/groups)·Πk`` times the fraction of
taps that fall inside the input (zero padding at the borders, computed exactly by
:func:`conv_tap_fraction`).

Backward, the gradient ``g = ∂L/∂x`` of a weight layer's input from that of its output::

    E[g_x²] = fan_out_eff · E[w²] · E[g_y²]                                  (2)

with ``fan_out_eff = out_features`` (Linear) or ``(C_out/groups) · (mean number of
(output position, tap) pairs that read an input position)`` (convolutions, exact for the borders
and the stride).

Elementwise activations, for an input ``z`` symmetric about 0 and a back-propagated gradient
independent of ``z``:

============  ===========================  ============================
activation    forward ``E[φ(z)²]``          backward factor ``E[φ'(z)²]``
============  ===========================  ============================
ReLU          ``½ E[z²]``                   ``½``
LeakyReLU(a)  ``(1+a²)/2 · E[z²]``          ``(1+a²)/2``
tanh          ``E[z²]`` (linear regime)     ``1`` (linear regime)
sigmoid       ``¼ + E[z²]/16`` (linear)     ``1/16`` (linear regime)
identity-like ``E[z²]``                     ``1``
============  ===========================  ============================

tanh and sigmoid are taken in their linear regime around 0, as Glorot & Bengio do; where the
pre-activations are not small the observed/predicted ratio shows how far that regime is left.
Hence, for equal widths ``n``: the "standard" ``U(±1/√n)`` (``E[w²] = 1/(3n)``) shrinks the
variance ×1/3 per tanh layer; Glorot's normalized init (``E[w²] = 2/(n_in+n_out)``) keeps it; under
ReLU Xavier halves it per layer and He (``E[w²] = 2/n_in``) keeps it.

Modules whose effect is not modelled here (normalisation, pooling, attention, residual sums,
unknown modules) have no law: the predicted chain restarts from the observed value after them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["IDENTITY_LIKE", "Law", "conv_backward_reads", "conv_tap_fraction", "law_for"]

#: Modules that pass their input through unchanged in eval mode (second moment and gradient kept).
IDENTITY_LIKE = ("Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Flatten", "Unflatten")


@dataclass(frozen=True)
class Law:
    """How one module maps second moments: ``E[out²] = fwd_gain·E[in²] + fwd_offset`` forward and
    ``E[g_in²] = bwd_gain·E[g_out²]`` backward. ``kind`` is ``'weight'``, ``'activation'`` or
    ``'identity'``; ``formula`` says which law, for the report."""

    kind: str
    fwd_gain: float
    bwd_gain: float
    formula: str
    fwd_offset: float = 0.0

    def forward(self, second_in: float) -> float:
        return self.fwd_gain * second_in + self.fwd_offset

    def backward(self, grad_second_out: float) -> float:
        return self.bwd_gain * grad_second_out


def _pairs(x: int | Sequence[int], d: int) -> tuple[int, ...]:
    return tuple(int(v) for v in x) if isinstance(x, (tuple, list)) else (int(x),) * d  # type: ignore[arg-type]


def _taps_1d(length: int, k: int, stride: int, pad: int, dil: int) -> tuple[float, float, int]:
    """For one spatial dimension: (mean fraction of the k taps in bounds per output position,
    mean number of (output, tap) reads per input position, output length)."""
    out = (length + 2 * pad - dil * (k - 1) - 1) // stride + 1
    if out <= 0 or length <= 0:
        return 1.0, float(k) / stride, max(out, 0)
    inside = 0
    for o in range(out):
        start = o * stride - pad
        inside += sum(1 for j in range(k) if 0 <= start + j * dil < length)
    return inside / (out * k), inside / length, out


def conv_tap_fraction(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int],
                      dilation: Sequence[int]) -> float:
    """Mean over output positions of the fraction of kernel taps that read inside the input
    (1 without zero padding). Separable across dimensions, so the mean of the product is the
    product of the per-dimension means."""
    frac = 1.0
    for L, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        frac *= _taps_1d(L, k, s, p, d)[0]
    return frac


def conv_backward_reads(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int],
                        dilation: Sequence[int]) -> float:
    """Mean over input positions of the number of (output position, kernel tap) pairs that read
    it: ``Πk/Πstride`` away from the borders."""
    reads = 1.0
    for L, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        reads *= _taps_1d(L, k, s, p, d)[1]
    return reads


def law_for(type_name: str, attrs: dict[str, object], mean_w2: float | None = None, mean_b2: float = 0.0,
            input_shape: Sequence[int] | None = None) -> Law | None:
    """The law of a module, from its class name and attributes (duck-typed; no torch needed).

    ``mean_w2``/``mean_b2``: realised mean squares of the weight and bias; ``input_shape``: the
    shape of the input (batch first) for the convolution border terms. ``None`` when the module's
    effect is not modelled.
    """
    if type_name == "Linear" and mean_w2 is not None:
        fi, fo = int(attrs["in_features"]), int(attrs["out_features"])  # type: ignore[call-overload]
        return Law("weight", fi * mean_w2, fo * mean_w2,
                   f"fan_in·E[w²]·E[x²]+E[b²] = {fi}·{mean_w2:.4g}·E[x²]+{mean_b2:.3g}", mean_b2)
    if type_name in ("Conv1d", "Conv2d", "Conv3d") and mean_w2 is not None:
        d = int(type_name[4])
        groups = int(attrs.get("groups", 1))  # type: ignore[call-overload]
        k = _pairs(attrs["kernel_size"], d)  # type: ignore[arg-type]
        stride, dil = _pairs(attrs["stride"], d), _pairs(attrs["dilation"], d)  # type: ignore[arg-type]
        padding = attrs["padding"]
        if isinstance(padding, str):
            if padding == "valid":
                pad = (0,) * d
            else:  # 'same' (stride 1): total padding d·(k-1), split as torch does (extra on the right)
                pad = tuple(dl * (kk - 1) // 2 for kk, dl in zip(k, dil))
        else:
            pad = _pairs(padding, d)  # type: ignore[arg-type]
        if attrs.get("padding_mode", "zeros") != "zeros":
            pad = (0,) * d  # reflect/replicate/circular: every tap reads a real value
        spatial = tuple(input_shape[-d:]) if input_shape is not None and len(input_shape) >= d + 1 else None
        cin, cout = int(attrs["in_channels"]) // groups, int(attrs["out_channels"]) // groups  # type: ignore[call-overload]
        taps = math.prod(k)
        frac = conv_tap_fraction(spatial, k, stride, pad, dil) if spatial else 1.0
        reads = conv_backward_reads(spatial, k, stride, pad, dil) if spatial else taps / math.prod(stride)
        fi = cin * taps * frac
        return Law("weight", fi * mean_w2, cout * reads * mean_w2,
                   f"fan_in·E[w²]·E[x²]+E[b²] = {fi:.4g}·{mean_w2:.4g}·E[x²]+{mean_b2:.3g}", mean_b2)
    if type_name == "ReLU":
        return Law("activation", 0.5, 0.5, "ReLU: ½·E[z²]")
    if type_name == "LeakyReLU":
        a = float(attrs.get("negative_slope", 0.01))  # type: ignore[arg-type]
        f = (1 + a * a) / 2
        return Law("activation", f, f, f"LeakyReLU({a:g}): (1+a²)/2·E[z²]")
    if type_name == "Tanh":
        return Law("activation", 1.0, 1.0, "tanh, linear regime: E[z²]")
    if type_name == "Sigmoid":
        return Law("activation", 1.0 / 16, 1.0 / 16, "sigmoid, linear regime: ¼ + E[z²]/16", 0.25)
    if type_name in IDENTITY_LIKE:
        return Law("identity", 1.0, 1.0, "identity: E[x²]")
    return None
