"""The ``torch`` preset: torch's documented ``reset_parameters`` defaults of its ``nn`` modules.

The rules themselves live in :mod:`verifier.auditing.defaults` (each with the torch function it
encodes). A lazy audit replays them by calling each materialised module's own
``reset_parameters()``; that cannot see initialisation a model's own ``__init__`` performs after
building its children (``for m in self.modules(): nn.init.kaiming_normal_(m.weight)``), so
:meth:`TorchPreset.lazy_blocker` looks for it in the source of every non-torch class.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from ..defaults import default_expectation
from .base import Preset

__all__ = ["TorchPreset", "post_construction_init"]

#: Source patterns of initialisation done in a model's ``__init__`` after its children exist.
_INIT_CALL = re.compile(
    r"(?:\bnn\.init\.|\binit\.)\w+_\s*\(|\.(?:normal_|uniform_|fill_|zero_|copy_|trunc_normal_|constant_|"
    r"kaiming_\w+_|xavier_\w+_|orthogonal_)\s*\(|\b(?:_init_weights|init_weights|_initialize_weights|"
    r"initialize_weights|post_init)\s*\(|\.apply\s*\("
)


def post_construction_init(model: Any) -> str | None:
    """Where a non-torch class's ``__init__`` initialises parameters itself, or ``None``.

    Reads the source of ``__init__`` of every class (outside ``torch.*``) of every module of
    ``model`` and returns ``"Class.__init__ (file:line: code)"`` for the first line that calls an
    in-place init (``nn.init.*_``, ``.normal_(``, ``.fill_(``, ``.apply(``, ``init_weights(``...).
    """
    seen: set[type] = set()
    for _, mod in model.named_modules():
        for klass in type(mod).__mro__:
            if klass in seen or klass.__module__.startswith(("torch.", "builtins")) or klass is object:
                continue
            seen.add(klass)
            init = vars(klass).get("__init__")
            if init is None:
                continue
            try:
                lines, start = inspect.getsourcelines(init)
                where = inspect.getsourcefile(init) or "?"
            except (OSError, TypeError):
                continue
            for k, line in enumerate(lines):
                code = line.split("#", 1)[0]
                if _INIT_CALL.search(code):
                    short = where.rsplit("/", 1)[-1]
                    return f"{klass.__name__}.__init__ ({short}:{start + k}: {code.strip()})"
    return None


class TorchPreset(Preset):
    """torch's ``reset_parameters`` defaults (see :mod:`verifier.auditing.defaults`)."""

    name = "torch"

    def __init__(self, model: Any = None) -> None:
        self._model = model

    def expectation(self, name: str, shape: tuple[int, ...], module: Any,
                    ancestors: list[tuple[str, Any]]) -> Any:
        return default_expectation(name, shape, module, ancestors)

    def lazy_blocker(self) -> str | None:
        if self._model is None:
            return None
        where = post_construction_init(self._model)
        if where is None:
            return None
        return f"{where} initialises parameters after construction, which reset_parameters() does not replay"
