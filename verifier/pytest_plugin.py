"""The pytest plugin: conformance checks of weight initializers in any project's CI.

Registered through the ``pytest11`` entry point, so it is active as soon as ``verifier`` is
installed; ``pytest -p no:verifier`` turns it off. It offers

- the ``conformance`` fixture: ``conformance.check(source, expect, **kwargs)`` takes the same
  keywords as :func:`verifier.check`, fails the test with the verdict's text when the check is
  rejected, and records the verdict for the session's summary and reports;
- checks declared in ``pyproject.toml``, no test code at all::

      [[tool.verifier.check]]
      target = "mypkg/init.py:my_init"        # an import string, call syntax allowed
      expect = "he_normal(mode='fan_in')"
      shapes = [[256, 512], [64, 3, 3, 3]]
      dtype = ["float32", "bfloat16"]         # optional: a string or a list (default float32)
      # optional: layout, draws, seed, alpha, convention, fan_in, fan_out, name

  Each (target x shape x dtype) becomes one test item, e.g.
  ``pyproject.toml::my_init[256x512-float32]``. The rootdir's ``pyproject.toml`` is collected
  whenever pytest walks the rootdir (or is given the file); with ``testpaths`` set, add
  ``"pyproject.toml"`` to it. Relative file paths in ``target`` are relative to the
  ``pyproject.toml``;
- the options ``--verifier-alpha``, ``--verifier-seed``, ``--verifier-draws`` and
  ``--verifier-report DIR`` (ini: ``verifier_alpha``, ``verifier_seed``, ``verifier_draws``,
  ``verifier_report``). They are session defaults: an explicit keyword or table key wins;
- a terminal summary of every conformance verdict of the session, failures first.

Determinism
-----------
Unless a check gives ``seed`` explicitly, its seed is :func:`derive_seed` ``(nodeid, base)``
(``base`` is ``--verifier-seed``, default 0): a hash of the test's node id, never Python's
randomised ``hash()``, so a check draws the same values, and reaches the same verdict, in
every run and on every xdist worker. The seed is printed in the verdict ("seed N"), so
``verifier.check(..., seed=N)`` reproduces it outside pytest.

Verdict records and pytest-xdist
--------------------------------
The session keeps each :class:`~verifier.verdict.Verdict`, tagged with the node id and its
index within the test. The verdict's ``summary`` (which can hold every sorted value, megabytes
for a big tensor) is kept only when ``--verifier-report`` asks for reports, whose plots are
drawn from it; otherwise it is dropped, so a long session does not hoard memory. Workers
pickle their records (zlib-compressed, base64; about 1 kB each without summaries) into
``config.workeroutput`` in ``pytest_sessionfinish``; the controller unpickles them in
``pytest_testnodedown``. Controller and workers run the same installed code, so the controller
holds the same ``Verdict`` objects a run without xdist would (a JSON record would lose the
distribution object the report writers render); records are sorted by (node id, index), so
the terminal summary and the reports are the same with and without ``-n``.

This module imports only the standard library and pytest at import time; numpy, scipy and
the checks are imported when a check runs.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import pickle
import shlex
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from .verdict import Verdict

__all__ = ["Conformance", "ConformanceFailed", "VerdictRecord", "derive_seed"]

_WORKEROUTPUT_KEY = "verifier_verdicts"
_RECORD_FORMAT = 1

_TABLE = "[[tool.verifier.check]]"
_REQUIRED = ("target", "expect", "shapes")
_OPTIONAL = ("dtype", "layout", "draws", "seed", "alpha", "convention", "fan_in", "fan_out", "name")
_EXAMPLES = {
    "target": 'target = "mypkg/init.py:my_init" (an import string; call syntax like f(mode=\'fan_out\') allowed)',
    "expect": 'expect = "he_normal" (the spec the weights should follow)',
    "shapes": "shapes = [[256, 512]] (a list of shapes, each a list of positive ints)",
    "dtype": 'dtype = "float32" or dtype = ["float32", "bfloat16"]',
    "layout": 'layout = "torch" (or "keras")',
    "draws": "draws = 4 (a positive int)",
    "seed": "seed = 0 (a non-negative int)",
    "alpha": "alpha = 1e-4 (a number in (0, 0.5])",
    "convention": 'convention = "numpy" (torch, numpy, jax or keras)',
    "fan_in": "fan_in = 512 (a positive int)",
    "fan_out": "fan_out = 256 (a positive int)",
    "name": 'name = "my_init_fan_out" (letters, digits, _ . -)',
}


# --------------------------------------------------------------------------- seeds and records


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
class _Settings:
    alpha: float | None = None
    seed: int = 0
    draws: int | None = None
    report: Path | None = None


@dataclasses.dataclass
class _State:
    settings: _Settings
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


_STATE = pytest.StashKey[_State]()


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE]


# --------------------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verifier", "verifier: weight-initializer conformance checks")
    group.addoption(
        "--verifier-alpha", metavar="ALPHA", default=None,
        help="family-wise false-alarm rate of each conformance verdict (default 1e-4); "
             "a check's own alpha wins",
    )
    group.addoption(
        "--verifier-seed", metavar="SEED", default=None,
        help="base seed; each check's seed is derived from it and the test's node id (default 0)",
    )
    group.addoption(
        "--verifier-draws", metavar="K", default=None,
        help="draws per initializer check (default 1); a check's own draws wins",
    )
    group.addoption(
        "--verifier-report", metavar="DIR", default=None,
        help="write json/md/html/junit conformance reports of every verdict of the session to DIR",
    )
    parser.addini("verifier_alpha", "default --verifier-alpha", default=None)
    parser.addini("verifier_seed", "default --verifier-seed", default=None)
    parser.addini("verifier_draws", "default --verifier-draws", default=None)
    parser.addini("verifier_report", "default --verifier-report (relative to the rootdir)", default=None)


def _setting(config: pytest.Config, name: str) -> tuple[Any, str]:
    value = config.getoption(f"verifier_{name}")
    if value is not None:
        return value, f"--verifier-{name}"
    value = config.getini(f"verifier_{name}")
    if value in (None, "", []):
        return None, ""
    return value, f"ini verifier_{name}"


def _parse_settings(config: pytest.Config) -> _Settings:
    settings = _Settings()
    raw, where = _setting(config, "alpha")
    if raw is not None:
        from .stats.decision import validate_alpha

        try:
            settings.alpha = validate_alpha(float(raw))
        except (TypeError, ValueError) as exc:  # SpecError is a ValueError
            raise pytest.UsageError(f"{where}={raw!r} is not a level ({exc}); give e.g. 1e-4") from None
    raw, where = _setting(config, "seed")
    if raw is not None:
        try:
            settings.seed = int(str(raw).strip())
        except ValueError:
            settings.seed = -1
        if settings.seed < 0:
            raise pytest.UsageError(f"{where}={raw!r} is not a seed; give a non-negative integer, e.g. 0")
    raw, where = _setting(config, "draws")
    if raw is not None:
        try:
            settings.draws = int(str(raw).strip())
        except ValueError:
            settings.draws = 0
        if settings.draws < 1:
            raise pytest.UsageError(f"{where}={raw!r} is not a number of draws; give a positive integer, e.g. 4")
    raw, where = _setting(config, "report")
    if raw is not None:
        base = config.invocation_params.dir if where.startswith("--") else config.rootpath
        settings.report = (Path(base) / str(raw)).resolve()
    return settings


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = _State(_parse_settings(config))


# --------------------------------------------------------------------------- the fixture


class ConformanceFailed(AssertionError):
    """A conformance check was rejected; ``str()`` is the verdict's readable text."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(str(verdict))
        self.verdict = verdict


class Conformance:
    """The ``conformance`` fixture: check initializers and record the verdicts.

    Examples
    --------
    >>> def test_my_init(conformance):                                   # doctest: +SKIP
    ...     conformance.check("mypkg.init:my_init", "he_normal", shape=(256, 512))
    """

    def __init__(self, config: pytest.Config, nodeid: str) -> None:
        self._config = config
        self._state = _state(config)
        self.nodeid = nodeid
        self.verdicts: list[Verdict] = []
        self._calls = 0

    def __repr__(self) -> str:
        return f"<conformance {self.nodeid} ({len(self.verdicts)} verdicts)>"

    def next_seed(self) -> int:
        """The seed the next :meth:`check` without ``seed=`` uses."""
        key = self.nodeid if self._calls == 0 else f"{self.nodeid}#{self._calls}"
        return derive_seed(key, self._state.settings.seed)

    def check(self, source: Any, expect: Any, **kwargs: Any) -> Verdict:
        """:func:`verifier.check` with the session's defaults; fail the test if rejected.

        A rejected verdict raises ``AssertionError`` whose text is the verdict (and whose
        ``.verdict`` attribute is the :class:`~verifier.verdict.Verdict`), like
        :func:`verifier.assert_conforms`.

        Takes the same keywords as :func:`verifier.check`. Without ``seed=`` the seed is
        derived from the test's node id and ``--verifier-seed``; without ``alpha=`` /
        ``draws=`` the session's ``--verifier-alpha`` / ``--verifier-draws`` apply (draws
        only to initializers, i.e. checks given a ``shape``). The verdict is recorded for
        the terminal summary and ``--verifier-report`` either way.
        """
        __tracebackhide__ = True
        verdict = self.run(source, expect, **kwargs)
        if not verdict.passed:
            error = AssertionError(str(verdict))
            error.verdict = verdict  # type: ignore[attr-defined]
            raise error
        return verdict

    def run(self, source: Any, expect: Any, **kwargs: Any) -> Verdict:
        """Like :meth:`check`, but return the verdict without failing the test."""
        from .api import check
        from .sources import is_values

        settings = self._state.settings
        if kwargs.get("seed") is None:
            kwargs["seed"] = self.next_seed()
        self._calls += 1
        if kwargs.get("alpha") is None and settings.alpha is not None:
            kwargs["alpha"] = settings.alpha
        if (
            "draws" not in kwargs
            and settings.draws is not None
            and kwargs.get("shape") is not None
            and not is_values(source)
        ):
            kwargs["draws"] = settings.draws
        verdict = check(source, expect, **kwargs)
        self.record(verdict)
        return verdict

    def record(self, verdict: Verdict) -> Verdict:
        """Record a verdict computed elsewhere (e.g. by :func:`verifier.check`) for the session."""
        self._state.add(self.nodeid, verdict)
        self.verdicts.append(verdict)
        return verdict


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> Conformance:
    """Check weight initializers; ``conformance.check(source, expect, shape=...)`` fails the
    test with the readable verdict when rejected and records it for the session report."""
    return Conformance(request.config, request.node.nodeid)


# --------------------------------------------------------------------------- pyproject.toml checks


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _given_explicitly(config: pytest.Config, path: Path) -> bool:
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        head = str(arg).split("::", 1)[0]
        try:
            if (base / head).resolve() == path.resolve():
                return True
        except OSError:  # pragma: no cover
            continue
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name != "pyproject.toml":
        return None
    config = parent.config
    if file_path.resolve() != (config.rootpath / "pyproject.toml").resolve() and not _given_explicitly(
        config, file_path
    ):
        return None
    try:
        text = file_path.read_text(encoding="utf-8")
    except OSError:
        return None
    if "verifier" not in text:  # cheap pre-filter before parsing
        return None
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        tool = tomllib.loads(text).get("tool", {})
    except Exception:  # malformed TOML: the collector reports it
        return ConfigChecks.from_parent(parent, path=file_path)
    section = tool.get("verifier") if isinstance(tool, dict) else None
    if not isinstance(section, dict) or "check" not in section:
        return None
    return ConfigChecks.from_parent(parent, path=file_path)


class ConfigError(Exception):
    """A malformed ``[[tool.verifier.check]]`` table."""


@dataclasses.dataclass(frozen=True)
class _CheckSpec:
    name: str
    target: str
    expect: str
    shape: tuple[int, ...]
    dtype: str
    options: dict[str, Any]
    where: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fix(key: str) -> str:
    return f"write e.g. {_EXAMPLES[key]}"


def _default_name(target: str) -> str:
    head = target.split("(", 1)[0].strip()
    tail = head.rpartition(":")[2] if ":" in head else head.rpartition(".")[2]
    tail = tail.rpartition(".")[2] or tail
    return tail or "check"


def _safe_name(name: str) -> bool:
    return bool(name) and all(ch.isalnum() or ch in "_.-" for ch in name)


def _resolve_target(target: str, base: Path) -> str:
    """Make a relative ``path/file.py:attr`` target relative to ``base`` (the pyproject.toml's dir)."""
    from .sources.imports import _is_path, _split_call

    try:
        spec, call = _split_call(target.strip())
    except Exception:  # the check will report the malformed string
        return target
    if ":" not in spec:
        return target
    head, _, attr = spec.rpartition(":")
    head = head.strip()
    if not _is_path(head):
        return target
    path = Path(head).expanduser()
    if path.is_absolute() or (Path.cwd() / path).is_file() or not (base / path).is_file():
        return target
    relative = os.path.relpath(base / path, Path.cwd())
    return f"{relative}:{attr}{call or ''}"


def _parse_table(table: Any, number: int, base: Path) -> list[_CheckSpec]:
    from .errors import VerifierError
    from .sources.dtypes import canonical_dtype
    from .stats.decision import validate_alpha
    from .theory.fans import canonical_layout
    from .theory.specs import as_spec

    where = f"{_TABLE} #{number}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} is not a table; write [[tool.verifier.check]] followed by key = value lines")
    if isinstance(table.get("target"), str):
        where += f" (target {table['target']!r})"
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join((*_REQUIRED, *_OPTIONAL))
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; the keys are {allowed}")
    for key in _REQUIRED:
        if key not in table:
            raise ConfigError(f"{where}: missing key {key!r}; {_fix(key)}")

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{where}: {key} = {table[key]!r} {why}; {_fix(key)}")

    for key in ("target", "expect", "layout", "convention", "name"):
        if key in table and (not isinstance(table[key], str) or not table[key].strip()):
            raise bad(key, "is not a non-empty string")
    try:
        as_spec(table["expect"])
    except VerifierError as exc:
        raise bad("expect", f"is not a spec ({exc})") from None
    shapes = table["shapes"]
    if not isinstance(shapes, list) or not shapes:
        raise bad("shapes", "is not a non-empty list of shapes")
    if all(_is_int(s) for s in shapes):
        raise bad("shapes", f"is one shape, not a list of shapes (did you mean shapes = [{shapes!r}]?)")
    parsed_shapes: list[tuple[int, ...]] = []
    for shape in shapes:
        if not isinstance(shape, list) or not shape or not all(_is_int(d) and d > 0 for d in shape):
            raise bad("shapes", f"has {shape!r}, which is not a shape (a list of positive ints)")
        parsed_shapes.append(tuple(shape))
    dtypes = table.get("dtype", "float32")
    if isinstance(dtypes, str):
        dtypes = [dtypes]
    if not isinstance(dtypes, list) or not dtypes or not all(isinstance(d, str) for d in dtypes):
        raise bad("dtype", "is not a string or a list of strings")
    canonical: list[str] = []
    for dtype in dtypes:
        try:
            canonical.append(canonical_dtype(dtype))
        except (VerifierError, ValueError, TypeError) as exc:
            raise bad("dtype", f"has {dtype!r}, which is not a float dtype ({exc})") from None
    options: dict[str, Any] = {}
    if "layout" in table:
        try:
            canonical_layout(table["layout"])
        except (VerifierError, ValueError) as exc:
            raise bad("layout", f"is not a layout ({exc})") from None
        options["layout"] = table["layout"]
    if "convention" in table:
        options["convention"] = table["convention"]
    for key, minimum in (("draws", 1), ("seed", 0), ("fan_in", 1), ("fan_out", 1)):
        if key in table:
            if not _is_int(table[key]) or table[key] < minimum:
                raise bad(key, f"is not an integer >= {minimum}")
            options[key] = table[key]
    if "alpha" in table:
        value = table["alpha"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("alpha", "is not a number")
        try:
            validate_alpha(float(value))
        except (VerifierError, ValueError) as exc:
            raise bad("alpha", f"is out of range ({exc})") from None
        options["alpha"] = float(value)
    name = table.get("name", _default_name(table["target"]))
    if not _safe_name(name):
        if "name" in table:
            raise bad("name", "has characters other than letters, digits, _ . -")
        name = "check"
    target = _resolve_target(table["target"], base)
    return [
        _CheckSpec(name, target, table["expect"], shape, dtype, options, where)
        for shape in parsed_shapes
        for dtype in canonical
    ]


def _parse_checks(path: Path) -> list[_CheckSpec]:
    try:
        data = _load_toml(path)
    except Exception as exc:  # tomllib.TOMLDecodeError, OSError
        raise ConfigError(f"cannot read {path.name}: {exc}; fix the TOML syntax") from None
    tool = data.get("tool", {})
    section = tool.get("verifier", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict) or "check" not in section:
        return []
    tables = section["check"]
    if not isinstance(tables, list):
        raise ConfigError(
            f"tool.verifier.check must be an array of tables; write each check as {_TABLE} "
            "(double brackets) followed by its keys"
        )
    specs: list[_CheckSpec] = []
    owners: dict[str, str] = {}
    for number, table in enumerate(tables, start=1):
        parsed = _parse_table(table, number, path.parent)
        if parsed:
            name = parsed[0].name
            if name in owners:
                raise ConfigError(
                    f"{parsed[0].where}: the name {name!r} is already used by {owners[name]}; "
                    f'give one of them its own name, e.g. name = "{name}_2"'
                )
            owners[name] = parsed[0].where
        specs.extend(parsed)
    return specs


class ConfigChecks(pytest.File):
    """The ``[[tool.verifier.check]]`` tables of a ``pyproject.toml``."""

    def collect(self):  # type: ignore[override]
        try:
            specs = _parse_checks(self.path)
        except ConfigError as exc:
            raise self.CollectError(f"{self.path.name}: {exc}") from None
        for spec in specs:
            shape = "x".join(map(str, spec.shape))
            yield ConformanceItem.from_parent(self, name=f"{spec.name}[{shape}-{spec.dtype}]", spec=spec)


class ConformanceItem(pytest.Item):
    """One declared check at one shape and dtype."""

    def __init__(self, *, spec: _CheckSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        from .api import check

        state = _state(self.config)
        settings = state.settings
        options = dict(self.spec.options)
        options.setdefault("seed", derive_seed(self.nodeid, settings.seed))
        if settings.alpha is not None:
            options.setdefault("alpha", settings.alpha)
        if settings.draws is not None:
            options.setdefault("draws", settings.draws)
        verdict = check(self.spec.target, self.spec.expect, shape=self.spec.shape, dtype=self.spec.dtype, **options)
        state.add(self.nodeid, verdict)
        if not verdict.passed:
            raise ConformanceFailed(verdict)

    def repr_failure(self, excinfo, style=None):  # type: ignore[no-untyped-def, override]
        from .errors import VerifierError

        declared = f"  declared  {self.spec.where} in {self.path.name}"
        if isinstance(excinfo.value, ConformanceFailed):
            return f"{excinfo.value.verdict}\n{declared}"
        if isinstance(excinfo.value, VerifierError):
            return f"{type(excinfo.value).__name__}: {excinfo.value}\n{declared}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):  # type: ignore[no-untyped-def, override]
        return self.path, None, self.name


# --------------------------------------------------------------------------- xdist, reports, summary


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    config = node.config
    state = config.stash.get(_STATE, None)
    output = getattr(node, "workeroutput", None) or {}
    if state is None:
        return
    for data in output.get(_WORKEROUTPUT_KEY, []):
        try:
            state.records.append(VerdictRecord.load(data))
        except Exception as exc:  # pragma: no cover - version skew between processes
            state.lost.append(f"{data.get('nodeid', '?')}: {type(exc).__name__}: {exc}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    if _is_worker(config):
        config.workeroutput[_WORKEROUTPUT_KEY] = [r.dump() for r in state.sorted_records()]  # type: ignore[attr-defined]
        return
    if state.settings.report is not None:
        _write_reports(config, state)
    if (state.report_error is not None or state.lost) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a CI must not pass without its report


def _write_reports(config: pytest.Config, state: _State) -> None:
    try:
        from .report import write_reports
    except ImportError as exc:
        state.report_error = f"the report writers are not available ({exc})"
        return
    settings = state.settings
    args = [str(a) for a in config.invocation_params.args]
    title = f"pytest conformance report: {config.rootpath.name}"
    try:
        paths = write_reports(
            [r.verdict for r in state.sorted_records()],
            settings.report,
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
    from .stats.checks import CONFIDENCE

    v = record.verdict
    head = "PASS" if v.passed else "FAIL"
    shape = "x".join(map(str, v.sample.shape)) or "scalar"
    parts = [f"{head}  {v.sample.source}", shape, v.sample.dtype]
    var = v.check("variance")
    if var is not None and var.effect is not None:
        e = var.effect
        parts.append(f"std x{e.estimate:.4f} ({CONFIDENCE:.0%} CI {e.low:.4f}-{e.high:.4f})")
    if v.checks:
        smallest = min(v.checks, key=lambda c: c.pvalue)
        p = f"{smallest.pvalue:.3g}" if smallest.pvalue >= 1e-300 else "<1e-300"
        parts.append(f"min p {p} ({smallest.name})")
    parts.append(f"expected {v.expected}")
    return "  ".join(parts) + f"  [{record.nodeid}]"


def _verdicts(n: int) -> str:
    return f"{n} verdict" if n == 1 else f"{n} verdicts"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
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
