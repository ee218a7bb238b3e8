"""No memory grows with the number of decisions: 100k decisions through ``decide`` (and
errors, batches and Arrow) leave the process's resident set within a fixed bound."""

from __future__ import annotations

import gc
import os

import pyarrow as pa

import backoffice
from conftest import returns_engine, returns_requests

DECISIONS = int(os.environ.get("BACKOFFICE_LEAK_DECISIONS", "100000"))


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def test_rss_does_not_grow_over_100k_decisions():
    engine = backoffice.Engine("address")
    requests = [
        {"address": {"country": "US", "address_lines": ["1600 Amphitheatre Pkwy"],
                     "locality": "Mountain View", "administrative_area": "CA",
                     "postal_code": "94043"}},
        {"address": {"country": "DE", "address_lines": ["Hauptstr. 5"], "locality": "Köln",
                     "postal_code": "5066"}},
        {"address": {"country": 7}},  # an error every third call
    ]
    returns = returns_engine()
    flat = pa.RecordBatch.from_pydict({"request": [__import__("json").dumps(r) for r in returns_requests()] * 50})

    def run(n):
        for i in range(n):
            try:
                engine.decide(requests[i % 3])
            except backoffice.InvalidArgument:
                pass
            if i % 1000 == 0:
                returns.decide_arrow(flat)
                returns.decide_batch(returns_requests())
        gc.collect()

    run(DECISIONS // 10)  # warm up: allocator pools, caches, first-use imports
    before = rss_kib()
    run(DECISIONS)
    after = rss_kib()
    growth = after - before
    # A leak of even 100 bytes per decision would be ~10 MiB over 100k decisions.
    assert growth < 8 * 1024, f"RSS grew by {growth} KiB over {DECISIONS} decisions"
