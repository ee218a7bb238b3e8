"""One engine shared by threads; the GIL released while Rust decides; ``close()`` under
load never crashes: it waits for the calls in flight, and later calls are refused."""

from __future__ import annotations

import os
import threading

import pytest

import backoffice
from conftest import returns_engine, returns_requests

CLOSE_ROUNDS = int(os.environ.get("BACKOFFICE_CLOSE_ROUNDS", "1000"))


def test_shared_engine_gives_the_same_decisions_in_threads():
    engine = returns_engine()
    requests = returns_requests()
    expected = [engine.decide_json(r) for r in requests]
    failures = []

    def work():
        for i in range(100):
            r = i % len(requests)
            if engine.decide_json(requests[r]) != expected[r]:
                failures.append(r)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_gil_is_released_while_deciding():
    engine = returns_engine()
    batch = returns_requests() * 400
    ticks = [0]
    running = threading.Event()
    done = threading.Event()

    def count():
        running.set()
        while not done.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    running.wait()
    before = ticks[0]
    engine.decide_batch(batch)  # one call, hundreds of decisions without the GIL
    during = ticks[0] - before
    done.set()
    counter.join()
    assert during > 0


def test_close_under_load_many_times():
    """CLOSE_ROUNDS times: four threads decide in a loop while the main thread closes the
    engine. Every call either returns a full decision or raises ``ValueError('this Engine
    is closed')``; once ``close()`` has returned, no call is inside the engine."""
    requests = returns_requests()
    config = backoffice.Engine("returns")  # warm the module's caches once
    config.close()
    errors = []
    for round_ in range(CLOSE_ROUNDS):
        engine = backoffice.Engine("returns", policy=None)
        started = threading.Barrier(5)
        inside = [0]
        lock = threading.Lock()
        closed_returned = threading.Event()

        def work(kind):
            started.wait()
            while True:
                with lock:
                    inside[0] += 1
                try:
                    if kind == 0:
                        out = engine.decide(requests[0])
                        ok = out["outcome"]["status"] is not None
                    elif kind == 1:
                        out = engine.decide_batch(requests * 4)
                        ok = len(out) == len(requests) * 4
                    elif kind == 2:
                        ok = engine.decide_json(requests[1]).startswith("{")
                    else:
                        ok = engine.closed or True
                        engine.close()  # a second closer at the same time
                    if not ok:
                        errors.append((round_, kind, "bad result"))
                except ValueError as exc:
                    if "closed" not in str(exc):
                        errors.append((round_, kind, repr(exc)))
                    return
                finally:
                    with lock:
                        inside[0] -= 1
                if kind == 3:
                    return

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        started.wait()
        engine.close()
        closed_returned.set()
        assert engine.closed
        for t in threads:
            t.join(timeout=30)
            assert not t.is_alive()
        with pytest.raises(ValueError, match="closed"):
            engine.decide(requests[0])
    assert errors == []
