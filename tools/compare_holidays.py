#!/usr/bin/env python3
"""Compare Guichet's public holidays with the Python `holidays` package.

    cargo run -q -p guichet-domain --example holidays | python3 tools/compare_holidays.py

Reads the example's JSON on stdin ({"US": {"2020-01-01": "New Year's Day",
...}, "AU-NSW": {...}}) and compares, for 2020-2035 and each country or
subdivision, the SET OF DATES with the package's (names may differ). Exits 1
on any difference that is not in ALLOWED below, each with its reason; see
docs/holidays.md.

Developed against holidays 0.109 (`pip install holidays==0.109`); another
version is compared all the same, with a warning, since the package's data
changes between releases.
"""

import json
import sys

import holidays

PINNED_VERSION = "0.109"
YEARS = range(2020, 2036)

# How each of our keys is asked of the package: GB means England and Wales.
PACKAGE_QUERY = {
    "US": ("US", None),
    "GB": ("GB", "ENG"),
    "FR": ("FR", None),
    "DE": ("DE", None),
    "ZA": ("ZA", None),
    "AU": ("AU", None),
    "AU-NSW": ("AU", "NSW"),
    "AU-VIC": ("AU", "VIC"),
}

# Deliberate differences: (key, date, side) -> reason, where side is "ours"
# (a day off only Guichet lists) or "package" (only the package lists it).
# None with holidays 0.109: both follow the same laws and proclamations for
# 2020-2035. Keep an entry here, with its reason, for every day we decide
# to list differently.
ALLOWED: dict[tuple[str, str, str], str] = {}


def package_dates(key: str) -> dict[str, str]:
    country, subdivision = PACKAGE_QUERY[key]
    days = holidays.country_holidays(country, subdiv=subdivision, years=YEARS)
    return {d.isoformat(): name for d, name in days.items() if d.year in YEARS}


def main() -> int:
    ours_by_key = json.load(sys.stdin)
    version = holidays.__version__
    print(f"python holidays {version} (developed against {PINNED_VERSION})")
    if version != PINNED_VERSION:
        print(f"warning: holidays {version} is not the pinned {PINNED_VERSION}: differences may be the package's")

    missing = sorted(set(PACKAGE_QUERY) - set(ours_by_key))
    unknown = sorted(set(ours_by_key) - set(PACKAGE_QUERY))
    failures = 0
    for key in missing:
        print(f"FAIL {key}: missing from the input")
        failures += 1
    for key in unknown:
        print(f"FAIL {key}: no package query for it in PACKAGE_QUERY")
        failures += 1

    seen_allowed = set()
    for key in [k for k in PACKAGE_QUERY if k in ours_by_key]:
        ours = {d: n for d, n in ours_by_key[key].items() if int(d[:4]) in YEARS}
        theirs = package_dates(key)
        differences = [(d, "ours", ours[d]) for d in sorted(set(ours) - set(theirs))]
        differences += [(d, "package", theirs[d]) for d in sorted(set(theirs) - set(ours))]
        unexplained = []
        for date, side, name in sorted(differences):
            reason = ALLOWED.get((key, date, side))
            if reason is None:
                unexplained.append((date, side, name))
            else:
                seen_allowed.add((key, date, side))
                print(f"  allowed {key} {date} only in {side} ({name}): {reason}")
        status = "ok" if not unexplained else "FAIL"
        print(
            f"{status:4} {key:7} {len(ours):4} days ours, {len(theirs):4} package, "
            f"{len(differences) - len(unexplained)} allowed, {len(unexplained)} unexplained"
        )
        for date, side, name in unexplained:
            print(f"       {date} only in {side}: {name}")
        failures += len(unexplained)

    for stale in sorted(set(ALLOWED) - seen_allowed):
        print(f"warning: allowed difference {stale} no longer differs; remove it from ALLOWED")

    if failures:
        print(f"{failures} unexplained difference(s)")
        return 1
    print("all regions agree, apart from the allowed differences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
