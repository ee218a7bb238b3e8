"""Hostile inputs through the Python package, one row each of a table: every one gets a
clear error (``InvalidArgument`` or ``DecisionError``) whose ``field`` names where the
input is wrong, the process survives, and the engine still decides the next request the
same as before (nothing half-applied)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

import backoffice
from conftest import returns_engine, returns_requests

GOOD = returns_requests()[0]


def with_(path, value, base=GOOD):
    """A copy of ``base`` with the value at ``path`` (keys and indices) replaced."""
    request = copy.deepcopy(base)
    target = request
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return request


def text_with(path, raw, base=GOOD):
    """JSON text of ``base`` with the value at ``path`` written as ``raw`` JSON text."""
    marker = "\u0000MARK\u0000"
    return json.dumps(with_(path, marker, base)).replace(json.dumps(marker), raw)


def duplicate_line():
    request = copy.deepcopy(GOOD)
    request["order"]["lines"].append(copy.deepcopy(request["order"]["lines"][0]))
    return request


# id, the request (dict, str or bytes), the exception class, the field (or None when the
# message must name it), words the message must contain.
HOSTILE = [
    ("deep_nesting_text", "[" * 100_000 + "]" * 100_000, backoffice.InvalidArgument, "input",
     ["expected a JSON object, got an array"]),
    ("deep_nesting_text_in_field", text_with(["items"], "[" * 100_000 + "]" * 100_000),
     backoffice.InvalidArgument, "items[0][0]", ["expected a string"]),
    ("deep_nesting_in_unknown_field", text_with(["extra"], "[" * 100_000 + "]" * 100_000),
     backoffice.InvalidArgument, "extra", ["unknown field"]),
    ("invalid_utf8_bytes", json.dumps(GOOD).encode().replace(b"SO-20418", b"SO-\xff\xfe"),
     backoffice.InvalidArgument, "request", ["UTF-8", "byte offset 27"]),
    ("lone_surrogate", with_(["order", "order_id"], "SO-\ud800"), backoffice.InvalidArgument,
     "order.order_id", ["surrogate"]),
    ("1e400_quantity_text", text_with(["items", 0, "quantity"], "1e400"),
     backoffice.InvalidArgument, "items[0].quantity", ["out of range"]),
    ("1e400_float_quantity", with_(["items", 0, "quantity"], float("1e400")),
     backoffice.InvalidArgument, "items[0].quantity", ["finite"]),
    ("huge_int_quantity", with_(["items", 0, "quantity"], 10**400),
     backoffice.InvalidArgument, "items[0].quantity", ["out of range"]),
    ("40_digit_decimal", with_(["order", "lines", 0, "unit_price", "amount"],
                               "1234567890123456789012345678901234567890.5"),
     backoffice.InvalidArgument, "order.lines[0].unit_price.amount", ["too many digits"]),
    ("40_digit_Decimal", with_(["order", "lines", 0, "unit_price", "amount"],
                               Decimal("1234567890123456789012345678901234567890.5")),
     backoffice.InvalidArgument, "order.lines[0].unit_price.amount", ["too many digits"]),
    ("negative_quantity", with_(["items", 0, "quantity"], -2),
     backoffice.InvalidArgument, "items[0].quantity", ["-2"]),
    ("string_quantity", with_(["items", 0, "quantity"], "two"),
     backoffice.InvalidArgument, "items[0].quantity", ["string"]),
    ("mixed_currencies", with_(["order", "lines", 0, "unit_price", "currency"], "USD"),
     backoffice.DecisionError, "order.lines[0].unit_price", ["USD", "EUR"]),
    ("unknown_currency", with_(["order", "currency"], "XYZ"),
     backoffice.InvalidArgument, "order.currency", ["XYZ"]),
    ("garbage_timestamp", with_(["now"], "2025-13-45T99:00:00Z"),
     backoffice.InvalidArgument, "now", ["out of range"]),
    ("garbage_time_zone_offset", with_(["now"], "2025-03-31T08:30:00+99:99"),
     backoffice.InvalidArgument, "now", ["out of range"]),
    ("duplicate_line_ids", duplicate_line(), backoffice.DecisionError, "order.lines[3].line_id",
     ["appears twice"]),
]


def nested_dict(depth):
    value = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.fixture(scope="module")
def engine():
    return returns_engine()


@pytest.mark.parametrize("case,request_,cls,field,words", HOSTILE, ids=[r[0] for r in HOSTILE])
def test_hostile_request(engine, case, request_, cls, field, words):
    before = engine.decide_json(GOOD)
    with pytest.raises(cls) as caught:
        engine.decide(request_)
    err = caught.value
    assert err.code and err.message
    if field is not None:
        assert err.field == field, err.error
        assert field in err.message, err.error
    else:
        assert err.field, err.error
    for word in words:
        assert word.lower() in err.message.lower(), err.error
    # The same error as an element of a batch, between good requests decided as before.
    if not isinstance(request_, bytes):
        batch = engine.decide_batch([GOOD, request_, GOOD])
        assert isinstance(batch[1], cls), batch[1]
        assert batch[1].code == err.code and batch[1].field is not None
        assert batch[0] == batch[2] == engine.decide(GOOD)
    assert engine.decide_json(GOOD) == before


def test_deep_python_nesting_is_refused_without_recursing(engine):
    request = with_(["customer"], nested_dict(100_000))
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide(request)
    assert caught.value.field.startswith("customer.a.a.a")
    assert "128" in caught.value.message
    deep_list = []
    for _ in range(100_000):
        deep_list = [deep_list]
    [element] = engine.decide_batch([deep_list])
    assert isinstance(element, backoffice.InvalidArgument)
    assert "128" in element.message


def test_fifty_megabytes(engine):
    big = with_(["order", "order_id"], "X" * (50 * 1024 * 1024))
    text = json.dumps(big)
    assert len(text) > 50 * 1024 * 1024
    # Decided or refused, but never a crash; the engine goes on as before.
    before = engine.decide_json(GOOD)
    try:
        engine.decide_json(text)
    except backoffice.BackofficeError as err:
        assert err.field, err.error
    padding = json.dumps(GOOD)[:-1] + ', "padding": "' + " " * (50 * 1024 * 1024) + '"}'
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide_json(padding)
    assert caught.value.code == "invalid_json"
    assert engine.decide_json(GOOD) == before


def test_garbage_time_zone_in_config():
    with pytest.raises(backoffice.BackofficeError) as caught:
        backoffice.Engine("returns", {"time_zone": "Mars/Olympus_Mons"})
    assert "time_zone" in (caught.value.field or "") + caught.value.message
    assert "Mars/Olympus_Mons" in caught.value.message


def test_config_shape_errors_name_the_field():
    with pytest.raises(backoffice.InvalidArgument) as caught:
        backoffice.Engine("returns", {"window": {"default_days": -5}})
    assert caught.value.field == "window.default_days"
    assert "window.default_days" in caught.value.message
    with pytest.raises(backoffice.InvalidArgument) as caught:
        backoffice.Engine("returns", '{"window": {"default_days": 1e400}}')
    assert caught.value.field == "window.default_days"
