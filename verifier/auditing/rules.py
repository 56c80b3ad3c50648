"""Audit rules: which spec each tensor of a model should follow.

A rule maps a parameter-name glob (``fnmatch``, matched against the full dotted name such as
``encoder.0.weight``) or a module-type pattern (``Linear.weight``, ``Conv2d.*``, ``LayerNorm``)
to a spec. The spec is a spec string or :class:`~verifier.theory.specs.Spec`
(``"normal(std=0.02)"``, ``"he_uniform(a=sqrt(5))"``), an exact constant (``"zeros"``,
``"ones"``, ``"constant(0.25)"``), or ``"skip"`` (the tensor is listed as not checked, with the
rule's reason).

Rules come from a TOML file::

    [rules]                                  # parameter-name globs, first match wins
    "encoder.*.weight" = "normal(std=0.02)"
    "encoder.*.bias" = "zeros"
    "head.weight" = { spec = "xavier_uniform", fan_in = 256, fan_out = 10 }
    "h.*.c_proj.weight" = { spec = "normal(std=initializer_range/sqrt(2*n_layer))", tolerance = 0.01 }
    "pos_embed" = { spec = "skip", reason = "learned position table, trained in" }

    [types]                                  # module type name . parameter name
    "Linear.weight" = "he_uniform(a=sqrt(5))"

    [audit]                                  # optional defaults for the audit itself
    alpha = 1e-4
    correction = "holm"                      # or "bh"
    tolerance = 0.01                         # relative std error accepted when detected
    strict = true                            # unmatched or shadowed rules are an error

or from Python: a dict ``{pattern: spec}`` (name globs; a key ``"type:Linear.weight"`` is a type
rule), a dict shaped like the TOML file, or a list of :class:`Rule`. User rules are tried in
order before the built-in torch defaults; the first that matches wins.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from verifier.errors import SpecError
from verifier.stats.tolerance import Tolerance, as_tolerance
from verifier.theory.fans import canonical_layout
from verifier.theory.parsing import UnknownNameError, parse_spec
from verifier.theory.specs import Spec

from .exact import ExactSpec

__all__ = ["Rule", "Skip", "RuleSet", "load_rules", "as_rules", "resolve_spec"]


@dataclass(frozen=True)
class Skip:
    """Do not check the tensor; report ``reason``."""

    reason: str = ""

    def __str__(self) -> str:
        return "skip"


AnySpec = Union[Spec, ExactSpec, Skip]

_SKIP = re.compile(r"^\s*skip\s*(?:\(\s*(?:reason\s*=\s*)?(['\"])(.*)\1\s*\))?\s*$", re.S)


def resolve_spec(spec: Any, *, reason: str | None = None, names: Mapping[str, float] | None = None) -> AnySpec:
    """A spec string/object as a :class:`Spec` (exact ones included) or :class:`Skip`.

    ``names`` are the numbers a spec's arithmetic may use (a preset's config values, such as
    ``initializer_range`` and ``n_layer``): ``"normal(std=initializer_range/sqrt(2*n_layer))"``.
    """
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, Skip):
        return Skip(reason) if reason else spec
    if isinstance(spec, str):
        m = _SKIP.match(spec)
        if m is not None:
            return Skip(reason or m.group(2) or "")
        return parse_spec(spec, names)
    raise SpecError(
        f"a rule's spec must be a spec string such as \"normal(std=0.02)\", 'zeros', 'skip' or a Spec, "
        f"got {type(spec).__name__}"
    )


@dataclass(frozen=True)
class Rule:
    """One rule: tensors matching ``pattern`` should follow ``spec``.

    Parameters
    ----------
    pattern : str
        ``kind='name'``: an fnmatch glob over the full parameter name (``"encoder.*.weight"``).
        ``kind='type'``: ``"TypeName.param"`` (``"Linear.weight"``, ``"Conv*.bias"``) or just
        ``"TypeName"`` (all its parameters); matched against the class name of the module
        that owns the parameter (and its ``module.qualname``).
    spec : spec string, Spec, ``'zeros'``/``'ones'``/``'constant(c)'`` or ``'skip'``.
    fan_in, fan_out : int, optional
        Override the fans computed from the tensor's shape.
    kind : ``'name'`` (default) or ``'type'``.
    layout : ``'torch'`` (default) or ``'keras'``: how fans are read from the shape.
    reason : why a ``'skip'`` rule skips (shown in the report).
    tolerance : float or Tolerance, optional
        Practical tolerance for the tensors this rule matches (overrides the audit's).

    A spec that uses a preset's config names (``"normal(std=initializer_range/sqrt(2*n_layer))"``)
    is resolved when the audit knows them (:meth:`RuleSet.bind`); ``needs_names`` lists them.
    """

    pattern: str
    spec: Any
    fan_in: int | None = None
    fan_out: int | None = None
    kind: str = "name"
    layout: str = "torch"
    reason: str | None = None
    tolerance: Any = None
    resolved: AnySpec | None = field(init=False, repr=False, compare=False)
    needs_names: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str) or not self.pattern:
            raise SpecError(f"a rule's pattern must be a non-empty string, got {self.pattern!r}")
        if self.kind not in ("name", "type"):
            raise SpecError(f"rule kind must be 'name' or 'type', got {self.kind!r}")
        for fan in ("fan_in", "fan_out"):
            v = getattr(self, fan)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v <= 0):
                raise SpecError(f"rule {self.pattern!r}: {fan} must be a positive integer, got {v!r}")
        object.__setattr__(self, "layout", canonical_layout(self.layout))
        object.__setattr__(self, "tolerance", as_tolerance(self.tolerance))
        try:
            resolved: AnySpec | None = resolve_spec(self.spec, reason=self.reason)
        except UnknownNameError as exc:  # resolved once the audit knows the preset's names
            resolved = None
            object.__setattr__(self, "needs_names", exc.names)
        object.__setattr__(self, "resolved", resolved)

    def bind(self, names: Mapping[str, float]) -> Rule:
        """This rule with its spec resolved against ``names`` (a preset's config values)."""
        if self.resolved is not None:
            return self
        try:
            resolved = resolve_spec(self.spec, reason=self.reason, names=names)
        except UnknownNameError as exc:
            where = "the preset's config" if names else "any preset (this model has no config names)"
            raise SpecError(f"rule {self.label}: name {exc.names[0]!r} is not in {where}"
                            + (f"; known: {', '.join(sorted(names))}" if names else "")) from None
        out = Rule(self.pattern, resolved, fan_in=self.fan_in, fan_out=self.fan_out, kind=self.kind,
                   layout=self.layout, reason=self.reason, tolerance=self.tolerance)
        object.__setattr__(out, "spec", self.spec)
        return out

    @property
    def label(self) -> str:
        """How the report names this rule: ``[rules] "enc.*.weight"`` or ``[types] "Linear.weight"``."""
        table = "rules" if self.kind == "name" else "types"
        return f'[{table}] "{self.pattern}"'

    def matches(self, name: str, module: Any = None) -> bool:
        """Whether the tensor ``name`` (owned by ``module``, or ``None`` in a state dict) matches."""
        if self.kind == "name":
            return fnmatch.fnmatchcase(name, self.pattern)
        if module is None:
            return False
        local = name.rsplit(".", 1)[-1]
        cls = type(module)
        names = (cls.__name__, f"{cls.__module__}.{cls.__qualname__}")
        if "." not in self.pattern:
            return any(fnmatch.fnmatchcase(n, self.pattern) for n in names)
        return any(fnmatch.fnmatchcase(f"{n}.{local}", self.pattern) for n in names)


@dataclass(frozen=True)
class RuleSet:
    """User rules in match order, plus optional audit settings (``alpha``, ``correction``,
    ``tolerance``, ``strict``)."""

    rules: tuple[Rule, ...] = ()
    alpha: float | None = None
    correction: str | None = None
    source: str = "python"
    tolerance: Tolerance | None = None
    strict: bool | None = None

    @property
    def has_name_rules(self) -> bool:
        return any(r.kind == "name" for r in self.rules)

    def match(self, name: str, module: Any = None) -> Rule | None:
        """The first rule that matches, or ``None``."""
        return next((r for r in self.rules if r.matches(name, module)), None)

    def matches(self, name: str, module: Any = None) -> list[Rule]:
        """Every rule that matches, in match order (the first one wins)."""
        return [r for r in self.rules if r.matches(name, module)]

    def bind(self, names: Mapping[str, float]) -> RuleSet:
        """The rules with specs that use config names resolved (see :meth:`Rule.bind`)."""
        if all(r.resolved is not None for r in self.rules):
            return self
        return RuleSet(tuple(r.bind(names) for r in self.rules), self.alpha, self.correction, self.source,
                       self.tolerance, self.strict)

    def __len__(self) -> int:
        return len(self.rules)


_ENTRY_KEYS = {"spec", "fan_in", "fan_out", "reason", "layout", "tolerance"}


def _entry(pattern: str, value: Any, kind: str, where: str) -> Rule:
    if isinstance(value, Rule):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - _ENTRY_KEYS
        if unknown or "spec" not in value:
            raise SpecError(
                f"{where} {pattern!r}: a rule table needs 'spec' and may have {', '.join(sorted(_ENTRY_KEYS - {'spec'}))}"
                + (f"; unknown keys: {', '.join(sorted(unknown))}" if unknown else "")
            )
        return Rule(pattern, value["spec"], fan_in=value.get("fan_in"), fan_out=value.get("fan_out"),
                    kind=kind, layout=value.get("layout", "torch"), reason=value.get("reason"),
                    tolerance=value.get("tolerance"))
    try:
        return Rule(pattern, value, kind=kind)
    except SpecError as exc:
        raise SpecError(f"{where} {pattern!r}: {exc}") from None


def _table(obj: Any, kind: str, where: str) -> list[Rule]:
    if not isinstance(obj, Mapping):
        raise SpecError(f"{where} must be a table of pattern = spec, got {type(obj).__name__}")
    return [_entry(str(k), v, kind, where) for k, v in obj.items()]


_SECTIONS = ("rules", "types", "audit")


def _from_document(doc: Mapping[str, Any], source: str) -> RuleSet:
    unknown = [k for k in doc if k not in _SECTIONS]
    if unknown:
        raise SpecError(
            f"{source}: unknown table(s) {', '.join(map(repr, unknown))}; valid tables: [rules] (name globs), "
            "[types] (module type . parameter), [audit] (alpha, correction)"
        )
    rules: list[Rule] = []
    alpha = correction = tolerance = strict = None
    for key, value in doc.items():  # file order: the first matching rule wins
        if key == "rules":
            rules += _table(value, "name", "[rules]")
        elif key == "types":
            rules += _table(value, "type", "[types]")
        else:
            if not isinstance(value, Mapping):
                raise SpecError(f"{source}: [audit] must be a table")
            bad = set(value) - {"alpha", "correction", "tolerance", "strict"}
            if bad:
                raise SpecError(f"{source}: [audit] takes alpha, correction, tolerance and strict; unknown: "
                                f"{', '.join(sorted(bad))}")
            alpha, correction = value.get("alpha"), value.get("correction")
            tolerance, strict = as_tolerance(value.get("tolerance")), value.get("strict")
            if strict is not None and not isinstance(strict, bool):
                raise SpecError(f"{source}: [audit] strict must be true or false, got {strict!r}")
    return RuleSet(tuple(rules), alpha, correction, source, tolerance, strict)


def load_rules(path: str | Path) -> RuleSet:
    """Read a TOML rules file (see the module docstring)."""
    import tomllib

    p = Path(path)
    if not p.is_file():
        raise SpecError(f"rules file {str(p)!r} not found; pass the path of a TOML file with a [rules] table")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"rules file {str(p)!r} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"rules file {str(p)!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except (RecursionError, MemoryError):
        raise SpecError(f"rules file {str(p)!r} is nested too deeply to parse; write flat [rules] tables") from None
    except OSError as exc:
        raise SpecError(f"cannot read rules file {str(p)!r}: {exc.strerror}; check the path") from None
    if not doc:
        raise SpecError(f"rules file {str(p)!r} is empty; add a [rules] table of name-glob = spec")
    return _from_document(doc, str(p))


def as_rules(rules: Any) -> RuleSet:
    """``None``, a TOML path, a dict or a list of :class:`Rule` as a :class:`RuleSet`."""
    if rules is None:
        return RuleSet()
    if isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, (str, Path)):
        return load_rules(rules)
    if isinstance(rules, Rule):
        return RuleSet((rules,))
    if isinstance(rules, Mapping):
        if rules and all(k in _SECTIONS for k in rules) and all(isinstance(v, Mapping) for v in rules.values()):
            return _from_document(rules, "rules")
        out = []
        for k, v in rules.items():
            key = str(k)
            if key.startswith("type:"):
                out.append(_entry(key[5:], v, "type", "rules"))
            else:
                out.append(_entry(key, v, "name", "rules"))
        return RuleSet(tuple(out))
    if isinstance(rules, Iterable):
        out = []
        for item in rules:
            if isinstance(item, Rule):
                out.append(item)
            elif isinstance(item, tuple) and len(item) == 2:
                out.append(_entry(str(item[0]), item[1], "name", "rules"))
            else:
                raise SpecError(f"rules list items must be Rule(pattern, spec) or (pattern, spec), got {item!r}")
        return RuleSet(tuple(out))
    raise SpecError(
        f"rules must be a TOML file path, a dict of pattern → spec or a list of Rule, got {type(rules).__name__}"
    )
