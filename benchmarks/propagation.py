"""Speed and memory of ``verifier.propagate``: a 10-layer, 1024-wide ReLU MLP, batch 1024, 4 seeds.

Usage::

    python benchmarks/propagation.py            # CPU, the target case
    python benchmarks/propagation.py --device cuda

Columns: ``propagate`` the whole call (4 seeds: forward with the hooks, backward with a random
output gradient, per-layer statistics, histograms, intervals, diagnosis), best of 3 after one
warm-up, with the CPU time the process used (all threads; when other jobs hold the cores the
wall time is longer than an idle machine's); ``bare fwd+bwd`` the same 4 forward and backward passes (``torch.autograd.grad`` over
the parameters) without hooks, i.e. the floor any method pays; ``extra RSS`` the peak resident
memory during ``propagate`` (VmHWM, reset through /proc/self/clear_refs) minus the resident memory
before it, against the activations one forward+backward keeps (10 layers × 2 tensors × batch ×
width × 4 bytes) and the parameter gradients.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--depth", type=int, default=10)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import torch
    from torch import nn

    import verifier

    dev = torch.device(args.device)
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(args.depth):
        lin = nn.Linear(args.width, args.width)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
    model = nn.Sequential(*layers).to(dev)

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def bare() -> None:
        for s in range(args.seeds):
            g = torch.Generator(device=dev).manual_seed(s)
            x = torch.randn(args.batch, args.width, generator=g, device=dev).requires_grad_(True)
            out = model(x)
            grads = torch.autograd.grad([out], [*model.parameters(), x], [torch.randn_like(out)])
            del grads, out, x
        sync()

    def prop() -> object:
        r = verifier.propagate(model, batch=args.batch, seeds=args.seeds)
        sync()
        return r

    bare()
    report = prop()
    t_bare = min(_timed(bare) for _ in range(args.repeats))
    cpu_bare = min(_CPU)
    _CPU.clear()
    rss0 = _status("VmRSS")
    peak_ok = _reset_peak()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t_prop = min(_timed(prop) for _ in range(args.repeats))
    extra = _status("VmHWM") - rss0 if peak_ok else None
    cpu_prop = min(_CPU)
    act = args.depth * 2 * args.batch * args.width * 4
    params = sum(p.numel() * 4 for p in model.parameters())
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), Python {platform.python_version()}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    print(f"model: {args.depth} × Linear({args.width}, {args.width}) + ReLU, batch {args.batch}, {args.seeds} seeds, "
          f"device {dev}")
    print(f"propagate     {t_prop:7.3f} s   (target < 2 s: {'met' if t_prop < 2 else 'NOT met'})")
    print(f"bare fwd+bwd  {t_bare:7.3f} s   (propagate / bare = {t_prop / t_bare:.2f}×)")
    print(f"CPU time      propagate {cpu_prop:.2f} s, bare {cpu_bare:.2f} s (process time over all threads; on a "
          f"loaded machine wall time exceeds it)")
    if extra is not None:
        print(f"extra RSS     {extra / 2**20:7.1f} MB  (activations of one fwd+bwd {act / 2**20:.0f} MB, parameter "
              f"gradients {params / 2**20:.0f} MB)")
    if dev.type == "cuda":
        print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**20:.1f} MB")
    print(f"verdict: {report.headline()}")  # type: ignore[attr-defined]


_CPU: list[float] = []


def _timed(f) -> float:
    c0, t0 = time.process_time(), time.perf_counter()
    f()
    _CPU.append(time.process_time() - c0)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
