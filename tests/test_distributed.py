"""DTensors through torch.distributed: 2 and 4 gloo processes on CPU.

Every rank gets the verdict of checking the gathered tensor, structure checks included (even and uneven shards,
Replicate placements, 'exact' and 'pit' modes, FSDP2 ``fully_shard`` parameters through
``audit``); a repeated-shard tensor (the same seed on every rank) fails; only rank 0 writes.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tdist = pytest.importorskip("torch.distributed")

pytestmark = pytest.mark.skipif(not tdist.is_available() or not tdist.is_gloo_available(),
                                reason="torch.distributed with gloo unavailable")

SPEC = "normal(0, 0.05)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _digest(a) -> str | None:
    return None if a is None else hashlib.sha256(np.ascontiguousarray(a, dtype=np.float64).tobytes()).hexdigest()


def _summary_of(v) -> dict:
    s = v.summary
    return {
        "passed": bool(v.passed),
        "failed": sorted(c.name for c in v.failed),
        "checks": {c.name: [float(c.statistic), float(c.pvalue)] for c in v.checks},
        "n": int(s.n), "n_total": int(s.n_total), "mode": s.mode, "min": float(s.min), "max": float(s.max),
        "m2": float(s.moments.m2), "mean": float(s.moments.mean),
        "hist": _digest(s.counts), "sorted": _digest(s.sorted_values),
    }


def _worker(rank: int, world: int, port: int, out: str, root: str) -> None:
    sys.path.insert(0, root)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    tdist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.tensor import (
            DTensor,
            Replicate,
            Shard,
            distribute_tensor,
        )

        import verifier

        mesh = init_device_mesh("cpu", (world,))
        res: dict = {}
        cases = {
            "even": (32 * world, 128),  # exact mode (at most 2^14 values)
            "uneven": (64 * world + 3, 97),
            "pit_uneven": (4099 + world, 257),  # > 2^20 values: the streamed mode; uneven rows
        }
        for name, shape in cases.items():
            full = torch.randn(*shape, generator=torch.Generator().manual_seed(7)) * 0.05
            for scale, tag in ((1.0, ""), (1.04, "_wide")):
                x = full * scale
                dt = distribute_tensor(x, mesh, [Shard(0)])
                res[name + tag] = {"dist": _summary_of(verifier.check(dt, SPEC)),
                                   "ref": _summary_of(verifier.check(x, SPEC))}
        full = torch.randn(128, 64, generator=torch.Generator().manual_seed(8)) * 0.05
        res["replicate"] = {"dist": _summary_of(verifier.check(distribute_tensor(full, mesh, [Replicate()]), SPEC)),
                            "ref": _summary_of(verifier.check(full, SPEC))}
        import verifier.stats.structure as structure

        cap, structure.SLICES_CAP = structure.SLICES_CAP, 1000  # a tensor above the gathering cap
        res["over_cap"] = sorted(c.name for c in verifier.check(distribute_tensor(full, mesh, [Shard(0)]), SPEC).checks)
        structure.SLICES_CAP = cap
        same = torch.randn(64, 96, generator=torch.Generator().manual_seed(9)) * 0.05  # same seed on every rank
        res["repeated"] = _summary_of(verifier.check(DTensor.from_local(same, mesh, [Shard(0)]), SPEC))
        own = torch.randn(64, 96, generator=torch.Generator().manual_seed(100 + rank)) * 0.05
        res["distinct"] = _summary_of(verifier.check(DTensor.from_local(own, mesh, [Shard(1)]), SPEC))

        from torch.distributed.fsdp import fully_shard

        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(96, 200), torch.nn.ReLU(), torch.nn.Linear(200, 50))
        plain = torch.nn.Sequential(torch.nn.Linear(96, 200), torch.nn.ReLU(), torch.nn.Linear(200, 50))
        plain.load_state_dict(model.state_dict())
        fully_shard(model, mesh=mesh)
        a, b = verifier.audit(model), verifier.audit(plain)
        res["audit"] = {"dist": [(r.name, r.status, r.verdict.passed if r.verdict else None,
                                  [float(c.pvalue) for c in r.verdict.checks if c.name != "shards"] if r.verdict else None)
                                 for r in a.rows],
                        "ref": [(r.name, r.status, r.verdict.passed if r.verdict else None,
                                 [float(c.pvalue) for c in r.verdict.checks] if r.verdict else None)
                                for r in b.rows],
                        "sharded": [type(p).__name__ for p in model.parameters()]}
        res["written"] = [p.name for p in a.write(Path(out) / "reports", formats=("json",))]
        Path(out, f"{rank}.json").write_text(json.dumps(res))
    finally:
        tdist.destroy_process_group()


def _run(world: int, tmp_path: Path) -> list[dict]:
    import torch.multiprocessing as mp

    root = str(Path(__file__).resolve().parents[1])
    mp.spawn(_worker, args=(world, _free_port(), str(tmp_path), root), nprocs=world, join=True)
    return [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(world)]


def _assert_same_verdict(d: dict, ref: dict) -> None:
    assert d["passed"] == ref["passed"] and d["failed"] == ref["failed"]
    assert (d["n"], d["n_total"], d["mode"], d["min"], d["max"]) == (ref["n"], ref["n_total"], ref["mode"],
                                                                     ref["min"], ref["max"])
    assert d["hist"] == ref["hist"] and d["sorted"] == ref["sorted"]  # histograms / sorted values exactly
    assert d["m2"] == pytest.approx(ref["m2"], rel=1e-12)
    assert {"ties", "blocks"} <= set(ref["checks"])  # the structure checks: the gathered tensor's, check for check
    for name, (stat, p) in ref["checks"].items():
        assert d["checks"][name] == pytest.approx([stat, p], rel=1e-9, abs=1e-12), name
    assert d["checks"]["shards"] == [0.0, 1.0]


@pytest.mark.parametrize("world", [2, 4])
def test_distributed_verdict_equals_gathered_verdict(world: int, tmp_path: Path) -> None:
    results = _run(world, tmp_path)
    for res in results:
        assert all(res[k] == results[0][k] for k in res if k != "written")  # the same verdicts on every rank
        for case in ("even", "uneven", "pit_uneven", "even_wide", "uneven_wide", "pit_uneven_wide", "replicate"):
            _assert_same_verdict(res[case]["dist"], res[case]["ref"])
        assert res["pit_uneven"]["dist"]["mode"] == "pit" and res["even"]["dist"]["mode"] == "exact"
        assert not res["even_wide"]["dist"]["passed"]  # a 4 % scale error is seen, as on the gathered tensor
        assert "shards" in res["over_cap"] and not {"ties", "blocks"} & set(res["over_cap"])
        rep = res["repeated"]
        assert not rep["passed"] and "shards" in rep["failed"]
        assert rep["checks"]["shards"][0] == world - 1
        assert res["distinct"]["passed"]
        audit = res["audit"]
        assert set(audit["sharded"]) == {"DTensor"}
        for (n1, s1, p1, ps1), (n2, s2, p2, ps2) in zip(audit["dist"], audit["ref"]):
            assert (n1, s1, p1) == (n2, s2, p2)
            assert ps1 == pytest.approx(ps2, rel=1e-9, abs=1e-12)
    assert results[0]["written"] and all(not r["written"] for r in results[1:])  # only rank 0 writes
