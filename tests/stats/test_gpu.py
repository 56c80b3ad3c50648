"""The Triton pass (:mod:`verifier.stats.gpu`) gives the reference summary: counts, extremes and
PIT histogram exactly, moments to float64 rounding.

The same kernel runs on CPU tensors through Triton's interpreter when the process starts with
``TRITON_INTERPRET=1`` (Triton decides at import; the ``triton`` tox environment in CI sets it),
and on a CUDA device where one is present. Skipped without Triton (it ships with CUDA builds of
torch) or without either.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

from verifier.sources.sample import Sample  # noqa: E402
from verifier.stats import gpu  # noqa: E402
from verifier.stats.summary import Summary, pit_bins, summarize  # noqa: E402
from verifier.theory.distributions import Normal, TruncatedNormal, Uniform  # noqa: E402

DISTS = [Normal(0.0, 0.02), Normal(0.3, 2.0), Uniform(-0.05, 0.05), TruncatedNormal(0.0, 0.02, -0.04, 0.04),
         TruncatedNormal(0.01, 0.5, -0.2, 1.5)]


INTERPRET = os.environ.get("TRITON_INTERPRET") == "1"


@pytest.fixture
def interpreted(monkeypatch: pytest.MonkeyPatch):
    """The kernel decorated for Triton's CPU interpreter."""
    if not INTERPRET:
        pytest.skip("Triton's interpreter needs TRITON_INTERPRET=1 when the process starts (tox -e triton)")
    monkeypatch.delenv("VERIFIER_NO_JIT", raising=False)
    kernel = gpu._kernel
    kernel.cache_clear()
    yield kernel
    kernel.cache_clear()


def _sample(t) -> Sample:
    return Sample((t,), tuple(t.shape), str(t.dtype).removeprefix("torch."), 1, "test", "values", None,
                  t.device.type)


def _draw(dist, n: int, seed: int, dtype=torch.float32, device: str = "cpu"):
    g = torch.Generator().manual_seed(seed)
    if isinstance(dist, Uniform):
        x = torch.rand(n, generator=g, dtype=torch.float64) * dist.width + dist.low
    else:
        x = torch.randn(n, generator=g, dtype=torch.float64) * dist.scale + dist.loc
        if isinstance(dist, TruncatedNormal):
            x = x.clamp(dist.low, dist.high)  # values exactly on the bounds
    return x.to(dtype).to(device)


def _reference(t, dist) -> Summary:
    return summarize(_sample(t.cpu()), dist, exact_max=0, backend="numpy")


def assert_same(a: Summary, b: Summary) -> None:
    """Counts, extremes and histogram exactly; moments to float64 rounding; the float64 pit_error."""
    assert (a.mode, a.n_total, a.n_nan, a.n_posinf, a.n_neginf, a.n_below, a.n_above) == \
           (b.mode, b.n_total, b.n_nan, b.n_posinf, b.n_neginf, b.n_below, b.n_above)
    assert a.moments.n == b.moments.n
    if b.n:
        assert (a.min, a.max) == (b.min, b.max)
        m = b.moments
        assert abs(a.moments.mean - m.mean) <= 1e-12 * (abs(m.mean) + np.sqrt(m.m2 / m.n))
        assert abs(a.moments.m2 - m.m2) <= 1e-11 * m.m2
        assert abs(a.moments.m4 - m.m4) <= 1e-11 * m.m4
        assert abs(a.moments.m3 - m.m3) <= 1e-11 * np.sqrt(m.m2 * m.m4)
    assert np.array_equal(a.counts, b.counts)
    assert 0.0 < a.pit_error <= 2.0**-45 / 1e-6


def _triton(t, dist, interpret: bool = True) -> Summary:
    n = int(t.numel())
    return gpu.summarize_triton((t,), str(t.dtype).removeprefix("torch."), "pit", dist, pit_bins(n),
                                interpret=interpret)


@pytest.mark.parametrize("dist", DISTS, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_interpreted_kernel_matches_reference(interpreted, dist, dtype) -> None:
    t = _draw(dist, 40_000, seed=1, dtype=dtype)
    assert_same(_triton(t, dist), _reference(t, dist))


def test_nonfinite_out_of_support_and_partial_blocks(interpreted) -> None:
    """NaN/±inf counted and skipped; values outside a bounded support counted and binned at its ends;
    a length that is not a multiple of the block."""
    dist = TruncatedNormal(0.0, 1.0, -2.0, 2.0)
    t = _draw(dist, 16_384 + 777, seed=2)
    t[5], t[100], t[16_000], t[-1] = float("nan"), float("inf"), float("-inf"), float("nan")
    t[7], t[8] = 3.5, -9.0
    a, b = _triton(t, dist), _reference(t, dist)
    assert (a.n_nan, a.n_posinf, a.n_neginf, a.n_below, a.n_above) == (2, 1, 1, 1, 1)
    assert_same(a, b)


def test_far_from_null_mean_uses_its_own_mean(interpreted) -> None:
    """Data a million standard deviations from the null mean: moments recomputed about their own mean."""
    dist = Normal(0.0, 1.0)
    t = (torch.randn(20_000, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 1e-3 + 1e4)
    a, b = _triton(t, dist), _reference(t, dist)
    assert abs(a.moments.m2 - b.moments.m2) <= 1e-9 * b.moments.m2
    assert np.array_equal(a.counts, b.counts)


def test_verdict_through_the_interpreted_kernel(interpreted, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline's verdict from the Triton summary equals the one from the reference summary."""
    import verifier

    t = _draw(Normal(0.0, 0.02), 1 << 21, seed=4)  # streamed ('pit') above 2**20 values
    ref = verifier.check(t, "normal(0, 0.02)")
    monkeypatch.setattr(gpu, "on_cuda", lambda chunks: True)
    monkeypatch.setattr(gpu, "_kernel", lambda interpret=False: interpreted(True))
    calls = []
    real = gpu.summarize_triton
    monkeypatch.setattr(gpu, "summarize_triton", lambda *a, **k: calls.append(1) or real(*a, **k))
    via = verifier.check(t, "normal(0, 0.02)")
    assert calls, "the pipeline did not use the Triton pass"
    assert via.passed == ref.passed
    assert [c.name for c in via.checks] == [c.name for c in ref.checks]
    # the same histogram; AD/CvM bounds widen by the float64 pit_error's one bin (the reference
    # path's may be 0), so their p-values agree to that, not to the last digit
    assert [c.pvalue for c in via.checks] == pytest.approx([c.pvalue for c in ref.checks], rel=1e-3)


def test_unsupported_null_is_refused(interpreted) -> None:
    from verifier.theory.distributions import Distribution

    with pytest.raises(ValueError, match="Triton pass"):
        gpu.summarize_triton((torch.zeros(10),), "float32", "exact", Normal(0.0, 1.0), 0, interpret=True)
    assert not gpu.supports(None, "pit")
    assert isinstance(DISTS[0], Distribution)


@pytest.mark.skipif(INTERPRET or not torch.cuda.is_available(), reason="no CUDA device (or interpreted)")
@pytest.mark.parametrize("dist", DISTS, ids=str)
def test_cuda_kernel_matches_reference(dist) -> None:
    gpu._kernel.cache_clear()
    t = _draw(dist, 3_000_001, seed=5, device="cuda")
    s = summarize(_sample(t), dist, backend="gpu")
    assert_same(s, _reference(t, dist))
    assert gpu.available()
