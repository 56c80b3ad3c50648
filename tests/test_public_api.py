"""The public surface: explicit __all__, lazily imported, never shadowed by a submodule."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import verifier


def test_every_public_name_resolves_after_all_submodules_are_imported() -> None:
    for info in pkgutil.walk_packages(verifier.__path__, "verifier."):
        if info.name.endswith(("pytest_plugin", "__main__")) or ".suites." in info.name:
            continue
        importlib.import_module(info.name)
    for name in verifier.__all__:
        value = getattr(verifier, name)
        assert not isinstance(value, types.ModuleType), f"verifier.{name} is shadowed by a submodule"


def test_import_is_cheap_and_lazy() -> None:
    code = "import sys, verifier; print('scipy' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
