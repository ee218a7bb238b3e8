"""Type stubs for the compiled module ``backoffice._backoffice`` (re-exported by
``backoffice``)."""

from typing import Any, Dict, Iterable, List, Literal, Optional, Union

import pyarrow

__version__: str
KINDS: List[str]
DEFAULT_POLICY_NAME: str

Kind = Literal["routing", "returns", "refunds", "address"]
Request = Union[Dict[str, Any], str, bytes]
OnHookError = Literal["fail", "fallback"]

class Engine:
    """One decision engine, built once and asked for many decisions.

    ``kind`` is ``"routing"``, ``"returns"``, ``"refunds"`` or ``"address"``; ``config``
    is the engine configuration as a dict or JSON text (None for the documented
    defaults); ``policy`` is the source text of a Rhai policy (None for none), named
    ``policy_name`` (default ``"policy.rhai"``) in diagnostics and reasons. Raises
    ``InvalidArgument`` (unknown kind, malformed config) or ``PolicyError`` (with
    positioned ``diagnostics``).

    Thread-safe: share one engine between threads; the GIL is released while Rust
    works. ``close()`` stops new calls (they raise ``ValueError``), waits until the calls
    in flight have returned, and frees the engine. Also a context manager.
    """

    def __init__(
        self,
        kind: Kind,
        config: Union[Dict[str, Any], str, bytes, None] = None,
        policy: Optional[str] = None,
        policy_name: Optional[str] = None,
    ) -> None: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def policy(self) -> Optional[Dict[str, str]]:
        """``{"name": ..., "digest": "sha256:..."}`` of the attached policy, or None."""
    @property
    def closed(self) -> bool: ...
    def decide(
        self,
        request: Request,
        *,
        trace: bool = False,
        on_hook_error: Optional[OnHookError] = None,
        typed: bool = True,
    ) -> Dict[str, Any]:
        """Decides one request; returns the decision as a dict (``Decimal`` amounts,
        ``datetime`` timestamps and ``date`` dates with ``typed=True``). A dict is read
        straight into the engine's typed request and the decision written straight to
        Python objects (no JSON in between), with the same result, key order and errors
        as the same request given as JSON text."""
    def decide_json(
        self,
        request: Request,
        *,
        trace: bool = False,
        on_hook_error: Optional[OnHookError] = None,
    ) -> str:
        """Decides one request; returns the decision's exact JSON text."""
    def decide_batch(
        self,
        requests: Union[Iterable[Request], str],
        *,
        trace: bool = False,
        on_hook_error: Optional[OnHookError] = None,
        typed: bool = True,
    ) -> List[Union[Dict[str, Any], "BackofficeError"]]:
        """Decides many requests in one call; a failed request's element is its error."""
    def decide_arrow(
        self,
        batch: pyarrow.RecordBatch,
        *,
        keep: Optional[List[str]] = None,
        include_json: bool = False,
        threads: int = 1,
        trace: bool = False,
        on_hook_error: Optional[OnHookError] = None,
    ) -> pyarrow.RecordBatch:
        """Decides every row of a record batch; returns the flat result batch
        (``result_schema(kind)``, after the ``keep`` columns)."""
    def close(self) -> None:
        """Stops new calls, waits for calls in flight, frees the engine. Idempotent."""
    def __enter__(self) -> "Engine": ...
    def __exit__(self, *args: Any) -> bool: ...

def check_policy(kind: Kind, source: str, name: Optional[str] = None) -> Dict[str, Any]:
    """Compiles a policy and checks that it defines only ``kind``'s hooks with the right
    arity. Returns ``{"kind", "name", "digest", "functions": [{"name", "params", "line",
    "column"}]}``; raises ``PolicyError`` with positioned diagnostics."""

def hooks(kind: Kind) -> List[str]:
    """The hook names a policy for ``kind`` may define."""

def result_schema(kind: Kind, include_json: bool = False) -> pyarrow.Schema:
    """The ``pyarrow.Schema`` of ``Engine.decide_arrow``'s results for ``kind`` (without
    the ``keep`` columns)."""

from .errors import BackofficeError
