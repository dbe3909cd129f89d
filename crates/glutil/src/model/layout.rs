//! The rules that turn S3 folder names into partition values.
//!
//! Everything here is pure: the S3 walk feeds folder names and object keys
//! in, and gets values (or "not a partition") back.

use crate::model::location::S3Location;
use crate::model::partition::DiscoveredPartition;
use crate::model::table::{PartitionKey, Table};
use crate::model::values::Values;

/// True for folders Hive and Spark treat as hidden (`_temporary`,
/// `.spark-staging`, `.hive-staging_*`): they are never partitions.
pub fn is_hidden(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

/// The value a folder name gives `key`, or `None` if the folder is not a
/// partition folder for that key.
///
/// A name is either `key=value` (Hive style; the key compares
/// case-insensitively and the value is unescaped) or a bare `value` (flat
/// style). A name with `=` that names another key does not match.
pub fn folder_value(name: &str, key: &PartitionKey) -> Option<String> {
    if name.is_empty() || is_hidden(name) {
        return None;
    }
    let value = match name.split_once('=') {
        Some((k, v)) if k.eq_ignore_ascii_case(&key.name) => unescape_path_name(v),
        Some(_) => return None,
        None => name.to_string(),
    };
    value_fits(&value, key).then_some(value)
}

/// True for a folder of a single-key table that is flat: its data may sit
/// in nested flat folders (`2019/01/02/03/`), whose path joined with `-` is
/// the value, so the folder alone does not say which partition it is.
pub fn is_nested_flat(name: &str, keys: &[PartitionKey]) -> bool {
    keys.len() == 1 && !name.is_empty() && !name.contains('=') && !is_hidden(name)
}

/// The values a path of folder names gives, one name per key, or `None`
/// when the path is not exactly one folder per key or a name does not
/// match its key.
pub fn path_values(names: &[&str], keys: &[PartitionKey]) -> Option<Vec<String>> {
    if names.len() != keys.len() {
        return None;
    }
    names
        .iter()
        .zip(keys)
        .map(|(name, key)| folder_value(name, key))
        .collect()
}

/// True when `value` is acceptable for `key`: non-empty, and digits only for
/// integer-typed keys.
pub fn value_fits(value: &str, key: &PartitionKey) -> bool {
    !value.is_empty() && (!key.is_integer() || value.bytes().all(|b| b.is_ascii_digit()))
}

/// Undoes Hive's path escaping (`%3A` -> `:`). Sequences that are not a `%`
/// followed by two hex digits stay as they are, as in Hive. Decoded bytes
/// that form UTF-8 are read as UTF-8.
pub fn unescape_path_name(escaped: &str) -> String {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        // Hive escapes single characters, never UTF-8 sequences; a lone
        // high byte is that character's code point.
        Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// True when an object key, relative to a partition folder, is data: not a
/// folder marker (a zero-byte key ending in `/`) and not inside a hidden
/// folder (`_temporary/`, `.spark-staging/`) of the partition.
pub fn is_data_object(relative_key: &str, size: i64) -> bool {
    if relative_key.is_empty() || (relative_key.ends_with('/') && size == 0) {
        return false;
    }
    let mut folders: Vec<&str> = relative_key.split('/').collect();
    folders.pop();
    !folders.iter().any(|f| is_hidden(f))
}

/// Where a key below a single-key table's root puts its data, for tables
/// whose data sits in nested flat folders (`2019/01/02/03/file`): the value
/// is the folder path joined with `-` (`2019-01-02-03`), and the folder is
/// the object's own folder. `None` when the key is not data of such a
/// partition (a file at the root, a hidden or Hive-style folder on the way,
/// a marker, or a value the key's type rejects).
pub fn nested_flat_value(
    relative_key: &str,
    size: i64,
    key: &PartitionKey,
) -> Option<(String, String)> {
    if relative_key.ends_with('/') && size == 0 {
        return None;
    }
    let (folder, _file) = relative_key.rsplit_once('/')?;
    let parts: Vec<&str> = folder.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || is_hidden(p) || p.contains('='))
    {
        return None;
    }
    let value = parts.join("-");
    value_fits(&value, key).then(|| (value, format!("{folder}/")))
}

/// Two or more folders whose names decode to the same partition values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    /// The values every folder decodes to.
    pub values: Values,
    /// Every folder that decodes to them, sorted.
    pub locations: Vec<S3Location>,
}

/// Splits found partitions into unique ones and conflicts: values found in
/// more than one folder are reported with all their folders and create
/// nothing. Both lists come out sorted by values.
pub fn resolve_conflicts(
    found: impl IntoIterator<Item = DiscoveredPartition>,
) -> (Vec<DiscoveredPartition>, Vec<Conflict>) {
    // Sorted in place and scanned: no map beside the list (a ten-year
    // hourly table finds 87,600 partitions).
    let mut found: Vec<DiscoveredPartition> = found.into_iter().collect();
    found.sort_by(|a, b| a.values.cmp(&b.values));
    if found.windows(2).all(|w| w[0].values != w[1].values) {
        // The usual case: no two folders share values; the sorted list is
        // the answer, with no second list beside it.
        return (found, Vec::new());
    }
    let mut unique = Vec::with_capacity(found.len());
    let mut conflicts = Vec::new();
    let mut rest = found.into_iter().peekable();
    while let Some(first) = rest.next() {
        let mut locations = Vec::new();
        while let Some(next) = rest.next_if(|n| n.values == first.values) {
            locations.push(next.location);
        }
        if locations.is_empty() {
            unique.push(first);
            continue;
        }
        locations.push(first.location);
        locations.sort_by_key(|l| l.to_string());
        locations.dedup();
        if locations.len() == 1 {
            let location = locations.pop().expect("one location");
            unique.push(DiscoveredPartition {
                values: first.values,
                location,
            });
        } else {
            conflicts.push(Conflict {
                values: first.values,
                locations,
            });
        }
    }
    (unique, conflicts)
}

/// True when a complete walk of the table's location would have seen the
/// folder if it held any object: it lies under the table location, one
/// folder per key, each matching its key. A single-key table's flat
/// folders are left out, since their data may sit in nested folders that
/// the walk files under other values.
pub fn walk_covers(table: &Table, location: &S3Location) -> bool {
    if !location.is_under(&table.location) {
        return false;
    }
    let relative = location.prefix()[table.location.prefix().len()..].trim_end_matches('/');
    let names: Vec<&str> = relative.split('/').collect();
    !is_nested_flat(names[0], &table.partition_keys)
        && path_values(&names, &table.partition_keys).is_some()
}

/// Why an object announced by an event is not data of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectSkip {
    /// Not under the table's location.
    Elsewhere,
    /// Fewer folders below the table location than the table has keys.
    Shallow,
    /// Its folders do not match the keys (another key's `k=`, a value the
    /// key's type rejects, a hidden folder).
    NoMatch,
    /// A folder marker, a `_$folder$` object or a file in a hidden folder.
    NotData,
}

/// The partition an object's key puts its data in, by the same rules as
/// the walk: one folder per key (Hive `k=v` or flat `v`), hidden folders,
/// folder markers and `_$folder$` objects are not data, and a single-key
/// table's nested flat folders join with `-`. `key` is the object key in
/// the table's bucket; `size` its size.
pub fn object_partition(
    table: &Table,
    key: &str,
    size: i64,
) -> Result<DiscoveredPartition, ObjectSkip> {
    let relative = key
        .strip_prefix(table.location.prefix())
        .ok_or(ObjectSkip::Elsewhere)?;
    if relative.ends_with("_$folder$") {
        return Err(ObjectSkip::NotData);
    }
    let keys = &table.partition_keys;
    let (folder, _file) = relative.rsplit_once('/').ok_or(ObjectSkip::Shallow)?;
    let names: Vec<&str> = folder.split('/').collect();
    if keys.len() == 1 && is_nested_flat(names[0], keys) {
        let (value, folder) =
            nested_flat_value(relative, size, &keys[0]).ok_or(ObjectSkip::NotData)?;
        return Ok(DiscoveredPartition {
            values: Values::new([value]),
            location: table.location.join(&folder),
        });
    }
    if names.len() < keys.len() {
        return Err(ObjectSkip::Shallow);
    }
    let (partition, _) = names.split_at(keys.len());
    let values = path_values(partition, keys).ok_or(ObjectSkip::NoMatch)?;
    let below = &relative[partition.iter().map(|n| n.len() + 1).sum::<usize>()..];
    if !is_data_object(below, size) {
        return Err(ObjectSkip::NotData);
    }
    Ok(DiscoveredPartition {
        values: Values::new(values),
        location: table.location.join(&format!("{}/", partition.join("/"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_key(name: &str) -> PartitionKey {
        PartitionKey::new(name, "string")
    }

    #[test]
    fn flat_and_hive_folders_give_values() {
        let year = string_key("year");
        assert_eq!(folder_value("2019", &year).as_deref(), Some("2019"));
        assert_eq!(folder_value("year=2019", &year).as_deref(), Some("2019"));
    }

    #[test]
    fn hive_key_names_compare_case_insensitively() {
        let year = string_key("year");
        assert_eq!(folder_value("YEAR=2019", &year).as_deref(), Some("2019"));
        assert_eq!(
            folder_value("Year=2019", &string_key("YEAR")).as_deref(),
            Some("2019")
        );
    }

    #[test]
    fn hive_folder_for_another_key_does_not_match() {
        assert_eq!(folder_value("month=01", &string_key("year")), None);
        assert_eq!(folder_value("yr=2019", &string_key("year")), None);
    }

    #[test]
    fn hidden_folders_are_never_partitions() {
        let k = string_key("dt");
        for name in [
            "_temporary",
            ".spark-staging",
            ".hive-staging_hive_2019",
            "_SUCCESS",
            "_dt=2019",
        ] {
            assert_eq!(folder_value(name, &k), None, "{name}");
        }
    }

    #[test]
    fn integer_keys_only_match_digits() {
        for ty in ["int", "bigint", "smallint", "tinyint", "INT"] {
            let k = PartitionKey::new("hour", ty);
            assert_eq!(folder_value("07", &k).as_deref(), Some("07"), "{ty}");
            assert_eq!(folder_value("hour=23", &k).as_deref(), Some("23"));
            assert_eq!(folder_value("7a", &k), None, "{ty}");
            assert_eq!(folder_value("hour=-1", &k), None, "{ty}");
            assert_eq!(folder_value("hour=", &k), None, "{ty}");
        }
        assert_eq!(
            folder_value("7a", &PartitionKey::new("hour", "string")).as_deref(),
            Some("7a")
        );
    }

    #[test]
    fn hive_values_are_unescaped() {
        let k = string_key("ts");
        assert_eq!(
            folder_value("ts=2019-01-02 03%3A04%3A05", &k).as_deref(),
            Some("2019-01-02 03:04:05")
        );
        assert_eq!(unescape_path_name("a%2Fb%3d"), "a/b=");
        assert_eq!(unescape_path_name("100%"), "100%");
        assert_eq!(unescape_path_name("%zz%4"), "%zz%4");
        assert_eq!(unescape_path_name("caf%C3%A9"), "café");
    }

    #[test]
    fn flat_values_are_kept_as_they_are() {
        assert_eq!(
            folder_value("a%3Ab", &string_key("k")).as_deref(),
            Some("a%3Ab")
        );
    }

    #[test]
    fn empty_values_are_not_partitions() {
        assert_eq!(folder_value("dt=", &string_key("dt")), None);
        assert_eq!(folder_value("", &string_key("dt")), None);
    }

    #[test]
    fn paths_give_values_one_folder_per_key() {
        let keys = [PartitionKey::new("year", "int"), string_key("month")];
        assert_eq!(
            path_values(&["year=2019", "01"], &keys),
            Some(vec!["2019".to_string(), "01".to_string()])
        );
        assert_eq!(path_values(&["2019"], &keys), None);
        assert_eq!(path_values(&["2019", "01", "02"], &keys), None);
        assert_eq!(path_values(&["x", "01"], &keys), None);
        assert!(is_nested_flat("2019", &[string_key("dt")]));
        assert!(!is_nested_flat("dt=2019", &[string_key("dt")]));
        assert!(!is_nested_flat("2019", &keys));
    }

    #[test]
    fn data_objects_exclude_markers_and_hidden_folders() {
        assert!(is_data_object("part-0000.parquet", 10));
        assert!(is_data_object("empty-but-real-file", 0));
        assert!(is_data_object("sub/part-0000", 5));
        assert!(!is_data_object("", 0));
        assert!(!is_data_object("sub/", 0));
        assert!(!is_data_object("_temporary/0/part-0000", 5));
        assert!(!is_data_object("sub/.spark-staging/x", 5));
    }

    #[test]
    fn nested_flat_paths_join_with_dashes() {
        let dt = string_key("dt");
        assert_eq!(
            nested_flat_value("2019/01/02/03/file.json", 3, &dt),
            Some(("2019-01-02-03".to_string(), "2019/01/02/03/".to_string()))
        );
        assert_eq!(
            nested_flat_value("2019-01-02/file", 3, &dt),
            Some(("2019-01-02".to_string(), "2019-01-02/".to_string()))
        );
        assert_eq!(nested_flat_value("file-at-root", 3, &dt), None);
        assert_eq!(nested_flat_value("2019/01/", 0, &dt), None);
        assert_eq!(nested_flat_value("2019/_temporary/x", 1, &dt), None);
        assert_eq!(nested_flat_value("2019/dt=01/x", 1, &dt), None);
        let int_key = PartitionKey::new("dt", "int");
        assert_eq!(nested_flat_value("2019/01/x", 1, &int_key), None);
        assert_eq!(
            nested_flat_value("20190102/x", 1, &int_key),
            Some(("20190102".to_string(), "20190102/".to_string()))
        );
    }

    #[test]
    fn duplicate_values_become_conflicts_and_create_nothing() {
        let root = S3Location::parse("s3://b/t").unwrap();
        let p = |v: &[&str], rel: &str| DiscoveredPartition {
            values: v.iter().map(|s| s.to_string()).collect(),
            location: root.join(rel),
        };
        let (unique, conflicts) = resolve_conflicts(vec![
            p(&["2023", "01", "01", "02"], "2023/01/01/02"),
            p(
                &["2023", "01", "01", "02"],
                "year=2023/month=01/day=01/hour=02",
            ),
            p(&["2023", "01", "01", "03"], "2023/01/01/03"),
        ]);
        assert_eq!(unique.len(), 1);
        assert_eq!(&unique[0].values[3], "03");
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].locations.len(), 2);
        assert_eq!(
            conflicts[0].locations[0].to_string(),
            "s3://b/t/2023/01/01/02/"
        );
    }

    #[test]
    fn the_same_folder_twice_is_not_a_conflict() {
        let root = S3Location::parse("s3://b/t").unwrap();
        let p = DiscoveredPartition {
            values: Values::new(["1"]),
            location: root.join("1"),
        };
        let (unique, conflicts) = resolve_conflicts(vec![p.clone(), p]);
        assert_eq!(unique.len(), 1);
        assert!(conflicts.is_empty());
    }

    #[test]
    fn the_walk_covers_leaf_paths_under_the_table_only() {
        let loc = |s: &str| S3Location::parse(s).unwrap();
        let table = Table {
            database: "db".into(),
            name: "t".into(),
            location: loc("s3://b/t"),
            partition_keys: vec![PartitionKey::new("k", "string")],
            storage_descriptor: Default::default(),
            projected: false,
        };
        let covers = |l: &str| walk_covers(&table, &loc(l));
        assert!(covers("s3://b/t/k=5/"));
        assert!(covers("s3://b/t/k=5"));
        assert!(!covers("s3://b/t/"), "the table root is no leaf");
        assert!(!covers("s3://b/t/k=5/deeper/"));
        assert!(!covers("s3://b/t/_tmp/"));
        assert!(!covers("s3://b/t/other=5/"));
        assert!(!covers("s3://b/elsewhere/k=5/"));
        assert!(!covers("s3://c/t/k=5/"));
        // A single-key flat folder may hold nested partitions: probe it.
        assert!(!covers("s3://b/t/5/"));
        let mut two_keys = table.clone();
        two_keys.partition_keys.push(PartitionKey::new("h", "int"));
        assert!(walk_covers(&two_keys, &loc("s3://b/t/5/07/")));
        assert!(!walk_covers(&two_keys, &loc("s3://b/t/5/x7/")));
    }

    fn keyed(location: &str, keys: &[(&str, &str)]) -> Table {
        Table {
            database: "d".into(),
            name: "t".into(),
            location: S3Location::parse(location).unwrap(),
            partition_keys: keys
                .iter()
                .map(|(k, t)| PartitionKey::new(*k, *t))
                .collect(),
            storage_descriptor: Default::default(),
            projected: false,
        }
    }

    fn values_at(table: &Table, key: &str) -> Result<(Vec<String>, String), ObjectSkip> {
        object_partition(table, key, 10).map(|p| (p.values.to_vec(), p.location.to_string()))
    }

    #[test]
    fn an_objects_key_decodes_as_the_walk_decodes_its_folder() {
        let hourly = keyed(
            "s3://b/t",
            &[
                ("year", "string"),
                ("month", "string"),
                ("day", "string"),
                ("hour", "int"),
            ],
        );
        let ok = |v: &[&str], l: &str| {
            Ok((
                v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                l.to_string(),
            ))
        };
        assert_eq!(
            values_at(
                &hourly,
                "t/year=2024/month=01/day=31/hour=05/part-0.parquet"
            ),
            ok(
                &["2024", "01", "31", "05"],
                "s3://b/t/year=2024/month=01/day=31/hour=05/"
            )
        );
        assert_eq!(
            values_at(&hourly, "t/2024/01/31/05/sub/part-0.parquet"),
            ok(&["2024", "01", "31", "05"], "s3://b/t/2024/01/31/05/")
        );
        assert_eq!(
            values_at(&hourly, "t/YEAR=2024/month=01/01/05/x"),
            ok(
                &["2024", "01", "01", "05"],
                "s3://b/t/YEAR=2024/month=01/01/05/"
            )
        );
        assert_eq!(
            values_at(&hourly, "t/2024/01/31/x"),
            Err(ObjectSkip::Shallow)
        );
        assert_eq!(
            values_at(&hourly, "t/2024/01/31/ab/x"),
            Err(ObjectSkip::NoMatch),
            "hour is an int key"
        );
        assert_eq!(
            values_at(&hourly, "t/2024/01/31/05/_temporary/0/x"),
            Err(ObjectSkip::NotData)
        );
        assert_eq!(
            values_at(&hourly, "t/_spark/01/31/05/x"),
            Err(ObjectSkip::NoMatch)
        );
        assert_eq!(
            object_partition(&hourly, "t/2024/01/31/05/", 0).map(|_| ()),
            Err(ObjectSkip::NotData)
        );
        assert_eq!(
            values_at(&hourly, "t/2024/01/31/05_$folder$"),
            Err(ObjectSkip::NotData)
        );
        assert_eq!(
            values_at(&hourly, "other/2024/01/31/05/x"),
            Err(ObjectSkip::Elsewhere)
        );
        assert_eq!(
            values_at(&hourly, "t/year=2024/mon=01/31/05/x"),
            Err(ObjectSkip::NoMatch)
        );
        // Hive values are unescaped as the walk does.
        let city = keyed("s3://b/t/", &[("city", "string")]);
        assert_eq!(
            values_at(&city, "t/city=S%C3%A3o%20Paulo/x"),
            ok(&["S\u{e3}o Paulo"], "s3://b/t/city=S%C3%A3o%20Paulo/")
        );
        // One key over nested flat folders: joined with `-`.
        let dt = keyed("s3://b/t", &[("dt", "string")]);
        assert_eq!(
            values_at(&dt, "t/2024/01/31/05/x.json"),
            ok(&["2024-01-31-05"], "s3://b/t/2024/01/31/05/")
        );
        assert_eq!(
            values_at(&dt, "t/dt=2024-01-31/x.json"),
            ok(&["2024-01-31"], "s3://b/t/dt=2024-01-31/")
        );
        assert_eq!(values_at(&dt, "t/x.json"), Err(ObjectSkip::Shallow));
    }
}
