"""What a preset is: the library's documented initialisation as rules, and how to replay it lazily.

A preset answers four questions about a model built by one library:

* :meth:`Preset.expectation` — what one parameter should be (an
  :class:`~verifier.auditing.defaults.Expectation` citing the library file and line it encodes),
  a reason string when the library leaves it to something the preset does not know, or ``None``
  when the preset has no opinion (torch's own defaults then apply);
* :meth:`Preset.names` — numbers a rule's spec may use (``initializer_range``, ``n_layer``);
* :meth:`Preset.replay` — for a lazy audit: re-run the library's post-construction init on the
  modules just materialised (``_init_weights`` for transformers);
* :meth:`Preset.lazy_blocker` — why a module-by-module audit cannot reproduce this model's init,
  or ``None`` when it can.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Preset", "Citation"]


@dataclass(frozen=True)
class Citation:
    """A library source location a rule encodes: ``transformers 5.24.0 modeling_utils.py:2320-2324``."""

    library: str
    version: str
    file: str
    lines: str

    def __str__(self) -> str:
        return f"{self.library} {self.version} {self.file}:{self.lines}"


class Preset:
    """Base preset: no opinion on any tensor, nothing to replay, nothing blocking a lazy audit."""

    name = "none"

    def expectation(self, name: str, shape: tuple[int, ...], module: Any,
                    ancestors: list[tuple[str, Any]]) -> Any:
        return None

    def names(self) -> Mapping[str, float]:
        return {}

    def replay(self, unit: list[tuple[str, Any]], ancestors: list[tuple[str, Any]]) -> None:
        """After the unit's own ``reset_parameters()``: what containers do after construction
        (``nn.Transformer``'s xavier pass, :func:`~verifier.auditing.defaults.post_reset`)."""
        from ..defaults import post_reset

        post_reset(unit[0][1], ancestors + unit[:1])

    def replayed(self, name: str, shape: tuple[int, ...], module: Any, ancestors: list[tuple[str, Any]]) -> bool:
        """Whether :meth:`replay` writes parameter ``name`` even when its module has no
        ``reset_parameters()`` (so a lazily materialised value is not left uninitialised)."""
        return False

    def lazy_blocker(self) -> str | None:
        return None

    def ties(self) -> Mapping[str, str]:
        """Expected ties ``{tied name: source name}`` (the tied tensor must be the source's tensor)."""
        return {}

    def notes(self) -> tuple[str, ...]:
        return ()

    def replays(self) -> str:
        """How a lazy audit re-initialises each module, for the report's notes."""
        return "its own reset_parameters() (seeded)"
