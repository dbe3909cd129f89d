//! Gaps in a table keyed by time: which hours or days between two bounds
//! have no partition in the catalog. Time is UTC (no daylight saving), the
//! calendar proleptic Gregorian (leap days included), and both bounds are
//! inclusive. A table is keyed by time through `year`/`month`/`day`
//! [/`hour`] keys, or through one key whose values follow a format such as
//! `%Y-%m-%d-%H`; fixed leading values (`--prefix`) select one branch of a
//! table with other keys first.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::model::location::S3Location;
use crate::model::scope::Date;
use crate::model::table::PartitionKey;

/// How long one slot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    /// One slot per hour.
    Hour,
    /// One slot per day.
    Day,
}

impl Every {
    fn hours(self) -> i64 {
        match self {
            Every::Hour => 1,
            Every::Day => 24,
        }
    }
}

/// A slot: hours since 1970-01-01T00:00Z, a multiple of 24 for days.
pub type Slot = i64;

/// One piece of a value format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Year,
    Month,
    Day,
    Hour,
    /// `%M` or `%S`: written as `00`, and must read as `00`.
    Zero,
    Text(String),
}

/// A value format: `%Y`, `%m`, `%d`, `%H` (and `%M`, `%S` as `00`), `%%`,
/// and literal text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueFormat {
    pieces: Vec<Piece>,
}

/// Formats tried, in order, for a single time key without --value-format.
pub const KNOWN_FORMATS: [&str; 8] = [
    "%Y-%m-%d-%H",
    "%Y-%m-%dT%H",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y%m%d%H",
    "%Y-%m-%d",
    "%Y%m%d",
    "%Y/%m/%d",
];

impl ValueFormat {
    /// Parses a format; it must hold %Y, %m and %d.
    pub fn parse(format: &str) -> Result<Self> {
        let mut pieces = Vec::new();
        let mut chars = format.chars();
        let mut text = String::new();
        while let Some(c) = chars.next() {
            if c != '%' {
                text.push(c);
                continue;
            }
            let piece = match chars.next() {
                Some('Y') => Piece::Year,
                Some('m') => Piece::Month,
                Some('d') => Piece::Day,
                Some('H') => Piece::Hour,
                Some('M' | 'S') => Piece::Zero,
                Some('%') => {
                    text.push('%');
                    continue;
                }
                other => {
                    return Err(Error::InvalidInput(format!(
                        "--value-format `{format}`: `%{}` is not supported; use %Y, %m, %d, %H, %M, %S and %%",
                        other.map(String::from).unwrap_or_default()
                    )))
                }
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(piece);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let has = |p: Piece| pieces.contains(&p);
        if !(has(Piece::Year) && has(Piece::Month) && has(Piece::Day)) {
            return Err(Error::InvalidInput(format!(
                "--value-format `{format}` must hold %Y, %m and %d"
            )));
        }
        Ok(Self { pieces })
    }

    /// True when values of this format sort as the times they name: the
    /// year, month, day and hour (fixed width) come in that order, the
    /// year first, so a BETWEEN on the text is a window in time.
    pub fn sorts_as_time(&self) -> bool {
        let order: Vec<u8> = self
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Year => Some(0),
                Piece::Month => Some(1),
                Piece::Day => Some(2),
                Piece::Hour => Some(3),
                _ => None,
            })
            .collect();
        order.windows(2).all(|w| w[0] < w[1]) && order.first() == Some(&0)
    }

    /// True when the format names the hour (`%H`).
    pub fn has_hour(&self) -> bool {
        self.pieces.contains(&Piece::Hour)
    }

    /// The hour a value names, if it follows the format and is a real time.
    pub fn read(&self, value: &str) -> Option<Slot> {
        let (mut year, mut month, mut day, mut hour) = (None, None, None, 0);
        let mut rest = value;
        for piece in &self.pieces {
            let width = match piece {
                Piece::Text(text) => {
                    rest = rest.strip_prefix(text.as_str())?;
                    continue;
                }
                Piece::Year => 4,
                _ => 2,
            };
            let digits = rest
                .get(..width)
                .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
            rest = &rest[width..];
            let n: u32 = digits.parse().ok()?;
            match piece {
                Piece::Year => year = Some(n),
                Piece::Month => month = Some(n),
                Piece::Day => day = Some(n),
                Piece::Hour => hour = n,
                _ if n != 0 => return None,
                _ => {}
            }
        }
        if !rest.is_empty() {
            return None;
        }
        slot_from_parts(i64::from(year?), month?, day?, hour)
    }

    /// The value for a slot.
    pub fn write(&self, slot: Slot) -> String {
        let (date, hour) = split(slot);
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Year => out.push_str(&format!("{:04}", date.year)),
                Piece::Month => out.push_str(&format!("{:02}", date.month)),
                Piece::Day => out.push_str(&format!("{:02}", date.day)),
                Piece::Hour => out.push_str(&format!("{hour:02}")),
                Piece::Zero => out.push_str("00"),
                Piece::Text(text) => out.push_str(text),
            }
        }
        out
    }
}

/// The hour of a calendar date and hour, if they are real.
pub fn slot_from_parts(year: i64, month: u32, day: u32, hour: u32) -> Option<Slot> {
    let date = Date { year, month, day };
    let days = date.days_since_epoch();
    let real = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && Date::from_days_since_epoch(days) == date;
    real.then_some(days * 24 + i64::from(hour))
}

fn split(slot: Slot) -> (Date, i64) {
    (
        Date::from_days_since_epoch(slot.div_euclid(24)),
        slot.rem_euclid(24),
    )
}

/// A slot for people: `2024-02-29 05:00` (hours) or `2024-02-29` (days).
pub fn slot_text(slot: Slot, every: Every) -> String {
    let (date, hour) = split(slot);
    let day = format!("{:04}-{:02}-{:02}", date.year, date.month, date.day);
    match every {
        Every::Hour => format!("{day} {hour:02}:00"),
        Every::Day => day,
    }
}

/// A slot as RFC 3339: `2024-02-29T05:00:00Z`.
pub fn slot_rfc3339(slot: Slot) -> String {
    let (date, hour) = split(slot);
    format!(
        "{:04}-{:02}-{:02}T{hour:02}:00:00Z",
        date.year, date.month, date.day
    )
}

/// How a table's partition values name a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeKeys {
    /// `year`, `month`, `day` and maybe `hour` keys (in any order after the
    /// fixed ones), at these positions; month, day and hour values are
    /// zero-padded unless the catalog shows otherwise.
    Parts {
        /// Positions of year, month, day and hour.
        year: usize,
        /// Position of month.
        month: usize,
        /// Position of day.
        day: usize,
        /// Position of hour, if the table has one.
        hour: Option<usize>,
        /// Whether month, day and hour values are zero-padded.
        padded: bool,
    },
    /// One key whose values follow a format.
    Formatted {
        /// Its position.
        position: usize,
        /// The format.
        format: ValueFormat,
    },
}

impl TimeKeys {
    /// Works out how the keys after `fixed` name a time. `format` is
    /// --value-format; without it a single time key's format is guessed
    /// from `values` among [`KNOWN_FORMATS`].
    pub fn detect(
        keys: &[PartitionKey],
        fixed: usize,
        format: Option<&str>,
        values: &[&[String]],
        every: Every,
    ) -> Result<Self> {
        let rest: Vec<String> = keys[fixed.min(keys.len())..]
            .iter()
            .map(|k| k.name.to_ascii_lowercase())
            .collect();
        let found = match (format, rest.len()) {
            (Some(format), 1) => Self::Formatted {
                position: fixed,
                format: ValueFormat::parse(format)?,
            },
            (Some(_), n) => {
                return Err(Error::InvalidInput(format!(
                    "--value-format needs exactly one time key after the --prefix values, but there are {n} ({})",
                    rest.join(", ")
                )))
            }
            (None, 1) if !["year", "month", "day", "hour"].contains(&rest[0].as_str()) => {
                Self::Formatted {
                    position: fixed,
                    format: guess_format(&rest[0], fixed, values)?,
                }
            }
            _ => parts(&rest, fixed, values)?,
        };
        found.check_every(every, &rest)?;
        Ok(found)
    }

    /// True when the keys name hours (an `hour` key, or a value format
    /// with `%H`): the slot length `gaps` takes when none is given.
    pub fn hourly(&self) -> bool {
        match self {
            TimeKeys::Parts { hour, .. } => hour.is_some(),
            TimeKeys::Formatted { format, .. } => format.has_hour(),
        }
    }

    fn check_every(&self, every: Every, names: &[String]) -> Result<()> {
        if every == Every::Hour && !self.hourly() {
            return Err(Error::InvalidInput(format!(
                "the time keys ({}) name days, not hours: use --every day",
                names.join(", ")
            )));
        }
        Ok(())
    }

    /// The slot a partition's values fall in (the hour, or its day), or
    /// `None` for values that are not a real time.
    pub fn slot(&self, values: &[String], every: Every) -> Option<Slot> {
        let hour = match self {
            TimeKeys::Parts {
                year,
                month,
                day,
                hour,
                ..
            } => {
                let number = |i: usize| values.get(i)?.parse::<u32>().ok();
                let h = match hour {
                    Some(i) => number(*i)?,
                    None => 0,
                };
                slot_from_parts(i64::from(number(*year)?), number(*month)?, number(*day)?, h)?
            }
            TimeKeys::Formatted { position, format } => format.read(values.get(*position)?)?,
        };
        Some(hour - hour.rem_euclid(every.hours()))
    }

    /// The values of the time keys for a slot, in key order (hour 00 for a
    /// daily slot of an hourly table is not written: see [`Self::slot`]).
    pub fn values(&self, slot: Slot) -> Vec<(usize, String)> {
        let (date, hour) = split(slot);
        match self {
            TimeKeys::Parts {
                year,
                month,
                day,
                hour: hour_at,
                padded,
            } => {
                let two = |n: i64| {
                    if *padded {
                        format!("{n:02}")
                    } else {
                        n.to_string()
                    }
                };
                let mut out = vec![
                    (*year, format!("{:04}", date.year)),
                    (*month, two(i64::from(date.month))),
                    (*day, two(i64::from(date.day))),
                ];
                if let Some(at) = hour_at {
                    out.push((*at, two(hour)));
                }
                out.sort();
                out
            }
            TimeKeys::Formatted { position, format } => vec![(*position, format.write(slot))],
        }
    }
}

fn parts(names: &[String], fixed: usize, values: &[&[String]]) -> Result<TimeKeys> {
    let at = |name: &str| names.iter().position(|n| n == name).map(|i| i + fixed);
    if let Some(other) = names
        .iter()
        .find(|n| !["year", "month", "day", "hour"].contains(&n.as_str()))
    {
        return Err(Error::InvalidInput(format!(
            "key `{other}` is not a time key: gaps needs year, month, day [, hour] keys, or one key with --value-format; fix leading keys with --prefix"
        )));
    }
    let (Some(year), Some(month), Some(day)) = (at("year"), at("month"), at("day")) else {
        return Err(Error::InvalidInput(format!(
            "the keys ({}) do not name a day: gaps needs year, month and day keys, or one key with --value-format",
            names.join(", ")
        )));
    };
    let hour = at("hour");
    let positions = [Some(month), Some(day), hour];
    let unpadded = values.iter().any(|v| {
        positions
            .iter()
            .flatten()
            .any(|&i| v.get(i).is_some_and(|x| x.len() == 1))
    });
    Ok(TimeKeys::Parts {
        year,
        month,
        day,
        hour,
        padded: !unpadded,
    })
}

fn guess_format(name: &str, position: usize, values: &[&[String]]) -> Result<ValueFormat> {
    let texts: Vec<&String> = values.iter().filter_map(|v| v.get(position)).collect();
    for candidate in KNOWN_FORMATS {
        let format = ValueFormat::parse(candidate)?;
        if !texts.is_empty() && texts.iter().all(|t| format.read(t).is_some()) {
            return Ok(format);
        }
    }
    Err(Error::InvalidInput(format!(
        "the values of key `{name}` do not follow a known time format ({}); say how with --value-format, e.g. --value-format '%Y-%m-%d-%H'",
        KNOWN_FORMATS.join(", ")
    )))
}

/// Reads a bound: `2024-02-29`, `2024-02-29T05`, `2024-02-29 05:00`,
/// `2024-02-29T05:00:00Z` (UTC; minutes and seconds must be zero), or
/// `now`. The slot it falls in is returned.
pub fn parse_bound(text: &str, every: Every, now: Slot) -> Result<Slot> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("now") {
        return Ok(now - now.rem_euclid(every.hours()));
    }
    let cleaned = trimmed.trim_end_matches('Z').replace('T', " ");
    let candidates = [
        "%Y-%m-%d",
        "%Y-%m-%d %H",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ];
    let hour = candidates
        .iter()
        .find_map(|f| ValueFormat::parse(f).ok()?.read(&cleaned));
    match hour {
        Some(hour) => Ok(hour - hour.rem_euclid(every.hours())),
        None => Err(Error::InvalidInput(format!(
            "`{text}` is not a UTC time like 2024-02-29, 2024-02-29T05 or 2024-02-29T05:00:00Z (or `now`)"
        ))),
    }
}

/// What the catalog holds between two bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gaps {
    /// Slot length.
    pub every: Every,
    /// First slot, inclusive.
    pub since: Slot,
    /// Last slot, inclusive.
    pub until: Slot,
    /// Slots with at least one partition.
    pub present: usize,
    /// Slots without, in order.
    pub missing: Vec<Slot>,
    /// Partitions whose values are not a real time (ignored).
    pub unreadable: usize,
    /// Partitions outside the bounds (ignored).
    pub outside: usize,
}

impl Gaps {
    /// Slots between the bounds.
    pub fn slots(&self) -> usize {
        ((self.until - self.since) / self.every.hours() + 1) as usize
    }
}

/// Finds the slots without partitions. Without bounds, the first and last
/// slots the catalog holds are used.
pub fn find_gaps(
    keys: &TimeKeys,
    every: Every,
    values: &[&[String]],
    since: Option<Slot>,
    until: Option<Slot>,
) -> Result<Gaps> {
    let mut unreadable = 0;
    let mut held = BTreeSet::new();
    for v in values {
        match keys.slot(v, every) {
            Some(slot) => {
                held.insert(slot);
            }
            None => unreadable += 1,
        }
    }
    let (Some(since), Some(until)) = (
        since.or_else(|| held.first().copied()),
        until.or_else(|| held.last().copied()),
    ) else {
        return Err(Error::InvalidInput(
            "the table has no partitions that name a time, so there is no range to check: give --since and --until".to_string(),
        ));
    };
    if since > until {
        return Err(Error::InvalidInput(format!(
            "--since {} is after --until {}",
            slot_text(since, every),
            slot_text(until, every)
        )));
    }
    let outside = held.iter().filter(|s| **s < since || **s > until).count();
    let missing: Vec<Slot> = (0..)
        .map(|i| since + i * every.hours())
        .take_while(|s| *s <= until)
        .filter(|s| !held.contains(s))
        .collect();
    let present = held.len() - outside;
    Ok(Gaps {
        every,
        since,
        until,
        present,
        missing,
        unreadable,
        outside,
    })
}

/// Where a slot's data would be: under the folder that holds the table's
/// partitions, as `key=value/` (Hive) or `value/` folders, one per key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderStyle {
    /// The folder above the first key's folders.
    pub base: S3Location,
    /// Hive folders (`year=2024/`) or plain ones (`2024/`).
    pub hive: bool,
    /// The style was learned from a partition under the table's location;
    /// false when none lies there and the table's location was used with
    /// the style of partitions elsewhere (or Hive folders).
    pub from_table_partitions: bool,
}

impl FolderStyle {
    /// Learns the style from the first partition (values and location)
    /// that lies under the table's location and whose folders spell its
    /// values. A partition elsewhere (an archive bucket) never sets the
    /// base: the table's location is where new data lands, and where the
    /// partitioner looks. With none under the table's location the base is
    /// the table's location, in the style of a partition elsewhere, or Hive
    /// folders.
    pub fn learn<'a>(
        table_location: &S3Location,
        key_names: &[String],
        samples: impl IntoIterator<Item = (&'a [String], &'a S3Location)>,
    ) -> Self {
        let mut style_elsewhere = None;
        for (values, location) in samples {
            for hive in [true, false] {
                let tail = relative_path(key_names, values, hive);
                let Some(base) = location.prefix().strip_suffix(&tail) else {
                    continue;
                };
                let base = location.with_prefix(base);
                if base.is_under(table_location) {
                    return Self {
                        base,
                        hive,
                        from_table_partitions: true,
                    };
                }
                style_elsewhere.get_or_insert(hive);
            }
        }
        Self {
            base: table_location.clone(),
            hive: style_elsewhere.unwrap_or(true),
            from_table_partitions: false,
        }
    }

    /// The folder for a partition's values.
    pub fn folder(&self, key_names: &[String], values: &[String]) -> S3Location {
        self.base.join(&relative_path(key_names, values, self.hive))
    }
}

fn relative_path(key_names: &[String], values: &[String], hive: bool) -> String {
    key_names
        .iter()
        .zip(values)
        .map(|(k, v)| {
            if hive {
                format!("{}={}/", escape(k), escape(v))
            } else {
                format!("{}/", escape(v))
            }
        })
        .collect()
}

/// Escapes a path name as Hive does (`:` as `%3A`, ...).
fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_control() || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
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

    fn hour(text: &str) -> Slot {
        parse_bound(text, Every::Hour, 0).unwrap()
    }

    #[test]
    fn hourly_holes_cross_day_month_and_leap_day_boundaries() {
        let names = keys(&["year", "month", "day", "hour"]);
        // 2024-02-28 22:00 .. 2024-03-01 01:00, without 02-29 00:00 and
        // 02-29 23:00.
        let all: Vec<Vec<String>> = [
            ["2024", "02", "28", "22"],
            ["2024", "02", "28", "23"],
            ["2024", "02", "29", "01"],
            ["2024", "03", "01", "00"],
            ["2024", "03", "01", "01"],
        ]
        .iter()
        .map(|p| v(p))
        .chain((2..23).map(|h| v(&["2024", "02", "29", &format!("{h:02}")])))
        .collect();
        let values: Vec<&[String]> = all.iter().map(Vec::as_slice).collect();
        let time = TimeKeys::detect(&names, 0, None, &values, Every::Hour).unwrap();
        let gaps = find_gaps(&time, Every::Hour, &values, None, None).unwrap();
        let missing: Vec<String> = gaps
            .missing
            .iter()
            .map(|s| slot_text(*s, Every::Hour))
            .collect();
        assert_eq!(missing, ["2024-02-29 00:00", "2024-02-29 23:00"]);
        assert_eq!(gaps.slots(), 28);
        assert_eq!(gaps.present, 26);
        assert_eq!(
            time.values(gaps.missing[1]),
            [
                (0, "2024".into()),
                (1, "02".into()),
                (2, "29".into()),
                (3, "23".into())
            ]
        );
    }

    #[test]
    fn bounds_are_inclusive_and_cut_to_the_slot() {
        let names = keys(&["year", "month", "day"]);
        let all = [v(&["2023", "12", "31"]), v(&["2024", "1", "2"])];
        let values: Vec<&[String]> = all.iter().map(Vec::as_slice).collect();
        let time = TimeKeys::detect(&names, 0, None, &values, Every::Day).unwrap();
        let since = parse_bound("2023-12-30T17:00:00Z", Every::Day, 0).unwrap();
        let until = parse_bound("2024-01-03", Every::Day, 0).unwrap();
        let gaps = find_gaps(&time, Every::Day, &values, Some(since), Some(until)).unwrap();
        let missing: Vec<String> = gaps
            .missing
            .iter()
            .map(|s| slot_text(*s, Every::Day))
            .collect();
        assert_eq!(missing, ["2023-12-30", "2024-01-01", "2024-01-03"]);
        // Unpadded values in the catalog: unpadded values for the holes.
        assert_eq!(time.values(gaps.missing[1])[1], (1, "1".to_string()));
        let err = find_gaps(&time, Every::Day, &values, Some(until), Some(since)).unwrap_err();
        assert!(err.to_string().contains("after"), "{err}");
    }

    #[test]
    fn a_formatted_key_is_read_with_its_format_or_a_known_one() {
        let names = keys(&["dt"]);
        let all = [v(&["2024-01-01-23"]), v(&["2024-01-02-01"]), v(&["junk"])];
        let values: Vec<&[String]> = all.iter().map(Vec::as_slice).collect();
        let given = TimeKeys::detect(&names, 0, Some("%Y-%m-%d-%H"), &values, Every::Hour).unwrap();
        let gaps = find_gaps(&given, Every::Hour, &values, None, None).unwrap();
        assert_eq!(gaps.missing, [hour("2024-01-02T00")]);
        assert_eq!(gaps.unreadable, 1);
        assert_eq!(
            given.values(gaps.missing[0]),
            [(0, "2024-01-02-00".to_string())]
        );
        // Without --value-format, the format is guessed from valid values.
        let clean: Vec<&[String]> = values[..2].to_vec();
        let guessed = TimeKeys::detect(&names, 0, None, &clean, Every::Hour).unwrap();
        assert_eq!(guessed, given);
        let err = TimeKeys::detect(&names, 0, None, &values, Every::Hour).unwrap_err();
        assert!(err.to_string().contains("--value-format"), "{err}");
        let days = TimeKeys::detect(&names, 0, Some("%Y%m%d"), &[], Every::Hour).unwrap_err();
        assert!(days.to_string().contains("--every day"), "{days}");
    }

    #[test]
    fn formats_reject_what_is_not_a_real_time() {
        let f = ValueFormat::parse("%Y-%m-%d %H:%M").unwrap();
        assert_eq!(f.read("2024-02-29 05:00"), Some(hour("2024-02-29T05")));
        assert_eq!(f.read("2023-02-29 05:00"), None, "2023 has no leap day");
        assert_eq!(f.read("2024-02-29 05:30"), None, "not on the hour");
        assert_eq!(f.read("2024-02-29 24:00"), None);
        assert_eq!(f.write(hour("2024-02-29T05")), "2024-02-29 05:00");
        assert!(ValueFormat::parse("%Y-%m").is_err());
        assert!(ValueFormat::parse("%Y-%m-%d %q").is_err());
        assert!(parse_bound("yesterday", Every::Day, 0).is_err());
        assert_eq!(slot_rfc3339(hour("2024-02-29T05")), "2024-02-29T05:00:00Z");
    }

    #[test]
    fn other_keys_need_prefix_values() {
        let names = keys(&["region", "year", "month", "day"]);
        let err = TimeKeys::detect(&names, 0, None, &[], Every::Day).unwrap_err();
        assert!(err.to_string().contains("--prefix"), "{err}");
        let time = TimeKeys::detect(&names, 1, None, &[], Every::Day).unwrap();
        assert_eq!(time.values(0)[0], (1, "1970".to_string()));
    }

    #[test]
    fn folders_follow_the_partitions_under_the_table_location_never_one_elsewhere() {
        let table = S3Location::parse("s3://b/t/").unwrap();
        let names = v(&["year", "month"]);
        let archived = S3Location::parse("s3://archive/x/year=2023/month=01/").unwrap();
        let here = S3Location::parse("s3://b/t/data/2024/01/").unwrap();
        let (old, new) = (v(&["2023", "01"]), v(&["2024", "01"]));
        let style = FolderStyle::learn(&table, &names, [(&old[..], &archived), (&new[..], &here)]);
        assert!(!style.hive);
        assert!(style.from_table_partitions);
        assert_eq!(
            style.folder(&names, &v(&["2024", "02"])).to_string(),
            "s3://b/t/data/2024/02/"
        );
        // Only a partition elsewhere: the table's location, in its style.
        let elsewhere = FolderStyle::learn(&table, &names, [(&old[..], &archived)]);
        assert!(!elsewhere.from_table_partitions);
        assert!(elsewhere.hive);
        assert_eq!(
            elsewhere.folder(&names, &v(&["2024", "02"])).to_string(),
            "s3://b/t/year=2024/month=02/"
        );
        let flat_elsewhere = S3Location::parse("s3://archive/x/2023/01/").unwrap();
        let flat = FolderStyle::learn(&table, &names, [(&old[..], &flat_elsewhere)]);
        assert_eq!(
            flat.folder(&names, &v(&["2024", "02"])).to_string(),
            "s3://b/t/2024/02/"
        );
        let hive = FolderStyle::learn(&table, &names, []);
        assert_eq!(
            hive.folder(&v(&["dt"]), &v(&["2024-01-01 05:00"]))
                .to_string(),
            "s3://b/t/dt=2024-01-01 05%3A00/"
        );
    }
}
