"""The flat Arrow input and result schemas of the routing and refunds engines: every golden
fixture as flat columns gives the fixture's decision (or its error, in its row), typed
columns (decimal128, timestamps) read as the JSON's strings do, and the flat result
columns hold the decision's values."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pytest

import backoffice
from conftest import engine_for, fixtures
from test_arrow import batch_of

ROUTING_ORDER_OWN_NAMES = ("channel", "preferred_node", "holder", "lines", "kits")
REFUNDS_ORDER_FIELDS = (
    "order_id", "presentment_currency", "settlement_currency", "placed_at",
    "customer_country", "captures", "lines",
)


def flat_routing(request):
    """A routing request as one row of the flat schema: `order_id`, the order's fields by
    their own names or as `order_<field>`, the ship-to address as `ship_to_<field>`."""
    order = request["order"]
    row = {}
    for name, value in order.items():
        if name == "id":
            row["order_id"] = value
        elif name == "ship_to":
            for field, v in value.items():
                row[f"ship_to_{field}"] = v
        elif name in ROUTING_ORDER_OWN_NAMES:
            row[name] = value
        else:
            row[f"order_{name}"] = value
    for name in ("nodes", "stock", "now"):
        if name in request:
            row[name] = request[name]
    return row


def flat_refunds(request):
    """A refunds request as one row of the flat schema: the order's fields as columns
    (`order_<field>` for the others), the refund's as `refund_<field>`."""
    row = {}
    for name, value in request["order"].items():
        row[name if name in REFUNDS_ORDER_FIELDS else f"order_{name}"] = value
    for name, value in request["refund"].items():
        row[f"refund_{name}"] = value
    for name in ("earlier_refunds", "rates", "now"):
        if name in request:
            row[name] = request[name]
    return row


FLATTEN = {"routing": flat_routing, "refunds": flat_refunds}


@pytest.mark.parametrize("kind", ["routing", "refunds"])
def test_flat_fixtures_match_the_golden_decisions(kind):
    decided = failed = 0
    for fixture in fixtures(kind):
        engine = engine_for(kind, fixture)
        out = engine.decide_arrow(batch_of([FLATTEN[kind](fixture["request"])]), include_json=True)
        row = out.to_pylist()[0]
        expected = fixture["expected"]
        if "error" in expected:
            assert row["error_code"] == expected["error"]["code"], fixture["name"]
            assert row["error_message"] == expected["error"]["message"], fixture["name"]
            assert row["error_field"] == expected["error"].get("field"), fixture["name"]
            assert row["decision_json"] is None
            failed += 1
            continue
        assert row["error_code"] is None, (fixture["name"], row["error_message"])
        assert json.loads(row["decision_json"]) == expected, fixture["name"]
        decided += 1
    assert decided >= 6
    if kind == "refunds":
        assert failed == 2


def test_routing_flat_result_columns_hold_the_decision():
    for fixture in fixtures("routing"):
        engine = engine_for("routing", fixture)
        row = engine.decide_arrow(batch_of([flat_routing(fixture["request"])])).to_pylist()[0]
        outcome = fixture["expected"]["outcome"]
        assert row["status"] == outcome["status"]
        assert row["chain"] == outcome.get("chain")

        def column(list_name, field):
            # A list the decision leaves out (it is empty) is a null cell.
            if list_name not in outcome:
                return None
            return [element.get(field) for element in outcome[list_name]]

        assert row["shipment_nodes"] == column("shipments", "node_id")
        assert row["shipment_distances_km"] == column("shipments", "distance_km")
        assert row["reservation_nodes"] == column("reservations", "node_id")
        assert row["reservation_skus"] == column("reservations", "sku")
        assert row["reservation_quantities"] == column("reservations", "quantity")
        assert row["short_line_ids"] == column("short_lines", "line_id")
        assert row["short_skus"] == column("short_lines", "sku")
        assert row["short_requested"] == column("short_lines", "requested")
        assert row["short_available"] == column("short_lines", "available")
        assert row["reason_codes"] == [r["code"] for r in fixture["expected"]["reasons"]]


def test_refunds_flat_result_columns_hold_the_decision():
    checked = 0
    for fixture in fixtures("refunds"):
        if "error" in fixture["expected"]:
            continue
        engine = engine_for("refunds", fixture)
        row = engine.decide_arrow(batch_of([flat_refunds(fixture["request"])])).to_pylist()[0]
        plan = fixture["expected"]["outcome"]["plan"]
        assert row["replay"] == fixture["expected"]["outcome"]["replay"]
        assert row["refund_amount"] == Decimal(plan["amount"]["amount"])
        assert row["refund_currency"] == plan["amount"]["currency"]
        assert row["method"] == plan["method"]
        assert row["order_id"] == plan["order_id"]
        assert row["idempotency_key"] == plan["idempotency_key"]
        assert row["fingerprint"] == plan["fingerprint"]
        assert row["refund_currency_choice"] == plan["refund_currency"]
        assert row["presentment_amount"] == Decimal(plan["presentment_amount"]["amount"])
        assert row["shipping_amount"] == Decimal(plan["shipping"]["amount"])
        cash = plan.get("cash_rounding")
        assert row["cash_rounding_amount"] == (Decimal(cash["amount"]) if cash else None)
        assert row["line_ids"] == [line["line_id"] for line in plan["lines"]]
        assert row["line_quantities"] == [line.get("quantity") for line in plan["lines"]]
        assert row["line_amounts"] == [Decimal(line["amount"]["amount"]) for line in plan["lines"]]
        assert row["line_taxes"] == [Decimal(line["tax"]["amount"]) for line in plan["lines"]]
        fx = plan.get("fx")
        if fx:
            assert row["rate_used"] == fx["rate_used"]
            assert row["fx_rate_source"] == fx["rate_source"]
            assert row["fx_capture_rate"] == fx["capture_rate"]
            assert row["settlement_amount"] == Decimal(fx["settlement_amount"]["amount"])
            assert row["settlement_currency"] == fx["settlement_amount"]["currency"]
            assert row["fx_gain_loss"] == Decimal(fx["gain_loss"]["amount"])
        else:
            assert row["rate_used"] is None and row["settlement_amount"] is None
        checked += 1
    assert checked >= 6


def _utc(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_typed_columns_read_as_the_json_strings():
    """decimal128 amounts and rates, timestamp instants: the same decision as strings."""
    fixture = next(f for f in fixtures("refunds") if f["name"] == "usd_cad_current_customer_absorbs.json")
    engine = engine_for("refunds", fixture)
    row = flat_refunds(fixture["request"])
    money = pa.struct([("amount", pa.decimal128(12, 2)), ("currency", pa.string())])
    capture = pa.struct([
        ("amount", money), ("settled", money), ("rate", pa.decimal128(10, 2)),
        ("captured_at", pa.timestamp("us", tz="UTC")),
    ])
    line = pa.struct([("line_id", pa.string()), ("quantity", pa.int64()), ("amount", money), ("tax", money)])
    typed = dict(row)
    typed["placed_at"] = _utc(row["placed_at"])
    typed["now"] = _utc(row["now"])
    typed["captures"] = [
        {
            "amount": {"amount": Decimal(c["amount"]["amount"]), "currency": c["amount"]["currency"]},
            "settled": {"amount": Decimal(c["settled"]["amount"]), "currency": c["settled"]["currency"]},
            "rate": Decimal(c["rate"]),
            "captured_at": _utc(c["captured_at"]),
        }
        for c in row["captures"]
    ]
    typed["lines"] = [
        {
            "line_id": entry["line_id"],
            "quantity": entry["quantity"],
            "amount": {"amount": Decimal(entry["amount"]["amount"]), "currency": entry["amount"]["currency"]},
            "tax": {"amount": Decimal(entry["tax"]["amount"]), "currency": entry["tax"]["currency"]},
        }
        for entry in row["lines"]
    ]
    names = list(typed)
    types = {
        "placed_at": pa.timestamp("us", tz="UTC"),
        "now": pa.timestamp("us", tz="UTC"),
        "captures": pa.list_(capture),
        "lines": pa.list_(line),
    }
    arrays = [pa.array([typed[n]], type=types.get(n)) for n in names]
    batch = pa.RecordBatch.from_arrays(arrays, names=names)
    out = engine.decide_arrow(batch, include_json=True).to_pylist()[0]
    assert out["error_code"] is None, out["error_message"]
    assert json.loads(out["decision_json"]) == fixture["expected"]


def test_routing_struct_and_flat_columns_merge():
    fixture = fixtures("routing")[0]
    engine = engine_for("routing", fixture)
    row = flat_routing(fixture["request"])
    ship_to = {k[len("ship_to_"):]: row.pop(k) for k in list(row) if k.startswith("ship_to_")}
    country = ship_to.pop("country")
    row["ship_to"] = ship_to or None
    row["ship_to_country"] = country
    out = engine.decide_arrow(batch_of([row]), include_json=True).to_pylist()[0]
    assert out["error_code"] is None, out["error_message"]
    assert json.loads(out["decision_json"]) == fixture["expected"]


def test_unknown_flat_columns_name_the_known_ones():
    engine = backoffice.Engine("refunds")
    with pytest.raises(backoffice.InvalidArgument) as info:
        engine.decide_arrow(pa.RecordBatch.from_pylist([{"shiping": "x"}]))
    assert info.value.field == "shiping"
    assert "refund_<field>" in str(info.value)
    assert backoffice.result_schema("routing").names[:3] == ["status", "chain", "shipment_nodes"]
    assert backoffice.result_schema("refunds").field("line_amounts").type == pa.list_(
        pa.decimal128(38, 4)
    )
    assert backoffice.result_schema("routing").field("reservation_quantities").type == pa.list_(
        pa.int64()
    )
