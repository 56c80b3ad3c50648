"""Parse spec strings such as ``"kaiming_uniform(a=sqrt(5))"`` into :class:`~verifier.theory.specs.Spec`.

Grammar: ``name`` or ``name(arg, ..., key=arg, ...)`` where each ``arg`` is a literal (string,
``True``/``False``/``None``) or safe arithmetic: numbers, ``+ - * / **``, ``sqrt(...)`` (also
``math.sqrt``) and names given by the caller (a preset's config values such as ``initializer_range``,
``n_layer``): ``"normal(std=0.02/sqrt(2*n_layer))"``. The text is parsed with :func:`ast.parse`
and walked node by node; it is never evaluated, and any other node (attribute, subscript, other
calls, comprehensions...) is refused.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Mapping
from functools import lru_cache

from verifier.errors import SpecError
from verifier.theory.specs import PARAMETER_ALIASES, SPECS, Spec, _factory, canonical_spec_name

__all__ = ["parse_spec", "as_spec", "evaluate_number", "UnknownNameError"]


class UnknownNameError(SpecError):
    """A spec names a value (``n_layer``) that is not known where it is parsed; ``.names`` lists them."""

    def __init__(self, message: str, names: tuple[str, ...]) -> None:
        super().__init__(message)
        self.names = names


#: Largest exponent accepted in ``a ** b`` (keeps ``10 ** 10 ** 10`` from eating memory).
MAX_EXPONENT = 64

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}


def _number(node: ast.expr, text: str, names: Mapping[str, float]) -> float | int:
    """Evaluate safe arithmetic: numbers, ``+ - * / **``, ``sqrt(...)`` and known ``names``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        known = f"; known names: {', '.join(sorted(names))}" if names else ""
        raise UnknownNameError(f"{node.id!r} in spec {text!r} is not a literal or a known name{known} (names "
                               "come from a preset's config, e.g. initializer_range, n_layer)", (node.id,))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.operand, ast.Constant) and not isinstance(node.operand.value, (int, float)):
            raise SpecError(f"unary minus needs a number in spec {text!r}; write e.g. a=-0.5")
        value = _number(node.operand, text, names)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _number(node.left, text, names), _number(node.right, text, names)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise SpecError(f"exponent {right!r} in spec {text!r} is too large (at most {MAX_EXPONENT})")
        try:
            value = _BINOPS[type(node.op)](left, right)
            finite = not isinstance(value, complex) and math.isfinite(value)
        except ZeroDivisionError:
            raise SpecError(f"division by zero in spec {text!r}") from None
        except OverflowError:
            raise SpecError(f"arithmetic overflow in spec {text!r}") from None
        if not finite:
            raise SpecError(f"{ast.unparse(node)!r} in spec {text!r} is not a finite real number")
        return value
    if isinstance(node, ast.Call) and _is_sqrt(node.func):
        if len(node.args) != 1 or node.keywords:
            raise SpecError(f"sqrt takes exactly one number in spec {text!r}; write e.g. sqrt(5)")
        value = _number(node.args[0], text, names)
        if value < 0:
            raise SpecError(f"sqrt needs a non-negative number in spec {text!r}, got {value!r}")
        return math.sqrt(value)
    raise SpecError(
        f"{ast.unparse(node)!r} in spec {text!r} is not a literal or arithmetic; use numbers, + - * / **, sqrt(...) "
        "and a preset's config names"
    )


def _literal(node: ast.expr, text: str, names: Mapping[str, float] | None = None) -> object:
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (bool, str))):
        return node.value
    return _number(node, text, names or {})


def evaluate_number(text: str, names: Mapping[str, float] | None = None) -> float:
    """Evaluate safe arithmetic such as ``"0.02 / sqrt(2 * n_layer)"`` (parsed with :mod:`ast`, never
    ``eval``): numbers, ``+ - * / **``, ``sqrt`` and the given ``names``; anything else is refused."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise SpecError(f"cannot parse number {text!r}; write arithmetic such as 0.02 / sqrt(2 * 12)") from None
    value = _number(tree.body, text, names or {})
    return float(value)


def _is_sqrt(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "sqrt"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "sqrt"
        and isinstance(func.value, ast.Name)
        and func.value.id in ("math", "np", "numpy")
    )


def parse_spec(text: str, names: Mapping[str, float] | None = None) -> Spec:
    """Parse a spec string into a :class:`~verifier.theory.specs.Spec`.

    Parameters
    ----------
    text : str
        ``name`` or ``name(args...)``, e.g. ``"he_normal(mode='fan_out', nonlinearity='relu')"``,
        ``"uniform(-0.05, 0.05)"``, ``"kaiming_uniform_(a=sqrt(5))"``. Aliases (``glorot_*``,
        ``kaiming_*``, torch's trailing-underscore names) map to the canonical spec.

    Raises
    ------
    SpecError
        Syntax error, unknown spec or parameter, too many positional arguments, repeated or
        non-literal arguments, or an invalid parameter value. Arguments may be arithmetic
        (``+ - * / **``, ``sqrt``, numbers and the ``names`` given, e.g. a preset's
        ``initializer_range``), evaluated safely (never ``eval``).
    """
    if not isinstance(text, str):
        raise SpecError(f"a spec must be a string, got {type(text).__name__}; write e.g. 'he_normal'")
    try:
        return _parse_plain(text) if names is None else _parse(text, names)
    except (RecursionError, MemoryError):
        raise SpecError(f"spec {_short(text)!r} is nested too deeply to parse; write plain numbers, e.g. normal(0, 0.02)"
                        ) from None
    except (OverflowError, ZeroDivisionError) as exc:
        raise SpecError(f"a number in spec {_short(text)!r} is out of the float range ({exc}); fix it") from None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@lru_cache(maxsize=1024)
def _parse_plain(text: str) -> Spec:
    """:func:`_parse` without names, cached (specs are frozen; an audit parses the same few strings
    for every tensor). A text that fails raises every time (exceptions are not cached)."""
    return _parse(text)


def _parse(text: str, names: Mapping[str, float] | None = None) -> Spec:
    stripped = text.strip()
    try:
        tree = ast.parse(stripped, mode="eval")
    except (SyntaxError, ValueError):  # ValueError: an int literal above Python's digit limit
        raise SpecError(
            f"cannot parse spec {_short(text)!r}; write name or name(arg=value, ...), e.g. \"he_normal(mode='fan_out')\""
        ) from None
    body = tree.body
    if isinstance(body, ast.Name):
        func, args, keywords = body, [], []
    elif isinstance(body, ast.Call) and isinstance(body.func, ast.Name):
        func, args, keywords = body.func, body.args, body.keywords
    else:
        raise SpecError(
            f"cannot parse spec {text!r}; write name or name(arg=value, ...), e.g. \"he_normal(mode='fan_out')\""
        )
    name = canonical_spec_name(func.id)
    info = SPECS[name]
    params = [p[0] for p in info.parameters]
    aliases = PARAMETER_ALIASES.get(name, {})

    if len(args) > len(params):
        raise SpecError(
            f"too many positional arguments for {name}: takes at most {len(params)} "
            f"({', '.join(params)}), got {len(args)} in {text!r}"
        )
    kwargs: dict[str, object] = {}
    for param, node in zip(params, args):
        if isinstance(node, ast.Starred):
            raise SpecError(f"*args is not allowed in spec {text!r}; pass literal arguments")
        kwargs[param] = _literal(node, text, names)
    for kw in keywords:
        if kw.arg is None:
            raise SpecError(f"**kwargs is not allowed in spec {text!r}; pass literal arguments")
        key = aliases.get(kw.arg, kw.arg)
        if key not in params:
            raise SpecError(f"unknown parameter {kw.arg!r} for {name}; valid parameters: {', '.join(params)}")
        if key in kwargs:
            raise SpecError(f"parameter {key!r} given twice for {name} in {text!r}; pass it once")
        kwargs[key] = _literal(kw.value, text, names)
    return _factory(name)(**kwargs)


def as_spec(spec: Spec | str) -> Spec:
    """Return ``spec`` itself, or parse a spec string with :func:`parse_spec`.

    Raises
    ------
    SpecError
        Anything else, or a string that does not parse.
    """
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, str):
        return parse_spec(spec)
    raise SpecError(
        f"expected a Spec or a spec string such as \"he_normal(mode='fan_out')\", got {type(spec).__name__}"
    )
