"""Parse spec strings such as ``"kaiming_uniform(a=sqrt(5))"`` into :class:`~verifier.theory.specs.Spec`.

Grammar: ``name`` or ``name(arg, ..., key=arg, ...)`` where each ``arg`` is a literal (number, string,
``True``/``False``/``None``, optionally with unary ``-``/``+``) or ``sqrt(<number>)`` /
``math.sqrt(<number>)``. The text is parsed with :func:`ast.parse` and never evaluated.
"""

from __future__ import annotations

import ast
import math
from numbers import Real

from verifier.errors import SpecError
from verifier.theory.specs import PARAMETER_ALIASES, SPECS, Spec, _factory, canonical_spec_name

__all__ = ["parse_spec", "as_spec"]


def _literal(node: ast.expr, text: str) -> object:
    if isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, (bool, int, float, str))
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        if isinstance(value, bool) or not isinstance(value, Real):
            raise SpecError(f"unary minus needs a number in spec {text!r}; write e.g. a=-0.5")
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.Call) and _is_sqrt(node.func):
        if len(node.args) != 1 or node.keywords:
            raise SpecError(f"sqrt takes exactly one number in spec {text!r}; write e.g. sqrt(5)")
        value = _literal(node.args[0], text)
        if isinstance(value, bool) or not isinstance(value, Real) or value < 0:
            raise SpecError(f"sqrt needs a non-negative number in spec {text!r}, got {value!r}")
        return math.sqrt(value)
    raise SpecError(
        f"argument {ast.unparse(node)!r} in spec {text!r} is not a literal; use numbers, quoted strings, "
        "True/False/None or sqrt(<number>)"
    )


def _is_sqrt(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "sqrt"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "sqrt"
        and isinstance(func.value, ast.Name)
        and func.value.id in ("math", "np", "numpy")
    )


def parse_spec(text: str) -> Spec:
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
        non-literal arguments, or an invalid parameter value.
    """
    if not isinstance(text, str):
        raise SpecError(f"a spec must be a string, got {type(text).__name__}; write e.g. 'he_normal'")
    try:
        return _parse(text)
    except (RecursionError, MemoryError):
        raise SpecError(f"spec {_short(text)!r} is nested too deeply to parse; write plain numbers, e.g. normal(0, 0.02)"
                        ) from None
    except (OverflowError, ZeroDivisionError) as exc:
        raise SpecError(f"a number in spec {_short(text)!r} is out of the float range ({exc}); fix it") from None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse(text: str) -> Spec:
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
        kwargs[param] = _literal(node, text)
    for kw in keywords:
        if kw.arg is None:
            raise SpecError(f"**kwargs is not allowed in spec {text!r}; pass literal arguments")
        key = aliases.get(kw.arg, kw.arg)
        if key not in params:
            raise SpecError(f"unknown parameter {kw.arg!r} for {name}; valid parameters: {', '.join(params)}")
        if key in kwargs:
            raise SpecError(f"parameter {key!r} given twice for {name} in {text!r}; pass it once")
        kwargs[key] = _literal(kw.value, text)
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
