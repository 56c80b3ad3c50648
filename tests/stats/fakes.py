"""Test doubles shared by the stats tests."""

from __future__ import annotations

from typing import Any


class FullDisk:
    """A module of compiled kernels that numba cannot write (a full disk): every kernel raises OSError."""

    def __getattr__(self, name: str) -> Any:
        def kernel(*args: Any) -> Any:
            raise OSError("No space left on device")
        return kernel
