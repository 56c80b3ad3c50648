"""GPU summaries: computed on the device, equal to the CPU ones. Skipped without CUDA.

Run on a GPU machine with: ``python -m pytest tests/test_gpu.py -q``.
"""

from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]

import verifier  # noqa: E402
from verifier.sources.sample import Sample  # noqa: E402
from verifier.stats.summary import summarize  # noqa: E402
from verifier.theory.distributions import Normal, Uniform  # noqa: E402


def _sample(t, dtype: str) -> Sample:
    return Sample((t,), tuple(t.shape), dtype, 1, "test", "values", None, str(t.device))


@pytest.mark.parametrize("dist", [Normal(0.0, 0.02), Uniform(-0.03, 0.03)], ids=str)
def test_cuda_pit_summary_matches_cpu(dist) -> None:
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(3_000_000, generator=g) * 0.02).float() if isinstance(dist, Normal) else \
        (torch.rand(3_000_000, generator=g) * 0.06 - 0.03).float()
    x[17] = float("nan")
    cpu = summarize(_sample(x, "float32"), dist, backend="numpy")
    gpu = summarize(_sample(x.cuda(), "float32"), dist)
    assert (gpu.n, gpu.n_nan, gpu.min, gpu.max) == (cpu.n, cpu.n_nan, cpu.min, cpu.max)
    assert gpu.moments.m2 == pytest.approx(cpu.moments.m2, rel=1e-9)
    assert np.abs(np.cumsum(gpu.counts) - np.cumsum(cpu.counts)).max() <= 2
    assert gpu.pit_error < 1e-12  # float64 on the GPU


def test_cuda_bfloat16_grid() -> None:
    x = torch.randn(5_000_000, device="cuda").to(torch.bfloat16)
    s = summarize(_sample(x, "bfloat16"))
    ref = np.bincount(x.cpu().view(torch.int16).numpy().view(np.uint16), minlength=65536)
    assert np.array_equal(s.counts, ref)


def test_cuda_check_verdict() -> None:
    x = torch.empty(4096, 4096, device="cuda").normal_(0, 0.02)
    v = verifier.check(x, "normal(0, 0.02)")
    assert v.passed, str(v)
    bad = verifier.check(x * 1.01, "normal(0, 0.02)")
    assert not bad.passed and "variance" in {c.name for c in bad.failed}


def test_cuda_1e9_values_are_verified_on_the_device() -> None:
    # Correctness at scale only: the speed target is measured by benchmarks/speed.py --gpu.
    free, _ = torch.cuda.mem_get_info()
    if free < 12 * 2**30:
        pytest.skip("needs ~12 GiB of free GPU memory")
    x = torch.empty(1_000_000_000, device="cuda").normal_()
    v = verifier.check(x, "normal(0, 1)")
    assert v.passed, str(v)
    assert v.summary is not None and v.summary.n == 1_000_000_000
