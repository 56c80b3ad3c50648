"""Load an initializer or tensor named by an import string.

Forms
-----
- ``pkg.mod:attr`` and ``pkg.mod:Class.attr``
- ``pkg.mod.attr`` (the longest importable module prefix is used)
- ``path/to/file.py:attr`` (relative to the working directory, or absolute). The file is user
  code and is run on purpose, as a module under a unique name.

Each may be followed by call syntax with keyword arguments,
``torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu')``. The argument list is
parsed with :mod:`ast` and only literals are accepted: numbers, strings, ``True``/``False``/
``None``, unary minus, tuples and lists of these, and ``sqrt(<number>)`` / ``math.sqrt(<number>)``.
Nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import importlib.util
import itertools
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from verifier.errors import SourceError
from verifier.sources.values import _one_line

__all__ = ["Target", "load_target", "parse_kwargs", "relative_to"]

_counter = itertools.count()
_ALLOWED = (
    "only literal values are allowed: numbers, strings, True/False/None, tuples/lists of "
    "these and sqrt(number)"
)


@dataclass(frozen=True)
class Target:
    """What an import string names.

    Attributes
    ----------
    obj : Any
        The imported object (an initializer, a tensor, an array, ...).
    kwargs : dict
        Keyword arguments parsed from the call syntax (empty without one).
    display : str
        The normalised string, e.g. ``"torch.nn.init.kaiming_normal_(mode='fan_out')"``.
    """

    obj: Any
    kwargs: dict[str, Any] = field(default_factory=dict)
    display: str = ""


def _literal(node: ast.AST, text: str) -> Any:
    """Evaluate one literal node (see the module docstring for what is allowed)."""
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, (bool, int, float, str)):
            return node.value
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    elif isinstance(node, (ast.Tuple, ast.List)):
        items = [_literal(item, text) for item in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    elif isinstance(node, ast.Call) and _is_sqrt(node.func):
        if len(node.args) == 1 and not node.keywords:
            value = _literal(node.args[0], text)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if value < 0:
                    raise SourceError(f"sqrt of a negative number in {text!r}; fix the argument")
                return math.sqrt(value)
        raise SourceError(f"sqrt takes one number in {text!r}; write e.g. sqrt(2)")
    segment = ast.unparse(node)
    raise SourceError(f"argument {segment!r} in {text!r} is not allowed; {_ALLOWED}")


def _is_sqrt(func: ast.AST) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "sqrt"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "sqrt"
        and isinstance(func.value, ast.Name)
        and func.value.id in {"math", "np", "numpy"}
    )


def parse_kwargs(call: str, text: str | None = None) -> tuple[dict[str, Any], str]:
    """Parse a keyword-only argument list such as ``"(mode='fan_out', a=sqrt(5))"``.

    Parameters
    ----------
    call : str
        The argument list including its parentheses.
    text : str, optional
        The whole import string, for messages.

    Returns
    -------
    kwargs : dict
        The parsed values.
    rendered : str
        The argument list as written, normalised (``"(mode='fan_out', a=sqrt(5))"``).

    Raises
    ------
    SourceError
        A syntax error, positional arguments, ``**kw``, repeated names or non-literal values.
    """
    text = call if text is None else text
    try:
        return _parse_kwargs(call, text)
    except (RecursionError, MemoryError):
        raise SourceError(
            f"the argument list of {_short(text)!r} is nested too deeply to parse; write plain literals "
            "like (mode='fan_out')"
        ) from None
    except OverflowError:
        raise SourceError(
            f"a number in the argument list of {_short(text)!r} is too large for a float; fix it"
        ) from None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_kwargs(call: str, text: str) -> tuple[dict[str, Any], str]:
    try:
        tree = ast.parse(f"_f{call}", mode="eval")
    except (SyntaxError, ValueError) as exc:  # ValueError: an int literal above Python's digit limit
        raise SourceError(
            f"syntax error in the argument list {_short(call)!r} of {_short(text)!r}: "
            f"{getattr(exc, 'msg', None) or _one_line(exc)}; write keyword arguments like (mode='fan_out')"
        ) from None
    node = tree.body
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_f"):
        raise SourceError(
            f"malformed argument list {call!r} in {text!r}; write one call like (mode='fan_out')"
        )
    if node.args:
        raise SourceError(
            f"{text!r} has positional arguments; keyword arguments only, e.g. (mode='fan_out')"
        )
    kwargs: dict[str, Any] = {}
    parts: list[str] = []
    for keyword in node.keywords:
        if keyword.arg is None:
            raise SourceError(f"**kwargs in {text!r} is not allowed; keyword arguments only")
        if keyword.arg in kwargs:
            raise SourceError(f"argument {keyword.arg!r} is repeated in {text!r}; give it once")
        kwargs[keyword.arg] = _literal(keyword.value, text)
        parts.append(f"{keyword.arg}={ast.unparse(keyword.value)}")
    return kwargs, f"({', '.join(parts)})"


def _split_call(text: str) -> tuple[str, str | None]:
    """Split ``'target(args)'`` into ``('target', '(args)')``.

    The call opens at the first ``(`` whose preceding text ends in a dotted name (after the last
    ``:`` before it), so ``:`` and ``(`` inside the arguments or in a file path do no harm.
    """
    for paren, char in enumerate(text):
        if char != "(":
            continue
        head = text[:paren]
        name = head.rpartition(":")[2].strip()
        if name and all(part.isidentifier() for part in name.split(".")):
            if not text.endswith(")"):
                raise SourceError(
                    f"malformed source {text!r}: the argument list must end the string with ')'"
                )
            return head.strip(), text[paren:]
    if text.endswith(")"):
        raise SourceError(f"malformed source {text!r}: ')' without a call; check the brackets")
    return text, None


def _check_dotted(path: str, text: str, what: str) -> list[str]:
    parts = path.split(".")
    if not path or not all(part.isidentifier() for part in parts):
        raise SourceError(
            f"malformed source {text!r}: {what} {path!r} is not a dotted name; "
            "write pkg.mod:attr, pkg.mod.attr or path/to/file.py:attr"
        )
    return parts


def _exited(exc: SystemExit, what: str) -> SourceError:
    """User code that calls ``sys.exit`` while it is imported: an error, never a silent exit."""
    return SourceError(
        f"{what} called sys.exit({exc.code!r}) while being imported, so nothing was checked; "
        "remove the sys.exit call (guard scripts with if __name__ == '__main__':)"
    )


def _import(module: str, text: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except SystemExit as exc:
        raise _exited(exc, repr(module)) from None
    except ModuleNotFoundError as exc:
        if _is_missing(exc, module):
            raise SourceError(
                f"module {exc.name!r} not found (from {text!r}); check the spelling or install it"
            ) from None
        raise SourceError(
            f"importing {module!r} failed: {type(exc).__name__}: {_one_line(exc)}"
        ) from exc
    except Exception as exc:
        raise SourceError(
            f"importing {module!r} failed: {type(exc).__name__}: {_one_line(exc)}"
        ) from exc


def _is_missing(exc: ModuleNotFoundError, module: str) -> bool:
    name = exc.name
    return bool(name) and (module == name or module.startswith(f"{name}."))


def _longest_module(parts: list[str], text: str) -> tuple[ModuleType, list[str]]:
    """Import the longest prefix of ``parts`` that is a module; return it and the rest."""
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        try:
            return importlib.import_module(module), parts[cut:]
        except SystemExit as exc:
            raise _exited(exc, repr(module)) from None
        except ModuleNotFoundError as exc:
            if _is_missing(exc, module):
                continue
            raise SourceError(
                f"importing {module!r} failed: {type(exc).__name__}: {_one_line(exc)}"
            ) from exc
        except Exception as exc:
            raise SourceError(
                f"importing {module!r} failed: {type(exc).__name__}: {_one_line(exc)}"
            ) from exc
    if len(parts) == 1:
        raise SourceError(
            f"malformed source {text!r}: name the module and the attribute, e.g. pkg.mod:attr"
        )
    raise SourceError(f"module {parts[0]!r} not found (from {text!r}); check the spelling or install it")


def _load_file(path_text: str, text: str) -> ModuleType:
    path = Path(path_text).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    if not path.is_file():
        raise SourceError(f"file not found: {path_text!r} (looked at {str(path)!r}); check the path")
    stem = re.sub(r"\W", "_", path.stem)
    name = f"_verifier_user_{stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SourceError(f"cannot load {path_text!r} as Python; pass a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:
        sys.modules.pop(name, None)
        raise _exited(exc, repr(path_text)) from None
    except Exception as exc:
        sys.modules.pop(name, None)
        raise SourceError(
            f"running {path_text!r} failed: {type(exc).__name__}: {_one_line(exc)}"
        ) from exc
    return module


def _get_attr(obj: Any, names: list[str], owner: str) -> Any:
    for name in names:
        try:
            obj = getattr(obj, name)
        except AttributeError:
            candidates = [n for n in dir(obj) if not n.startswith("__")]
            close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.6)
            hint = (
                f"did you mean {', '.join(close)}?"
                if close
                else "check the name"
            )
            raise SourceError(f"{owner!r} has no attribute {name!r}; {hint}") from None
        except Exception as exc:
            raise SourceError(
                f"reading {owner}.{name} failed: {type(exc).__name__}: {_one_line(exc)}"
            ) from exc
        owner = f"{owner}.{name}"
    return obj


def _is_path(head: str) -> bool:
    return head.endswith(".py") or "/" in head or "\\" in head


def load_target(text: str) -> Target:
    """Import what an import string names.

    Parameters
    ----------
    text : str
        ``pkg.mod:attr``, ``pkg.mod:Class.attr``, ``pkg.mod.attr`` or ``path/to/file.py:attr``,
        optionally followed by keyword arguments in call syntax.

    Returns
    -------
    Target

    Raises
    ------
    SourceError
        A malformed string, a module or file that is not found, a missing attribute, or a bad
        argument list. Each message is one line.

    Examples
    --------
    >>> t = load_target("math:sqrt")
    >>> t.display, t.kwargs
    ('math:sqrt', {})
    """
    if not isinstance(text, str):
        raise SourceError(f"an import string must be a str, not {type(text).__name__}")
    text = text.strip()
    if not text:
        raise SourceError("empty import string; write pkg.mod:attr or path/to/file.py:attr")
    spec, call = _split_call(text)
    kwargs: dict[str, Any] = {}
    rendered = ""
    if call is not None:
        kwargs, rendered = parse_kwargs(call, text)
    if ":" in spec:
        head, _, attr = spec.rpartition(":")
        head, attr = head.strip(), attr.strip()
        if not head:
            raise SourceError(f"malformed source {text!r}: nothing before ':'; write pkg.mod:attr")
        names = _check_dotted(attr, text, "attribute")
        if _is_path(head):
            module = _load_file(head, text)
            owner = head
        else:
            _check_dotted(head, text, "module")
            module = _import(head, text)
            owner = head
        obj = _get_attr(module, names, owner)
    else:
        if spec.endswith(".py") or _is_path(spec):
            raise SourceError(
                f"malformed source {text!r}: a file path needs the attribute, e.g. {spec}:my_init"
            )
        parts = _check_dotted(spec, text, "name")
        module, rest = _longest_module(parts, text)
        obj = _get_attr(module, rest, module.__name__)
    return Target(obj=obj, kwargs=kwargs, display=f"{spec}{rendered}")


def relative_to(text: str, base: Path) -> str:
    """The import string ``text`` with a relative file path made relative to ``base`` instead of the
    working directory (a ``pyproject.toml``'s targets are relative to its folder). Module targets,
    absolute paths, paths that exist from the working directory and malformed strings (reported
    when loaded) are returned unchanged."""
    try:
        spec, call = _split_call(text.strip())
    except SourceError:
        return text
    head, sep, attr = spec.rpartition(":")
    head = head.strip()
    if not sep or not _is_path(head):
        return text
    path = Path(head).expanduser()
    if path.is_absolute() or (Path.cwd() / path).is_file() or not (base / path).is_file():
        return text
    return f"{os.path.relpath(base / path, Path.cwd())}:{attr}{call or ''}"
