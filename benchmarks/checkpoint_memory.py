"""Peak memory of auditing a generated multi-GB sharded checkpoint.

Usage::

    python benchmarks/checkpoint_memory.py --gb 4 [--jobs 2] [--dir /tmp/ckpt]

Writes ``--gb`` GB of float32 ``he_normal`` weights (256 MiB tensors of 8192 x 8192, plus
biases) as ``model-0000k-of-0000n.safetensors`` shards of about 0.5 GB with a
``model.safetensors.index.json``, then runs ``verifier audit INDEX --rules ...`` in a
subprocess and reports its peak resident memory (``ru_maxrss`` of the child), the audit
time, and the largest tensor's size (the memory floor: one tensor is read at a time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

RULES = '''
[rules]
"*.bias" = "zeros"
"*.weight" = "he_normal"
'''


def generate(out: Path, gb: float, rows: int = 8192, cols: int = 8192, shard_gb: float = 0.5) -> Path:
    import torch
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    per = rows * cols * 4
    count = max(1, int(gb * 2**30 // per))
    per_shard = max(1, int(shard_gb * 2**30 // per))
    shards = (count + per_shard - 1) // per_shard
    weight_map = {}
    g = torch.Generator().manual_seed(0)
    for k in range(shards):
        fname = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        part = {}
        for i in range(k * per_shard, min(count, (k + 1) * per_shard)):
            w = torch.empty(rows, cols)
            w.normal_(0.0, (2.0 / cols) ** 0.5, generator=g)
            part[f"layers.{i}.weight"] = w
            part[f"layers.{i}.bias"] = torch.zeros(rows)
        save_file(part, str(out / fname))
        weight_map.update({n: fname for n in part})
        del part
    index = out / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": count * per}, "weight_map": weight_map}))
    return index


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gb", type=float, default=4.0)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--dir", default="/tmp/verifier-ckpt-bench")
    p.add_argument("--keep", action="store_true", help="keep the generated files")
    a = p.parse_args()
    out = Path(a.dir)
    index = out / "model.safetensors.index.json"
    if not index.exists():
        t0 = time.perf_counter()
        generate(out, a.gb)
        print(f"generated in {time.perf_counter() - t0:.1f} s")
    size = sum(f.stat().st_size for f in out.glob("*.safetensors"))
    rules = out / "rules.toml"
    rules.write_text(RULES)
    print(f"checkpoint: {size / 2**30:.2f} GiB in {len(list(out.glob('*.safetensors')))} shards; "
          f"largest tensor 256 MiB; load {os.getloadavg()}")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "verifier", "audit", str(index), "--rules", str(rules),
                        "--jobs", str(a.jobs), "--no-progress"], capture_output=True, text=True, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-2000:])
    print(f"audit exit {r.returncode} in {dt:.1f} s with --jobs {a.jobs}; peak RSS of the largest process "
          f"{peak / 2**20:.0f} MiB for a {size / 2**30:.2f} GiB checkpoint; load {os.getloadavg()}")
    if not a.keep:
        for f in out.glob("*"):
            f.unlink()
        out.rmdir()


if __name__ == "__main__":
    main()
