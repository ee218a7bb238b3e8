"""Runs a backoffice engine over a Parquet data set as a PySpark ``mapInArrow`` job:

    python examples/scaleout/spark_job.py returns /tmp/backoffice-scaleout/returns /tmp/out/returns
    python examples/scaleout/spark_job.py address /tmp/backoffice-scaleout/addresses /tmp/out/addresses

The driver reads the configuration and the policy source and ships them (as text) with
the job; each Python worker builds the engine once, with ``backoffice.cached_engine``
(kept in the worker process, which Spark reuses between tasks), and decides every Arrow
batch Spark hands it with ``Engine.decide_arrow``; no row goes through pandas or JSON on
the Python side. A bad row comes out with ``error_code``/``error_message`` in its
row; the job never fails on one. ``--master`` defaults to ``local[2]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow as pa  # noqa: E402

from common import ADDRESS_KEEP, REPO, RETURNS_KEEP, spark_ddl  # noqa: E402

def engine_arguments(kind: str) -> dict:
    """The engine's arguments as plain text, read on the driver."""
    if kind == "returns":
        return {
            "kind": "returns",
            "config": (REPO / "examples/data/returns_config.json").read_text(encoding="utf-8"),
            "policy": (REPO / "examples/policies/returns.rhai").read_text(encoding="utf-8"),
            "policy_name": "returns.rhai",
        }
    return {"kind": "address"}


def decide_partition(arguments: dict, keep, include_json: bool):
    """The function mapInArrow runs on each partition's stream of batches."""

    def run(batches):
        import backoffice

        engine = backoffice.cached_engine(**arguments)  # built once per worker process
        for batch in batches:
            yield engine.decide_arrow(batch, keep=keep, include_json=include_json)

    return run


def session(master: str):
    import os

    from pyspark.sql import SparkSession

    # The workers run this interpreter (the one with backoffice installed).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

    return (
        SparkSession.builder.master(master)
        .appName("backoffice-scaleout")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        # Partition directories (month=2025-01, bucket=3) stay strings.
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "5000")
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )


def run_job(spark, kind: str, source: str, target: str, include_json: bool = False) -> dict:
    """Runs one job; returns ``{"rows", "seconds", "rows_per_second", "errors"}``."""
    keep = RETURNS_KEEP if kind == "returns" else ADDRESS_KEEP
    frame = spark.read.parquet(source)
    keep_schema = pa.schema([pa.field(name, pa.string()) for name in keep])
    ddl = spark_ddl(kind, keep_schema, include_json)
    started = time.perf_counter()
    result = frame.mapInArrow(decide_partition(engine_arguments(kind), keep, include_json), ddl)
    result.write.mode("overwrite").parquet(target)
    seconds = time.perf_counter() - started
    written = spark.read.parquet(target)
    rows = written.count()
    errors = written.where("error_code is not null").count()
    return {
        "kind": kind, "rows": rows, "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds), "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["returns", "address"])
    parser.add_argument("source", help="the Parquet data set (generate.py)")
    parser.add_argument("target", help="where to write the results (Parquet)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--include-json", action="store_true",
                        help="add the decision_json column (used by check.py)")
    args = parser.parse_args()
    spark = session(args.master)
    try:
        print(json.dumps(run_job(spark, args.kind, args.source, args.target, args.include_json)))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
