"""Speed and memory of ``verifier.check`` against scipy and against making the tensor.

Usage::

    python benchmarks/speed.py            # CPU: every target of issue 14 as a ratio with PASS/FAIL
    python benchmarks/speed.py --quick    # CPU, 1e7 instead of 5e7, no 2e8 case
    python benchmarks/speed.py --gpu      # CUDA: 1e9 float32 (and bfloat16) verified on the device

Each CPU case runs in its own subprocess, so that the peak-memory figure (VmHWM from
/proc/self/status, reset through /proc/self/clear_refs just before the check) is that of
the check alone: ``extra RSS`` = peak RSS during ``check`` minus RSS before it. For the
numpy path (no torch) the peak of Python/numpy allocations is also given by tracemalloc.

Columns: ``check`` the full verdict (finite, degenerate, mean, variance, KS, AD, CvM);
``kstest`` ``scipy.stats.kstest`` on the same values (float64 conversion + sort); ``gen``
torch ``normal_`` making the tensor; ``sum`` numpy's ``sum`` over it (one read of memory).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def run_case(dtype: str, n: int, do_scipy: bool) -> dict:
    sys.path.insert(0, ROOT)
    import torch
    from scipy import stats

    import verifier

    tdt = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float64": torch.float64}[dtype]
    torch.manual_seed(0)
    x = torch.empty(n, dtype=tdt)
    t0 = time.perf_counter()
    x.normal_()
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    x.normal_()
    gen = min(gen, time.perf_counter() - t0)
    a = x.numpy() if dtype != "bfloat16" else x.view(torch.int16).numpy()
    tsum = float("inf")
    for _ in range(3):  # best of 3, like the check (one timing varied 0.017-0.033 s at 5e7)
        t0 = time.perf_counter()
        a.sum()
        tsum = min(tsum, time.perf_counter() - t0)
    verifier.check(x, "normal(0, 1)")  # warm-up: imports, caches, first-touch of code pages
    rss0 = _status("VmRSS")
    peak_ok = _reset_peak()
    times = []
    for _ in range(3 if n > 10**5 else 30):  # small tensors: a fixed cost, measured as an audit pays it
        t0 = time.perf_counter()
        v = verifier.check(x, "normal(0, 1)")
        times.append(time.perf_counter() - t0)
    extra = _status("VmHWM") - rss0 if peak_ok else None
    from verifier.stats import fused

    out = {"dtype": dtype, "n": n, "gen": gen, "sum": tsum, "check": min(times), "check_runs": times,
           "passed": v.passed, "mode": v.summary.mode, "extra_rss": extra,
           "ks_bound": v.check("ks").bound, "pit_error": v.summary.pit_error, "numba": fused.available()}
    if do_scipy:
        xs = x.numpy() if dtype != "bfloat16" else x.float().numpy()
        t0 = time.perf_counter()
        stats.kstest(xs, "norm")
        out["kstest"] = time.perf_counter() - t0
    return out


def run_cliff() -> dict:
    """The exact and the streamed path at the same n, in one process, interleaved (best of 7 means of 5).

    Each verdict is the whole pipeline (summary, structure checks, every test) on a float32
    ``normal_`` tensor; the summary is made with ``exact_max`` forcing one path or the other, so
    both verdicts run the same checks. Also the verdicts at ``EXACT_MAX`` and ``EXACT_MAX + 8``
    as ``check`` chooses them (n divisible by 8 on both sides: the same shard splits).
    """
    sys.path.insert(0, ROOT)
    import torch

    import verifier
    from verifier.pipeline import evaluate
    from verifier.sources import from_source
    from verifier.stats.summary import EXACT_MAX, summarize
    from verifier.theory.parsing import as_spec

    spec = as_spec("normal(0, 1)")
    sizes = sorted({2**12, 2**14, EXACT_MAX, 2**15, 2**16, 2**18, 2**20})
    torch.manual_seed(0)
    xs = {n: torch.empty(n).normal_() for n in sizes + [EXACT_MAX + 8]}
    xs[EXACT_MAX] = xs[EXACT_MAX + 8][:EXACT_MAX].clone()  # across the switch: the same values and 8 more

    calls = 5  # each timing: the mean of 5 calls in a row (the first after another case meets cold caches)

    def forced(n: int, exact: bool) -> float:
        sample = from_source(xs[n])
        law = spec.distribution_for(None, (n,), "torch")
        t0 = time.perf_counter()
        for _ in range(calls):
            evaluate(sample, spec, summary=summarize(sample, law, exact_max=n if exact else 0))
        return (time.perf_counter() - t0) / calls

    def chosen(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(calls):
            verifier.check(xs[n], spec)
        return (time.perf_counter() - t0) / calls

    best: dict[str, float] = {}
    for rep in range(8):  # the first round warms caches and is not counted
        for n in sizes:
            for exact in ((True, False) if rep % 2 else (False, True)):  # either path first, in turn
                key, t = f"{n}:{'exact' if exact else 'pit'}", forced(n, exact)
                best[key] = min(best.get(key, t), t) if rep else float("inf")
        for n in ((EXACT_MAX, EXACT_MAX + 8) if rep % 2 else (EXACT_MAX + 8, EXACT_MAX)):
            key, t = f"{n}:check", chosen(n)
            best[key] = min(best.get(key, t), t) if rep else float("inf")
    return {"exact_max": EXACT_MAX, "sizes": sizes, "best": best}


SMALL_SIZES = (32, 140, 1000, 10000)
SMALL_TENSORS = 40


def run_small() -> dict:
    """The fixed cost over many small tensors: ``check`` on ``SMALL_TENSORS`` seeded ``normal_``
    tensors per size (each timed best of 3 after a warm-up call: a p-value's algorithm depends on
    the values, so one tensor is not representative), and an audit of 500 tensors (250
    ``nn.Linear(32, 32)``: 1,024-value weights, 32-value biases, both uniform laws)."""
    sys.path.insert(0, ROOT)
    import torch

    import verifier

    out: dict = {}
    for n in SMALL_SIZES:
        times = []
        for seed in range(SMALL_TENSORS):
            torch.manual_seed(seed)
            x = torch.empty(n).normal_()
            verifier.check(x, "normal(0, 1)")
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                verifier.check(x, "normal(0, 1)")
                best = min(best, time.perf_counter() - t0)
            times.append(best)
        out[str(n)] = {"mean": sum(times) / len(times), "max": max(times)}
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.Linear(32, 32) for _ in range(250)])
    verifier.audit(model)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        report = verifier.audit(model)
        best = min(best, time.perf_counter() - t0)
    out["audit"] = {"tensors": len(report.rows), "seconds": best, "passed": report.passed}
    return out


def run_numpy_memory(n: int) -> dict:
    """tracemalloc peak of the numpy backend (all its allocations are numpy's)."""
    sys.path.insert(0, ROOT)
    import tracemalloc

    import numpy as np

    from verifier.sources.sample import Sample
    from verifier.stats.summary import summarize
    from verifier.theory.distributions import Normal

    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
    s = Sample((x,), (n,), "float32", 1, "bench", "values", None, "cpu")
    tracemalloc.start()
    t0 = time.perf_counter()
    summarize(s, Normal(0, 1), backend="numpy")
    t = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"n": n, "numpy_backend_s": t, "tracemalloc_peak": peak}


def _sub(args: list[str], env: dict | None = None) -> dict:
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    if r.returncode:
        raise RuntimeError(f"case {args} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def machine() -> str:
    model, cores = platform.processor(), os.cpu_count()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    import torch

    return f"{model}, {cores} cores; torch {torch.__version__} ({torch.get_num_threads()} threads), python {platform.python_version()}"


def _busy() -> subprocess.Popen:
    """Another process spinning on one core for the whole measurement."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def _fmt_mb(b: int | None) -> str:
    return f"{b / 2**20:.1f} MB" if b is not None else "n/a"


def cpu(quick: bool) -> None:
    """Every target of issue 14 as a ratio with PASS/FAIL, all from this one run."""
    big = 10**7 if quick else 5 * 10**7
    print(f"machine: {machine()}")
    print(f"load average before: {os.getloadavg()}")
    rows: dict[str, dict] = {}
    sys.path.insert(0, ROOT)
    from verifier.stats.summary import EXACT_MAX

    cases = [("float32", 10**3), ("float32", 10**4), ("float32", big), ("bfloat16", big), ("float64", big)]
    if not quick:
        cases.append(("float32", 2 * 10**8))
    hdr = (f"{'dtype':9} {'n':>11} {'mode':5} {'check s':>9} {'kstest s':>9} {'gen s':>7} {'sum s':>7} "
           f"{'extra RSS':>10} {'passed':>6}  load")
    print(hdr)
    print("-" * len(hdr))
    for dtype, n in cases:
        r = _sub(["--case", dtype, str(n)] + ([] if (dtype, n) == ("float32", big) else ["--no-scipy"]))
        rows[f"{dtype}:{n}"] = r
        print(f"{dtype:9} {n:>11,} {r['mode']:5} {r['check']:9.4f} {r.get('kstest', float('nan')):9.3f} "
              f"{r['gen']:7.3f} {r['sum']:7.4f} {_fmt_mb(r['extra_rss']):>10} {str(r['passed']):>6}  "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    cl = _sub(["--cliff"])
    print(f"\nexact and streamed path at the same n (one process, interleaved, best of 7 means of 5 calls; switch at {EXACT_MAX}):")
    for n in cl["sizes"]:
        e, q = cl["best"][f"{n}:exact"], cl["best"][f"{n}:pit"]
        print(f"  n = {n:>9,}: exact {e * 1e3:8.2f} ms  streamed {q * 1e3:8.2f} ms  exact/streamed {e / q:5.2f}")
    print(f"  check at n = {EXACT_MAX:,} (exact) {cl['best'][f'{EXACT_MAX}:check'] * 1e3:.2f} ms, "
          f"at {EXACT_MAX + 8:,} (streamed) {cl['best'][f'{EXACT_MAX + 8}:check'] * 1e3:.2f} ms\n")
    sm = _sub(["--small"])
    print(f"fixed cost over {SMALL_TENSORS} seeded tensors per size (best of 3 each):")
    for n in SMALL_SIZES:
        print(f"  n = {n:>6,}: mean {sm[str(n)]['mean'] * 1e3:6.3f} ms  max {sm[str(n)]['max'] * 1e3:6.3f} ms")
    au = sm["audit"]
    print(f"  audit of {au['tensors']} tensors (250 nn.Linear(32, 32)): {au['seconds']:.3f} s, "
          f"{au['seconds'] / au['tensors'] * 1e3:.3f} ms a tensor, passed {au['passed']}\n")
    p = _busy()
    try:
        busy = _sub(["--case", "float32", str(big), "--no-scipy"])
    finally:
        p.kill()
    print(f"float32   {big:>11,} (other core busy) check {busy['check']:.4f} s  load {os.getloadavg()[0]:.1f}")
    f32 = rows[f"float32:{big}"]
    targets = [
        (f"float32 {big:.0e}: check / normal_ generation", f32["check"] / f32["gen"], "<=", 0.5),
        (f"float32 {big:.0e}: scipy.stats.kstest / check", f32["kstest"] / f32["check"], ">=", 100.0),
        (f"float32 {big:.0e}: check / x.sum() (per value)", f32["check"] / f32["sum"], "<=", 4.0),
        (f"bfloat16 vs float32 {big:.0e}: float32 check / bfloat16 check",
         f32["check"] / rows[f"bfloat16:{big}"]["check"], ">=", 2.0),
        (f"no cliff: check(n = {EXACT_MAX}, exact) / check({EXACT_MAX + 8}, streamed)",
         cl["best"][f"{EXACT_MAX}:check"] / cl["best"][f"{EXACT_MAX + 8}:check"], "<=", 1.0),
    ] + [
        (f"exact / streamed path, same verdict, n = {n}", cl["best"][f"{n}:exact"] / cl["best"][f"{n}:pit"],
         "<=", 1.0) for n in cl["sizes"] if n <= EXACT_MAX
    ] + [
        ("fixed overhead: check at n = 1e3 (ms)", rows["float32:1000"]["check"] * 1e3, "<=", 0.5),
        ("fixed overhead: check at n = 1e4 (ms)", rows["float32:10000"]["check"] * 1e3, "<=", 0.5),
    ] + [
        (f"fixed overhead: mean check over {SMALL_TENSORS} tensors, n = {n} (ms)", sm[str(n)]["mean"] * 1e3, "<=", 0.5)
        for n in SMALL_SIZES
    ] + [
        (f"fixed overhead: audit of {au['tensors']} small tensors (ms a tensor)",
         au["seconds"] / au["tensors"] * 1e3, "<=", 0.5),
        ("other core busy: check time busy / idle", busy["check"] / f32["check"], "<=", 2.0),
        (f"float64 / float32 check time at {big:.0e}", rows[f"float64:{big}"]["check"] / f32["check"], "<=", 2.0),
    ] + [(f"extra memory {k} (MB)", r["extra_rss"] / 2**20, "<=", 64.0)
         for k, r in rows.items() if r["extra_rss"] is not None and r["n"] >= big]
    print("\ntarget                                                       value   goal      result")
    for name, value, op, goal in targets:
        ok = value <= goal if op == "<=" else value >= goal
        print(f"{name:58} {value:9.3f}   {op} {goal:<6g}  {'PASS' if ok else 'FAIL'}")
    print(f"\nsummary path: {'fused (numba)' if f32['numba'] else 'torch/numpy (numba not installed)'}; "
          f"float32 {big:.0e} pit_error {f32['pit_error']:.2g}")
    print(f"load average after: {os.getloadavg()}")


def _cuda_time(fn, reps: int = 5) -> tuple[float, float]:
    """(best, median) seconds of ``fn()`` with the device synchronised around each call."""
    import torch

    fn()  # warm-up: compilation, caches
    times = []
    for _ in range(reps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[0], times[len(times) // 2]


def gpu(n: int) -> None:
    """Issue 14's GPU target: the fused pass over 1e9 float32 values in ≤ 10 ms (one Triton kernel)."""
    sys.path.insert(0, ROOT)
    import torch

    from verifier.stats import gpu as gpu_pass

    assert torch.cuda.is_available(), "no CUDA device"
    print(f"device: {torch.cuda.get_device_name()}; torch {torch.__version__}; "
          f"triton pass available: {gpu_pass.available()}")
    for dtype in (torch.float32, torch.bfloat16):
        _gpu_case(torch, dtype, n)
        torch.cuda.empty_cache()


def _gpu_case(torch, dtype, n: int) -> None:
    import verifier
    from verifier.sources.sample import Sample
    from verifier.stats import gpu as gpu_pass
    from verifier.stats.summary import summarize
    from verifier.theory.distributions import Normal

    dist = Normal(0.0, 1.0)
    name = str(dtype).removeprefix("torch.")
    x = torch.empty(n, device="cuda", dtype=dtype)
    gen = _cuda_time(lambda: x.normal_())[0]
    read = _cuda_time(lambda: x.sum())[0]
    sample = Sample((x,), (n,), name, 1, "benchmark", "values", None, "cuda")
    rows = [("normal_ (generate)", gen), ("x.sum() (one read)", read)]
    if dtype == torch.float32 and gpu_pass.available():
        rows.append(("summary: Triton pass", _cuda_time(lambda: summarize(sample, dist, backend="gpu"))[0]))
    rows.append(("summary: torch kernels", _cuda_time(lambda: summarize(sample, dist, backend="torch"), 3)[0]))
    rows.append(("verifier.check (verdict)", _cuda_time(lambda: verifier.check(x, "normal(0, 1)"), 3)[0]))
    v = verifier.check(x, "normal(0, 1)")
    print(f"\n{name}, n = {n:,}: passed={v.passed}, mode={v.summary.mode}, "
          f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    for label, t in rows:
        print(f"  {label:28} {t * 1e3:9.2f} ms   {t / gen:6.2f}x normal_   {t / read:6.2f}x one read")
    if dtype == torch.float32 and gpu_pass.available():
        from gpu_kernel import atomics_floor  # benchmarks/gpu_kernel.py, beside this script

        from verifier.stats.summary import pit_bins

        t = rows[2][1] * 1e9 / n
        floor = atomics_floor(torch, n, pit_bins(n))[0] * 1e9 / n
        print(f"  target: fused pass over 1e9 float32 ≤ 10 ms: {t * 1e3:.2f} ms per 1e9 "
              f"{'PASS' if t <= 0.010 else 'FAIL'} (its histogram's {n:,} atomic adds alone: "
              f"{floor * 1e3:.2f} ms per 1e9)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gpu", action="store_true", help="measure 1e9 float32 values on CUDA")
    p.add_argument("--n", type=int, default=10**9, help="values for --gpu (default 1e9)")
    p.add_argument("--quick", action="store_true", help="1e7 instead of 5e7 values; no 2e8 case")
    p.add_argument("--case", nargs=2, metavar=("DTYPE", "N"), help=argparse.SUPPRESS)
    p.add_argument("--numpy-memory", type=int, help=argparse.SUPPRESS)
    p.add_argument("--cliff", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--small", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-scipy", action="store_true", help="skip scipy.stats.kstest")
    a = p.parse_args()
    if a.case:
        print(json.dumps(run_case(a.case[0], int(a.case[1]), not a.no_scipy)))
    elif a.cliff:
        print(json.dumps(run_cliff()))
    elif a.small:
        print(json.dumps(run_small()))
    elif a.numpy_memory:
        print(json.dumps(run_numpy_memory(a.numpy_memory)))
    elif a.gpu:
        gpu(a.n)
    else:
        cpu(a.quick)


if __name__ == "__main__":
    main()
