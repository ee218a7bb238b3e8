"""Rows per second of the returns engine with the example policy, through each path,
measured in one run so that the boundary's cost reads as a ratio to the Rust API:

    python examples/scaleout/bench.py --data /tmp/backoffice-scaleout [--spark]

- ``rust_api``: the typed Rust API (requests parsed once, ``decide_with`` in a loop), run
  inside this process by ``backoffice._backoffice._rust_api_rate``;
- ``decide_dict``: ``Engine.decide(dict)`` one request at a time (typed result);
- ``decide_json``: ``Engine.decide_json(str)`` one at a time;
- ``decide_arrow_1``: ``Engine.decide_arrow`` on one thread (per core);
- ``decide_arrow_all``: ``decide_arrow(threads=0)``, every core;
- ``spark_local2``: the PySpark ``mapInArrow`` job on ``local[2]`` (with ``--spark``),
  reading Parquet and writing Parquet (JVM start not counted).

All on the rows of ``generate.py``'s returns data set (the same rows for every path, less
the deliberately malformed ones for ``rust_api``). Rows/s are wall-clock on an otherwise
idle machine only if nothing else runs; ``cpu_*`` figures divide by process CPU time.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow.dataset as ds  # noqa: E402

import backoffice  # noqa: E402
from backoffice._backoffice import _rust_api_rate  # noqa: E402
from check import nested_returns  # noqa: E402
from common import REPO, RETURNS_KEEP, returns_engine  # noqa: E402


CPU = {}


def rate(fn, rows: int, seconds: float, name: str = "") -> float:
    """Rows per second of ``fn()`` (which decides ``rows`` rows), repeated for ~seconds;
    also records rows per CPU-second under ``name``."""
    fn()  # warm-up
    count = 0
    started = time.perf_counter()
    cpu = time.process_time()
    while True:
        fn()
        count += rows
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            CPU[name] = count / max(time.process_time() - cpu, 1e-9)
            return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/backoffice-scaleout"))
    parser.add_argument("--rows", type=int, default=5000, help="rows for the in-process paths")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--spark", action="store_true")
    args = parser.parse_args()

    table = ds.dataset(args.data / "returns", format="parquet", partitioning="hive").to_table()
    table = table.slice(0, args.rows)
    rows = table.num_rows
    nested = [nested_returns(row) for row in table.to_pylist()]
    texts = [json.dumps(r, default=str) for r in nested]
    batches = table.to_batches(max_chunksize=5000)
    engine = returns_engine()
    config = (REPO / "examples/data/returns_config.json").read_text()
    policy = (REPO / "examples/policies/returns.rhai").read_text()

    # The typed API starts from parsed requests: the rows whose JSON has the request's
    # shape (all but the generator's deliberately bad ~0.5 %).
    parsed = []
    for text in texts:
        try:
            engine.decide_json(text)
            parsed.append(text)
        except backoffice.InvalidArgument:
            pass
        except backoffice.BackofficeError:
            parsed.append(text)
    cpu = time.process_time()
    count, seconds = _rust_api_rate(
        "returns", "[" + ",".join(parsed) + "]", config, policy, "returns.rhai", args.seconds
    )
    CPU["rust_api"] = count / max(time.process_time() - cpu, 1e-9)
    results = {"rows": rows, "cores": os.cpu_count(), "rust_api": count / seconds}

    def one_by_one(decide, items):
        def run():
            for item in items:
                try:
                    decide(item)
                except backoffice.BackofficeError:
                    pass
        return run

    results["decide_dict"] = rate(one_by_one(engine.decide, nested), rows, args.seconds, "decide_dict")
    results["decide_json"] = rate(one_by_one(engine.decide_json, texts), rows, args.seconds, "decide_json")
    for name, threads in (("decide_arrow_1", 1), ("decide_arrow_all", 0)):
        def arrow(threads=threads):
            for batch in batches:
                engine.decide_arrow(batch, keep=RETURNS_KEEP, threads=threads)
        results[name] = rate(arrow, rows, args.seconds, name)

    if args.spark:
        from spark_job import run_job, session

        spark = session("local[2]")
        try:
            with tempfile.TemporaryDirectory() as out:
                run_job(spark, "returns", str(args.data / "returns"), out + "/warm")
                job = run_job(spark, "returns", str(args.data / "returns"), out + "/timed")
        finally:
            spark.stop()
        results["spark_local2"] = job["rows_per_second"]
        results["spark_rows"] = job["rows"]

    rust = results["rust_api"]
    report = {k: (round(v) if isinstance(v, float) else v) for k, v in results.items()}
    report["ratio_to_rust_api"] = {
        k: round(rust / v, 2) for k, v in results.items()
        if k not in ("rows", "cores", "rust_api", "spark_rows")
    }
    report["cpu_rows_per_cpu_second"] = {k: round(v) for k, v in CPU.items()}
    report["cpu_ratio_to_rust_api"] = {
        k: round(CPU["rust_api"] / v, 2) for k, v in CPU.items() if k != "rust_api"
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
