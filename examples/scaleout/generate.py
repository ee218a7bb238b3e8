"""Generates the scale-out data sets as partitioned Parquet (pyarrow only):

    python examples/scaleout/generate.py --rows 20000 --out /tmp/scaleout

writes ``returns/month=YYYY-MM/*.parquet`` (return requests of an apparel, beauty and
electronics shop, in the returns engine's flat input schema) and
``addresses/bucket=N/*.parquet`` (addresses as entered, in the address engine's). The
rows are deterministic for a given ``--seed``; about 1 row in 200 is deliberately bad
(an unknown line id, a currency that does not exist, a negative quantity) so that the
jobs show bad rows carried as error columns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from common import ADDRESS_SCHEMA, RETURNS_SCHEMA

UTC = dt.timezone.utc
CATALOGUE = [
    # sku, product, category, price, weight (g)
    ("DRESS-RED-S", "DRESS-RED", "apparel", "129.00", 450),
    ("DRESS-RED-M", "DRESS-RED", "apparel", "129.00", 460),
    ("JEANS-32", "JEANS", "apparel", "89.90", 700),
    ("LIPSTICK-07", None, "cosmetics", "24.00", 40),
    ("SERUM-30", None, "cosmetics", "59.00", 120),
    ("BLENDER-900", None, "electronics", "349.00", 4200),
    ("HEADPHONES-2", None, "electronics", "199.00", 380),
    ("SWIM-TOP-M", "SWIM", "swimwear", "39.00", 150),
]
REASONS = ["size_too_large", "size_too_small", "changed_mind", "defective", "not_as_described"]
CONDITIONS = ["new", "new", "new", "opened", "used"]
TIERS = [None, None, "silver", "gold"]
COUNTRIES = ["DE", "DE", "DE", "AT", "FR", "NL"]


def returns_rows(count: int, rng: random.Random):
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(count):
        placed = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 330))
        shipped = placed + dt.timedelta(hours=rng.randrange(4, 48))
        delivered = shipped + dt.timedelta(hours=rng.randrange(20, 120))
        now = delivered + dt.timedelta(hours=rng.randrange(2, 24 * 70))
        lines = []
        for index in range(rng.choice([1, 1, 2, 3])):
            sku, product, category, price, weight = rng.choice(CATALOGUE)
            quantity = rng.choice([1, 1, 1, 2])
            price = Decimal(price)
            lines.append({
                "line_id": str(index + 1), "sku": sku, "product_id": product,
                "category": category, "quantity": quantity, "unit_price": price,
                "tax": (price * quantity * Decimal("0.19")).quantize(Decimal("0.01")),
                "unit_weight_grams": weight,
                "attributes": [("size", sku.rsplit("-", 1)[-1])] if product else None,
            })
        items = []
        for line in rng.sample(lines, rng.randint(1, len(lines))):
            expected = line["unit_weight_grams"]
            items.append({
                "line_id": line["line_id"], "quantity": 1,
                "reason": rng.choice(REASONS), "condition": rng.choice(CONDITIONS),
                "returned_weight_grams": rng.choice([None, expected, expected // 3]),
            })
        currency = "EUR"
        bad = n % 200 == 199
        if bad:
            flaw = (n // 200) % 3
            if flaw == 0:
                items[0]["line_id"] = "99"
            elif flaw == 1:
                currency = "EUX"
            else:
                items[0]["quantity"] = -1
        ship_to = rng.choice(COUNTRIES)
        yield {
            "request_id": f"R{n:08d}",
            "order_id": f"SO-{100000 + n}",
            "currency": currency,
            "customer_id": f"cust-{rng.randrange(1, 40000)}",
            "payment_method": rng.choice(["card", "card", "paypal", "klarna"]),
            "placed_at": placed, "shipped_at": shipped, "delivered_at": delivered,
            "ship_to_country": ship_to,
            "order_discount": rng.choice([None, None, Decimal("5.00"), Decimal("15.00")]),
            "lines": lines, "items": items,
            "ship_from_country": ship_to if rng.random() < 0.95 else "PL",
            "customer_account_age_days": rng.choice([None, 12, 90, 400, 730]),
            "customer_orders_365d": rng.choice([None, 1, 3, 14]),
            "customer_returns_365d": rng.choice([None, 0, 1, 3, 9]),
            "customer_loyalty_tier": rng.choice(TIERS),
            "now": now,
            "month": placed.strftime("%Y-%m"),
        }


ADDRESSES = [
    ("USA", "1600 Amphitheatre Parkway", "Suite 200", "Mountain View", "california", "940431351"),
    ("United States", "123 Main St. #2f", None, "Mountain View", "CA", "12345"),
    ("US", "350 Fifth Avenue", None, "New York", "NY", "10118"),
    ("Deutschland", "Hauptstr. 5", None, "Köln", None, "5066"),
    ("DE", "Unter den Linden 77", None, "Berlin", None, "10117"),
    ("Schweiz", "Postfach 1234", None, "Zürich", None, "8001"),
    ("GB", "10 Downing Street", None, "London", None, "SW1A 2AA"),
    ("Canada", "24 Sussex Drive", None, "Ottawa", "ON", "K1M 1M4"),
    ("France", "55 Rue du Faubourg Saint-Honoré", None, "Paris", None, "75008"),
    ("Atlantis", "1 Sunken Road", None, "Poseidonia", None, "00000"),
]


def address_rows(count: int, rng: random.Random):
    for n in range(count):
        country, line1, line2, locality, area, postal = rng.choice(ADDRESSES)
        if rng.random() < 0.2:
            line1 = line1.upper()
        yield {
            "address_id": f"A{n:08d}", "country": country, "address_line1": line1,
            "address_line2": line2, "locality": locality, "administrative_area": area,
            "postal_code": postal, "recipient": rng.choice([None, "Jane Doe", "M. Müller"]),
            "bucket": str(n % 4),
        }


def write(rows, schema: pa.Schema, out: Path, partition: str, chunk: int = 5000):
    batch = []
    part = 0
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            flush(batch, schema, out, partition, part)
            batch, part = [], part + 1
    if batch:
        flush(batch, schema, out, partition, part)


def flush(rows, schema, out, partition, part):
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_to_dataset(
        table, root_path=str(out), partition_cols=[partition],
        basename_template=f"part-{part:05d}-{{i}}.parquet",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000, help="rows per data set")
    parser.add_argument("--out", type=Path, default=Path("/tmp/backoffice-scaleout"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for name in ("returns", "addresses"):
        target = args.out / name
        if target.exists():
            import shutil

            shutil.rmtree(target)
    write(returns_rows(args.rows, rng), RETURNS_SCHEMA, args.out / "returns", "month")
    write(address_rows(args.rows, rng), ADDRESS_SCHEMA, args.out / "addresses", "bucket")
    print(f"wrote {args.rows} returns and {args.rows} addresses under {args.out}")


if __name__ == "__main__":
    main()
