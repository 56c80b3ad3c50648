"""Exceptions raised for bad input.

Every error the user can cause is one of these. Each subclasses :class:`VerifierError`
(so the command line can turn it into one line on stderr and exit code 2) and also
``ValueError`` or ``TypeError`` (so plain Python code can catch it the usual way).
Messages are one line that names the problem and the fix.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "VerifierError",
    "SpecError",
    "FanError",
    "SourceError",
    "ContractError",
    "InputTypeError",
    "ResourceError",
    "ReportWriteError",
]


class VerifierError(Exception):
    """Base class of every error caused by the user's input."""


class SpecError(VerifierError, ValueError):
    """An unknown spec, an unknown parameter, or a parameter value out of range."""


class FanError(VerifierError, ValueError):
    """Fans cannot be computed for this shape and layout (pass them explicitly)."""


class SourceError(VerifierError, ValueError):
    """A source that cannot be loaded, called, or that gives unusable values."""


class ContractError(SourceError):
    """An initializer returned another dtype or shape than it was asked for.

    Without contracts this refuses the source (a cast or reshape would hide the bug). With
    contracts checked (``check(contracts=True)``, the pytest plugin's default, ``verifier check
    --contracts``) it is not an error but a failed verdict (:func:`verifier.contracts.contract_failure`):
    the initializer was run, and it does not conform. ``contract`` is ``'dtype'`` or ``'shape'``;
    ``expected``/``got`` what was asked and returned; ``result`` the returned object.
    """

    def __init__(self, message: str, *, contract: str, expected: Any, got: Any, name: str,
                 result: Any = None) -> None:
        super().__init__(message)
        self.contract = contract
        self.expected = expected
        self.got = got
        self.name = name
        self.result = result


class InputTypeError(VerifierError, TypeError):
    """Values of a type that cannot be weights: integer, bool, complex, non-numeric."""


class ResourceError(VerifierError, ValueError):
    """An input that would need more memory than the budget allows (a huge shape, a file that
    declares more bytes than it holds or than the cap); raised before anything is allocated."""


class ReportWriteError(VerifierError, OSError):
    """Reports could not be written (the path, the reason and the fix are in the message)."""
