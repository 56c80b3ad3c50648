"""Where the Triton pass's time goes on a CUDA device (issue 14's 10 ms per 1e9 float32 target).

Usage: ``python benchmarks/gpu_kernel.py [--n 1000000000]``. Times (CUDA events, best of 5) the
kernel alone under each null kind and launch shape, the host-side steps of
:func:`verifier.stats.gpu.summarize_triton`, and one read / ``normal_`` for scale.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _time(torch, fn, reps: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        best = min(best, a.elapsed_time(b) / 1e3)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=10**9)
    n = p.parse_args().n
    sys.path.insert(0, ROOT)
    import torch

    from verifier.stats import gpu
    from verifier.stats.summary import pit_bins
    from verifier.theory.distributions import Normal, TruncatedNormal, Uniform

    ker = gpu._kernel()
    x = torch.empty(n, device="cuda").normal_()
    bins = pit_bins(n)
    print(f"{torch.cuda.get_device_name()}, n = {n:,}, B = {bins:,}")
    print(f"  normal_            {_time(torch, lambda: x.normal_()) * 1e3:8.2f} ms")
    print(f"  x.sum() one read   {_time(torch, lambda: x.sum()) * 1e3:8.2f} ms")
    # each null times a tensor drawn from it (values off a bounded support would all be counted in
    # its first or last bin: contended atomics, several times slower)
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
        for cdt in (torch.int32, torch.int64):
            if dist is None and cdt == torch.int64:
                continue
            counts = torch.zeros(bins, dtype=cdt, device="cuda")
            for block, iters, warps in ((512, 32, 4), (512, 32, 2), (256, 64, 2), (256, 64, 1), (512, 64, 4),
                                        (512, 16, 4), (1024, 16, 4)):
                prog = -(-n // (block * iters))
                part = torch.empty((prog, gpu.NSTAT), dtype=torch.float64, device="cuda")
                pp = torch.tensor((0.0, *params), dtype=torch.float64, device="cuda")

                run = functools.partial(ker[(prog,)], x, n, part, counts, pp, bins, KIND=kind, BLOCK=block,
                                        ITERS=iters, num_warps=warps)
                t = _time(torch, run)
                print(f"  kernel {name:13} counts {str(cdt)[6:]:5} BLOCK {block:5} ITERS {iters:3} warps {warps:2}:"
                      f" {t * 1e3:8.2f} ms")
    counts = torch.zeros(bins, dtype=torch.int32, device="cuda")
    print(f"  counts zero_       {_time(torch, lambda: counts.zero_()) * 1e3:8.2f} ms")
    print(f"  counts to host     {_time(torch, lambda: counts.cpu()) * 1e3:8.2f} ms (int32, {bins * 4 / 2**20:.1f} MiB)")
    pinned = torch.empty(bins, dtype=torch.int32, pin_memory=True)
    print(f"  counts to pinned   {_time(torch, lambda: pinned.copy_(counts)) * 1e3:8.2f} ms")
    from verifier.sources.sample import Sample
    from verifier.stats.summary import summarize

    s = Sample((x,), (n,), "float32", 1, "b", "values", None, "cuda")
    print(f"  summarize(gpu)     {_time(torch, lambda: summarize(s, Normal(0.0, 1.0), backend='gpu')) * 1e3:8.2f} ms")
    import cProfile
    import pstats

    pr = cProfile.Profile()
    pr.enable()
    import verifier

    for _ in range(3):
        verifier.check(x, "normal(0, 1)")
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
