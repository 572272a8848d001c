//! Prints every public holiday from 2020 to 2035 as JSON, one object per
//! country or subdivision, for `tools/compare_holidays.py`:
//!
//! ```text
//! cargo run -q -p guichet-domain --example holidays | python3 tools/compare_holidays.py
//! ```

use std::collections::BTreeMap;

use guichet_domain::country::CountryCode;
use guichet_domain::holidays::HolidayRules;

const REGIONS: [(&str, Option<&str>); 8] = [
    ("US", None),
    ("GB", None),
    ("FR", None),
    ("DE", None),
    ("ZA", None),
    ("AU", None),
    ("AU", Some("NSW")),
    ("AU", Some("VIC")),
];

fn main() {
    let mut objects = Vec::new();
    for (country, subdivision) in REGIONS {
        let country = CountryCode::parse(country).expect("a known country");
        let rules = HolidayRules::new(country, subdivision).expect("a region with rules");
        // One key per date: two holidays on one day share it, as in the
        // Python package ("ANZAC Day; Easter Monday").
        let mut names: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for holiday in (2020..=2035).flat_map(|year| rules.in_year(year)) {
            let name = names.entry(holiday.date.to_string()).or_default();
            if !name.contains(&holiday.name) {
                name.push(holiday.name);
            }
        }
        let days: Vec<String> = names
            .iter()
            .map(|(date, names)| format!("    {}: {}", json_string(date), json_string(&names.join("; "))))
            .collect();
        objects.push(format!(
            "  {}: {{\n{}\n  }}",
            json_string(&rules.code()),
            days.join(",\n")
        ));
    }
    println!("{{\n{}\n}}", objects.join(",\n"));
}

fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}
