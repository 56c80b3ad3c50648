"""The registry of spec names: canonical names, aliases (torch's trailing-underscore names
included), parameters with defaults, the formula in words, and the factory behind each name.
Modules that define specs register them here (:mod:`verifier.theory.specs`,
:mod:`verifier.theory.exact`, :mod:`verifier.theory.structured`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from verifier.errors import SpecError
from verifier.theory.spec_base import Spec

__all__ = ["SpecInfo", "SPECS", "SPEC_ALIASES", "PARAMETER_ALIASES", "spec_names", "available_specs",
           "canonical_spec_name"]


@dataclass(frozen=True)
class SpecInfo:
    """What ``verifier specs`` lists for one spec.

    Attributes
    ----------
    name : str
        Canonical name.
    aliases : tuple of str
        Other accepted names (torch's trailing-underscore names included).
    parameters : tuple of (name, default, description)
        In positional order.
    formula : str
        The distribution in words.
    """

    name: str
    aliases: tuple[str, ...]
    parameters: tuple[tuple[str, object, str], ...]
    formula: str


_REGISTRY: dict[str, tuple[SpecInfo, Callable[..., Spec]]] = {}
_SPECS: dict[str, SpecInfo] = {}
_ALIASES: dict[str, str] = {}


def _register(
    factory: Callable[..., Spec],
    parameters: tuple[tuple[str, object, str], ...],
    formula: str,
    aliases: tuple[str, ...] = (),
) -> None:
    name = factory.__name__
    all_aliases = (*aliases, name + "_", *(a + "_" for a in aliases))
    info = SpecInfo(name, all_aliases, parameters, formula)
    _REGISTRY[name] = (info, factory)
    _SPECS[name] = info
    _ALIASES.update({name: name, **{alias: name for alias in all_aliases}})


#: Canonical spec name → :class:`SpecInfo` (a read-only live view: modules of ``theory`` that define
#: more specs, such as :mod:`verifier.theory.exact`, register into it when ``verifier.theory`` loads).
SPECS: Mapping[str, SpecInfo] = MappingProxyType(_SPECS)

#: Every accepted name (canonical names and aliases) → canonical name.
SPEC_ALIASES: Mapping[str, str] = MappingProxyType(_ALIASES)

#: Keyword aliases accepted by the parser: spec → {alias: parameter} (torch ``uniform_(a, b)``).
PARAMETER_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType({"uniform": {"a": "low", "b": "high"}})


def spec_names() -> list[str]:
    """Canonical spec names, in registry order."""
    return list(SPECS)


def available_specs() -> list[SpecInfo]:
    """One :class:`SpecInfo` per canonical spec, in registry order."""
    return list(SPECS.values())


def canonical_spec_name(name: str) -> str:
    """Map a spec name or alias (case-insensitive, e.g. ``kaiming_normal_``) to its canonical name.

    Raises
    ------
    SpecError
        Unknown name; the message suggests a close match and lists the valid names.
    """
    key = name.strip().lower() if isinstance(name, str) else ""
    if key in SPEC_ALIASES:
        return SPEC_ALIASES[key]
    close = difflib.get_close_matches(key, list(SPEC_ALIASES), n=1)
    hint = f"did you mean {SPEC_ALIASES[close[0]]!r}? " if close else ""
    raise SpecError(f"unknown spec {name!r}; {hint}valid specs: {', '.join(SPECS)}")


def _factory(name: str) -> Callable[..., Spec]:
    return _REGISTRY[canonical_spec_name(name)][1]
