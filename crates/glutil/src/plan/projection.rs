//! Athena partition projection for a table, inferred from the partitions
//! it has (folders with data and catalog partitions), and checked: every
//! partition must sit where the projection would look for it. A pure plan.
//!
//! Inference, per partition key, from its distinct values:
//! - `date`: every value reads and writes back exactly in one of the
//!   known formats (`2024-01-31`, `2024-01-31-05`, `20240131`, ...); the
//!   range runs from the first to the last value (or to `NOW` / a given
//!   time), the interval is the spacing of the values in hours or days.
//! - `integer`: every value is a whole number. Keys named `month`, `day`
//!   and `hour` get their whole calendar range (1-12, 1-31, 0-23) so that
//!   new data is covered; zero-padded values set `digits`.
//! - `enum`: at most [`ENUM_MAX`] distinct values without commas.
//! - `injected`: anything else; queries must then give the key's value.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::location::S3Location;
use crate::plan::gaps::{slot_rfc3339, Slot, ValueFormat, KNOWN_FORMATS};

/// The most distinct values a key may have to be projected as `enum`.
pub const ENUM_MAX: usize = 64;

/// Where a date-like range ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// At the last value found.
    Found,
    /// At `NOW`, so new data is covered without another run.
    Now,
    /// At this slot (hours since the epoch).
    At(Slot),
}

/// How Athena computes one key's values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KeyProjection {
    /// Whole numbers from `min` to `max`.
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
        /// Zero-padded to this many digits.
        #[serde(skip_serializing_if = "Option::is_none")]
        digits: Option<usize>,
    },
    /// Dates or times in a format, from `start` to `end` (or `NOW`).
    Date {
        /// The Java DateTimeFormatter pattern Athena reads.
        format: String,
        /// First value.
        start: String,
        /// Last value, or `NOW`.
        end: String,
        /// The step.
        interval: i64,
        /// `HOURS` or `DAYS`.
        unit: &'static str,
    },
    /// A fixed list of values.
    Enum {
        /// The values.
        values: Vec<String>,
    },
    /// Given by each query.
    Injected,
}

/// A key's projection and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyPlan {
    /// The partition key.
    pub key: String,
    /// How Athena computes its values.
    #[serde(flatten)]
    pub projection: KeyProjection,
    /// How many distinct values were found.
    pub distinct_values: usize,
    /// The range's start and end as slots, for date keys (internal).
    #[serde(skip)]
    date_range: Option<(Slot, Slot, ValueFormat)>,
}

/// A partition Athena would no longer see once projection is on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// Its values.
    pub values: Vec<String>,
    /// `catalog` (a catalog partition) or `folder` (a folder with data).
    pub source: &'static str,
    /// Where it is.
    pub location: String,
    /// Where Athena would look for it (or why it is not projected).
    pub expected: String,
}

/// What switching a table to projection would write, and what it checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectionPlan {
    /// Per key, in key order.
    pub keys: Vec<KeyPlan>,
    /// `storage.location.template`, when the folders are not
    /// `key=value` under the table location.
    pub template: Option<String>,
    /// Every table parameter to set (`projection.*` and the template).
    pub parameters: BTreeMap<String, String>,
    /// Catalog partitions and folders checked.
    pub checked: usize,
    /// Those Athena would not read where they are.
    pub mismatched: Vec<Mismatch>,
    /// Slots in the projected ranges (`None` with injected keys).
    pub projected_slots: Option<u64>,
    /// Of those, slots without data: each costs an empty S3 listing per
    /// query that reads it.
    pub empty_slots: Option<u64>,
    /// What a user should know (injected keys, calendar ranges).
    pub notes: Vec<String>,
}

/// A partition to check: its values and where it is.
pub struct Place<'a> {
    /// One value per key.
    pub values: Vec<String>,
    /// Its folder.
    pub location: &'a S3Location,
    /// `catalog` or `folder`.
    pub source: &'static str,
}

/// Plans projection for a table at `root` keyed `keys`, from its
/// partitions; `now` is the current hour (for `Until::Now` slot counts).
pub fn plan_projection(
    root: &S3Location,
    keys: &[String],
    places: &[Place<'_>],
    until: Until,
    now: Slot,
) -> Result<ProjectionPlan, String> {
    if places.is_empty() {
        return Err(
            "there are no partitions and no folders with data to infer a projection from".into(),
        );
    }
    let mut notes = Vec::new();
    let key_plans: Vec<KeyPlan> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let values: BTreeSet<&str> = places.iter().map(|p| p.values[i].as_str()).collect();
            infer_key(key, &values, until, now, &mut notes)
        })
        .collect();
    let template = choose_template(root, keys, places);
    let mut parameters = parameters(&key_plans);
    if let Some(t) = &template {
        parameters.insert("storage.location.template".into(), t.clone());
    }
    let pattern = template
        .clone()
        .unwrap_or_else(|| hive_template(root, keys));
    let mismatched = check(&pattern, keys, &key_plans, places);
    let with_data: BTreeSet<&[String]> = places
        .iter()
        .filter(|p| p.source == "folder")
        .map(|p| p.values.as_slice())
        .collect();
    let projected_slots = slot_count(&key_plans, now);
    Ok(ProjectionPlan {
        keys: key_plans,
        template,
        parameters,
        checked: places.len(),
        mismatched,
        projected_slots,
        empty_slots: projected_slots.map(|n| n.saturating_sub(with_data.len() as u64)),
        notes,
    })
}

fn infer_key(
    key: &str,
    values: &BTreeSet<&str>,
    until: Until,
    now: Slot,
    notes: &mut Vec<String>,
) -> KeyPlan {
    let distinct_values = values.len();
    if let Some((projection, range)) = as_date(values, until) {
        return KeyPlan {
            key: key.to_string(),
            projection,
            distinct_values,
            date_range: Some(range),
        };
    }
    let projection = as_integer(key, values, notes)
        .map(|p| extend_year(key, p, until, now, notes))
        .unwrap_or_else(|| {
        let listable = values.len() <= ENUM_MAX && values.iter().all(|v| !v.contains(','));
        if listable {
            KeyProjection::Enum {
                values: values.iter().map(|v| v.to_string()).collect(),
            }
        } else {
            notes.push(format!(
                "`{key}` has {} distinct values that are neither numbers nor dates: it is projected as injected, so every Athena query must filter on {key} with = or IN",
                values.len()
            ));
            KeyProjection::Injected
        }
    });
    KeyPlan {
        key: key.to_string(),
        projection,
        distinct_values,
        date_range: None,
    }
}

/// The key as dates in the first known format that reads and writes back
/// every value exactly.
fn as_date(
    values: &BTreeSet<&str>,
    until: Until,
) -> Option<(KeyProjection, (Slot, Slot, ValueFormat))> {
    KNOWN_FORMATS.iter().find_map(|pattern| {
        let format = ValueFormat::parse(pattern).ok()?;
        let slots: Vec<Slot> = values
            .iter()
            .map(|v| format.read(v).filter(|s| format.write(*s) == *v))
            .collect::<Option<_>>()?;
        let (first, last) = (*slots.iter().min()?, *slots.iter().max()?);
        let hourly = format.has_hour();
        let step = spacing(&slots).max(1);
        let (interval, unit) = if hourly {
            (step, "HOURS")
        } else {
            ((step / 24).max(1), "DAYS")
        };
        let (end, end_slot) = match until {
            Until::Found => (format.write(last), last),
            Until::Now => ("NOW".to_string(), Slot::MAX),
            Until::At(at) => (format.write(at), at),
        };
        let projection = KeyProjection::Date {
            format: java_pattern(pattern),
            start: format.write(first),
            end,
            interval,
            unit,
        };
        Some((projection, (first, end_slot, format)))
    })
}

/// A `year` key's range raised to the year of `--until` (an integer range
/// cannot end at NOW, so it says when to raise it again).
fn extend_year(
    key: &str,
    projection: KeyProjection,
    until: Until,
    now: Slot,
    notes: &mut Vec<String>,
) -> KeyProjection {
    let at = match until {
        Until::Found => return projection,
        Until::Now => now,
        Until::At(at) => at,
    };
    let (KeyProjection::Integer { min, max, digits }, true) =
        (&projection, key.eq_ignore_ascii_case("year"))
    else {
        return projection;
    };
    let year: i64 = slot_rfc3339(at)[..4].parse().unwrap_or(*max);
    notes.push(format!(
        "`{key}` is an integer range and cannot end at NOW: it ends at {}; raise projection.{key}.range (or run projection again) before data for {} arrives",
        year.max(*max),
        year.max(*max) + 1
    ));
    KeyProjection::Integer {
        min: *min,
        max: year.max(*max),
        digits: *digits,
    }
}

impl KeyPlan {
    /// The projection in a few words: `integer 1-12, 2 digits`,
    /// `date yyyy-MM-dd 2024-01-30..NOW, every 1 DAYS`.
    pub fn describe(&self) -> String {
        match &self.projection {
            KeyProjection::Integer { min, max, digits } => match digits {
                Some(d) => format!("integer {min}-{max}, {d} digits"),
                None => format!("integer {min}-{max}"),
            },
            KeyProjection::Date {
                format,
                start,
                end,
                interval,
                unit,
            } => {
                format!("date {format} {start}..{end}, every {interval} {unit}")
            }
            KeyProjection::Enum { values } => format!("enum of {} values", values.len()),
            KeyProjection::Injected => "injected (queries must give it)".to_string(),
        }
    }
}

/// The greatest common divisor of the gaps between sorted slots.
fn spacing(slots: &[Slot]) -> i64 {
    let mut sorted = slots.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let gcd = |mut a: i64, mut b: i64| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    sorted.windows(2).map(|w| w[1] - w[0]).fold(0, gcd)
}

/// A strftime pattern of [`KNOWN_FORMATS`] as a Java DateTimeFormatter
/// pattern (letters other than the fields quoted).
pub fn java_pattern(strftime: &str) -> String {
    let mut out = String::new();
    let mut chars = strftime.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            out.push_str(match chars.next() {
                Some('Y') => "yyyy",
                Some('m') => "MM",
                Some('d') => "dd",
                Some('H') => "HH",
                Some('M') => "mm",
                Some('S') => "ss",
                _ => "",
            });
        } else if c.is_ascii_alphabetic() {
            out.push_str(&format!("'{c}'"));
        } else {
            out.push(c);
        }
    }
    out
}

fn as_integer(
    key: &str,
    values: &BTreeSet<&str>,
    notes: &mut Vec<String>,
) -> Option<KeyProjection> {
    let numbers: Vec<i64> = values
        .iter()
        .map(|v| {
            let digits = v.strip_prefix('-').unwrap_or(v);
            let ok = !digits.is_empty()
                && digits.len() <= 18
                && digits.bytes().all(|b| b.is_ascii_digit());
            ok.then(|| v.parse().ok()).flatten()
        })
        .collect::<Option<_>>()?;
    let padded = values.iter().any(|v| v.len() > 1 && v.starts_with('0'));
    let width = values.iter().next().map_or(0, |v| v.len());
    if padded && values.iter().any(|v| v.len() != width) {
        // Athena pads every value to the same width: this key is not that.
        return None;
    }
    let (mut min, mut max) = (*numbers.iter().min()?, *numbers.iter().max()?);
    let calendar = match key.to_ascii_lowercase().as_str() {
        "month" => Some((1, 12)),
        "day" => Some((1, 31)),
        "hour" => Some((0, 23)),
        _ => None,
    };
    // Calendar keys are zero-padded unless the values show otherwise (as
    // `gaps` reads them): `30` and `31` alone still mean `01` for the 1st.
    let calendar = calendar.filter(|(low, high)| min >= *low && max <= *high);
    let padded = padded || (calendar.is_some() && values.iter().all(|v| v.len() == 2));
    if let Some((low, high)) = calendar {
        if (min, max) != (low, high) {
            notes.push(format!(
                "`{key}` is projected over its whole calendar range {low}-{high} (values found: {min}-{max}), so data for the rest of the year is covered"
            ));
        }
        (min, max) = (low, high);
    }
    Some(KeyProjection::Integer {
        min,
        max,
        digits: padded.then_some(width),
    })
}

fn parameters(keys: &[KeyPlan]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::from([("projection.enabled".to_string(), "true".to_string())]);
    for plan in keys {
        let mut set = |field: &str, value: String| {
            out.insert(format!("projection.{}.{field}", plan.key), value);
        };
        match &plan.projection {
            KeyProjection::Integer { min, max, digits } => {
                set("type", "integer".into());
                set("range", format!("{min},{max}"));
                if let Some(d) = digits {
                    set("digits", d.to_string());
                }
            }
            KeyProjection::Date {
                format,
                start,
                end,
                interval,
                unit,
            } => {
                set("type", "date".into());
                set("format", format.clone());
                set("range", format!("{start},{end}"));
                set("interval", interval.to_string());
                set("interval.unit", unit.to_string());
            }
            KeyProjection::Enum { values } => {
                set("type", "enum".into());
                set("values", values.join(","));
            }
            KeyProjection::Injected => set("type", "injected".into()),
        }
    }
    out
}

/// Athena's default when there is no template: `LOCATION/k=${k}/...`.
fn hive_template(root: &S3Location, keys: &[String]) -> String {
    let segments: Vec<String> = keys.iter().map(|k| format!("{k}=${{{k}}}")).collect();
    format!("{}{}/", root, segments.join("/"))
}

/// The template most partitions fit, or `None` when that is Athena's
/// default (Hive-style folders under the table location).
fn choose_template(root: &S3Location, keys: &[String], places: &[Place<'_>]) -> Option<String> {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (order, place) in places.iter().enumerate() {
        if let Some(candidate) = template_of(place, keys) {
            let entry = counts.entry(candidate).or_insert((0, order));
            entry.0 += 1;
        }
    }
    let best = counts
        .into_iter()
        .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
        .map(|(t, _)| t)?;
    (best != hive_template(root, keys)).then_some(best)
}

/// The template a partition's own folder shows: its last folder levels,
/// each `k=v` or `v`, with `${k}` for the value.
fn template_of(place: &Place<'_>, keys: &[String]) -> Option<String> {
    let text = place.location.to_string();
    let trimmed = text.trim_end_matches('/');
    let mut parts: Vec<&str> = trimmed.rsplitn(keys.len() + 1, '/').collect();
    if parts.len() != keys.len() + 1 {
        return None;
    }
    let base = parts.pop()?;
    parts.reverse();
    let segments: Option<Vec<String>> = parts
        .iter()
        .zip(keys.iter().zip(&place.values))
        .map(|(segment, (key, value))| {
            if *segment == format!("{key}={value}") {
                Some(format!("{key}=${{{key}}}"))
            } else if segment == value {
                Some(format!("${{{key}}}"))
            } else {
                None
            }
        })
        .collect();
    Some(format!("{base}/{}/", segments?.join("/")))
}

/// The template with each `${key}` replaced by the partition's value.
pub fn expand(template: &str, keys: &[String], values: &[String]) -> String {
    keys.iter()
        .zip(values)
        .fold(template.to_string(), |t, (k, v)| {
            t.replace(&format!("${{{k}}}"), v)
        })
}

fn check(pattern: &str, keys: &[String], plans: &[KeyPlan], places: &[Place<'_>]) -> Vec<Mismatch> {
    places
        .iter()
        .filter_map(|place| {
            let location = place.location.to_string();
            let expected = match out_of_range(plans, &place.values) {
                Some(why) => why,
                None => {
                    let expected = expand(pattern, keys, &place.values);
                    if same_folder(&expected, &location) {
                        return None;
                    }
                    expected
                }
            };
            Some(Mismatch {
                values: place.values.clone(),
                source: place.source,
                location,
                expected,
            })
        })
        .collect()
}

fn same_folder(a: &str, b: &str) -> bool {
    match (S3Location::parse(a), S3Location::parse(b)) {
        (Ok(a), Ok(b)) => a.to_string() == b.to_string(),
        _ => a == b,
    }
}

/// Why values fall outside the projected ranges, if they do.
fn out_of_range(plans: &[KeyPlan], values: &[String]) -> Option<String> {
    plans.iter().zip(values).find_map(|(plan, value)| {
        let inside = match (&plan.projection, &plan.date_range) {
            (_, Some((start, end, format))) => {
                format.read(value).is_some_and(|s| s >= *start && s <= *end)
            }
            (KeyProjection::Integer { min, max, .. }, _) => {
                value.parse::<i64>().is_ok_and(|n| n >= *min && n <= *max)
            }
            (KeyProjection::Enum { values }, _) => values.contains(value),
            _ => true,
        };
        (!inside).then(|| format!("outside the projected range of {} ({value})", plan.key))
    })
}

/// Slots in the projected ranges: the product over keys.
fn slot_count(plans: &[KeyPlan], now: Slot) -> Option<u64> {
    plans.iter().try_fold(1u64, |total, plan| {
        let n = match (&plan.projection, &plan.date_range) {
            (KeyProjection::Date { interval, unit, .. }, Some((start, end, _))) => {
                let end = if *end == Slot::MAX {
                    now.max(*start)
                } else {
                    *end
                };
                let step = if *unit == "HOURS" {
                    *interval
                } else {
                    interval * 24
                };
                ((end - start) / step.max(1) + 1).max(0) as u64
            }
            (KeyProjection::Integer { min, max, .. }, _) => (max - min + 1) as u64,
            (KeyProjection::Enum { values }, _) => values.len() as u64,
            _ => return None,
        };
        Some(total.saturating_mul(n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places<'a>(locations: &'a [S3Location], values: &[Vec<String>]) -> Vec<Place<'a>> {
        locations
            .iter()
            .zip(values)
            .map(|(location, values)| Place {
                values: values.clone(),
                location,
                source: "folder",
            })
            .collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn keys(k: &[&str]) -> Vec<String> {
        strings(k)
    }

    /// Hourly folders for 3 days from 2024-01-30, in `style`.
    fn hourly(root: &str, hive: bool) -> (Vec<S3Location>, Vec<Vec<String>>) {
        let mut locations = Vec::new();
        let mut values = Vec::new();
        for (day, month) in [("30", "01"), ("31", "01"), ("01", "02")] {
            for hour in 0..24 {
                let v = strings(&["2024", month, day, &format!("{hour:02}")]);
                let path = if hive {
                    format!(
                        "{root}year={}/month={}/day={}/hour={}/",
                        v[0], v[1], v[2], v[3]
                    )
                } else {
                    format!("{root}{}/{}/{}/{}/", v[0], v[1], v[2], v[3])
                };
                locations.push(S3Location::parse(&path).unwrap());
                values.push(v);
            }
        }
        (locations, values)
    }

    #[test]
    fn flat_hourly_folders_get_integers_and_a_template() {
        let root = S3Location::parse("s3://b/events/").unwrap();
        let (locations, values) = hourly("s3://b/events/", false);
        let k = keys(&["year", "month", "day", "hour"]);
        let plan =
            plan_projection(&root, &k, &places(&locations, &values), Until::Found, 0).unwrap();
        let p = &plan.parameters;
        assert_eq!(p["projection.enabled"], "true");
        assert_eq!(p["projection.year.type"], "integer");
        assert_eq!(p["projection.year.range"], "2024,2024");
        assert!(!p.contains_key("projection.year.digits"));
        assert_eq!(p["projection.month.range"], "1,12");
        assert_eq!(p["projection.month.digits"], "2");
        assert_eq!(p["projection.day.range"], "1,31");
        assert_eq!(p["projection.hour.range"], "0,23");
        assert_eq!(p["projection.hour.digits"], "2");
        assert_eq!(
            p["storage.location.template"],
            "s3://b/events/${year}/${month}/${day}/${hour}/"
        );
        assert!(plan.mismatched.is_empty(), "{:?}", plan.mismatched);
        assert_eq!(plan.projected_slots, Some(12 * 31 * 24));
        assert_eq!(plan.empty_slots, Some(12 * 31 * 24 - 72));
        for (location, v) in locations.iter().zip(&values) {
            assert_eq!(
                expand(&p["storage.location.template"], &k, v),
                location.to_string()
            );
        }
    }

    #[test]
    fn hive_folders_under_the_table_need_no_template() {
        let root = S3Location::parse("s3://b/events").unwrap();
        let (locations, values) = hourly("s3://b/events/", true);
        let k = keys(&["year", "month", "day", "hour"]);
        let plan =
            plan_projection(&root, &k, &places(&locations, &values), Until::Found, 0).unwrap();
        assert_eq!(plan.template, None);
        assert!(!plan.parameters.contains_key("storage.location.template"));
        assert!(plan.mismatched.is_empty());
    }

    #[test]
    fn one_dt_key_daily_and_hourly_is_a_date() {
        let root = S3Location::parse("s3://b/t/").unwrap();
        let days: Vec<Vec<String>> = ["2024-01-30", "2024-01-31", "2024-02-02"]
            .iter()
            .map(|d| strings(&[d]))
            .collect();
        let locations: Vec<S3Location> = days
            .iter()
            .map(|v| S3Location::parse(&format!("s3://b/t/dt={}/", v[0])).unwrap())
            .collect();
        let k = keys(&["dt"]);
        let plan = plan_projection(&root, &k, &places(&locations, &days), Until::Found, 0).unwrap();
        let p = &plan.parameters;
        assert_eq!(p["projection.dt.type"], "date");
        assert_eq!(p["projection.dt.format"], "yyyy-MM-dd");
        assert_eq!(p["projection.dt.range"], "2024-01-30,2024-02-02");
        assert_eq!(p["projection.dt.interval"], "1");
        assert_eq!(p["projection.dt.interval.unit"], "DAYS");
        assert_eq!(plan.projected_slots, Some(4));
        assert_eq!(plan.empty_slots, Some(1));
        let now = plan_projection(&root, &k, &places(&locations, &days), Until::Now, 0).unwrap();
        assert_eq!(now.parameters["projection.dt.range"], "2024-01-30,NOW");

        let hours: Vec<Vec<String>> = ["2024-01-30-22", "2024-01-30-23", "2024-01-31-00"]
            .iter()
            .map(|d| strings(&[d]))
            .collect();
        let locations: Vec<S3Location> = hours
            .iter()
            .map(|v| S3Location::parse(&format!("s3://b/t/{}/", v[0])).unwrap())
            .collect();
        let plan =
            plan_projection(&root, &k, &places(&locations, &hours), Until::Found, 0).unwrap();
        let p = &plan.parameters;
        assert_eq!(p["projection.dt.format"], "yyyy-MM-dd-HH");
        assert_eq!(p["projection.dt.interval.unit"], "HOURS");
        assert_eq!(p["storage.location.template"], "s3://b/t/${dt}/");
        assert_eq!(java_pattern("%Y-%m-%dT%H"), "yyyy-MM-dd'T'HH");
    }

    #[test]
    fn tenants_regions_and_free_strings() {
        let root = S3Location::parse("s3://b/t/").unwrap();
        let mut values = Vec::new();
        for tenant in ["7", "12", "140"] {
            for hour in ["2024-01-01-00", "2024-01-01-01"] {
                for region in ["eu-west-1", "us-east-1"] {
                    values.push(strings(&[tenant, hour, region]));
                }
            }
        }
        let locations: Vec<S3Location> = values
            .iter()
            .map(|v| {
                S3Location::parse(&format!(
                    "s3://b/t/tenant={}/dt={}/region={}/",
                    v[0], v[1], v[2]
                ))
                .unwrap()
            })
            .collect();
        let k = keys(&["tenant", "dt", "region"]);
        let plan =
            plan_projection(&root, &k, &places(&locations, &values), Until::Found, 0).unwrap();
        let p = &plan.parameters;
        assert_eq!(p["projection.tenant.type"], "integer");
        assert_eq!(p["projection.tenant.range"], "7,140");
        assert_eq!(p["projection.dt.type"], "date");
        assert_eq!(p["projection.region.type"], "enum");
        assert_eq!(p["projection.region.values"], "eu-west-1,us-east-1");
        assert!(plan.template.is_none());

        let users: Vec<Vec<String>> = (0..100)
            .map(|i| strings(&[&format!("user-{i:x}z")]))
            .collect();
        let locations: Vec<S3Location> = users
            .iter()
            .map(|v| S3Location::parse(&format!("s3://b/t/user={}/", v[0])).unwrap())
            .collect();
        let plan = plan_projection(
            &root,
            &keys(&["user"]),
            &places(&locations, &users),
            Until::Found,
            0,
        )
        .unwrap();
        assert_eq!(plan.parameters["projection.user.type"], "injected");
        assert_eq!(plan.projected_slots, None);
        assert!(
            plan.notes.iter().any(|n| n.contains("must filter on user")),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn a_partition_outside_the_template_is_a_mismatch() {
        let root = S3Location::parse("s3://b/t/").unwrap();
        let values: Vec<Vec<String>> = ["2024-01-01", "2024-01-02", "2024-01-03"]
            .iter()
            .map(|d| strings(&[d]))
            .collect();
        let locations = [
            S3Location::parse("s3://b/t/dt=2024-01-01/").unwrap(),
            S3Location::parse("s3://b/t/dt=2024-01-02/").unwrap(),
            S3Location::parse("s3://archive/t/dt=2024-01-03/").unwrap(),
        ];
        let plan = plan_projection(
            &root,
            &keys(&["dt"]),
            &places(&locations, &values),
            Until::Found,
            0,
        )
        .unwrap();
        assert_eq!(plan.template, None);
        assert_eq!(plan.mismatched.len(), 1);
        assert_eq!(plan.mismatched[0].location, "s3://archive/t/dt=2024-01-03/");
        assert_eq!(plan.mismatched[0].expected, "s3://b/t/dt=2024-01-03/");
        // A given end before the last value leaves it outside the range.
        let until = ValueFormat::parse("%Y-%m-%d")
            .unwrap()
            .read("2024-01-02")
            .unwrap();
        let plan = plan_projection(
            &root,
            &keys(&["dt"]),
            &places(&locations[..2], &values[..2]),
            Until::At(until - 24),
            0,
        )
        .unwrap();
        assert_eq!(plan.mismatched.len(), 1, "{:?}", plan.mismatched);
        assert!(plan.mismatched[0]
            .expected
            .contains("outside the projected range"));
    }
}
