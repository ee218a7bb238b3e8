"""The C ABI's own test client (ctypes, no compiled extension): NOT the Python package.

It is kept to test the C ABI (``include/backoffice.h``) from a second language, run by
``examples/ffi/run.sh``. Python users install the real package instead, from the
repository's ``python/`` directory (``pip install ./python``: PyO3, Arrow batches, the
same classes and errors, nothing to point at a shared library).

    from backoffice import Engine, PolicyError

    with Engine("returns", config={}, policy=open("returns.rhai").read(),
                policy_name="returns.rhai") as engine:
        decision = engine.decide(request_dict)          # a dict
        text = engine.decide_json(request_json_text)    # the exact JSON text

Errors are raised as subclasses of ``BackofficeError`` carrying the library's structured
error object (``code``, ``message``, ``field``, ``diagnostics``): ``InvalidArgument``,
``DecisionError``, ``PolicyError`` and ``InternalError`` (a panic inside the library).

The library is found through the ``BACKOFFICE_LIB`` environment variable, or else in
``target/release`` of the repository this file lives in.

An ``Engine`` may be used from many threads at once; ctypes releases the GIL during each
call, so decisions run in parallel.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, List, Optional, Union

__all__ = [
    "ABI_VERSION",
    "BackofficeError",
    "InvalidArgument",
    "DecisionError",
    "PolicyError",
    "InternalError",
    "Engine",
    "abi_version",
    "version",
    "kinds",
    "load_library",
]

#: The C ABI version these bindings were written for (``BO_ABI_VERSION``).
ABI_VERSION = 1

STATUS_OK = 0
STATUS_INVALID_ARGUMENT = 1
STATUS_DECISION_ERROR = 2
STATUS_POLICY_ERROR = 3
STATUS_PANIC = 4


class BackofficeError(Exception):
    """An error returned by the library, with its structured error object.

    ``error`` is the whole object; ``code``, ``message``, ``field`` (or None) and
    ``diagnostics`` (a list of dicts with ``code``, ``severity``, ``message``, ``line``,
    ``column``, ``snippet``, ...) are its parts; ``status`` is the C status code.
    """

    def __init__(self, status: int, error: dict):
        self.status = status
        self.error = error
        self.code = error.get("code")
        self.message = error.get("message", "")
        self.field = error.get("field")
        self.diagnostics = error.get("diagnostics", [])
        super().__init__(self.message)


class InvalidArgument(BackofficeError):
    """A null pointer, text that is not UTF-8, malformed JSON or an unknown engine kind."""


class DecisionError(BackofficeError):
    """The engine refused the request or could not decide it."""


class PolicyError(BackofficeError):
    """The policy failed to compile, to bind or to run; see ``diagnostics``."""


class InternalError(BackofficeError):
    """The library panicked (a bug in the library)."""


_ERRORS = {
    STATUS_INVALID_ARGUMENT: InvalidArgument,
    STATUS_DECISION_ERROR: DecisionError,
    STATUS_POLICY_ERROR: PolicyError,
    STATUS_PANIC: InternalError,
}


class _Engine(ctypes.Structure):
    """Opaque ``BoEngine``."""


class _Result(ctypes.Structure):
    """Opaque ``BoResult``."""


_lib = None
_lib_lock = threading.Lock()


def _default_library_path() -> Path:
    name = {"darwin": "libbackoffice.dylib", "win32": "backoffice.dll"}.get(sys.platform, "libbackoffice.so")
    return Path(__file__).resolve().parents[3] / "target" / "release" / name


def load_library(path: Optional[Union[str, os.PathLike]] = None) -> ctypes.CDLL:
    """Loads the shared library (once) and declares its functions."""
    global _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        path = path or os.environ.get("BACKOFFICE_LIB") or _default_library_path()
        lib = ctypes.CDLL(str(path))
        engine_p = ctypes.POINTER(_Engine)
        result_p = ctypes.POINTER(_Result)
        c_str = ctypes.c_char_p
        signatures = {
            "bo_abi_version": ([], ctypes.c_uint32),
            "bo_version": ([], c_str),
            "bo_engine_kinds": ([], c_str),
            "bo_status_name": ([ctypes.c_int32], c_str),
            "bo_engine_new_named": ([c_str, c_str, c_str, c_str, ctypes.POINTER(engine_p)], result_p),
            "bo_engine_kind": ([engine_p], c_str),
            "bo_engine_decide_with": ([engine_p, ctypes.c_char_p, ctypes.c_size_t, c_str], result_p),
            "bo_engine_decide_batch_with": ([engine_p, ctypes.c_char_p, ctypes.c_size_t, c_str], result_p),
            "bo_result_status": ([result_p], ctypes.c_int32),
            "bo_result_json": ([result_p, ctypes.POINTER(ctypes.c_size_t)], ctypes.c_void_p),
            "bo_result_free": ([result_p], None),
            "bo_engine_free": ([engine_p], None),
        }
        for name, (args, restype) in signatures.items():
            fn = getattr(lib, name)
            fn.argtypes = args
            fn.restype = restype
        found = lib.bo_abi_version()
        if found != ABI_VERSION:
            raise ImportError(f"{path}: C ABI version {found}, these bindings need {ABI_VERSION}")
        _lib = lib
        return lib


def _take(result) -> tuple:
    """Reads a result's status and JSON bytes, and frees it."""
    lib = load_library()
    try:
        status = lib.bo_result_status(result)
        length = ctypes.c_size_t(0)
        ptr = lib.bo_result_json(result, ctypes.byref(length))
        data = ctypes.string_at(ptr, length.value) if ptr else b""
        return status, data
    finally:
        lib.bo_result_free(result)


def _check(status: int, data: bytes) -> bytes:
    if status == STATUS_OK:
        return data
    try:
        error = json.loads(data)
    except ValueError:
        error = {"code": "unreadable_error", "message": data.decode("utf-8", "replace"), "diagnostics": []}
    raise _ERRORS.get(status, BackofficeError)(status, error)


def _encode(text: Optional[Union[str, bytes]]) -> Optional[bytes]:
    if text is None or isinstance(text, bytes):
        return text
    return text.encode("utf-8")


def _as_json(value: Any) -> Optional[bytes]:
    """A dict or list becomes JSON (Decimal amounts as strings); str/bytes pass through."""
    if value is None or isinstance(value, (str, bytes)):
        return _encode(value)
    return json.dumps(value, default=_json_default, separators=(",", ":")).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _loads(data: bytes) -> Any:
    # Non-integral JSON numbers become Decimal, never float.
    return json.loads(data, parse_float=Decimal)


def abi_version() -> int:
    """The loaded library's C ABI version."""
    return load_library().bo_abi_version()


def version() -> str:
    """The loaded library's version, e.g. ``"0.1.0"``."""
    return load_library().bo_version().decode("utf-8")


def kinds() -> List[str]:
    """The engine kinds the loaded library has."""
    return json.loads(load_library().bo_engine_kinds())


def _options(trace: bool, on_hook_error: Optional[str]) -> Optional[bytes]:
    options = {}
    if trace:
        options["trace"] = True
    if on_hook_error is not None:
        options["on_hook_error"] = on_hook_error
    return json.dumps(options).encode("utf-8") if options else None


class Engine:
    """One decision engine, built once and asked for many decisions.

    ``config`` is a dict or JSON text (None for the defaults); ``policy`` is the source
    text of a Rhai policy (None for none), named ``policy_name`` in diagnostics and
    reasons. Raises ``InvalidArgument`` or ``PolicyError`` (with positioned
    ``diagnostics``) when the engine cannot be built.

    Use it as a context manager, or call ``close()``; it is also freed when collected.
    """

    def __init__(
        self,
        kind: str,
        config: Any = None,
        policy: Optional[str] = None,
        policy_name: Optional[str] = None,
    ):
        self._lib = load_library()
        self._handle = None
        handle = ctypes.POINTER(_Engine)()
        result = self._lib.bo_engine_new_named(
            _encode(kind), _as_json(config), _encode(policy_name), _encode(policy), ctypes.byref(handle)
        )
        info = _loads(_check(*_take(result)))
        self._handle = handle
        self.kind: str = info["kind"]
        #: ``{"name", "digest"}`` of the attached policy, or None.
        self.policy: Optional[dict] = info["policy"]

    def _live(self):
        if not self._handle:
            raise ValueError("this Engine is closed")
        return self._handle

    def decide_json(
        self, request: Union[str, bytes], *, trace: bool = False, on_hook_error: Optional[str] = None
    ) -> str:
        """Decides one request given as JSON text; returns the decision's JSON text exactly
        as the library wrote it."""
        data = _as_json(request)
        result = self._lib.bo_engine_decide_with(self._live(), data, len(data), _options(trace, on_hook_error))
        return _check(*_take(result)).decode("utf-8")

    def decide(self, request: Any, *, trace: bool = False, on_hook_error: Optional[str] = None) -> dict:
        """Decides one request (a dict, or JSON text); returns the decision as a dict, with
        non-integral numbers as ``Decimal`` (amounts are strings)."""
        return _loads(self.decide_json(_as_json(request), trace=trace, on_hook_error=on_hook_error))

    def decide_batch(
        self, requests: Union[Iterable[Any], str, bytes], *, trace: bool = False, on_hook_error: Optional[str] = None
    ) -> list:
        """Decides many requests in one call. Returns a list in input order whose elements
        are the decision dict, or a ``BackofficeError`` for a request that failed."""
        if not isinstance(requests, (str, bytes)):
            requests = list(requests)
        data = _as_json(requests)
        result = self._lib.bo_engine_decide_batch_with(self._live(), data, len(data), _options(trace, on_hook_error))
        items = _loads(_check(*_take(result)))
        out = []
        for item in items:
            if isinstance(item, dict) and set(item) == {"error"}:
                error = item["error"]
                status = STATUS_POLICY_ERROR if error.get("code") == "policy_error" else STATUS_DECISION_ERROR
                if error.get("code") == "invalid_json":
                    status = STATUS_INVALID_ARGUMENT
                out.append(_ERRORS[status](status, error))
            else:
                out.append(item)
        return out

    def close(self) -> None:
        """Frees the engine; further calls raise ValueError. Closing twice is harmless."""
        handle, self._handle = self._handle, None
        if handle:
            self._lib.bo_engine_free(handle)

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if not self._handle else "open"
        policy = f", policy={self.policy['name']!r}" if self.policy else ""
        return f"<backoffice.Engine {self.kind!r}{policy} ({state})>"
