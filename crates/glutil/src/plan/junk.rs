//! `delete-bad-tables`: the junk tables a Glue crawler leaves. A table is
//! junk when its location lies below another table's, or when it sits at
//! another table's location under a name that extends that table's name.

use crate::model::location::S3Location;
use crate::model::table::TableEntry;

/// Why a table looks like a crawler's junk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum JunkReason {
    /// Its location lies below another table's location.
    Below {
        /// The table whose location holds it.
        table: String,
    },
    /// Same location as another table whose name it extends
    /// (`events_1a2b3c` next to `events`).
    Suffixed {
        /// The table whose name it extends.
        table: String,
    },
}

impl std::fmt::Display for JunkReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JunkReason::Below { table } => write!(f, "its location lies below table {table}'s"),
            JunkReason::Suffixed { table } => {
                write!(f, "same location as table {table}, whose name it extends")
            }
        }
    }
}

/// A table to delete, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JunkTable {
    /// The table's name.
    pub name: String,
    /// Its location.
    pub location: S3Location,
    /// Why it is junk.
    pub reason: JunkReason,
}

/// The tables of one database that a crawler made by mistake: those whose
/// location lies below another table's, and those at another table's
/// location whose name extends that table's name. Sorted by name.
pub fn junk_tables(tables: &[TableEntry]) -> Vec<JunkTable> {
    let located: Vec<(&str, &S3Location)> = tables
        .iter()
        .filter_map(|t| t.location.as_ref().map(|l| (t.name.as_str(), l)))
        .collect();
    // The table a suffixed copy copies: same location, a name it extends.
    let original_of = |name: &str, location: &S3Location| {
        located
            .iter()
            .filter(|(other, l)| {
                *l == location && other.len() < name.len() && name.starts_with(other)
            })
            .max_by_key(|(other, _)| other.len())
            .map(|(original, _)| original.to_string())
    };
    let parents = |name: &str, location: &S3Location| {
        located
            .iter()
            .filter(|(other, l)| *other != name && location.is_under(l) && location != *l)
            .copied()
            .collect::<Vec<_>>()
    };
    // Junk at all: below another table, or a suffixed copy of one.
    let junk_names: std::collections::HashSet<&str> = located
        .iter()
        .filter(|(name, location)| {
            !parents(name, location).is_empty() || original_of(name, location).is_some()
        })
        .map(|(name, _)| *name)
        .collect();
    let mut junk = Vec::new();
    for &(name, location) in &located {
        // The reason names the real table: the nearest parent that is not
        // junk itself (a crawler's `year_2019` holds its `month_01` too),
        // and at one location the original rather than its copy.
        let below = parents(name, location)
            .into_iter()
            .max_by_key(|(other, l)| {
                (
                    !junk_names.contains(other),
                    l.prefix().len(),
                    std::cmp::Reverse(other.len()),
                )
            });
        let reason = match below {
            Some((parent, _)) => Some(JunkReason::Below {
                table: parent.to_string(),
            }),
            None => original_of(name, location).map(|table| JunkReason::Suffixed { table }),
        };
        if let Some(reason) = reason {
            junk.push(JunkTable {
                name: name.to_string(),
                location: location.clone(),
                reason,
            });
        }
    }
    junk.sort_by(|a, b| a.name.cmp(&b.name));
    junk
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(s: &str) -> S3Location {
        S3Location::parse(s).unwrap()
    }

    #[test]
    fn a_grandchild_is_named_after_the_real_table_not_its_junk_parent() {
        let t = |name: &str, location: &str| TableEntry {
            name: name.into(),
            location: Some(loc(location)),
            kind: crate::model::TableKind::Hive { projection: false },
            partitioned: false,
        };
        let junk = junk_tables(&[
            t("events", "s3://b/events/"),
            t("year_2019", "s3://b/events/year=2019/"),
            t("month_01", "s3://b/events/year=2019/month=01/"),
        ]);
        let reasons: Vec<(&str, String)> = junk
            .iter()
            .map(|j| (j.name.as_str(), j.reason.to_string()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "month_01",
                    "its location lies below table events's".to_string()
                ),
                (
                    "year_2019",
                    "its location lies below table events's".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_child_is_named_after_the_real_table_not_a_copy_at_the_same_place() {
        let t = |name: &str, location: &str| TableEntry {
            name: name.into(),
            location: Some(loc(location)),
            kind: crate::model::TableKind::Hive { projection: false },
            partitioned: false,
        };
        // The copy listed last: the nearest-parent rule alone would pick it.
        let junk = junk_tables(&[
            t("events", "s3://b/events/"),
            t("events_zz9", "s3://b/events/"),
            t("events_dt_1", "s3://b/events/dt=1/"),
        ]);
        let child = junk.iter().find(|j| j.name == "events_dt_1").unwrap();
        assert_eq!(
            child.reason,
            JunkReason::Below {
                table: "events".into()
            }
        );
    }

    #[test]
    fn junk_tables_are_children_and_suffixed_copies() {
        let t = |name: &str, location: Option<&str>| TableEntry {
            name: name.into(),
            location: location.map(loc),
            kind: crate::model::TableKind::Hive { projection: false },
            partitioned: false,
        };
        let junk = junk_tables(&[
            t("events", Some("s3://b/events/")),
            t("year_2019", Some("s3://b/events/year=2019/")),
            t("month_01", Some("s3://b/events/year=2019/month=01/")),
            t("events_1a2b3c", Some("s3://b/events")),
            t("events_other", Some("s3://b/events_other/")),
            t("clicks", Some("s3://b/clicks/")),
            t("clicks_copy", Some("s3://c/clicks/")),
            t("view", None),
            t("twin_a", Some("s3://b/twin/")),
            t("twin_b", Some("s3://b/twin/")),
        ]);
        let names: Vec<&str> = junk.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["events_1a2b3c", "month_01", "year_2019"]);
        // month_01 lies below year_2019 too, but that is junk itself: the
        // reason names the real table.
        assert_eq!(
            junk[1].reason,
            JunkReason::Below {
                table: "events".into()
            }
        );
        assert_eq!(
            junk[0].reason,
            JunkReason::Suffixed {
                table: "events".into()
            }
        );
    }
}
