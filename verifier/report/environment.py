"""The environment a report was produced in: library versions and the machine."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import sys
from typing import Any

__all__ = ["environment", "created"]

_LIBRARIES = ("verifier", "numpy", "scipy", "tabulate", "torch", "safetensors", "matplotlib",
              "tensorflow", "keras", "jax", "flax")


def _version(name: str) -> str | None:
    module = sys.modules.get(name)
    version = getattr(module, "__version__", None) if module is not None else None
    if version is not None:
        return str(version)
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def created() -> str | None:
    """When the report was made, or ``None``: reports are reproducible (two runs write the same bytes)
    unless ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) or ``VERIFIER_TIMESTAMP=1`` asks
    for a time. With ``SOURCE_DATE_EPOCH`` set, that time is used."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).isoformat()
    if os.environ.get("VERIFIER_TIMESTAMP", "") not in ("", "0"):
        return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    return None


def environment(*, seed: int | None = None, alpha: float | None = None, command: str | None = None) -> dict[str, Any]:
    """Versions of the libraries that are installed, the machine, the seed and α."""
    libraries = {name: v for name in _LIBRARIES if (v := _version(name)) is not None}
    torch = sys.modules.get("torch")
    machine: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }
    if torch is not None:
        try:
            machine["torch_threads"] = torch.get_num_threads()
        except Exception:  # pragma: no cover - exotic builds
            pass
    return {
        "created": created(),
        "command": command,
        "seed": seed,
        "alpha": alpha,
        "libraries": libraries,
        "machine": machine,
    }
