"""Shared fixtures: the golden fixtures of every engine the library has, and what the
typed Rust API answers for each (from `cargo run --example ffi_reference`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import backoffice  # noqa: E402

ROOT = HERE.parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
POLICIES = ROOT / "examples" / "policies"


def golden_fixtures():
    """(kind, path) of every fixture of an engine the loaded library has."""
    out = []
    for kind in backoffice.kinds():
        out.extend((kind, path) for path in sorted((FIXTURES / kind).glob("*.json")))
    return out


@pytest.fixture(scope="session")
def rust_reference():
    """Maps each fixture path to the typed Rust API's decision JSON text (or error)."""
    paths = [str(path) for _, path in golden_fixtures()]
    if not paths:
        return {}
    binary = os.environ.get("BACKOFFICE_REFERENCE")
    command = [binary] if binary else ["cargo", "run", "--quiet", "--example", "ffi_reference", "--"]
    lines = subprocess.run(command + paths, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    out = {}
    for line in lines.splitlines():
        entry = json.loads(line)
        out[entry["fixture"]] = entry
    return out
