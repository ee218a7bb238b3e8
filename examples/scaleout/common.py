"""Shared by the scale-out examples: the Arrow input schemas of the generated data sets
(the flat input schemas of ``Engine.decide_arrow``), the example engines, and the Spark
result schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

import backoffice

REPO = Path(__file__).resolve().parents[2]

MONEY = pa.decimal128(12, 2)
TIME = pa.timestamp("us", tz="UTC")

LINE = pa.struct([
    ("line_id", pa.string()),
    ("sku", pa.string()),
    ("product_id", pa.string()),
    ("category", pa.string()),
    ("quantity", pa.int32()),
    ("unit_price", MONEY),
    ("tax", MONEY),
    ("unit_weight_grams", pa.int32()),
    ("attributes", pa.map_(pa.string(), pa.string())),
])
ITEM = pa.struct([
    ("line_id", pa.string()),
    ("quantity", pa.int32()),
    ("reason", pa.string()),
    ("condition", pa.string()),
    ("returned_weight_grams", pa.int32()),
])

#: The returns data set: one return request per row, in the flat input schema.
RETURNS_SCHEMA = pa.schema([
    ("request_id", pa.string()),  # passed through with keep=["request_id", "month"]
    ("order_id", pa.string()),
    ("currency", pa.string()),
    ("customer_id", pa.string()),
    ("payment_method", pa.string()),
    ("placed_at", TIME),
    ("shipped_at", TIME),
    ("delivered_at", TIME),
    ("ship_to_country", pa.string()),
    ("order_discount", MONEY),
    ("lines", pa.list_(LINE)),
    ("items", pa.list_(ITEM)),
    ("ship_from_country", pa.string()),
    ("customer_account_age_days", pa.int32()),  # nullable integers stay integers
    ("customer_orders_365d", pa.int32()),
    ("customer_returns_365d", pa.int32()),
    ("customer_loyalty_tier", pa.string()),
    ("now", TIME),
    ("month", pa.string()),  # the partition column
])

#: The address data set: one address per row.
ADDRESS_SCHEMA = pa.schema([
    ("address_id", pa.string()),
    ("country", pa.string()),
    ("address_line1", pa.string()),
    ("address_line2", pa.string()),
    ("locality", pa.string()),
    ("administrative_area", pa.string()),
    ("postal_code", pa.string()),
    ("recipient", pa.string()),
    ("bucket", pa.string()),  # the partition column
])

RETURNS_KEEP = ["request_id", "month"]
ADDRESS_KEEP = ["address_id", "bucket"]


def returns_engine() -> backoffice.Engine:
    """The returns engine with the example configuration and the example policy."""
    config = (REPO / "examples" / "data" / "returns_config.json").read_text(encoding="utf-8")
    policy = (REPO / "examples" / "policies" / "returns.rhai").read_text(encoding="utf-8")
    return backoffice.Engine("returns", config, policy, policy_name="returns.rhai")


def address_engine() -> backoffice.Engine:
    return backoffice.Engine("address")


def spark_type(arrow_type: pa.DataType) -> str:
    """The Spark SQL type (DDL) of a result column's Arrow type."""
    if pa.types.is_string(arrow_type):
        return "string"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int32(arrow_type):
        return "int"
    if pa.types.is_int64(arrow_type):
        return "bigint"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_list(arrow_type):
        return f"array<{spark_type(arrow_type.value_type)}>"
    raise TypeError(f"no Spark type for {arrow_type}")


def spark_ddl(kind: str, keep_schema: pa.Schema, include_json: bool = False) -> str:
    """The Spark DDL schema of ``decide_arrow``'s output: the kept columns, then
    ``result_schema(kind)``."""
    fields = list(keep_schema) + list(backoffice.result_schema(kind, include_json))
    return ", ".join(f"`{f.name}` {spark_type(f.type)}" for f in fields)


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
