"""Where the Triton pass's time goes on a CUDA device (issue 14's 10 ms per 1e9 float32 target).

Usage: ``python benchmarks/gpu_kernel.py [--n 1000000000] [--profile FILE]``. Times (CUDA events,
best and median of 7 after a warm-up):

* one read (``x.sum()``) and ``normal_``, for scale;
* the floor of the histogram: a kernel doing nothing but one relaxed atomic add of 1 per value
  into ``B`` int32 bins at pseudo-random positions (no data read), for several ``B``;
* the summary kernel alone (:func:`verifier.stats.gpu_kernel.fused_pass`) under each null and
  launch shape;
* the host-side steps of :func:`verifier.stats.gpu.summarize_triton` (zeroing the histogram, three
  ways to copy it back), the whole summary, and its steps one by one (device synchronised after
  each);
* with ``--profile``, a cProfile of three ``verifier.check`` calls written to FILE.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _time(torch, fn, reps: int = 7) -> tuple[float, float]:
    """(best, median) seconds of ``fn()`` between CUDA events, after one warm-up call."""
    fn()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b) / 1e3)
    times.sort()
    return times[0], times[len(times) // 2]


def _ms(t: tuple[float, float]) -> str:
    return f"{t[0] * 1e3:8.2f} ms (median {t[1] * 1e3:7.2f})"


def atomics_floor(torch, n: int, nb: int) -> tuple[float, float]:
    """(best, median) seconds of ``n`` relaxed int32 atomic adds of 1 at scattered positions of ``nb``
    bins, and nothing else (no data read): the least a histogram of one atomic per value costs."""
    import triton
    import triton.language as tl

    @triton.jit
    def scatter_add(counts_ptr, n, nb, BLOCK: tl.constexpr, ITERS: tl.constexpr):
        base = tl.program_id(0).to(tl.int64) * (BLOCK * ITERS)
        one = tl.full([BLOCK], 1, dtype=tl.int32)
        for it in range(ITERS):
            offs = base + it * BLOCK + tl.arange(0, BLOCK)
            # a multiplicative hash of the position, scaled to [0, nb) by a multiply and a shift (no
            # integer division): scattered like the PIT bins of random data
            k = (((offs * 2654435761) & 0x7FFFFFFF) * nb) >> 31
            tl.atomic_add(counts_ptr + k, one, mask=offs < n, sem="relaxed")

    counts = torch.zeros(nb, dtype=torch.int32, device="cuda")
    prog = -(-n // (512 * 32))
    return _time(torch, functools.partial(scatter_add[(prog,)], counts, n, nb, BLOCK=512, ITERS=32, num_warps=4))


def _steps(torch, sample, bins: int, reps: int = 5) -> None:
    """The summary's steps one by one, the device synchronised after each (best of ``reps``)."""
    import time

    from verifier.stats import gpu
    from verifier.stats.summary import streamed_grid, summarize
    from verifier.theory.distributions import Normal

    dist = Normal(0.0, 1.0)
    best: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        torch.cuda.synchronize()
        t = time.perf_counter()
        best[name] = min(best.get(name, float("inf")), t - t0)
        return t

    for _ in range(reps + 1):
        torch.cuda.synchronize()
        t = time.perf_counter()
        streamed_grid(sample)
        t = lap("grid probe (streamed_grid)", t)
        pieces = gpu._pieces(sample.chunks, "float32")
        t = lap("pieces", t)
        counts = torch.zeros(bins, dtype=torch.int32, device="cuda")
        t = lap("counts = zeros", t)
        params = gpu._params(dist, gpu._kind(dist), bins)
        t = lap("params", t)
        parts = [gpu._launch(gpu._kernel(), p, 0.0, gpu._kind(dist), params, counts, bins) for p in pieces]
        t = lap("kernel (launch + run)", t)
        rows = torch.cat(parts)
        head = torch.cat((rows.sum(dim=0), rows[:, gpu._MIN].min().reshape(1), rows[:, gpu._MAX].max().reshape(1)))
        head.cpu()
        t = lap("partials to host", t)
        counts.to(torch.int64).cpu().numpy()
        t = lap("counts to host (int64)", t)
        summarize(sample, dist, backend="gpu")
        lap("whole summarize", t)
    for name, t in best.items():
        print(f"  step {name:28} {t * 1e3:8.3f} ms")
    print(f"  steps' sum (no whole)              {(sum(best.values()) - best['whole summarize']) * 1e3:8.3f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10**9)
    p.add_argument("--profile", help="write a cProfile of three verifier.check calls to this file")
    a = p.parse_args()
    n = a.n
    sys.path.insert(0, ROOT)
    import torch

    from verifier.stats import gpu
    from verifier.stats.summary import pit_bins
    from verifier.theory.distributions import Normal, TruncatedNormal, Uniform

    ker = gpu._kernel()
    x = torch.empty(n, device="cuda").normal_()
    bins = pit_bins(n)
    props = torch.cuda.get_device_properties(0)
    print(f"{torch.cuda.get_device_name()} ({props.multi_processor_count} SMs), torch {torch.__version__}, "
          f"n = {n:,}, B = {bins:,}")
    print(f"  normal_                         {_ms(_time(torch, lambda: x.normal_()))}")
    print(f"  x.sum() one read                {_ms(_time(torch, lambda: x.sum()))}")
    for nb in (1 << 16, bins, 1 << 22, 1 << 24):
        print(f"  atomics only, B = {nb:>10,} ({nb * 4 / 2**20:5.1f} MiB): {_ms(atomics_floor(torch, n, nb))}")
    # each null times a tensor drawn from it (values off a bounded support would all be counted in
    # its first or last bin: contended atomics, several times slower)
    shapes = ((512, 32, 4), (256, 64, 2), (256, 64, 4))
    for name, dist in (("normal", Normal(0.0, 1.0)), ("uniform", Uniform(-2.0, 2.0)),
                       ("truncated", TruncatedNormal(0.0, 1.0, -2.0, 2.0)), ("moments only", None)):
        if name == "uniform":
            x.uniform_(-2.0, 2.0)
        elif name == "truncated":
            torch.nn.init.trunc_normal_(x, 0.0, 1.0, -2.0, 2.0)
        else:
            x.normal_()
        kind = gpu._kind(dist) if dist is not None else gpu.NONE
        params = gpu._params(dist, kind, bins)[:8].tolist() if dist is not None else [0.0] * 8
        pp = torch.tensor((0.0, *params), dtype=torch.float64, device="cuda")
        for cdt in (torch.int32, torch.int64):
            if cdt == torch.int64 and name != "normal":
                continue
            counts = torch.zeros(bins, dtype=cdt, device="cuda")
            for block, iters, warps in shapes if name == "normal" and cdt == torch.int32 else shapes[:1]:
                prog = -(-n // (block * iters))
                part = torch.empty((prog, gpu.NSTAT), dtype=torch.float64, device="cuda")
                run = functools.partial(ker[(prog,)], x, n, part, counts, pp, bins, KIND=kind, BLOCK=block,
                                        ITERS=iters, num_warps=warps)
                print(f"  kernel {name:12} {str(cdt)[6:]:5} {block:4}x{iters:<3} {warps} warps: {_ms(_time(torch, run))}")
    counts = torch.zeros(bins, dtype=torch.int32, device="cuda")
    print(f"  counts zero_                    {_ms(_time(torch, lambda: counts.zero_()))}")
    print(f"  copy back: int64, pageable      {_ms(_time(torch, lambda: counts.to(torch.int64).cpu().numpy()))}")
    staging = torch.empty(bins, dtype=torch.int32, pin_memory=True)
    print(f"  copy back: int32 pinned + widen {_ms(_time(torch, lambda: staging.copy_(counts).numpy().astype('int64')))}")
    pinned = torch.empty(bins, dtype=torch.int64, pin_memory=True)
    print(f"  copy back: int64 into pinned    {_ms(_time(torch, lambda: pinned.copy_(counts.to(torch.int64))))}")
    from verifier.sources.sample import Sample
    from verifier.stats.summary import summarize

    x.normal_()
    s = Sample((x,), (n,), "float32", 1, "b", "values", None, "cuda")
    print(f"  summarize(backend='gpu')        {_ms(_time(torch, lambda: summarize(s, Normal(0.0, 1.0), backend='gpu')))}")
    _steps(torch, s, bins)
    if a.profile:
        import cProfile
        import pstats

        import verifier

        verifier.check(x, "normal(0, 1)")
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(3):
            verifier.check(x, "normal(0, 1)")
        pr.disable()
        with open(a.profile, "w") as f:
            pstats.Stats(pr, stream=f).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
