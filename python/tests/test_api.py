"""The package's surface: constructor, errors with their structured objects and
positioned diagnostics, check_policy, hooks, Decimal/datetime in both directions."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
from decimal import Decimal

import pytest

import backoffice
from conftest import fixtures, policy_source, returns_engine, returns_requests

BROKEN = "fn eligibility(item, request) {\n    let x = ;\n}\n"


def test_kinds_and_hooks():
    assert backoffice.KINDS == ["routing", "returns", "refunds", "address"]
    assert backoffice.hooks("returns") == [
        "eligibility", "window_days", "restocking_fee_percent", "disposition",
        "settlement", "fraud_signals",
    ][: len(backoffice.hooks("returns"))] or "eligibility" in backoffice.hooks("returns")
    assert "eligibility" in backoffice.hooks("returns")
    with pytest.raises(backoffice.InvalidArgument) as caught:
        backoffice.hooks("shipping")
    assert caught.value.field == "kind"


def test_engine_properties_and_repr():
    engine = returns_engine()
    assert engine.kind == "returns"
    assert engine.policy["name"] == "returns.rhai"
    assert engine.policy["digest"].startswith("sha256:")
    assert not engine.closed
    assert repr(engine) == '<backoffice.Engine "returns", policy="returns.rhai" (open)>'
    engine.close()
    assert engine.closed
    engine.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        engine.decide(returns_requests()[0])
    plain = backoffice.Engine("address")
    assert plain.policy is None
    with backoffice.Engine("address") as scoped:
        assert scoped.decide({"address": {"country": "US"}})["outcome"]["valid"] is False
    assert scoped.closed


def test_config_forms_are_equivalent():
    fixture = fixtures("returns")[0]
    request = fixture["request"]
    by_dict = backoffice.Engine("returns", fixture["config"]).decide(request)
    by_text = backoffice.Engine("returns", json.dumps(fixture["config"])).decide(request)
    by_bytes = backoffice.Engine("returns", json.dumps(fixture["config"]).encode()).decide(request)
    assert by_dict == by_text == by_bytes


def test_unknown_kind_and_bad_config():
    with pytest.raises(backoffice.InvalidArgument) as caught:
        backoffice.Engine("shipping")
    assert caught.value.code == "invalid_input"
    assert caught.value.field == "kind"
    assert "routing, returns, refunds, address" in caught.value.message
    with pytest.raises(backoffice.InvalidArgument) as caught:
        backoffice.Engine("returns", {"window": {"default_days": "thirty"}})
    assert caught.value.code == "invalid_json"
    assert "default_days" in (caught.value.field or "") + caught.value.message
    with pytest.raises(backoffice.InvalidArgument):
        backoffice.Engine("returns", "{not json")


def test_policy_error_has_positioned_diagnostics():
    with pytest.raises(backoffice.PolicyError) as caught:
        backoffice.Engine("returns", policy=BROKEN, policy_name="broken.rhai")
    err = caught.value
    assert err.code == "policy_error"
    assert err.diagnostics, err.error
    first = err.diagnostics[0]
    assert first["policy"] == "broken.rhai"
    assert first["line"] == 2
    assert first["severity"] == "error"
    assert str(err) == err.message
    assert err.error["diagnostics"] == err.diagnostics
    # Exceptions pickle (multiprocessing, Spark) with their error object.
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is backoffice.PolicyError and again.error == err.error


def test_unknown_hook_is_a_policy_error_at_attach():
    source = "fn eligibilty(item, request) { () }\n"
    with pytest.raises(backoffice.PolicyError) as caught:
        backoffice.Engine("returns", policy=source)
    assert caught.value.diagnostics[0]["policy"] == backoffice.DEFAULT_POLICY_NAME
    assert "eligibilty" in caught.value.message


def test_check_policy():
    info = backoffice.check_policy("returns", policy_source("returns.rhai"), "returns.rhai")
    assert info["kind"] == "returns" and info["name"] == "returns.rhai"
    assert info["digest"] == returns_engine().policy["digest"]
    names = [f["name"] for f in info["functions"]]
    assert "window_days" in names and "eligibility" in names
    first = info["functions"][0]
    assert first["line"] >= 1 and first["params"] == ["item", "request"]
    with pytest.raises(backoffice.PolicyError) as caught:
        backoffice.check_policy("returns", BROKEN)
    assert caught.value.diagnostics[0]["line"] == 2
    with pytest.raises(backoffice.InvalidArgument):
        backoffice.check_policy("nope", "")


def test_error_hierarchy():
    assert issubclass(backoffice.InvalidArgument, backoffice.BackofficeError)
    assert issubclass(backoffice.InvalidArgument, ValueError)
    assert issubclass(backoffice.DecisionError, backoffice.BackofficeError)
    assert issubclass(backoffice.PolicyError, backoffice.BackofficeError)


def test_decision_error_is_structured():
    fixture = next(f for f in fixtures("refunds") if f["name"] == "over_refund.json")
    engine = backoffice.Engine("refunds", fixture["config"])
    with pytest.raises(backoffice.DecisionError) as caught:
        engine.decide(fixture["request"])
    assert caught.value.error == fixture["expected"]["error"]
    assert caught.value.field == fixture["expected"]["error"].get("field")


def test_typed_values_in_both_directions():
    engine = returns_engine()
    request = returns_requests()[0]
    typed = copy.deepcopy(request)
    order = typed["order"]
    order["placed_at"] = dt.datetime.fromisoformat(order["placed_at"].replace("Z", "+00:00"))
    # Any offset: the engines convert to UTC.
    berlin = dt.timezone(dt.timedelta(hours=1))
    order["delivered_at"] = dt.datetime.fromisoformat(
        order["delivered_at"].replace("Z", "+00:00")
    ).astimezone(berlin)
    for line in order["lines"]:
        line["unit_price"]["amount"] = Decimal(line["unit_price"]["amount"])
    typed["now"] = dt.datetime.fromisoformat(typed["now"].replace("Z", "+00:00"))
    assert engine.decide(typed, typed=False) == engine.decide(request, typed=False)

    decision = engine.decide(request)
    total = decision["outcome"]["refund"]["total"]
    assert isinstance(total["amount"], Decimal) and isinstance(total["currency"], str)
    window = decision["outcome"]["items"][0]["window"]
    assert isinstance(window["deadline"], dt.datetime)
    assert window["deadline"].tzinfo is not None
    assert isinstance(window["last_day"], dt.date) and not isinstance(window["last_day"], dt.datetime)
    assert isinstance(window["basis_date"], dt.date)
    assert isinstance(decision["outcome"]["items"][0]["refund"]["restocking_fee_percent"], Decimal)
    # Codes and ids stay strings; counts stay ints.
    assert isinstance(decision["outcome"]["items"][0]["line_id"], str)
    assert isinstance(decision["outcome"]["items"][0]["quantity"], int)


def test_naive_datetime_and_non_finite_decimal_are_refused():
    engine = returns_engine()
    request = copy.deepcopy(returns_requests()[0])
    request["now"] = dt.datetime(2025, 3, 1, 12, 0)
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide(request)
    assert caught.value.field == "now"
    assert "naive" in caught.value.message
    request = copy.deepcopy(returns_requests()[0])
    request["order"]["lines"][0]["unit_price"]["amount"] = Decimal("NaN")
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide(request)
    assert caught.value.field == "order.lines[0].unit_price.amount"


def test_unconvertible_python_values_name_their_path():
    engine = backoffice.Engine("address")
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide({"address": {"country": "US", "address_lines": [object()]}})
    assert caught.value.field == "address.address_lines[0]"
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide({"address": {1: "x"}})
    assert caught.value.field == "address"


def test_options():
    engine = returns_engine()
    request = returns_requests()[0]
    traced = engine.decide(request, trace=True)
    assert traced["trace"]
    assert "trace" not in engine.decide(request) or not engine.decide(request)["trace"]
    with pytest.raises(backoffice.InvalidArgument):
        engine.decide(request, on_hook_error="explode")
    assert engine.decide(request, on_hook_error="fallback") == engine.decide(request)
