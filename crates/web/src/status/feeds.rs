//! Feeds of the status page (R24): Atom 1.0 and RSS 2.0 with one entry per
//! incident and per planned maintenance, and an iCalendar (RFC 5545) feed
//! of maintenance: weekly windows as `RRULE`s with their time zone (and a
//! `VTIMEZONE` for it), one-off windows as plain events, skipped
//! occurrences as `EXDATE`s. Entry ids are stable (`urn:uuid:` of the
//! incident's or window's id) and `updated` moves when they change.

use atom_syndication as atom;
use guichet_domain::maintenance::{MaintenanceUpdate, MaintenanceWindow, Schedule};
use guichet_domain::product::Product;
use guichet_domain::status::Incident;
use icalendar::{Calendar, CalendarComponent, Component, Event, Property};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{HISTORY, words};
use crate::i18n::Tr;

/// What the feeds are made of: incidents and windows of one product or all.
pub(crate) struct FeedContent<'a> {
    pub catalogue: &'a [Product],
    /// `None`: every product.
    pub product: Option<&'a Product>,
    pub incidents: Vec<Incident>,
    pub windows: Vec<MaintenanceWindow>,
    pub updates: Vec<MaintenanceUpdate>,
    /// The portal's address, for links.
    pub base: String,
    pub now: Timestamp,
}

/// One feed entry, before it is written as Atom or RSS.
struct Entry {
    id: String,
    title: String,
    link: String,
    published: Timestamp,
    updated: Timestamp,
    text: String,
}

/// `urn:uuid:` of a store id (UUIDv7 in 32 hex digits); other ids get a
/// URN of ours.
fn entry_id(kind: &str, id: &str) -> String {
    if id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) {
        format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &id[..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..]
        )
    } else {
        format!("urn:guichet:{kind}:{id}")
    }
}

fn utc_minutes(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

impl FeedContent<'_> {
    fn product_name(&self, product: &guichet_domain::product::ProductKey) -> String {
        self.catalogue
            .iter()
            .find(|p| p.key == *product)
            .map_or_else(|| product.as_str().to_owned(), |p| p.name.clone())
    }

    fn title(&self, tr: &Tr) -> String {
        match self.product {
            Some(product) => format!("{} — {}", tr.t("status-title"), product.name),
            None => tr.t("status-title"),
        }
    }

    fn page(&self) -> String {
        format!("{}/status", self.base)
    }

    fn query(&self) -> String {
        self.product
            .map(|p| format!("?product={}", p.key.as_str()))
            .unwrap_or_default()
    }

    /// Incidents of the last 90 days and maintenance not over for more than
    /// 90 days, most recently changed first.
    fn entries(&self, tr: &Tr) -> Vec<Entry> {
        let horizon = self.now - HISTORY;
        let mut entries = Vec::new();
        for incident in &self.incidents {
            if incident.resolved_at.is_some_and(|at| at < horizon) {
                continue;
            }
            let status = words::incident_status(tr, incident.status);
            let mut text = format!("{}\n", words::impact(tr, incident.impact));
            for update in incident.updates.iter().rev() {
                text.push_str(&format!(
                    "\n{} — {}: {}",
                    utc_minutes(update.at),
                    words::incident_status(tr, update.status),
                    update.body
                ));
            }
            entries.push(Entry {
                id: entry_id("incident", &incident.id),
                title: format!(
                    "[{}] {} — {status}",
                    self.product_name(&incident.product),
                    incident.title
                ),
                link: format!("{}#incident-{}", self.page(), incident.id),
                published: incident.created_at,
                updated: incident.updated_at,
                text,
            });
        }
        for window in &self.windows {
            let over = match &window.schedule {
                Schedule::Once { end, .. } => window.cancelled_at.or(window.completed_at).unwrap_or(*end),
                Schedule::Weekly { until, .. } => until.unwrap_or(Timestamp::MAX),
            };
            if over < horizon {
                continue;
            }
            let zone = window.zone.time_zone();
            let local = |at: Timestamp| zone.to_datetime(at).strftime("%Y-%m-%d %H:%M").to_string();
            let mut text = match &window.schedule {
                Schedule::Once { start, end } => tr.t3(
                    "status-mail-maintenance-when",
                    ("start", &local(*start)),
                    ("end", &local(*end)),
                    ("zone", window.zone.as_str()),
                ),
                Schedule::Weekly { rule, .. } => tr.t3(
                    "status-weekly-window",
                    ("weekday", &words::weekday(tr, rule.weekday)),
                    ("hours", &super::weekly_hours(rule)),
                    ("zone", window.zone.as_str()),
                ),
            };
            if window.cancelled_at.is_some() {
                text.push_str(&format!(
                    "\n{}",
                    words::window_life(tr, guichet_domain::maintenance::WindowLife::Cancelled)
                ));
            }
            if !window.description.is_empty() {
                text.push_str(&format!("\n\n{}", window.description));
            }
            let mut updated = window.updated_at;
            for update in self.updates.iter().filter(|u| u.window == window.id).rev() {
                updated = updated.max(update.at);
                text.push_str(&format!("\n\n{} — {}", utc_minutes(update.at), update.body));
            }
            entries.push(Entry {
                id: entry_id("maintenance", &window.id),
                title: format!("[{}] {}", self.product_name(&window.product), window.title),
                link: format!("{}#maintenance-{}", self.page(), window.id),
                published: window.created_at,
                updated,
                text,
            });
        }
        entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
        entries
    }

    fn feed_updated(entries: &[Entry], fallback: Timestamp) -> Timestamp {
        entries.iter().map(|e| e.updated).max().unwrap_or(fallback)
    }
}

fn fixed(at: Timestamp) -> atom::FixedDateTime {
    at.to_string()
        .parse()
        .expect("an RFC 3339 instant reads as a chrono date")
}

/// The Atom 1.0 feed.
pub(crate) fn atom(content: &FeedContent<'_>, tr: &Tr) -> String {
    let entries = content.entries(tr);
    let mut feed = atom::Feed::default();
    feed.set_title(content.title(tr));
    feed.set_id(match content.product {
        Some(product) => format!("urn:guichet:status:{}", product.key.as_str()),
        None => "urn:guichet:status".to_owned(),
    });
    feed.set_lang(Some(tr.lang().to_owned()));
    feed.set_updated(fixed(FeedContent::feed_updated(&entries, content.now)));
    let mut author = atom::Person::default();
    author.set_name("Guichet");
    feed.set_authors(vec![author]);
    let link = |href: String, rel: &str, mime: Option<&str>| {
        let mut link = atom::Link::default();
        link.set_href(href);
        link.set_rel(rel.to_owned());
        link.set_mime_type(mime.map(str::to_owned));
        link
    };
    feed.set_links(vec![
        link(content.page(), "alternate", Some("text/html")),
        link(
            format!("{}/status/feed.atom{}", content.base, content.query()),
            "self",
            Some("application/atom+xml"),
        ),
    ]);
    let mut generator = atom::Generator::default();
    generator.set_value("Guichet");
    feed.set_generator(Some(generator));
    feed.set_entries(
        entries
            .into_iter()
            .map(|entry| {
                let mut item = atom::Entry::default();
                item.set_id(entry.id);
                item.set_title(entry.title);
                item.set_updated(fixed(entry.updated));
                item.set_published(Some(fixed(entry.published)));
                item.set_links(vec![link(entry.link, "alternate", Some("text/html"))]);
                let mut text = atom::Content::default();
                text.set_content_type(Some("text".to_owned()));
                text.set_value(Some(entry.text));
                item.set_content(Some(text));
                item
            })
            .collect::<Vec<_>>(),
    );
    feed.to_string()
}

/// The RSS 2.0 feed.
pub(crate) fn rss(content: &FeedContent<'_>, tr: &Tr) -> String {
    let entries = content.entries(tr);
    let date = |at: Timestamp| {
        jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&at)
            .unwrap_or_default()
    };
    let mut channel = rss::Channel::default();
    channel.set_title(content.title(tr));
    channel.set_link(content.page());
    channel.set_description(tr.t("status-lead"));
    channel.set_language(Some(tr.lang().to_owned()));
    channel.set_generator(Some("Guichet".to_owned()));
    channel.set_last_build_date(Some(date(FeedContent::feed_updated(&entries, content.now))));
    channel.set_items(
        entries
            .into_iter()
            .map(|entry| {
                let mut item = rss::Item::default();
                item.set_title(Some(entry.title));
                item.set_link(Some(entry.link));
                item.set_description(Some(entry.text));
                item.set_pub_date(Some(date(entry.updated)));
                let mut guid = rss::Guid::default();
                guid.set_value(entry.id);
                guid.set_permalink(false);
                item.set_guid(Some(guid));
                item
            })
            .collect::<Vec<_>>(),
    );
    channel.to_string()
}

/// An iCalendar local date-time, `20260306T193000`.
pub(crate) fn ics_local(at: jiff::civil::DateTime) -> String {
    at.strftime("%Y%m%dT%H%M%S").to_string()
}

pub(crate) fn ics_utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545's `DURATION` of whole seconds, `PT4H`, `PT1H30M`.
fn ics_duration(duration: SignedDuration) -> String {
    let seconds = duration.as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (hours, minutes, seconds) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let mut text = String::from("P");
    if days > 0 {
        text.push_str(&format!("{days}D"));
    }
    if rest > 0 {
        text.push('T');
        for (value, unit) in [(hours, 'H'), (minutes, 'M'), (seconds, 'S')] {
            if value > 0 {
                text.push_str(&format!("{value}{unit}"));
            }
        }
    }
    text
}

fn byday(weekday: jiff::civil::Weekday) -> &'static str {
    use jiff::civil::Weekday::*;
    match weekday {
        Monday => "MO",
        Tuesday => "TU",
        Wednesday => "WE",
        Thursday => "TH",
        Friday => "FR",
        Saturday => "SA",
        Sunday => "SU",
    }
}

/// A `VTIMEZONE` for `zone` with every transition from `from` to `to`, so
/// a calendar that does not know the IANA name reads the same offsets.
pub(crate) fn vtimezone(name: &str, zone: &TimeZone, from: Timestamp, to: Timestamp) -> String {
    let mut text = format!("BEGIN:VTIMEZONE\r\nTZID:{name}\r\n");
    let offset = |o: jiff::tz::Offset| {
        let seconds = o.seconds();
        let sign = if seconds < 0 { '-' } else { '+' };
        let seconds = seconds.abs();
        format!("{sign}{:02}{:02}", seconds / 3600, seconds % 3600 / 60)
    };
    let mut wrote = false;
    for transition in zone.following(from).take_while(|t| t.timestamp() < to) {
        let at = transition.timestamp();
        let before = zone.to_offset(at - SignedDuration::from_secs(1));
        let kind = if transition.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        let local = before.to_datetime(at);
        text.push_str(&format!(
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nTZNAME:{}\r\nEND:{kind}\r\n",
            ics_local(local),
            offset(before),
            offset(transition.offset()),
            transition.abbreviation()
        ));
        wrote = true;
    }
    if !wrote {
        let now = zone.to_offset(from);
        text.push_str(&format!(
            "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:{0}\r\nTZOFFSETTO:{0}\r\nEND:STANDARD\r\n",
            offset(now)
        ));
    }
    text.push_str("END:VTIMEZONE\r\n");
    text
}

/// The maintenance calendar: weekly windows as `RRULE`s in their zone with
/// skipped occurrences as `EXDATE`s, one-off windows as events (cancelled
/// ones marked `STATUS:CANCELLED`).
pub(crate) fn icalendar(content: &FeedContent<'_>, tr: &Tr) -> String {
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//Guichet//Status page//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    calendar.name(&format!("{} — {}", content.title(tr), tr.t("status-feed-ics")));

    // One VTIMEZONE per zone a weekly window uses.
    let mut zones: Vec<(String, Timestamp)> = Vec::new();
    for window in &content.windows {
        if let (Schedule::Weekly { .. }, Some(first)) = (&window.schedule, window.first_start()) {
            match zones.iter_mut().find(|(name, _)| name == window.zone.as_str()) {
                Some((_, earliest)) => *earliest = (*earliest).min(first),
                None => zones.push((window.zone.as_str().to_owned(), first)),
            }
        }
    }
    for (name, earliest) in &zones {
        let zone = TimeZone::get(name).unwrap_or(TimeZone::UTC);
        let from = *earliest - SignedDuration::from_hours(24 * 366);
        let to = content.now.max(*earliest) + SignedDuration::from_hours(24 * 366 * 10);
        let text = vtimezone(name, &zone, from, to);
        if let Ok(component) = icalendar::parser::Component::try_from(text.as_str()) {
            calendar.push(CalendarComponent::from(component));
        }
    }

    for window in &content.windows {
        let mut event = Event::new();
        event.uid(&format!("{}@guichet", window.id));
        event.append_property(Property::new("DTSTAMP", ics_utc(content.now)));
        event.append_property(Property::new("CREATED", ics_utc(window.created_at)));
        event.append_property(Property::new("LAST-MODIFIED", ics_utc(window.updated_at)));
        event.summary(&format!("{}: {}", content.product_name(&window.product), window.title));
        if !window.description.is_empty() {
            event.description(&window.description);
        }
        event.url(&format!("{}#maintenance-{}", content.page(), window.id));
        match &window.schedule {
            Schedule::Weekly {
                rule, until, skipped, ..
            } => {
                let Some(first) = window.first_start() else {
                    continue;
                };
                let zone = window.zone.time_zone();
                let tzid = window.zone.as_str();
                let mut start = Property::new("DTSTART", ics_local(zone.to_datetime(first)));
                start.add_parameter("TZID", tzid);
                event.append_property(start);
                event.append_property(Property::new("DURATION", ics_duration(rule.duration)));
                let mut rrule = format!("FREQ=WEEKLY;BYDAY={}", byday(rule.weekday));
                if let Some(until) = until {
                    // RFC 5545: with a zoned DTSTART, UNTIL is in UTC.
                    rrule.push_str(&format!(";UNTIL={}", ics_utc(*until - SignedDuration::from_secs(1))));
                }
                event.append_property(Property::new("RRULE", rrule));
                for skip in skipped {
                    let mut exdate = Property::new("EXDATE", ics_local(zone.to_datetime(*skip)));
                    exdate.add_parameter("TZID", tzid);
                    event.append_multi_property(exdate);
                }
                event.append_property(Property::new("STATUS", "CONFIRMED"));
            }
            Schedule::Once { start, end } => {
                let end = window.completed_at.map_or(*end, |done| done.clamp(*start, *end));
                event.append_property(Property::new("DTSTART", ics_utc(*start)));
                event.append_property(Property::new("DTEND", ics_utc(end)));
                let status = if window.cancelled_at.is_some() {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                };
                event.append_property(Property::new("STATUS", status));
            }
        }
        event.append_property(Property::new("TRANSP", "OPAQUE"));
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_urns() {
        assert_eq!(
            entry_id("incident", "0192a7c4e1b27c3d8e9f0a1b2c3d4e5f"),
            "urn:uuid:0192a7c4-e1b2-7c3d-8e9f-0a1b2c3d4e5f"
        );
        assert_eq!(entry_id("incident", "demo-1"), "urn:guichet:incident:demo-1");
    }

    #[test]
    fn durations_follow_rfc_5545() {
        assert_eq!(ics_duration(SignedDuration::from_hours(4)), "PT4H");
        assert_eq!(ics_duration(SignedDuration::from_mins(90)), "PT1H30M");
        assert_eq!(ics_duration(SignedDuration::from_hours(24)), "P1D");
        assert_eq!(ics_duration(SignedDuration::from_hours(26)), "P1DT2H");
    }

    #[test]
    fn pacific_time_has_its_transitions() {
        let zone = TimeZone::get("America/Los_Angeles").unwrap();
        let text = vtimezone(
            "America/Los_Angeles",
            &zone,
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "2027-01-01T00:00:00Z".parse().unwrap(),
        );
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700"));
        assert!(text.contains("BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800"));
        let utc = vtimezone(
            "UTC",
            &TimeZone::UTC,
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "2027-01-01T00:00:00Z".parse().unwrap(),
        );
        assert!(utc.contains("TZOFFSETFROM:+0000"));
    }
}
