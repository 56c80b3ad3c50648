"""Session state of the plugin: seeds derived from node ids, the verdict records, the settings.

Each check's seed is :func:`derive_seed` ``(nodeid, base)``: a blake2b hash, stable across runs,
processes and machines (unlike ``hash()``). Records are sorted by (node id, index), so the summary
and the reports are the same with and without pytest-xdist. A worker pickles its records
(zlib, base64) into ``config.workeroutput``; controller and workers run the same installed code.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import pickle
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from ..verdict import Verdict

__all__ = ["derive_seed", "VerdictRecord", "Settings", "State", "STATE", "state", "WORKEROUTPUT_KEY"]

WORKEROUTPUT_KEY = "verifier_verdicts"
_RECORD_FORMAT = 1


def derive_seed(nodeid: str, base_seed: int = 0) -> int:
    """The seed of the check in test ``nodeid`` for session seed ``base_seed``.

    ``int.from_bytes(blake2b(f"{base_seed}:{nodeid}", digest_size=4), "big")``: stable across
    runs, processes and machines (unlike ``hash()``), and different for different tests.
    """
    digest = hashlib.blake2b(f"{base_seed}:{nodeid}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big")


@dataclasses.dataclass(frozen=True)
class VerdictRecord:
    """One verdict of the session: the test that produced it and its index within the test."""

    nodeid: str
    index: int
    verdict: Verdict

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.nodeid, self.index)

    def dump(self) -> dict[str, Any]:
        """A JSON-able form for ``config.workeroutput`` (the verdict pickled, base64)."""
        blob = zlib.compress(pickle.dumps(self.verdict, protocol=pickle.HIGHEST_PROTOCOL), 6)
        return {
            "format": _RECORD_FORMAT,
            "nodeid": self.nodeid,
            "index": self.index,
            "verdict": base64.b64encode(blob).decode("ascii"),
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> VerdictRecord:
        if data.get("format") != _RECORD_FORMAT:
            raise ValueError(f"verdict record format {data.get('format')!r}, expected {_RECORD_FORMAT}")
        verdict = pickle.loads(zlib.decompress(base64.b64decode(data["verdict"])))  # noqa: S301 - our workers
        return cls(str(data["nodeid"]), int(data["index"]), verdict)


@dataclasses.dataclass
class Settings:
    alpha: float | None = None
    seed: int = 0
    draws: int | None = None
    report: Path | None = None
    strict: bool = False
    contracts: bool = True


@dataclasses.dataclass
class State:
    settings: Settings
    records: list[VerdictRecord] = dataclasses.field(default_factory=list)
    lost: list[str] = dataclasses.field(default_factory=list)
    written: list[Path] = dataclasses.field(default_factory=list)
    report_error: str | None = None

    def add(self, nodeid: str, verdict: Verdict) -> VerdictRecord:
        index = sum(1 for r in self.records if r.nodeid == nodeid)
        if self.settings.report is None:  # only the reports' plots read the summary
            verdict = dataclasses.replace(verdict, summary=None)
        record = VerdictRecord(nodeid, index, verdict)
        self.records.append(record)
        return record

    def sorted_records(self) -> list[VerdictRecord]:
        return sorted(self.records, key=lambda r: r.sort_key)


STATE = pytest.StashKey[State]()


def state(config: pytest.Config) -> State:
    """The session state stashed on ``config`` by :func:`~verifier.pytest_plugin.options.pytest_configure`."""
    return config.stash[STATE]
