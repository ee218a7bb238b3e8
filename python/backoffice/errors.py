"""The exceptions of the ``backoffice`` package.

Every error the library raises is a ``BackofficeError`` built from the library's
structured error object, the same one the C ABI and the CLI print::

    {"code": "policy_error", "message": "...", "field": "items[0].quantity",
     "diagnostics": [{"code": "policy.runtime", "severity": "error", "message": "...",
                      "policy": "returns.rhai", "hook": "eligibility",
                      "line": 3, "column": 9, "snippet": "...", "help": "..."}]}
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

__all__ = ["BackofficeError", "InvalidArgument", "DecisionError", "PolicyError"]


class BackofficeError(Exception):
    """An error from the backoffice library, with its structured error object.

    Attributes:
        error: the whole error object (a dict).
        code: a stable snake_case identifier, e.g. ``"invalid_json"``, ``"policy_error"``.
        message: the human explanation (also ``str(exc)``).
        field: the input field at fault (e.g. ``"items[0].quantity"``), or None.
        diagnostics: positioned policy diagnostics (dicts with ``code``, ``severity``,
            ``message``, ``policy``, ``hook``, ``line``, ``column``, ``snippet``,
            ``help``); empty for errors that are not about a policy.
    """

    error: Dict[str, Any]
    code: str
    message: str
    field: Optional[str]
    diagnostics: List[Dict[str, Any]]

    def __init__(self, error: Dict[str, Any]):
        self.error = error
        self.code = error.get("code", "")
        self.message = error.get("message", "")
        self.field = error.get("field")
        self.diagnostics = list(error.get("diagnostics", []))
        super().__init__(self.message)

    def __reduce__(self):
        return (type(self), (self.error,))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidArgument(BackofficeError, ValueError):
    """The input is malformed: JSON that does not parse or has the wrong shape (the
    message names the field), a Python value with no JSON form, an unknown engine kind,
    options that are not valid, or an Arrow column of an unsupported type."""


class DecisionError(BackofficeError):
    """The input was well formed, but the engine refused the request or could not decide
    it (an invalid value, a business rejection, a missing exchange rate, ...)."""


class PolicyError(BackofficeError):
    """A policy failed to compile, to bind to the engine, or to run; ``diagnostics`` say
    where (line, column, snippet)."""
