//! Which part of a table's folder tree a walk visits: fixed leading values
//! (`--prefix`) and a window of recent days (`--limit-days`). The walk asks
//! before it lists a folder, so what is out of scope is never listed.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::model::table::PartitionKey;

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day, 1 to 31.
    pub day: u32,
}

impl Date {
    /// Today in UTC.
    pub fn today_utc() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Self::from_days_since_epoch(secs.div_euclid(86_400))
    }

    /// The date `days` after 1970-01-01 (negative for before).
    pub fn from_days_since_epoch(days: i64) -> Self {
        // Howard Hinnant's civil_from_days: eras of 400 years, March-based.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self { year, month, day }
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        let y = self.year - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// The days a `--limit-days` walk visits, at a key offset.
#[derive(Debug, Clone)]
struct DateWindow {
    /// Index of the `year` key; `month` and `day` follow it.
    offset: usize,
    years: BTreeSet<i64>,
    months: BTreeSet<(i64, u32)>,
    days: BTreeSet<(i64, u32, u32)>,
}

/// The part of the folder tree a walk may enter.
#[derive(Debug, Clone, Default)]
pub struct WalkScope {
    fixed: Vec<String>,
    window: Option<DateWindow>,
}

impl WalkScope {
    /// Every folder is in scope.
    pub fn everything() -> Self {
        Self::default()
    }

    /// A scope for `keys`: the leading keys must equal `fixed`, and with
    /// `limit_days` the next three keys must be year, month and day and fall
    /// within today and the `limit_days` days before it (as glutil 1.0.0
    /// counts: `--limit-days 1` is today and yesterday).
    pub fn new(
        keys: &[PartitionKey],
        fixed: Vec<String>,
        limit_days: Option<u32>,
        today: Date,
    ) -> Result<Self> {
        if fixed.len() > keys.len() {
            return Err(Error::InvalidInput(format!(
                "{} --prefix values given but the table has only {} partition keys ({})",
                fixed.len(),
                keys.len(),
                key_names(keys)
            )));
        }
        let window = match limit_days {
            None => None,
            Some(n) => {
                let offset = fixed.len();
                let names: Vec<String> = keys
                    .iter()
                    .skip(offset)
                    .take(3)
                    .map(|k| k.name.to_ascii_lowercase())
                    .collect();
                if names != ["year", "month", "day"] {
                    return Err(Error::InvalidInput(format!(
                        "--limit-days needs the partition keys after the {} --prefix value(s) to be year, month, day; the table's keys are {}",
                        offset,
                        key_names(keys)
                    )));
                }
                let mut w = DateWindow {
                    offset,
                    years: BTreeSet::new(),
                    months: BTreeSet::new(),
                    days: BTreeSet::new(),
                };
                let end = today.days_since_epoch();
                for d in (end - i64::from(n))..=end {
                    let date = Date::from_days_since_epoch(d);
                    w.years.insert(date.year);
                    w.months.insert((date.year, date.month));
                    w.days.insert((date.year, date.month, date.day));
                }
                Some(w)
            }
        };
        Ok(Self { fixed, window })
    }

    /// True when nothing is narrowed: the walk covers the whole table.
    pub fn is_everything(&self) -> bool {
        self.fixed.is_empty() && self.window.is_none()
    }

    /// True when the scope narrows the values of level `depth` (a fixed
    /// `--prefix` value or a `--limit-days` date level): a walk should list
    /// such a level's folders and enter only those in scope, rather than
    /// read everything below it.
    pub fn restricts(&self, depth: usize) -> bool {
        depth < self.fixed.len()
            || self
                .window
                .as_ref()
                .is_some_and(|w| (w.offset..w.offset + 3).contains(&depth))
    }

    /// True when the folder whose values (one per key, down to its depth)
    /// are `values` may hold partitions in scope.
    pub fn accepts(&self, values: &[String]) -> bool {
        let Some(depth) = values.len().checked_sub(1) else {
            return true;
        };
        if let Some(fixed) = self.fixed.get(depth) {
            return &values[depth] == fixed;
        }
        let Some(w) = &self.window else {
            return true;
        };
        if depth < w.offset || depth >= w.offset + 3 {
            return true;
        }
        let nums: Option<Vec<i64>> = values[w.offset..=depth]
            .iter()
            .map(|v| v.parse::<i64>().ok())
            .collect();
        match nums.as_deref() {
            Some([y]) => w.years.contains(y),
            Some([y, m]) => w.months.contains(&(*y, *m as u32)),
            Some([y, m, d]) => w.days.contains(&(*y, *m as u32, *d as u32)),
            _ => false,
        }
    }
}

fn key_names(keys: &[PartitionKey]) -> String {
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    format!("({})", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<PartitionKey> {
        names
            .iter()
            .map(|n| PartitionKey::new(*n, "string"))
            .collect()
    }

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dates_round_trip_through_days() {
        assert_eq!(
            Date::from_days_since_epoch(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        let leap = Date {
            year: 2024,
            month: 2,
            day: 29,
        };
        assert_eq!(Date::from_days_since_epoch(leap.days_since_epoch()), leap);
        for d in -1000..30_000 {
            assert_eq!(Date::from_days_since_epoch(d).days_since_epoch(), d);
        }
    }

    #[test]
    fn window_spans_today_and_n_days_before_across_a_year_boundary() {
        let today = Date {
            year: 2020,
            month: 1,
            day: 1,
        };
        let s = WalkScope::new(
            &keys(&["year", "month", "day", "hour"]),
            vec![],
            Some(1),
            today,
        )
        .unwrap();
        assert!(s.accepts(&v(&["2020"])));
        assert!(s.accepts(&v(&["2019"])));
        assert!(!s.accepts(&v(&["2018"])));
        assert!(s.accepts(&v(&["2019", "12"])));
        assert!(!s.accepts(&v(&["2019", "11"])));
        assert!(s.accepts(&v(&["2019", "12", "31"])));
        assert!(!s.accepts(&v(&["2019", "12", "30"])));
        // Unpadded and padded values both count; the hour level is free.
        assert!(s.accepts(&v(&["2020", "1", "01", "23"])));
        assert!(!s.accepts(&v(&["twenty"])));
    }

    #[test]
    fn prefix_values_fix_the_leading_keys() {
        let today = Date {
            year: 2021,
            month: 6,
            day: 15,
        };
        let k = keys(&["region", "year", "month", "day"]);
        let s = WalkScope::new(&k, v(&["eu"]), Some(0), today).unwrap();
        assert!(s.accepts(&v(&["eu"])));
        assert!(!s.accepts(&v(&["us"])));
        assert!(s.accepts(&v(&["eu", "2021", "06", "15"])));
        assert!(!s.accepts(&v(&["eu", "2021", "06", "14"])));
        assert!((0..4).all(|d| s.restricts(d)));
        assert!(!s.restricts(4));
        assert!(!WalkScope::everything().restricts(0));
        assert!(WalkScope::everything().is_everything());
        assert!(!s.is_everything());
    }

    #[test]
    fn limit_days_needs_year_month_day_keys() {
        let today = Date::today_utc();
        let err = WalkScope::new(&keys(&["dt"]), vec![], Some(3), today).unwrap_err();
        assert!(err.to_string().contains("year, month, day"), "{err}");
        let err = WalkScope::new(&keys(&["year", "month", "day"]), v(&["x"]), Some(3), today)
            .unwrap_err();
        assert!(err.is_bad_input());
        assert!(WalkScope::new(&keys(&["Year", "MONTH", "day"]), vec![], Some(3), today).is_ok());
    }

    #[test]
    fn too_many_prefix_values_is_an_error() {
        let err =
            WalkScope::new(&keys(&["a"]), v(&["1", "2"]), None, Date::today_utc()).unwrap_err();
        assert!(err.to_string().contains("--prefix"));
    }
}
