"""Checks declared in ``pyproject.toml``: one test item per (target × shape × dtype).

::

    [[tool.verifier.check]]
    target = "mypkg/init.py:my_init"        # an import string, call syntax allowed
    expect = "he_normal(mode='fan_in')"
    shapes = [[256, 512], [64, 3, 3, 3]]
    dtype = ["float32", "bfloat16"]         # optional: a string or a list (default float32)
    # optional: layout, draws, seed, alpha, convention, fan_in, fan_out, name

Targets resolve from the ``pyproject.toml``'s folder (the rootdir): file paths relative to it,
modules importable from it. A malformed table is a collection error naming the key and the fix;
an unknown key or table under ``[tool.verifier]`` (``[[tool.verifier.checks]]``) is a warning, an
error with ``--verifier-strict``.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .fixture import ConformanceFailed
from .records import derive_seed, state

__all__ = ["pytest_collect_file", "ConfigChecks", "ConformanceItem", "ConfigError", "unknown_keys"]

_TABLE = "[[tool.verifier.check]]"
_REQUIRED = ("target", "expect", "shapes")
_OPTIONAL = ("dtype", "layout", "draws", "seed", "alpha", "convention", "fan_in", "fan_out", "name", "contracts")
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
    "contracts": "contracts = false (checked by default: the requested dtype, same seed → same values)",
}
_SECTION_KEYS = ("check",)


if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _loads(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


def _load_toml(path: Path) -> dict[str, Any]:
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
    except (OSError, UnicodeDecodeError):
        return None
    if "verifier" not in text:  # cheap pre-filter before parsing
        return None
    try:
        tool = _loads(text).get("tool", {})
    except Exception:  # malformed TOML: the collector reports it
        return ConfigChecks.from_parent(parent, path=file_path)
    section = tool.get("verifier") if isinstance(tool, dict) else None
    if not isinstance(section, dict):
        return None
    return ConfigChecks.from_parent(parent, path=file_path)


def unknown_keys(section: dict[str, Any]) -> list[str]:
    """One message per key under ``[tool.verifier]`` the plugin does not know, with a suggestion."""
    out = []
    for key in sorted(set(section) - set(_SECTION_KEYS)):
        close = difflib.get_close_matches(key, _SECTION_KEYS, n=1)
        hint = f"did you mean [[tool.verifier.{close[0]}]]? " if close else ""
        out.append(f"unknown key tool.verifier.{key} in pyproject.toml; {hint}"
                   f"the plugin reads {', '.join(f'tool.verifier.{k}' for k in _SECTION_KEYS)}")
    return out


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
    dtype_given: bool = True  # False: float32 by default, not asked of the initializer (no dtype contract)


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


def _parse_table(table: Any, number: int, base: Path) -> list[_CheckSpec]:
    from ..errors import VerifierError
    from ..sources.dtypes import canonical_dtype
    from ..stats.decision import validate_alpha
    from ..theory.fans import canonical_layout
    from ..theory.parsing import as_spec

    where = f"{_TABLE} #{number}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} is not a table; write [[tool.verifier.check]] followed by key = value lines")
    if isinstance(table.get("target"), str):
        where += f" (target {table['target']!r})"
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join((*_REQUIRED, *_OPTIONAL))
        close = difflib.get_close_matches(unknown[0], (*_REQUIRED, *_OPTIONAL), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; {hint}the keys are {allowed}")
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
    if "contracts" in table:
        if not isinstance(table["contracts"], bool):
            raise bad("contracts", "is not true or false")
        options["contracts"] = table["contracts"]
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
    from ..sources.imports import relative_to

    target = relative_to(table["target"], base)
    return [
        _CheckSpec(name, target, table["expect"], shape, dtype, options, where, "dtype" in table)
        for shape in parsed_shapes
        for dtype in canonical
    ]


def _section(path: Path) -> dict[str, Any]:
    """``[tool.verifier]`` of ``path`` (empty when absent)."""
    try:
        data = _load_toml(path)
    except Exception as exc:  # tomllib.TOMLDecodeError, OSError, UnicodeDecodeError, RecursionError
        raise ConfigError(f"cannot read {path.name}: {exc}; fix the TOML syntax") from None
    tool = data.get("tool", {})
    section = tool.get("verifier", {}) if isinstance(tool, dict) else {}
    return section if isinstance(section, dict) else {}


def _parse_checks(path: Path) -> list[_CheckSpec]:
    section = _section(path)
    if "check" not in section:
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


@contextmanager
def _importable_from(folder: Path) -> Iterator[None]:
    """Module targets (``mypkg.init:f``) import from the pyproject's folder, as ``python -m`` run there
    would; the folder leaves ``sys.path`` again afterwards if it was not there before."""
    entry = str(folder)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)


class ConfigChecks(pytest.File):
    """The ``[[tool.verifier.check]]`` tables of a ``pyproject.toml``."""

    def collect(self):  # type: ignore[override]
        try:
            problems = unknown_keys(_section(self.path))
            specs = _parse_checks(self.path)
        except ConfigError as exc:
            raise self.CollectError(f"{self.path.name}: {exc}") from None
        if problems and state(self.config).settings.strict:
            raise self.CollectError(f"{self.path.name}: {problems[0]} (--verifier-strict)")
        for problem in problems:
            self.warn(pytest.PytestConfigWarning(problem))
        for spec in specs:
            shape = "x".join(map(str, spec.shape))
            yield ConformanceItem.from_parent(self, name=f"{spec.name}[{shape}-{spec.dtype}]", spec=spec)


class ConformanceItem(pytest.Item):
    """One declared check at one shape and dtype."""

    def __init__(self, *, spec: _CheckSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        from ..api import check

        session = state(self.config)
        settings = session.settings
        options = dict(self.spec.options)
        options.setdefault("seed", derive_seed(self.nodeid, settings.seed))
        if settings.alpha is not None:
            options.setdefault("alpha", settings.alpha)
        if settings.draws is not None:
            options.setdefault("draws", settings.draws)
        options.setdefault("contracts", settings.contracts)
        with _importable_from(self.path.parent):
            verdict = check(self.spec.target, self.spec.expect, shape=self.spec.shape,
                            dtype=self.spec.dtype if self.spec.dtype_given else None,
                            **options)
        session.add(self.nodeid, verdict)
        if not verdict.passed:
            raise ConformanceFailed(verdict)

    def repr_failure(self, excinfo, style=None):  # type: ignore[no-untyped-def, override]
        from ..errors import VerifierError

        declared = f"  declared  {self.spec.where} in {self.path.name}"
        if isinstance(excinfo.value, ConformanceFailed):
            return f"{excinfo.value}\n{declared}"
        if isinstance(excinfo.value, VerifierError):
            return f"{type(excinfo.value).__name__}: {excinfo.value}\n{declared}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):  # type: ignore[no-untyped-def, override]
        return self.path, None, self.name
