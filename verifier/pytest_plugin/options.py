"""Command-line options and ini keys of the plugin (``--verifier-alpha|seed|draws|report|strict``).

They are session defaults: an explicit keyword of ``conformance.check`` or a key of a
``[[tool.verifier.check]]`` table wins. Bad values are a ``pytest.UsageError`` naming the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .records import STATE, Settings, State

__all__ = ["pytest_addoption", "pytest_configure"]


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
    group.addoption(
        "--verifier-strict", action="store_true", default=None,
        help="unknown keys or tables under [tool.verifier] in pyproject.toml fail the collection "
             "(default: a warning)",
    )
    group.addoption(
        "--verifier-no-contracts", action="store_true", default=None,
        help="do not check initializers' own contracts (requested dtype and shape, same seed → same values, "
             "different seeds → different values); they are checked by default",
    )
    parser.addini("verifier_alpha", "default --verifier-alpha", default=None)
    parser.addini("verifier_seed", "default --verifier-seed", default=None)
    parser.addini("verifier_draws", "default --verifier-draws", default=None)
    parser.addini("verifier_report", "default --verifier-report (relative to the rootdir)", default=None)
    parser.addini("verifier_strict", "default --verifier-strict", type="bool", default=False)
    parser.addini("verifier_contracts", "check initializers' own contracts (default true)", type="bool",
                  default=True)


def _setting(config: pytest.Config, name: str) -> tuple[Any, str]:
    value = config.getoption(f"verifier_{name}")
    if value is not None:
        return value, f"--verifier-{name}"
    value = config.getini(f"verifier_{name}")
    if value in (None, "", []):
        return None, ""
    return value, f"ini verifier_{name}"


def _parse_settings(config: pytest.Config) -> Settings:
    settings = Settings()
    raw, where = _setting(config, "alpha")
    if raw is not None:
        from ..stats.decision import validate_alpha

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
    settings.strict = bool(config.getoption("verifier_strict") or config.getini("verifier_strict"))
    settings.contracts = not config.getoption("verifier_no_contracts") and bool(config.getini("verifier_contracts"))
    raw, where = _setting(config, "report")
    if raw is not None:
        base = config.invocation_params.dir if where.startswith("--") else config.rootpath
        settings.report = (Path(base) / str(raw)).resolve()
    return settings


def pytest_configure(config: pytest.Config) -> None:
    config.stash[STATE] = State(_parse_settings(config))
