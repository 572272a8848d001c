#!/usr/bin/env python3
"""Checks the iCalendar invitations of training sessions (R10) of a running
Guichet demo with the library a learner's calendar software would use.

    python3 tools/check_training_ics.py http://127.0.0.1:8080

Signs in as the demo's Marie, enrols her in one session of each time zone
the catalogue uses (Paris, London, New York, Sydney), and for each of her
invitations checks with `icalendar`:

- the file parses, has one VEVENT with a zoned DTSTART and DTEND whose TZID
  is the session's zone, and a VTIMEZONE for it;
- the start and end are the API's instants (`starts_at`, `ends_at`);
- the wall-clock time is the session's local time as the API gives it
  (`starts_local`), and the same as Python's `zoneinfo` reads the instant;
- the event is CONFIRMED for a seat, TENTATIVE on the waiting list.

Exits non-zero and says why on the first difference.
"""

import json
import sys
import urllib.request
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import icalendar

# The version this script was written against (.ci/run installs it, with
# tools/check_status_feeds.py's pins).
PINNED_ICALENDAR = "7.3.0"

EMAIL = "marie@lumiere.example"
PASSWORD = "guichet-demo"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def request(base, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.headers.get("content-type", ""), response.read()


def api(base, path, token=None, body=None):
    return json.loads(request(base, path, token, body)[1])


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def enrol_across_zones(base, token):
    """Enrols Marie in a session with free seats in each zone not yet
    covered by her invitations."""
    record = api(base, "/api/v1/training/enrolments", token)
    zones = {e["time_zone"] for e in record if e["invitation"] and e["status"] != "cancelled"}
    taken = {e["session"] for e in record}
    catalogue = api(base, "/api/v1/training/courses?limit=200")["courses"]
    for course in catalogue:
        if course["format"] == "e-learning":
            continue
        for session in api(base, f"/api/v1/training/courses/{course['slug']}")["sessions"]:
            if session["time_zone"] in zones or session["id"] in taken or session["seats_left"] == 0:
                continue
            api(base, f"/api/v1/training/sessions/{session['id']}/enrolments", token, {})
            zones.add(session["time_zone"])
    return zones


def check(base, token, enrolment):
    content_type, body = request(base, enrolment["invitation"], token)
    if not content_type.startswith("text/calendar"):
        fail(f"{enrolment['invitation']}: content type {content_type!r}")
    calendar = icalendar.Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        fail(f"{enrolment['id']}: {len(events)} events, not one")
    event = events[0]
    zone = enrolment["time_zone"]
    if zone not in {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}:
        fail(f"{enrolment['id']}: no VTIMEZONE for {zone}")
    for name, key in [("DTSTART", "starts_at"), ("DTEND", "ends_at")]:
        prop = event[name]
        if prop.params.get("TZID") != zone:
            fail(f"{enrolment['id']}: {name} TZID {prop.params.get('TZID')!r}, not {zone}")
        moment = prop.dt
        if moment.tzinfo is None:
            fail(f"{enrolment['id']}: {name} has no time zone")
        if moment.astimezone(timezone.utc) != instant(enrolment[key]):
            fail(f"{enrolment['id']}: {name} is {moment.astimezone(timezone.utc)}, the API says {enrolment[key]}")
    start = event["DTSTART"].dt
    local = start.replace(tzinfo=None).isoformat(timespec="minutes")
    expected = enrolment["starts_local"][:16]
    if local != expected:
        fail(f"{enrolment['id']}: local start {local}, the API says {expected} in {zone}")
    by_zoneinfo = instant(enrolment["starts_at"]).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    if by_zoneinfo.isoformat(timespec="minutes") != local:
        fail(f"{enrolment['id']}: zoneinfo reads {by_zoneinfo} in {zone}, the invitation {local}")
    status = str(event.get("STATUS"))
    wanted = "TENTATIVE" if enrolment["status"] == "waiting" else "CONFIRMED"
    if status != wanted:
        fail(f"{enrolment['id']}: STATUS {status}, not {wanted} for {enrolment['status']}")
    return zone, local


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    base = sys.argv[1].rstrip("/")
    if icalendar.__version__ != PINNED_ICALENDAR:
        print(f"note: icalendar {icalendar.__version__}, written against {PINNED_ICALENDAR}", file=sys.stderr)
    token = api(base, "/api/v1/auth/token", body={"email": EMAIL, "password": PASSWORD})["token"]
    zones = enrol_across_zones(base, token)
    record = api(base, "/api/v1/training/enrolments", token)
    checked = []
    for enrolment in record:
        if enrolment["invitation"] and enrolment["status"] != "cancelled":
            checked.append(check(base, token, enrolment))
    covered = {zone for zone, _ in checked}
    if len(covered) < 3 or covered != zones:
        fail(f"invitations in {sorted(covered)}, sessions in {sorted(zones)}")
    for zone, local in sorted(checked):
        print(f"ok: {local} {zone}")
    print(f"{len(checked)} invitations parse with icalendar {icalendar.__version__} and show the sessions' local times")


if __name__ == "__main__":
    main()
