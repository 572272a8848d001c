#!/usr/bin/env python3
"""Checks the status page's feeds (R24) of a running Guichet with the
libraries a subscriber's software uses.

    python3 tools/check_status_feeds.py http://127.0.0.1:8080

- Atom and RSS (all products and each product) parse with `feedparser`
  without `bozo`, with an entry for every incident of the last 90 days and
  for the maintenance windows, each with an id and a date.
- The iCalendar feed parses with `icalendar`; every weekly window's RRULE,
  expanded in its time zone with `dateutil` (less its EXDATEs), gives the
  same instants as GET /api/v1/maintenance, over a year that crosses both
  US daylight-saving changes; one-off windows have the API's start and end.

Exits non-zero and says why on the first difference.
"""

import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

import feedparser
import icalendar
from dateutil.rrule import rrulestr

# The versions this script was written against (.ci/run installs them).
PINNED_FEEDPARSER = "6.0.14"
PINNED_ICALENDAR = "7.3.0"

# A year with both of 2026's US changes (8 March, 1 November) inside.
FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)
TO = datetime(2027, 1, 1, tzinfo=timezone.utc)


def fetch(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return response.headers.get("content-type", ""), response.read()


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def rfc3339(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_feeds(base, products, incidents):
    checked = 0
    for query in [""] + [f"?product={p}" for p in products]:
        for name, path, expected_type in [
            ("Atom", "/status/feed.atom", "application/atom+xml"),
            ("RSS", "/status/feed.rss", "application/rss+xml"),
        ]:
            content_type, body = fetch(base, path + query)
            if not content_type.startswith(expected_type):
                fail(f"{path}{query}: content type {content_type!r}, not {expected_type}")
            feed = feedparser.parse(body)
            if feed.bozo:
                fail(f"{name} {path}{query} is not well-formed: {feed.bozo_exception}")
            if not feed.entries:
                fail(f"{name} {path}{query} has no entries")
            ids = set()
            for entry in feed.entries:
                if not entry.get("id"):
                    fail(f"{name} {path}{query}: an entry without an id: {entry.get('title')}")
                if not (entry.get("updated_parsed") or entry.get("published_parsed")):
                    fail(f"{name} {path}{query}: entry {entry.id} has no date feedparser reads")
                ids.add(entry.id)
            wanted = [i for i in incidents if not query or query.endswith("=" + i["product"])]
            for incident in wanted:
                raw = incident["id"]
                uuid = f"urn:uuid:{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
                if uuid not in ids:
                    fail(f"{name} {path}{query} lacks incident {incident['title']!r} ({uuid})")
            if not any("maintenance" in e.get("title", "").lower() for e in feed.entries):
                fail(f"{name} {path}{query} has no maintenance entry")
            checked += 1
            print(f"ok  {name:4} {path}{query}: {len(feed.entries)} entries, not bozo")
    return checked


def api_occurrences(base, product, start, end):
    path = f"/api/v1/maintenance?product={product}&from={rfc3339(start)}&to={rfc3339(end)}"
    return json.loads(fetch(base, path)[1])


def exdates(event):
    found = set()
    value = event.get("exdate")
    if value is None:
        return found
    for group in value if isinstance(value, list) else [value]:
        for moment in group.dts:
            found.add(moment.dt.astimezone(timezone.utc))
    return found


def check_calendar(base, products):
    content_type, body = fetch(base, "/status/maintenance.ics")
    if not content_type.startswith("text/calendar"):
        fail(f"maintenance.ics: content type {content_type!r}")
    calendar = icalendar.Calendar.from_ical(body)
    events = [c for c in calendar.walk("VEVENT")]
    if not events:
        fail("maintenance.ics has no events")
    weekly = 0
    for event in events:
        uid = str(event.get("uid"))
        window = uid.split("@")[0]
        start = event.get("dtstart").dt
        product = next((p for p in products if str(event.get("summary", "")).startswith(p["name"] + ":")), None)
        if product is None:
            fail(f"event {uid}: its summary names no product: {event.get('summary')}")
        if event.get("rrule") is not None:
            if start.tzinfo is None or str(event.get("dtstart").params.get("TZID", "")) == "":
                fail(f"event {uid}: a weekly window's DTSTART has no TZID")
            duration = event.get("duration").dt
            rule = event.get("rrule").to_ical().decode()
            skipped = exdates(event)
            ours = set()
            for occurrence in rrulestr(rule, dtstart=start).between(FROM - duration, TO, inc=True):
                utc = occurrence.astimezone(timezone.utc)
                if utc in skipped or utc >= TO or utc + duration <= FROM:
                    continue
                ours.add((rfc3339(utc), rfc3339(utc + duration)))
            theirs = {
                (o["start"], o["end"])
                for o in api_occurrences(base, product["key"], FROM, TO)
                if o["window"] == window and o["status"] != "cancelled"
            }
            if ours != theirs:
                fail(
                    f"{uid} ({rule}, {start.isoformat()}): the calendar and the API differ:\n"
                    f"  only in the calendar: {sorted(ours - theirs)[:5]}\n"
                    f"  only in the API: {sorted(theirs - ours)[:5]}"
                )
            local = {datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(start.tzinfo).time() for s, _ in ours}
            if len(local) != 1:
                fail(f"{uid}: the local start time moves across the year: {sorted(local)}")
            weekly += 1
            print(f"ok  {uid}: {len(ours)} occurrences in 2026 match the API, every one at {local.pop()} {start.tzinfo}")
        else:
            end = event.get("dtend").dt
            around = api_occurrences(base, product["key"], start - timedelta(days=1), end + timedelta(days=1))
            match = [o for o in around if o["window"] == window]
            if not match or (match[0]["start"], match[0]["end"]) != (rfc3339(start), rfc3339(end)):
                fail(f"{uid}: one-off window {rfc3339(start)}–{rfc3339(end)} is not the API's {match}")
            print(f"ok  {uid}: one-off {rfc3339(start)} – {rfc3339(end)} ({event.get('status')})")
    if weekly == 0:
        fail("maintenance.ics has no weekly window")


def main():
    if len(sys.argv) != 2:
        fail("usage: check_status_feeds.py BASE_URL")
    base = sys.argv[1].rstrip("/")
    for module, pinned in [(feedparser, PINNED_FEEDPARSER), (icalendar, PINNED_ICALENDAR)]:
        if module.__version__ != pinned:
            print(f"note: {module.__name__} {module.__version__}, written against {pinned}")
    status = json.loads(fetch(base, "/api/v1/status")[1])
    products = [{"key": p["key"], "name": p["name"]} for p in status["products"]]
    horizon = datetime.now(timezone.utc) - timedelta(days=90)
    incidents = [
        i
        for i in json.loads(fetch(base, "/api/v1/incidents")[1])
        if i["resolved_at"] is None or datetime.fromisoformat(i["resolved_at"].replace("Z", "+00:00")) >= horizon
    ]
    if not incidents:
        fail("the server has no incidents to look for (load the demo)")
    feeds = check_feeds(base, [p["key"] for p in products], incidents)
    check_calendar(base, products)
    print(f"{feeds + 1} passed, 0 failed")


if __name__ == "__main__":
    main()
