"""backoffice: e-commerce back-office decisions from Python.

Routing, returns, FX refunds and address checks, each decided by a compiled Rust engine
that merchants adjust with sandboxed Rhai policies. The same engines, JSON shapes and
errors as the Rust crate, the C ABI and the ``backoffice`` CLI::

    import backoffice

    engine = backoffice.Engine("returns", config={"window": {"default_days": 30}},
                               policy=open("examples/policies/returns.rhai").read(),
                               policy_name="returns.rhai")
    decision = engine.decide(request)            # dict: Decimal amounts, datetime times
    text = engine.decide_json(request)           # the exact JSON text the Rust API writes
    results = engine.decide_arrow(record_batch)  # pyarrow.RecordBatch of flat results

Errors are ``InvalidArgument``, ``DecisionError`` and ``PolicyError`` (all
``BackofficeError``), each with the structured error object and positioned diagnostics.

An ``Engine`` is immutable and may be shared by any number of threads; the GIL is
released while Rust decides. ``close()`` (or ``with Engine(...) as engine``) stops new
calls, waits for the calls in flight to return, and frees the engine.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

from ._backoffice import (
    DEFAULT_POLICY_NAME,
    KINDS,
    Engine,
    __version__,
    check_policy,
    hooks,
    result_schema,
)
from .errors import BackofficeError, DecisionError, InvalidArgument, PolicyError

__all__ = [
    "DEFAULT_POLICY_NAME",
    "INPUT_SCHEMAS",
    "KINDS",
    "BackofficeError",
    "DecisionError",
    "Engine",
    "InvalidArgument",
    "PolicyError",
    "__version__",
    "cached_engine",
    "check_policy",
    "decide_table",
    "hooks",
    "map_batches",
    "result_schema",
]

#: The flat Arrow input columns ``Engine.decide_arrow`` reads, per engine: column name ->
#: where it goes in the request's JSON shape. Every engine also accepts one string column
#: ``request`` holding each row's whole request as JSON text, or columns named after the
#: request's top-level fields (nested as Arrow struct and list columns). Values:
#: strings, booleans and integers as they are; decimal128 as exact decimals; timestamps as
#: UTC instants (a timestamp without a time zone is read as UTC); dates as dates;
#: map<string, string> as an object; a null leaves the field out (its default applies).
#: Float columns are refused: amounts are decimals.
INPUT_SCHEMAS = {
    "returns": {
        "order_id": "order.order_id (string)",
        "currency": "order.currency (string, ISO 4217); also the currency of every plain-decimal amount in the row",
        "customer_id": "order.customer_id (string)",
        "placed_at": "order.placed_at (timestamp)",
        "shipped_at": "order.shipped_at (timestamp)",
        "delivered_at": "order.delivered_at (timestamp)",
        "payment_method": "order.payment_method (string)",
        "ship_to_country": "order.ship_to_country (string)",
        "lines": "order.lines (list<struct<line_id, sku, product_id, category, unit_price: decimal, quantity: int, delivered_quantity, discount: decimal, tax: decimal, final_sale: bool, gift_card: bool, attributes: map<string,string>, unit_weight_grams: int, shipped_at, delivered_at>>)",
        "order_discount": "order.order_discount (decimal, in the row's currency)",
        "shipping_paid": "order.shipping_paid (decimal, in the row's currency)",
        "items": "items (list<struct<line_id, quantity: int, reason, condition, returned_weight_grams: int, exchange_sku>>)",
        "requested_settlement": "requested_settlement (string: original_payment, store_credit, exchange)",
        "ship_from_country": "ship_from_country (string)",
        "previous_returns": "previous_returns (list<struct<line_id, quantity: int, refunded: decimal>>)",
        "customer_<field>": "customer.<field> (e.g. customer_account_age_days: int, customer_orders_365d: int, customer_loyalty_tier: string, customer_return_value_90d: decimal)",
        "now": "now (timestamp)",
    },
    "address": {
        "country": "address.country (string: a name or ISO code as entered)",
        "address_lines": "address.address_lines (list<string>)",
        "address_line1, address_line2, ...": "appended, in column order, to address.address_lines (nulls skipped)",
        "locality": "address.locality (string)",
        "dependent_locality": "address.dependent_locality (string)",
        "administrative_area": "address.administrative_area (string)",
        "postal_code": "address.postal_code (string)",
        "sorting_code": "address.sorting_code (string)",
        "organization": "address.organization (string)",
        "recipient": "address.recipient (string)",
        "tags": "tags (list<string>)",
    },
    "routing": {
        "order_id": "order.id (string)",
        "order_<field>": "order.<field> (e.g. order_tags: list<string>, order_channel: string)",
        "channel": "order.channel (string)",
        "preferred_node": "order.preferred_node (string)",
        "holder": "order.holder (string)",
        "lines": "order.lines (list<struct<line_id, sku, quantity: int, tags: list<string>>>)",
        "kits": "order.kits (list<struct<line_id, sku, quantity: int, components: list<struct<sku, quantity: int>>, tags>>)",
        "ship_to": "order.ship_to (struct<country, market, region, postal_code, latitude: decimal, longitude: decimal>)",
        "ship_to_<field>": "order.ship_to.<field> (ship_to_country, ship_to_market, ship_to_region, ship_to_postal_code: string; ship_to_latitude, ship_to_longitude: decimal)",
        "nodes": "nodes (list<struct<id, kind, country, priority: int, location: struct<latitude: decimal, longitude: decimal>, ...>>, the request's node shape)",
        "stock": "stock (list<struct<node_id, sku, on_hand: int, safety_stock: int, reservations: list<struct>, backorder, backorder_expected_at>>)",
        "order": "order (struct, the request's JSON shape; merges with the columns above)",
        "now": "now (timestamp)",
    },
    "refunds": {
        "order_id": "order.order_id (string)",
        "presentment_currency": "order.presentment_currency (string, ISO 4217)",
        "settlement_currency": "order.settlement_currency (string, ISO 4217)",
        "placed_at": "order.placed_at (timestamp)",
        "customer_country": "order.customer_country (string)",
        "captures": "order.captures (list<struct<amount: struct<amount: decimal, currency>, settled: struct<amount, currency>, rate: decimal, captured_at: timestamp>>)",
        "lines": "order.lines (list<struct<line_id, quantity: int, amount: struct<amount, currency>, tax: struct<amount, currency>>>)",
        "order_<field>": "order.<field> (e.g. order_shipping: struct<amount: decimal, currency>)",
        "refund_<field>": "refund.<field> (refund_idempotency_key, refund_reason, refund_method, refund_currency: string; refund_lines: list<struct<line_id, quantity: int, amount: struct<amount, currency>>>; refund_shipping: struct)",
        "earlier_refunds": "earlier_refunds (list<struct>, the request's shape)",
        "rates": "rates (struct<rates: list<struct<from, to, rate: decimal, as_of: timestamp>>>)",
        "order": "order (struct, the request's JSON shape; merges with the columns above)",
        "refund": "refund (struct; merges with the refund_<field> columns)",
        "now": "now (timestamp)",
    },
}


def decide_table(engine: Engine, table: Any, **kwargs: Any) -> Any:
    """Decides every row of a ``pyarrow.Table`` (batch by batch) and returns a
    ``pyarrow.Table`` of results; keyword arguments go to ``Engine.decide_arrow``."""
    import pyarrow as pa

    batches = [engine.decide_arrow(batch, **kwargs) for batch in table.to_batches()]
    if not batches:
        schema = result_schema(engine.kind, kwargs.get("include_json", False))
        return pa.Table.from_batches([], schema=schema)
    return pa.Table.from_batches(batches)


def map_batches(engine: Engine, batches: Iterable[Any], **kwargs: Any) -> Iterator[Any]:
    """Decides a stream of record batches lazily, one result batch per input batch: the
    shape PySpark's ``mapInArrow`` expects of its function."""
    for batch in batches:
        yield engine.decide_arrow(batch, **kwargs)


_ENGINES: Dict[Tuple[Any, ...], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def cached_engine(
    kind: str,
    config: Any = None,
    policy: Optional[str] = None,
    policy_name: Optional[str] = None,
) -> Engine:
    """The process's one ``Engine`` for these arguments, built on first use and kept.

    For distributed jobs: a PySpark ``mapInArrow`` (or Dask, Ray, multiprocessing)
    function calls it on every batch, and each worker process compiles the policy and
    builds the engine once, not per batch or per task. Safe to call from many threads.
    A cached engine that was closed is built again on the next call.
    """
    if config is None or isinstance(config, (str, bytes)):
        config_key: Any = config
    else:
        config_key = json.dumps(config, sort_keys=True, default=str)
    key = (kind, config_key, policy, policy_name)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None or engine.closed:
            engine = Engine(kind, config, policy, policy_name)
            _ENGINES[key] = engine
        return engine
