"""The Python bindings against the library: the same bytes as the Rust API on every golden
fixture, structured errors, context managers, threads."""

import json
import threading
from decimal import Decimal

import pytest

import backoffice
from backoffice import DecisionError, Engine, InvalidArgument, PolicyError
from conftest import POLICIES, golden_fixtures

FIXTURES = golden_fixtures()
BROKEN_POLICY = "fn helper() {\n    let x = 1 +;\n}\n"


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def engine_for(kind, fixture):
    name = fixture["policy"]
    source = (POLICIES / name).read_text(encoding="utf-8") if name else None
    return Engine(kind, config=fixture["config"], policy=source, policy_name=name)


def plain_fixture():
    for kind, path in FIXTURES:
        fixture = load(path)
        if fixture["policy"] is None:
            return kind, fixture
    pytest.skip("no engine with golden fixtures in this build yet")


def test_versions():
    assert backoffice.abi_version() == backoffice.ABI_VERSION == 1
    assert backoffice.version().count(".") == 2
    assert isinstance(backoffice.kinds(), list)


@pytest.mark.parametrize("kind,path", FIXTURES, ids=[f"{k}/{p.stem}" for k, p in FIXTURES])
def test_golden_fixture_is_byte_identical_to_the_rust_api(kind, path, rust_reference):
    fixture = load(path)
    reference = rust_reference[str(path)]
    with engine_for(kind, fixture) as engine:
        if "error" in reference:
            # The Rust API refuses this request: Python gets the same error object.
            with pytest.raises(DecisionError) as caught:
                engine.decide(fixture["request"])
            assert caught.value.error == reference["error"] == fixture["expected"]["error"]
            return
        # The request as compact JSON text, as any client would send it.
        text = engine.decide_json(json.dumps(fixture["request"], separators=(",", ":")))
        assert text == reference["json"]
        # And as a dict: the decision equals the fixture's expectation.
        assert json.loads(text) == fixture["expected"]
        assert engine.decide(fixture["request"]) == json.loads(text, parse_float=Decimal)


def test_unknown_kind_raises_invalid_argument_with_the_error_object():
    with pytest.raises(InvalidArgument) as caught:
        Engine("teleport")
    err = caught.value
    assert err.code == "invalid_input"
    assert err.field == "kind"
    assert "teleport" in err.message
    assert err.diagnostics == []
    assert err.status == 1


@pytest.mark.parametrize("kind", backoffice.kinds())
def test_policy_syntax_error_carries_positioned_diagnostics(kind):
    with pytest.raises(PolicyError) as caught:
        Engine(kind, policy=BROKEN_POLICY, policy_name="broken.rhai")
    err = caught.value
    assert err.code == "policy_error"
    [diagnostic] = err.diagnostics
    assert diagnostic["code"] == "policy.syntax"
    assert diagnostic["policy"] == "broken.rhai"
    assert diagnostic["line"] == 2
    assert diagnostic["column"] == 16
    assert diagnostic["snippet"] == "    let x = 1 +;"
    assert "broken.rhai:2:16" in str(err)


def test_context_manager_closes_and_close_is_idempotent():
    kind, fixture = plain_fixture()
    with engine_for(kind, fixture) as engine:
        assert engine.kind == kind
        assert engine.policy is None
        assert "open" in repr(engine)
    assert "closed" in repr(engine)
    with pytest.raises(ValueError):
        engine.decide(fixture["request"])
    engine.close()


def test_bad_requests_raise_structured_errors():
    kind, fixture = plain_fixture()
    with engine_for(kind, fixture) as engine:
        with pytest.raises(InvalidArgument) as caught:
            engine.decide_json(b'{"x": "\xff"}')
        assert caught.value.field == "input"
        assert "not valid UTF-8" in caught.value.message
        with pytest.raises(InvalidArgument) as caught:
            engine.decide_json("{")
        assert caught.value.code == "invalid_json"
        with pytest.raises(InvalidArgument) as caught:
            engine.decide({"no_such_field": 1})
        assert caught.value.code == "invalid_json"
        assert "no_such_field" in caught.value.message or "missing field" in caught.value.message


def test_batch_returns_decisions_and_errors_in_order():
    kind, fixture = plain_fixture()
    with engine_for(kind, fixture) as engine:
        single = engine.decide(fixture["request"])
        results = engine.decide_batch([fixture["request"], {"nope": 1}, fixture["request"]])
        assert len(results) == 3
        assert results[0] == single == results[2]
        assert isinstance(results[1], InvalidArgument)
        assert results[1].code == "invalid_json"


def test_trace_option():
    kind, fixture = plain_fixture()
    with engine_for(kind, fixture) as engine:
        assert "trace" not in engine.decide(fixture["request"])
        assert isinstance(engine.decide(fixture["request"], trace=True)["trace"], dict)


def test_numbers_are_never_floats():
    kind, fixture = plain_fixture()
    with engine_for(kind, fixture) as engine:
        decided = engine.decide(fixture["request"])

    def walk(value):
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(decided)


def test_eight_threads_share_one_engine():
    kind, fixture = plain_fixture()
    request = json.dumps(fixture["request"])
    with engine_for(kind, fixture) as engine:
        expected = engine.decide_json(request)
        seen = []

        def work():
            for _ in range(25):
                seen.append(engine.decide_json(request))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(seen) == 200
    assert set(seen) == {expected}
