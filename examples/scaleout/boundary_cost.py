"""Instructions per decision of ``Engine.decide(dict)`` and of the Rust API, for
callgrind (wall time on a loaded machine says little). Each run does the set-up and then
``--count`` units of work of one ``--path``; two runs with different counts give the
marginal cost per decision, with the set-up cancelled out:

    for n in 200 400; do
      valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.dict.$n \\
        python examples/scaleout/boundary_cost.py --data /tmp/scaleout --path dict --count $n
    done
    # (Ir of the 400 run - Ir of the 200 run) / 200 = instructions per decide(dict)

Paths: ``dict`` (``decide(dict)``, typed result), ``dict_untyped`` (``typed=False``),
``json`` (``decide_json(str)``), ``arrow`` (``decide_arrow`` on one thread over a batch of
the same rows in the flat input schema, ``--count`` rows in all), ``rust`` (the typed Rust API on the same requests,
``_rust_api_rate``, which prints how many decisions it made: use that count). The rows are
``generate.py``'s returns rows (with the example policy), less the deliberately bad ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow.dataset as ds  # noqa: E402

import backoffice  # noqa: E402
from backoffice._backoffice import _rust_api_rate  # noqa: E402
from check import nested_returns  # noqa: E402
from common import REPO, RETURNS_KEEP, returns_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/backoffice-scaleout"))
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument(
        "--path", choices=["dict", "dict_untyped", "json", "arrow", "rust"], required=True
    )
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()

    table = ds.dataset(args.data / "returns", format="parquet", partitioning="hive").to_table()
    engine = returns_engine()
    nested, texts, kept = [], [], []
    for index, row in enumerate(table.slice(0, args.rows * 2).to_pylist()):
        request = nested_returns(row)
        text = json.dumps(request, default=str)
        try:
            engine.decide_json(text)
        except backoffice.BackofficeError:
            continue
        nested.append(request)
        texts.append(text)
        kept.append(index)
    nested, texts, kept = nested[: args.rows], texts[: args.rows], kept[: args.rows]
    if args.path == "arrow":
        batch = table.take(kept).combine_chunks().to_batches()[0]
        decided = 0
        while decided < args.count:
            part = batch.slice(0, min(batch.num_rows, args.count - decided))
            engine.decide_arrow(part, keep=RETURNS_KEEP)
            decided += part.num_rows
        print(json.dumps({"path": "arrow", "decisions": decided}))
        return
    if args.path == "rust":
        config = (REPO / "examples/data/returns_config.json").read_text()
        policy = (REPO / "examples/policies/returns.rhai").read_text()
        # Decides whole rounds over the rows until the time is up: `count` is seconds
        # here, and the decisions made are printed.
        count, _ = _rust_api_rate(
            "returns", "[" + ",".join(texts) + "]", config, policy, "returns.rhai", args.count / 1000
        )
        print(json.dumps({"path": "rust", "decisions": count + len(texts)}))
        return
    decide = {
        "dict": engine.decide,
        "dict_untyped": lambda r: engine.decide(r, typed=False),
        "json": engine.decide_json,
    }[args.path]
    items = texts if args.path == "json" else nested
    for i in range(args.count):
        decide(items[i % len(items)])
    print(json.dumps({"path": args.path, "decisions": args.count}))


if __name__ == "__main__":
    main()
