"""Checks a sample of a Spark job's output against the engine's decisions made one at a
time through ``Engine.decide_json`` (the Rust API's JSON text of the same decision):

    python examples/scaleout/check.py returns /tmp/backoffice-scaleout/returns /tmp/out/returns

The Spark job must have run with ``--include-json``. Each sampled input row is rebuilt
here, in Python, into the engine's nested request (an independent reading of the flat
input schema), decided, and compared with the row's ``decision_json`` and flat columns;
a row whose request fails must have the same ``error_code`` in the output. Exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyarrow.dataset as ds  # noqa: E402

import backoffice  # noqa: E402
from common import address_engine, returns_engine  # noqa: E402

ORDER = ["order_id", "currency", "customer_id", "payment_method", "placed_at", "shipped_at",
         "delivered_at", "ship_to_country", "lines", "order_discount", "shipping_paid"]
MONEY = {"unit_price", "tax", "discount", "order_discount", "shipping_paid"}


def nested_returns(row: dict) -> dict:
    currency = row["currency"]

    def value(key, v):
        if isinstance(v, Decimal) and key in MONEY:
            return {"amount": v, "currency": currency}
        if isinstance(v, list):
            if key == "attributes":
                return dict(v)
            return [value(key, x) for x in v]
        if isinstance(v, dict):
            return {k: value(k, x) for k, x in v.items() if x is not None}
        return v

    request: dict = {"order": {}}
    for key, v in row.items():
        if v is None or key in ("request_id", "month"):
            continue
        if key in ORDER:
            request["order"][key] = value(key, v)
        elif key.startswith("customer_") and key != "customer_id":
            request.setdefault("customer", {})[key[len("customer_"):]] = v
        else:
            request[key] = value(key, v)
    return request


def nested_address(row: dict) -> dict:
    address = {k: v for k, v in row.items()
               if v is not None and k not in ("address_id", "bucket", "address_line1", "address_line2")}
    address["address_lines"] = [row[k] for k in ("address_line1", "address_line2") if row.get(k)]
    return {"address": address}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["returns", "address"])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    key = "request_id" if args.kind == "returns" else "address_id"
    inputs = ds.dataset(args.source, format="parquet", partitioning="hive").to_table()
    outputs = ds.dataset(args.output, format="parquet").to_table()
    by_id = {row[key]: row for row in outputs.select([key, "decision_json", "error_code"] + (
        ["status", "refund_total"] if args.kind == "returns" else ["valid"])).to_pylist()}
    if len(by_id) != inputs.num_rows:
        print(f"output has {len(by_id)} rows, input {inputs.num_rows}")
        return 1
    rows = inputs.to_pylist()
    sample = random.Random(args.seed).sample(rows, min(args.sample, len(rows)))
    engine = returns_engine() if args.kind == "returns" else address_engine()
    nest = nested_returns if args.kind == "returns" else nested_address
    compared = errors = 0
    failures = []
    for row in sample:
        out = by_id[row[key]]
        try:
            text = engine.decide_json(nest(row))
        except backoffice.BackofficeError as exc:
            errors += 1
            if out["error_code"] != exc.code:
                failures.append((row[key], f"error {exc.code} vs {out['error_code']}"))
            continue
        compared += 1
        if out["decision_json"] != text:
            failures.append((row[key], "decision_json differs"))
            continue
        decision = json.loads(text)
        if args.kind == "returns":
            total = Decimal(decision["outcome"]["refund"]["total"]["amount"])
            if out["status"] != decision["outcome"]["status"] or out["refund_total"] != total:
                failures.append((row[key], "flat columns differ"))
        elif out["valid"] != decision["outcome"]["valid"]:
            failures.append((row[key], "flat columns differ"))
    print(json.dumps({"kind": args.kind, "sampled": len(sample), "identical_decisions": compared,
                      "same_errors": errors - sum(1 for f in failures if f[1].startswith("error")),
                      "failures": failures[:10]}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
