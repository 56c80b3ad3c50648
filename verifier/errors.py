"""Exceptions raised for bad input.

Every error the user can cause is one of these. Each subclasses :class:`VerifierError`
(so the command line can turn it into one line on stderr and exit code 2) and also
``ValueError`` or ``TypeError`` (so plain Python code can catch it the usual way).
Messages are one line that names the problem and the fix.
"""

from __future__ import annotations

__all__ = [
    "VerifierError",
    "SpecError",
    "FanError",
    "SourceError",
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


class InputTypeError(VerifierError, TypeError):
    """Values of a type that cannot be weights: integer, bool, complex, non-numeric."""


class ResourceError(VerifierError, ValueError):
    """An input that would need more memory than the budget allows (a huge shape, a file that
    declares more bytes than it holds or than the cap); raised before anything is allocated."""


class ReportWriteError(VerifierError, OSError):
    """Reports could not be written (the path, the reason and the fix are in the message)."""
