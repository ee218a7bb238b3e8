"""``Engine.decide_arrow`` over the documented flat input schemas: the golden returns and
address fixtures as flat columns give the same decisions as ``decide``; bad rows carry
their error in their row and never fail the batch; schema problems raise."""

from __future__ import annotations

import json
from decimal import Decimal

import pyarrow as pa
import pytest

import backoffice
from conftest import engine_for, fixtures, returns_engine, returns_requests

ORDER_FIELDS = [
    "order_id", "currency", "customer_id", "placed_at", "shipped_at", "delivered_at",
    "payment_method", "ship_to_country", "lines", "order_discount", "shipping_paid",
]


def flat_returns(request):
    """A returns request as one row of the flat input schema (money as plain decimals in
    the order's currency, the customer as ``customer_<field>``)."""
    order = request["order"]
    row = {}
    for name in ORDER_FIELDS:
        if name in order:
            row[name] = plain_money(order[name])
    for name in ("items", "requested_settlement", "ship_from_country", "previous_returns", "now"):
        if name in request:
            row[name] = plain_money(request[name])
    for name, value in (request.get("customer") or {}).items():
        row[f"customer_{name}"] = plain_money(value)
    return row


def plain_money(value):
    if isinstance(value, dict):
        if set(value) == {"amount", "currency"}:
            return Decimal(value["amount"])
        return {k: plain_money(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_money(v) for v in value]
    return value


def flat_address(request):
    row = dict(request["address"])
    if "tags" in request:
        row["tags"] = request["tags"]
    return row


def batch_of(rows):
    """A batch of dict rows (``from_pylist`` takes its columns from the first row only, so
    every row gets every key first)."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pa.RecordBatch.from_pylist([{n: row.get(n) for n in names} for row in rows])


@pytest.mark.parametrize("kind,flatten", [("returns", flat_returns), ("address", flat_address)])
def test_flat_fixtures_match_decide(kind, flatten):
    checked = 0
    for fixture in fixtures(kind):
        if "error" in fixture["expected"]:
            continue
        engine = engine_for(kind, fixture)
        batch = batch_of([flatten(fixture["request"])])
        out = engine.decide_arrow(batch, include_json=True).to_pylist()[0]
        assert out["error_code"] is None, (fixture["name"], out["error_message"])
        assert json.loads(out["decision_json"]) == fixture["expected"], fixture["name"]
        checked += 1
    assert checked >= 6


def test_returns_flat_columns_exact():
    engine = returns_engine()
    requests = returns_requests()
    out = engine.decide_arrow(batch_of([flat_returns(r) for r in requests]), include_json=True)
    assert out.schema.names == backoffice.result_schema("returns", include_json=True).names
    for request, row in zip(requests, out.to_pylist()):
        decision = engine.decide(request)
        outcome = decision["outcome"]
        assert row["status"] == outcome["status"]
        assert row["refund_total"] == outcome["refund"]["total"]["amount"]
        assert row["item_refund_totals"] == [i["refund"]["total"]["amount"] for i in outcome["items"]]
        assert row["item_dispositions"] == [i.get("disposition") for i in outcome["items"]]
        assert row["settlement_amount"] == (
            outcome["settlement"]["amount"]["amount"] if outcome.get("settlement") else None
        )
        assert json.loads(row["decision_json"]) == engine.decide(request, typed=False)


def test_result_schema_is_stable():
    schema = backoffice.result_schema("returns")
    assert schema.names == [
        "status", "review_queue", "item_line_ids", "item_statuses", "item_dispositions",
        "item_refund_totals", "refund_total", "refund_currency", "settlement_method",
        "settlement_amount", "fraud_score", "fraud_action", "fraud_signals",
        "reason_codes", "error_code", "error_message", "error_field",
    ]
    assert schema.field("refund_total").type == pa.decimal128(38, 4)
    assert schema.field("item_statuses").type == pa.list_(pa.string())
    assert schema.field("fraud_score").type == pa.int32()
    address = backoffice.result_schema("address", include_json=True)
    assert address.names[:3] == ["valid", "country", "problems"]
    assert address.names[-1] == "decision_json"
    for kind in backoffice.KINDS:
        assert "error_code" in backoffice.result_schema(kind).names


def test_bad_rows_get_their_error_in_their_row():
    engine = returns_engine()
    good = flat_returns(returns_requests()[0])
    no_items = dict(good)
    no_items["items"] = None  # null: the field is left out, so it is missing
    bad_quantity = dict(good, items=[dict(good["items"][0], quantity=-3)])
    bad_currency = dict(good, currency="XYZ")
    rows = [good, no_items, good, bad_quantity, bad_currency]
    out = engine.decide_arrow(batch_of(rows), keep=None).to_pylist()
    assert len(out) == 5
    assert out[0]["error_code"] is None and out[0]["status"] is not None
    assert out[2] == out[0]
    assert out[1]["error_code"] == "invalid_json"
    assert "items" in out[1]["error_message"]
    assert out[1]["status"] is None and out[1]["reason_codes"] is None
    assert out[3]["error_code"] is not None
    assert "quantity" in (out[3]["error_field"] or "") + out[3]["error_message"]
    assert out[4]["error_code"] == "invalid_json"
    assert out[4]["error_field"] == "order.currency" and "XYZ" in out[4]["error_message"]


def test_keep_columns_pass_through_and_threads_keep_order():
    engine = returns_engine()
    requests = returns_requests()
    rows = [flat_returns(requests[i % len(requests)]) for i in range(200)]
    batch = batch_of(rows)
    batch = batch.append_column("row_id", pa.array(range(200), pa.int64()))
    one = engine.decide_arrow(batch, keep=["row_id"])
    many = engine.decide_arrow(batch, keep=["row_id"], threads=0)
    two = engine.decide_arrow(batch, keep=["row_id"], threads=2)
    assert one.column(0).to_pylist() == list(range(200))
    assert one.equals(many) and one.equals(two)


def test_request_column_with_null_and_garbage():
    engine = backoffice.Engine("address")
    batch = pa.RecordBatch.from_pydict(
        {"request": [json.dumps({"address": {"country": "US"}}), None, "{not json", "[]"]}
    )
    out = engine.decide_arrow(batch).to_pylist()
    assert out[0]["error_code"] is None and out[0]["valid"] is False
    assert out[1]["error_code"] == "invalid_input" and out[1]["error_field"] == "request"
    assert out[2]["error_code"] == "invalid_json"
    assert out[3]["error_code"] == "invalid_json"


def test_schema_errors_raise_invalid_argument_naming_the_column():
    engine = returns_engine()
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide_arrow(pa.RecordBatch.from_pydict({"order_id": ["a"], "unit_cost": [1.5]}))
    assert caught.value.field == "unit_cost"
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide_arrow(pa.RecordBatch.from_pydict({"shipping_paid": pa.array([1.5])}))
    assert caught.value.field == "shipping_paid"
    assert "float" in caught.value.message
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide_arrow(pa.RecordBatch.from_pydict({"order_id": ["a"]}), keep=["nope"])
    assert caught.value.field == "keep"


def test_nullable_integers_stay_integers():
    """The mapInPandas failure mode: a nullable integer column must not become floats."""
    engine = returns_engine()
    rows = [flat_returns(r) for r in returns_requests()]
    rows[0]["customer_orders_365d"] = None
    rows[1]["customer_orders_365d"] = 4
    out = engine.decide_arrow(batch_of(rows)).to_pylist()
    assert [r["error_code"] for r in out] == [None, None]


def test_empty_batch_and_table_helpers():
    engine = backoffice.Engine("address")
    empty = pa.RecordBatch.from_pydict({"country": pa.array([], pa.string())})
    out = engine.decide_arrow(empty)
    assert out.num_rows == 0
    assert out.schema.names == backoffice.result_schema("address").names
    table = pa.table({"country": ["US", "DE", "FR"], "postal_code": ["94043", "50667", "75001"]})
    result = backoffice.decide_table(engine, table)
    assert result.num_rows == 3
    streamed = list(backoffice.map_batches(engine, table.to_batches()))
    assert sum(b.num_rows for b in streamed) == 3
