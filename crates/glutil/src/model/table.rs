//! Tables and partitions as the Glue Data Catalog describes them.

use crate::model::definition::StorageImage;
use crate::model::location::S3Location;

/// One partition key of a table: its name and its Hive type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionKey {
    /// Column name, as the table defines it.
    pub name: String,
    /// Hive type name (`string`, `int`, ...), as the table defines it.
    #[serde(rename = "type")]
    pub type_name: String,
}

impl PartitionKey {
    /// A key from its name and Hive type.
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            type_name: type_name.into(),
        }
    }

    /// True for the integer Hive types, whose values must be digits only.
    pub fn is_integer(&self) -> bool {
        matches!(
            self.type_name.trim().to_ascii_lowercase().as_str(),
            "int" | "integer" | "bigint" | "smallint" | "tinyint"
        )
    }
}

/// A catalog table with an S3 location.
#[derive(Debug, Clone)]
pub struct Table {
    /// The database (schema) that holds the table.
    pub database: String,
    /// The table name.
    pub name: String,
    /// The table's `StorageDescriptor.Location`: the root of its partitions.
    pub location: S3Location,
    /// The partition keys, in order: each maps to one folder level.
    pub partition_keys: Vec<PartitionKey>,
    /// The table's storage descriptor; new partitions copy it.
    pub storage_descriptor: StorageImage,
    /// Athena partition projection is enabled (`projection.enabled`):
    /// Athena ignores the catalog partitions, other engines read them.
    pub projected: bool,
}

impl Table {
    /// `database.table`, for messages.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.database, self.name)
    }

    /// Fails, naming the table, when it has no partition keys: a command
    /// about partitions has nothing to do on it.
    pub fn check_partitioned(&self) -> crate::Result<()> {
        if self.partition_keys.is_empty() {
            return Err(crate::Error::no_partition_keys(&self.qualified_name()));
        }
        Ok(())
    }

    /// The table's database and name, which is all a partition read or
    /// write needs.
    pub fn id(&self) -> TableId {
        TableId::new(&self.database, &self.name)
    }
}

/// A table by database and name, whatever its location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct TableId {
    /// The database (schema) that holds the table.
    pub database: String,
    /// The table name.
    pub name: String,
}

impl TableId {
    /// A table id from its database and name.
    pub fn new(database: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            database: database.into(),
            name: name.into(),
        }
    }
}

/// Anything that names a table: all a partition read or write needs.
pub trait TableName: Sync {
    /// The database (schema) that holds the table.
    fn database_name(&self) -> &str;
    /// The table name.
    fn table_name(&self) -> &str;
    /// `database.table`, for messages.
    fn qualified(&self) -> String {
        format!("{}.{}", self.database_name(), self.table_name())
    }
}

impl TableName for Table {
    fn database_name(&self) -> &str {
        &self.database
    }
    fn table_name(&self) -> &str {
        &self.name
    }
}

impl TableName for TableId {
    fn database_name(&self) -> &str {
        &self.database
    }
    fn table_name(&self) -> &str {
        &self.name
    }
}

/// A table in a database, as far as junk detection cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    /// The table's name.
    pub name: String,
    /// Its S3 location, if it has one.
    pub location: Option<S3Location>,
    /// Its kind: only Hive-style tables have partitions in Glue.
    pub kind: crate::model::kind::TableKind,
    /// It has partition keys.
    pub partitioned: bool,
}

/// A database of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DatabaseInfo {
    /// Its name.
    pub name: String,
    /// Its `LocationUri`, if any.
    pub location_uri: Option<String>,
    /// Its description, if any.
    pub description: Option<String>,
}

impl TableEntry {
    /// The entry of a table as Glue holds it.
    pub fn from_image(table: &crate::model::definition::TableImage) -> Self {
        Self {
            name: table.name.clone(),
            location: table
                .storage_descriptor
                .as_ref()
                .and_then(|sd| sd.location.as_deref())
                .and_then(|l| S3Location::parse(l).ok()),
            kind: crate::model::kind::TableKind::of(table),
            partitioned: table.partition_keys.as_ref().is_some_and(|k| !k.is_empty()),
        }
    }

    /// A view (`VIRTUAL_VIEW`): no data of its own, nothing to partition.
    pub fn is_view(&self) -> bool {
        self.kind == crate::model::kind::TableKind::View
    }

    /// Why a run over several tables leaves this table out (a view, a
    /// format whose partitions are not in Glue, no partition keys), or
    /// `None` when it is a table of partitions.
    pub fn skip_reason(&self) -> Option<String> {
        if let Some(why) = self.kind.skip_reason() {
            return Some(why.to_string());
        }
        (!self.partitioned).then(|| "no partition keys, so no partitions to find".to_string())
    }
}

/// True when `name` matches the shell-style `pattern`: `*` stands for any
/// run of characters (none included), `?` for exactly one, anything else
/// for itself. Glue keeps table names in lower case, so both sides are
/// compared in lower case.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let name: Vec<char> = name.to_lowercase().chars().collect();
    // Greedy matching with one backtrack point: the last `*` seen.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn table_patterns_match_like_a_shell() {
        let yes = [
            ("events_*", "events_2024"),
            ("events_*", "events_"),
            ("*", "anything"),
            ("ev?nts", "events"),
            ("*_raw", "clicks_raw"),
            ("a*b*c", "aXXbYYc"),
            ("a*b*c", "abcbc"),
            ("EVENTS", "events"),
            ("exact", "exact"),
        ];
        for (pattern, name) in yes {
            assert!(name_matches(pattern, name), "{pattern} should match {name}");
        }
        let no = [
            ("events_*", "event_1"),
            ("ev?nts", "evnts"),
            ("*_raw", "raw_clicks"),
            ("a*b*c", "aXXbYY"),
            ("exact", "exactly"),
            ("", "x"),
        ];
        for (pattern, name) in no {
            assert!(
                !name_matches(pattern, name),
                "{pattern} should not match {name}"
            );
        }
        assert!(name_matches("", ""));
    }
}
