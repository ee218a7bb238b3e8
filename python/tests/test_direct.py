"""``decide(dict)`` reads the request straight from the Python objects and writes the
decision straight to Python objects (no JSON in between). It must give exactly what the
JSON path gives: the same decision with the same key order and the same leaf types
(compared by ``repr``, which shows both), and the same errors."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

import pytest

import backoffice
from conftest import all_fixtures, engine_for, returns_engine, returns_requests

FIXTURE_PARAMS = all_fixtures()


@pytest.mark.parametrize("typed", [True, False])
@pytest.mark.parametrize("kind,fixture", FIXTURE_PARAMS)
def test_dict_gives_what_json_text_gives(kind, fixture, typed):
    if "error" in fixture["expected"]:
        pytest.skip("refused request (test_golden checks its error through a dict)")
    engine = engine_for(kind, fixture)
    by_dict = engine.decide(fixture["request"], typed=typed)
    # JSON text is read by the engine as it is: the reference path.
    by_text = engine.decide(json.dumps(fixture["request"]), typed=typed)
    assert repr(by_dict) == repr(by_text)
    with_trace = engine.decide(fixture["request"], typed=typed, trace=True)
    assert repr(with_trace) == repr(engine.decide(json.dumps(fixture["request"]), typed=typed, trace=True))


def test_batch_of_dicts_gives_what_json_gives():
    engine = returns_engine()
    requests = returns_requests()
    bad = copy.deepcopy(requests[0])
    bad["order"]["lines"][0]["quantity"] = "two"
    mixed = [requests[0], bad, json.dumps(requests[1]), requests[1], 7]
    got = engine.decide_batch(mixed)
    assert repr(got[0]) == repr(engine.decide(json.dumps(requests[0])))
    assert isinstance(got[1], backoffice.InvalidArgument)
    assert got[1].field == "order.lines[0].quantity"
    assert repr(got[2]) == repr(engine.decide(json.dumps(requests[1])))
    assert repr(got[3]) == repr(engine.decide(json.dumps(requests[1])))
    assert isinstance(got[4], backoffice.InvalidArgument)


def test_typed_inputs_match_their_text():
    """Decimal, aware datetime (any offset) and tuples read as their JSON text does."""
    engine = returns_engine()
    request = returns_requests()[0]
    typed = copy.deepcopy(request)
    order = typed["order"]
    berlin = dt.timezone(dt.timedelta(hours=1))
    order["placed_at"] = dt.datetime.fromisoformat(
        order["placed_at"].replace("Z", "+00:00")
    ).astimezone(berlin)
    order["lines"] = tuple(order["lines"])
    for line in order["lines"]:
        line["unit_price"]["amount"] = Decimal(line["unit_price"]["amount"])
    text = copy.deepcopy(typed)
    text["order"]["placed_at"] = order["placed_at"].isoformat()
    text["order"]["lines"] = [
        {**line, "unit_price": {**line["unit_price"], "amount": str(line["unit_price"]["amount"])}}
        for line in order["lines"]
    ]
    assert repr(engine.decide(typed)) == repr(engine.decide(json.dumps(text)))


def test_errors_are_the_json_paths():
    """A request the direct reader refuses is read again on the JSON path, so the error
    names the field as before, also for a value in a field no request type reads."""
    engine = returns_engine()
    request = copy.deepcopy(returns_requests()[0])
    request["order"]["lines"][1]["quantity"] = -1
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide(request)
    with pytest.raises(backoffice.InvalidArgument) as by_text:
        engine.decide(json.dumps(request))
    assert caught.value.error == by_text.value.error
    assert caught.value.field == "order.lines[1].quantity"

    unread = copy.deepcopy(returns_requests()[0])
    unread["order"]["note_for_nobody"] = {1, 2}
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide(unread)
    assert caught.value.field == "order.note_for_nobody"

    nan = copy.deepcopy(returns_requests()[0])
    nan["order"]["note_for_nobody"] = Decimal("sNaN")
    with pytest.raises(backoffice.InvalidArgument) as caught:
        engine.decide(nan)
    assert caught.value.field == "order.note_for_nobody"
    assert "finite" in caught.value.message


def test_closed_engine_and_bad_request_order_of_errors():
    """A request that cannot be converted is refused before the closed engine is."""
    engine = returns_engine()
    engine.close()
    with pytest.raises(backoffice.InvalidArgument):
        engine.decide({"order": object()})
    with pytest.raises(ValueError, match="closed"):
        engine.decide(returns_requests()[0])


def test_datetimes_and_dates_read_as_their_isoformat():
    """A request's datetime and date become exactly their ``isoformat()`` text (the
    engines' error messages quote it), written by the package from the fields."""
    from zoneinfo import ZoneInfo

    from backoffice._backoffice import _request_json

    class Local(dt.datetime):
        def isoformat(self, sep="T", timespec="auto"):
            return "2025-01-02T03:04:05+00:00"

    tz = dt.timezone
    values = [
        dt.datetime(2025, 3, 1, 12, 0, tzinfo=tz.utc),
        dt.datetime(2025, 3, 1, 12, 0, 0, 7, tzinfo=tz.utc),
        dt.datetime(1, 1, 1, 0, 0, tzinfo=tz(dt.timedelta(hours=5, minutes=30))),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=tz(-dt.timedelta(hours=3))),
        dt.datetime(2025, 6, 1, 8, 0, tzinfo=tz(dt.timedelta(seconds=30))),
        dt.datetime(2025, 6, 1, 8, 0, tzinfo=tz(-dt.timedelta(microseconds=500_000))),
        dt.datetime(2025, 6, 1, 8, 0, tzinfo=tz(dt.timedelta(hours=-23, minutes=-59))),
        dt.datetime(2025, 6, 1, 8, 0, tzinfo=ZoneInfo("UTC")),
        dt.datetime(2025, 7, 1, 8, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        Local(2025, 1, 2, 3, 4, 5, tzinfo=tz.utc),
        dt.date(2025, 2, 28),
        dt.date(7, 1, 1),
    ]
    for value in values:
        assert json.loads(_request_json({"at": value})) == {"at": value.isoformat()}, value
