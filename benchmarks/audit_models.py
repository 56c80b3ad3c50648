"""Audit speed on real model families (a script, not a test).

    python benchmarks/audit_models.py                # small models, eager and lazy
    python benchmarks/audit_models.py --big          # + a 1.1B-parameter Llama (TinyLlama's config), lazy
    python benchmarks/audit_models.py --vision       # + torchvision resnet18/50, timm vit_tiny (vision env)

Each case runs in its own subprocess; the line reports the one-time imports (verifier's checking
modules, scipy.stats, the case's library), then the audit's wall time (the model's construction
and, the first time in a process, numba's cached kernels and the lazy remainder included), tensors
checked, values per second, and the subprocess's peak resident memory (ru_maxrss). transformers cases set
HF_HUB_OFFLINE=1 and build from configs (no weights are downloaded).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CASES = {
    "many-small (200 Linear 128×128 + 200 LayerNorm)": """
import torch.nn as nn
build = lambda: nn.Sequential(*[nn.Sequential(nn.Linear(128, 128), nn.LayerNorm(128)) for _ in range(200)])
kw = dict(lazy=False)
""",
    "gpt2 small config (n_layer 4, n_embd 256), eager": """
import transformers
build = lambda: transformers.GPT2LMHeadModel(transformers.GPT2Config(n_layer=4, n_embd=256, n_head=4, vocab_size=8000))
kw = dict(lazy=False)
""",
    "gpt2 small config (n_layer 4, n_embd 256), lazy": """
import transformers
build = lambda: transformers.GPT2LMHeadModel(transformers.GPT2Config(n_layer=4, n_embd=256, n_head=4, vocab_size=8000))
kw = dict(lazy=True)
""",
}
BIG = {
    "llama 1.1B (TinyLlama config), auto (lazy, transformers preset)": """
import transformers
cfg = transformers.LlamaConfig(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
                               num_key_value_heads=4, vocab_size=32000, tie_word_embeddings=False)
build = lambda: transformers.LlamaForCausalLM(cfg)
kw = dict()
""",
}
VISION = {
    "torchvision resnet18, eager": "import torchvision\nbuild = torchvision.models.resnet18\nkw = dict(lazy=False)\n",
    "torchvision resnet50, eager": "import torchvision\nbuild = torchvision.models.resnet50\nkw = dict(lazy=False)\n",
    "timm vit_tiny_patch16_224, eager": "import timm\nbuild = lambda: timm.create_model('vit_tiny_patch16_224')\n"
                                        "kw = dict(lazy=False)\n",
}

RUNNER = """
import json, os, resource, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
t0 = time.perf_counter()
import verifier
import verifier.auditing, verifier.stats.checks, verifier.stats.structure  # the lazy imports, timed apart
{case}
t1 = time.perf_counter()
report = verifier.audit(build, progress=False, **kw)
t2 = time.perf_counter()
n = sum(r.verdict.sample.n for r in report.checked)
print(json.dumps(dict(imports=t1 - t0, audit=t2 - t1, checked=len(report.checked), failed=len(report.failed),
                      mode=report.mode, preset=report.preset, values=n,
                      rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true")
    ap.add_argument("--vision", action="store_true")
    args = ap.parse_args()
    cases = dict(CASES)
    if args.big:
        cases.update(BIG)
    if args.vision:
        cases.update(VISION)
    print(f"load average {os.getloadavg()[0]:.2f} at the start")
    print(f"{'case':66s} {'mode':5s} {'preset':12s} {'tensors':>7s} {'failed':>6s} {'imports s':>9s} {'audit s':>8s} "
          f"{'Mvalues/s':>9s} {'peak RSS':>9s}")
    for name, case in cases.items():
        out = subprocess.run([sys.executable, "-c", RUNNER.format(case=case)], capture_output=True, text=True)
        if out.returncode:
            print(f"{name:66s} error: {out.stderr.strip().splitlines()[-1]}")
            continue
        d = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:66s} {d['mode']:5s} {d['preset']:12s} {d['checked']:7d} {d['failed']:6d} {d['imports']:9.2f} "
              f"{d['audit']:8.2f} "
              f"{d['values'] / d['audit'] / 1e6:9.2f} {d['rss_mb']:7.0f} MB")


if __name__ == "__main__":
    main()
