"""The session's end: verdicts from xdist workers, the reports, the terminal summary.

Workers ship their records through ``config.workeroutput``; the controller merges them in
``pytest_testnodedown``, writes ``--verifier-report`` once, and prints one line per verdict,
failures first, each leading with its headline and ending with the test's node id. A session
asked for a report that recorded no verdict ends like pytest's "no tests ran" (exit 5).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from .records import STATE, WORKEROUTPUT_KEY, State, VerdictRecord

__all__ = ["pytest_testnodedown", "pytest_sessionfinish", "pytest_terminal_summary"]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    config = node.config
    session_state = config.stash.get(STATE, None)
    output = getattr(node, "workeroutput", None) or {}
    if session_state is None:
        return
    for data in output.get(WORKEROUTPUT_KEY, []):
        try:
            session_state.records.append(VerdictRecord.load(data))
        except Exception as exc:  # pragma: no cover - version skew between processes
            session_state.lost.append(f"{data.get('nodeid', '?')}: {type(exc).__name__}: {exc}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    records = config.stash.get(STATE, None)
    if records is None:
        return
    if _is_worker(config):
        config.workeroutput[WORKEROUTPUT_KEY] = [r.dump() for r in records.sorted_records()]  # type: ignore[attr-defined]
        return
    if records.settings.report is not None:
        if not records.records and not records.lost:
            records.report_error = ("no conformance verdict was recorded, so there is nothing to report; "
                                    "add checks (the conformance fixture or [[tool.verifier.check]]) or drop "
                                    "--verifier-report")
            if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
                session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED  # like pytest's "no tests ran"
            return
        _write_reports(config, records)
    if (records.report_error is not None or records.lost) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a CI must not pass without its report


def _write_reports(config: pytest.Config, state: State) -> None:
    try:
        from ..report import write_reports
    except ImportError as exc:
        state.report_error = f"the report writers are not available ({exc})"
        return
    settings = state.settings
    assert settings.report is not None
    args = [str(a) for a in config.invocation_params.args]
    title = f"pytest conformance report: {config.rootpath.name}"
    try:
        paths = write_reports(
            [r.verdict for r in state.sorted_records()],
            settings.report,
            ids=[r.nodeid for r in state.sorted_records()],
            title=title,
            command=shlex.join(["pytest", *args]),
            seed=settings.seed,
            alpha=settings.alpha,
        )
    except Exception as exc:  # noqa: BLE001 - reported in the summary, and the session fails
        state.report_error = f"cannot write the reports to {settings.report}: {type(exc).__name__}: {exc}"
        return
    state.written = [Path(p) for p in paths]


def _line(record: VerdictRecord) -> str:
    """``FAIL  <headline>  <source>  <shape>  <dtype>  std x.. (CI)  min p ..  [node id]``: what matters
    first (the headline: the effect and the likely bug), then the figures, then where."""
    from ..report.format import fmt_p, headline
    from ..stats.checks import CONFIDENCE

    v = record.verdict
    parts = ["PASS" if v.passed else "FAIL", headline(v), v.sample.source,
             "x".join(map(str, v.sample.shape)) or "scalar", v.sample.dtype]
    var = v.check("variance")
    if var is not None and var.effect is not None:
        e = var.effect
        parts.append(f"std x{e.estimate:.4f} ({CONFIDENCE:.0%} CI {e.low:.4f}-{e.high:.4f})")
    if v.checks:
        smallest = min(v.checks, key=lambda c: c.pvalue)
        parts.append(f"min p {fmt_p(smallest.pvalue)} ({smallest.name})")
    return "  ".join(parts) + f"  [{record.nodeid}]"


def _verdicts(n: int) -> str:
    return f"{n} verdict" if n == 1 else f"{n} verdicts"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or _is_worker(config):
        return
    records = state.sorted_records()
    if not records and not state.lost and state.report_error is None and not state.written:
        return
    failed = [r for r in records if not r.verdict.passed]
    passed = [r for r in records if r.verdict.passed]
    tr = terminalreporter
    tr.write_sep("=", f"conformance: {_verdicts(len(records))}, {len(failed)} failed")
    for record in failed:
        tr.write_line(_line(record), red=True)
    for record in passed:
        tr.write_line(_line(record))
    for lost in state.lost:
        tr.write_line(f"LOST  a verdict from a worker could not be read: {lost}", red=True)
    if state.written:
        tr.write_line(f"conformance reports ({_verdicts(len(records))}) written: " + ", ".join(map(str, state.written)))
    if state.report_error is not None:
        tr.write_line(f"verifier: {state.report_error}", red=True)
