"""Shared helpers for the Python package's tests: the repository's golden fixtures and
example policies, read from the checkout this directory belongs to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import backoffice

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
POLICIES = REPO / "examples" / "policies"
KINDS = ["routing", "returns", "refunds", "address"]


def policy_source(name: str) -> str:
    return (POLICIES / name).read_text(encoding="utf-8")


def fixtures(kind: str) -> List[Dict[str, Any]]:
    """Every ``tests/fixtures/<kind>/*.json`` (``{config, policy, request, expected}``),
    with its file name under ``name``."""
    out = []
    for path in sorted((FIXTURES / kind).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["name"] = path.name
        out.append(data)
    return out


def all_fixtures() -> List[Any]:
    return [
        pytest.param(kind, fixture, id=f"{kind}/{fixture['name']}")
        for kind in KINDS
        for fixture in fixtures(kind)
    ]


def engine_for(kind: str, fixture: Dict[str, Any]) -> backoffice.Engine:
    policy: Optional[str] = fixture.get("policy")
    return backoffice.Engine(
        kind,
        config=fixture.get("config"),
        policy=policy_source(policy) if policy else None,
        policy_name=policy,
    )


def returns_engine() -> backoffice.Engine:
    """The returns engine with the example configuration and the example policy."""
    config = (REPO / "examples" / "data" / "returns_config.json").read_text(encoding="utf-8")
    return backoffice.Engine(
        "returns", config, policy_source("returns.rhai"), policy_name="returns.rhai"
    )


def returns_requests() -> List[Dict[str, Any]]:
    data = json.loads((REPO / "examples" / "data" / "returns_requests.json").read_text())
    return [entry["request"] for entry in data]
