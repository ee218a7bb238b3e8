"""Single-machine scale: the address engine over a Parquet data set with Polars:

    python examples/scaleout/polars_example.py /tmp/backoffice-scaleout/addresses

``LazyFrame.map_batches`` hands each batch to ``Engine.decide_arrow`` as Arrow (no copy
through Python objects); ``threads=0`` spreads each batch's rows over every core.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl
import pyarrow as pa

import backoffice

KEEP = ["address_id"]


def decide(frame: pl.DataFrame, engine: backoffice.Engine) -> pl.DataFrame:
    table = frame.to_arrow()
    results = backoffice.decide_table(engine, table, keep=KEEP, threads=0)
    return pl.from_arrow(results)


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/backoffice-scaleout/addresses")
    engine = backoffice.Engine("address")
    started = time.perf_counter()
    lazy = pl.scan_parquet(str(source / "**" / "*.parquet"), hive_partitioning=True)
    # The output schema, for Polars' plan: the kept column, then the engine's results.
    arrow_schema = pa.schema(
        [pa.field("address_id", pa.string())] + list(backoffice.result_schema("address"))
    )
    schema = pl.from_arrow(arrow_schema.empty_table()).schema
    result = (
        lazy.drop("bucket")
        .map_batches(lambda frame: decide(frame, engine), schema=schema)
        .collect()
    )
    seconds = time.perf_counter() - started
    summary = result.group_by("valid").agg(pl.len().alias("rows")).sort("valid")
    print(summary)
    print(result.select(["address_id", "valid", "country", "postal_code", "problems"]).head(5))
    print(f"{result.height} addresses in {seconds:.2f} s ({result.height / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
