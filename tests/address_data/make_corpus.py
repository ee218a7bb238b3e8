#!/usr/bin/env python3
"""Builds tests/address_data/corpus.jsonl from Google's per-country address metadata
(CC-BY 4.0, see NOTICE): for every country, an address made of its own examples
(first subdivision key, first locality key where Google lists one, first postal-code
example of that subdivision or of the country) and realistic mutations of it.

Usage: python3 tests/address_data/make_corpus.py /work/shared/data/google-address-data
"""
import json
import os
import sys


def first(value):
    return (value or "").split("~")[0]


def main(data_dir, out_path):
    entries = []
    for name in sorted(os.listdir(data_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(data_dir, name), encoding="utf-8") as f:
            data = json.load(f)
        code = name[:-5].upper()
        country = data.get(code)
        if not country or code == "ZZ":
            continue
        require = country.get("require", "")
        fmt = country.get("fmt", "%N%n%O%n%A%n%C")
        area_key = first(country.get("sub_keys"))
        area = data.get(f"{code}/{area_key}", {}) if area_key else {}
        city_key = first(area.get("sub_keys"))
        zipex = first(country.get("zipex")).split(",")[0]
        area_zip = (area.get("zipex") or "").split(",")[0]
        postal = zipex
        if area_zip and "zip" in country:
            # A subdivision's example may be a prefix only; keep the country's example
            # when it starts with it.
            postal = zipex if zipex.startswith(area_zip) else area_zip
        base = {"country": code, "address_lines": ["1 Main Street"]}
        if "%C" in fmt:
            base["locality"] = city_key or "Springfield"
        if "%S" in fmt and area_key:
            base["administrative_area"] = area_key
        if "%Z" in fmt and postal:
            base["postal_code"] = postal

        def add(kind, **changes):
            address = dict(base)
            for k, v in changes.items():
                if v is None:
                    address.pop(k, None)
                else:
                    address[k] = v
            entries.append({"id": f"{code}-{kind}", "address": address})

        add("base")
        if "postal_code" in base:
            if any(c.isalpha() for c in postal):
                add("postal_lower", postal_code=postal.lower())
            if country.get("postprefix"):
                add("postal_prefix", postal_code=country["postprefix"] + postal)
            add("postal_garbage", postal_code="12AB34CD")
            add("postal_missing", postal_code=None)
            examples = country.get("zipex", "").split(",")
            if len(examples) > 1 and "administrative_area" not in base:
                add("postal_second_example", postal_code=examples[1])
        if "C" in require and "locality" in base:
            add("locality_missing", locality=None)
        if "S" in require and "administrative_area" in base:
            add("area_missing", administrative_area=None)
        if "administrative_area" in base:
            names = (country.get("sub_names") or "").split("~")
            if names and names[0] and names[0] != area_key:
                add("area_by_name", administrative_area=names[0])
            add("area_unknown", administrative_area="Nowhere Province")
        if "locality" in base and city_key:
            add("locality_unknown", locality="Nowhereville")
        if country.get("name"):
            add("country_by_name", country=country["name"].title())
        if "A" in require:
            add("street_missing", address_lines=[])
    with open(out_path, "w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(entries)} addresses -> {out_path}")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1], os.path.join(here, "corpus.jsonl"))
