"""Every golden fixture under tests/fixtures/ through the Python package: the decision
must be field-identical to the ``expected`` JSON the Rust API's own golden test checks
(tests/golden_fixtures.rs), through ``decide``, ``decide_json``, ``decide_batch`` and
``decide_arrow``; a refused request raises the error object ``expected`` holds."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

import backoffice
from conftest import KINDS, all_fixtures, engine_for, fixtures

FIXTURE_PARAMS = all_fixtures()


def test_every_engine_has_fixtures():
    counts = {kind: len(fixtures(kind)) for kind in KINDS}
    assert counts["routing"] >= 6 and counts["returns"] >= 8
    assert counts["refunds"] >= 6 and counts["address"] >= 6


@pytest.mark.parametrize("kind,fixture", FIXTURE_PARAMS)
def test_decide_untyped_matches_expected(kind, fixture):
    engine = engine_for(kind, fixture)
    expected = fixture["expected"]
    if "error" in expected:
        with pytest.raises(backoffice.BackofficeError) as caught:
            engine.decide(fixture["request"], typed=False)
        assert caught.value.error == expected["error"]
        assert caught.value.code == expected["error"]["code"]
        assert isinstance(caught.value, backoffice.DecisionError)
    else:
        assert engine.decide(fixture["request"], typed=False) == expected


@pytest.mark.parametrize("kind,fixture", FIXTURE_PARAMS)
def test_decide_json_text_matches_expected(kind, fixture):
    engine = engine_for(kind, fixture)
    expected = fixture["expected"]
    text = json.dumps(fixture["request"])
    if "error" in expected:
        with pytest.raises(backoffice.BackofficeError) as caught:
            engine.decide_json(text)
        assert caught.value.error == expected["error"]
    else:
        # Parsed with Decimal so that no number goes through a float.
        from decimal import Decimal

        got = json.loads(engine.decide_json(text), parse_float=Decimal)
        assert got == json.loads(json.dumps(expected), parse_float=Decimal)
        # The request as bytes gives the same text.
        assert engine.decide_json(text.encode()) == engine.decide_json(text)


@pytest.mark.parametrize("kind,fixture", FIXTURE_PARAMS)
def test_decide_typed_round_trips_to_expected(kind, fixture):
    """Typed decisions (Decimal, datetime, date) written back as the JSON's strings give
    the expected decision again (timestamps to the microsecond Python keeps)."""
    if "error" in fixture["expected"]:
        pytest.skip("refused request")
    engine = engine_for(kind, fixture)
    typed = engine.decide(fixture["request"])
    untyped = engine.decide(fixture["request"], typed=False)
    assert back_to_json(typed, untyped) == untyped


def back_to_json(typed, untyped):
    """``typed`` with each Decimal/datetime/date replaced by the untyped string after
    checking that they denote the same value."""
    import datetime as dt
    from decimal import Decimal

    if isinstance(typed, dict):
        assert typed.keys() == untyped.keys()
        return {k: back_to_json(typed[k], untyped[k]) for k in typed}
    if isinstance(typed, list):
        assert len(typed) == len(untyped)
        return [back_to_json(a, b) for a, b in zip(typed, untyped)]
    if isinstance(typed, Decimal):
        assert typed == Decimal(untyped) and str(typed) == untyped
        return untyped
    if isinstance(typed, dt.datetime):
        assert typed.tzinfo is not None and typed.utcoffset() == dt.timedelta(0)
        parsed = dt.datetime.fromisoformat(truncate_fraction(untyped).replace("Z", "+00:00"))
        assert typed == parsed
        return untyped
    if isinstance(typed, dt.date):
        assert typed.isoformat() == untyped
        return untyped
    return typed


def truncate_fraction(text: str) -> str:
    """RFC 3339 text with at most six fraction digits (what ``datetime`` keeps)."""
    if "." not in text:
        return text
    head, tail = text.split(".", 1)
    digits = "".join(c for c in tail if c.isdigit())
    zone = tail[len(digits):]
    return f"{head}.{digits[:6].ljust(6, '0')}{zone}"


@pytest.mark.parametrize("kind", KINDS)
def test_decide_batch_matches_expected(kind):
    """One batch per (config, policy) group, in input order, errors as elements."""
    groups = {}
    for fixture in fixtures(kind):
        key = (json.dumps(fixture["config"], sort_keys=True), fixture["policy"])
        groups.setdefault(key, []).append(fixture)
    for members in groups.values():
        engine = engine_for(kind, members[0])
        results = engine.decide_batch([m["request"] for m in members], typed=False)
        as_text = engine.decide_batch(json.dumps([m["request"] for m in members]), typed=False)
        for fixture, result, textual in zip(members, results, as_text):
            expected = fixture["expected"]
            for got in (result, textual):
                if "error" in expected:
                    assert isinstance(got, backoffice.DecisionError), fixture["name"]
                    assert got.error == expected["error"]
                else:
                    assert got == expected, fixture["name"]


@pytest.mark.parametrize("kind,fixture", FIXTURE_PARAMS)
def test_decide_arrow_request_column_matches_expected(kind, fixture):
    engine = engine_for(kind, fixture)
    batch = pa.RecordBatch.from_pydict(
        {"id": [fixture["name"]], "request": [json.dumps(fixture["request"])]}
    )
    out = engine.decide_arrow(batch, keep=["id"], include_json=True)
    assert out.num_rows == 1
    row = out.to_pylist()[0]
    assert row["id"] == fixture["name"]
    expected = fixture["expected"]
    if "error" in expected:
        assert row["error_code"] == expected["error"]["code"]
        assert row["error_message"] == expected["error"]["message"]
        assert row["error_field"] == expected["error"].get("field")
        assert row["decision_json"] is None
    else:
        assert row["error_code"] is None
        assert json.loads(row["decision_json"]) == expected
        assert row["reason_codes"] == [r["code"] for r in expected["reasons"]]
        check_flat_columns(kind, row, expected)


def check_flat_columns(kind, row, expected):
    from decimal import Decimal

    outcome = expected["outcome"]
    if kind == "returns":
        assert row["status"] == outcome["status"]
        assert row["review_queue"] == outcome.get("review_queue")
        assert row["item_line_ids"] == [i["line_id"] for i in outcome["items"]]
        assert row["item_statuses"] == [i["status"] for i in outcome["items"]]
        assert row["refund_total"] == Decimal(outcome["refund"]["total"]["amount"])
        assert row["refund_currency"] == outcome["refund"]["total"]["currency"]
        assert row["settlement_method"] == (outcome.get("settlement") or {}).get("method")
        assert row["fraud_score"] == outcome["fraud"]["score"]
        assert row["fraud_action"] == outcome["fraud"]["action"]
        assert row["fraud_signals"] == [s["code"] for s in outcome["fraud"]["signals"]]
    elif kind == "address":
        assert row["valid"] == outcome["valid"]
        assert row["problems"] == [p["code"] for p in outcome["problems"]]
        canonical = outcome.get("canonical") or {}
        assert row["address_lines"] == canonical.get("address_lines")
        assert row["postal_code"] == canonical.get("postal_code")
        assert row["match_key"] == outcome.get("match_key")
    elif kind == "routing":
        assert row["status"] == outcome["status"]
        shipments = outcome.get("shipments")
        assert row["shipment_nodes"] == (
            None if shipments is None else [s["node_id"] for s in shipments]
        )
    elif kind == "refunds":
        plan = outcome.get("plan") or {}
        assert row["refund_currency"] == (plan.get("amount") or {}).get("currency")
        assert row["method"] == plan.get("method")
        assert row["replay"] == outcome.get("replay")
