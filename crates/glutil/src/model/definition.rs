//! Catalog definitions as plain data: every field of Glue's `Partition`,
//! `Table` and `StorageDescriptor`, mapped explicitly so that they can be
//! compared, changed by plans, written to backups and read back without
//! losing anything. The SDK's types have no stable serde support; the
//! conversions to and from them live in `aws::convert`, the only place that
//! names them.

use std::collections::BTreeMap;

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::location::S3Location;

/// A timestamp: RFC 3339 when that is exact, epoch seconds with nine
/// decimals otherwise (Glue's timestamps are JSON numbers, so they may carry
/// sub-microsecond noise that RFC 3339 here would drop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime);

impl Timestamp {
    /// The time to the second, RFC 3339 (`2024-01-31T05:00:00Z`), for
    /// people.
    pub fn to_seconds_text(&self) -> String {
        DateTime::from_secs(self.0.secs())
            .fmt(Format::DateTime)
            .unwrap_or_default()
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let exact = self
            .0
            .fmt(Format::DateTime)
            .ok()
            .filter(|text| DateTime::from_str(text, Format::DateTime).ok() == Some(self.0));
        let text = match exact {
            Some(text) => text,
            None => self
                .0
                .fmt(Format::EpochSeconds)
                .map_err(serde::ser::Error::custom)?,
        };
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::from_str(&text, Format::DateTime)
            .or_else(|_| DateTime::from_str(&text, Format::EpochSeconds))
            .map(Timestamp)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a timestamp (RFC 3339 or epoch seconds)"
                ))
            })
    }
}

/// A column: `Column`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ColumnImage {
    pub name: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
}

/// `SerDeInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SerDeImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialization_library: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
}

/// `Order`: a sort column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OrderImage {
    pub column: String,
    pub sort_order: i32,
}

/// `SkewedInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SkewedImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skewed_column_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skewed_column_values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skewed_column_value_location_maps: Option<BTreeMap<String, String>>,
}

/// `SchemaReference` with its `SchemaId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SchemaReferenceImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_name: Option<String>,
    /// False when the reference had no `SchemaId` at all.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub has_schema_id: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version_number: Option<i64>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// `StorageDescriptor`: every field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StorageImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<ColumnImage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_locations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub compressed: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub number_of_buckets: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serde_info: Option<SerDeImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_columns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_columns: Option<Vec<OrderImage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skewed_info: Option<SkewedImage>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub stored_as_sub_directories: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_reference: Option<SchemaReferenceImage>,
}

/// A partition: every field of Glue's `Partition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PartitionImage {
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_access_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_descriptor: Option<StorageImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_analyzed_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
}

impl PartitionImage {
    /// A partition to create: its values and storage descriptor, nothing
    /// that Glue sets itself.
    pub fn new(values: Vec<String>, storage: StorageImage) -> Self {
        Self {
            values,
            database_name: None,
            table_name: None,
            creation_time: None,
            last_access_time: None,
            storage_descriptor: Some(storage),
            parameters: None,
            last_analyzed_time: None,
            catalog_id: None,
        }
    }

    /// The fields a create or an update sets: everything but what Glue sets
    /// itself (creation time, database, table, catalog id).
    pub fn defining(&self) -> Self {
        Self {
            database_name: None,
            table_name: None,
            creation_time: None,
            catalog_id: None,
            ..self.clone()
        }
    }

    /// The partition with only its storage descriptor replaced.
    pub fn with_storage(&self, storage: StorageImage) -> Self {
        Self {
            storage_descriptor: Some(storage),
            ..self.clone()
        }
    }

    /// The partition with only `StorageDescriptor.Location` changed.
    pub fn with_location(&self, location: &S3Location) -> Self {
        let mut storage = self.storage_descriptor.clone().unwrap_or_default();
        storage.location = Some(location.to_string());
        self.with_storage(storage)
    }

    /// The partition's location, as stored.
    pub fn location(&self) -> Option<&str> {
        self.storage_descriptor
            .as_ref()
            .and_then(|sd| sd.location.as_deref())
    }

    /// True when the two define the same partition: equal in every field a
    /// write sets, with an absent list or map equal to an empty one.
    pub fn same_definition(&self, other: &PartitionImage) -> bool {
        self.defining().normalised() == other.defining().normalised()
    }

    fn normalised(mut self) -> Self {
        self.parameters = self.parameters.filter(|m| !m.is_empty());
        if let Some(sd) = self.storage_descriptor.as_mut() {
            sd.normalise();
        }
        self
    }
}

impl StorageImage {
    fn normalise(&mut self) {
        fn drop_empty<T>(v: &mut Option<Vec<T>>) {
            if v.as_ref().is_some_and(Vec::is_empty) {
                *v = None;
            }
        }
        fn drop_empty_map(m: &mut Option<BTreeMap<String, String>>) {
            if m.as_ref().is_some_and(BTreeMap::is_empty) {
                *m = None;
            }
        }
        drop_empty(&mut self.columns);
        if let Some(columns) = self.columns.as_mut() {
            for c in columns {
                drop_empty_map(&mut c.parameters);
            }
        }
        drop_empty(&mut self.additional_locations);
        drop_empty(&mut self.bucket_columns);
        drop_empty(&mut self.sort_columns);
        drop_empty_map(&mut self.parameters);
        if let Some(serde) = self.serde_info.as_mut() {
            drop_empty_map(&mut serde.parameters);
        }
        if let Some(skewed) = self.skewed_info.as_mut() {
            drop_empty(&mut skewed.skewed_column_names);
            drop_empty(&mut skewed.skewed_column_values);
            drop_empty_map(&mut skewed.skewed_column_value_location_maps);
        }
        if self.skewed_info
            == Some(SkewedImage {
                skewed_column_names: None,
                skewed_column_values: None,
                skewed_column_value_location_maps: None,
            })
        {
            self.skewed_info = None;
        }
    }
}

/// `TableIdentifier`: the target of a resource link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TableIdentifierImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `FederatedTable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct FederatedTableImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
}

/// A table: the fields of Glue's `Table` that define it (what `TableInput`
/// takes) and those Glue sets itself, kept for the record. Multi-dialect
/// view definitions, Iceberg metadata and row-level security properties
/// are not kept: the commands that back up tables only delete crawler
/// tables over S3 folders, which have none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TableImage {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_access_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_analyzed_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retention: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_descriptor: Option<StorageImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_keys: Option<Vec<ColumnImage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_original_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_expanded_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_registered_with_lake_formation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_table: Option<TableIdentifierImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_table: Option<FederatedTableImage>,
}

impl TableImage {
    /// A table with a name and nothing else set.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_string(),
            database_name: None,
            description: None,
            owner: None,
            create_time: None,
            update_time: None,
            last_access_time: None,
            last_analyzed_time: None,
            retention: 0,
            storage_descriptor: None,
            partition_keys: None,
            view_original_text: None,
            view_expanded_text: None,
            table_type: None,
            parameters: None,
            created_by: None,
            is_registered_with_lake_formation: false,
            target_table: None,
            catalog_id: None,
            version_id: None,
            federated_table: None,
        }
    }

    /// What differs in `other`'s definition, in the catalog's words
    /// (`columns`, `location`, `parameter classification`, ...): what
    /// someone else changed between two reads. Glue's own fields (times,
    /// version) are not compared.
    pub fn changed_fields(&self, other: &TableImage) -> Vec<String> {
        let mut changed = Vec::new();
        let mut note = |differs: bool, what: &str| {
            if differs {
                changed.push(what.to_string());
            }
        };
        note(self.description != other.description, "description");
        note(self.owner != other.owner, "owner");
        note(self.retention != other.retention, "retention");
        note(self.table_type != other.table_type, "table type");
        note(
            self.view_original_text != other.view_original_text
                || self.view_expanded_text != other.view_expanded_text,
            "view text",
        );
        let keys = |t: &TableImage| t.partition_keys.clone().unwrap_or_default();
        note(keys(self) != keys(other), "partition keys");
        let mut mine = self.storage_descriptor.clone().unwrap_or_default();
        let mut theirs = other.storage_descriptor.clone().unwrap_or_default();
        mine.normalise();
        theirs.normalise();
        note(mine.columns != theirs.columns, "columns");
        note(mine.location != theirs.location, "location");
        note(
            (&mine.input_format, &mine.output_format, &mine.serde_info)
                != (
                    &theirs.input_format,
                    &theirs.output_format,
                    &theirs.serde_info,
                ),
            "formats or SerDe",
        );
        mine.columns = theirs.columns.clone();
        mine.location = theirs.location.clone();
        mine.input_format = theirs.input_format.clone();
        mine.output_format = theirs.output_format.clone();
        mine.serde_info = theirs.serde_info.clone();
        note(mine != theirs, "other storage fields");
        let empty = BTreeMap::new();
        let (a, b) = (
            self.parameters.as_ref().unwrap_or(&empty),
            other.parameters.as_ref().unwrap_or(&empty),
        );
        for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
            note(a.get(key) != b.get(key), &format!("parameter {key}"));
        }
        changed
    }

    /// True when the two define the same table (the fields `TableInput`
    /// sets, absent lists and maps equal to empty ones).
    pub fn same_definition(&self, other: &TableImage) -> bool {
        let defining = |t: &TableImage| {
            let mut t = t.clone();
            t.database_name = None;
            t.create_time = None;
            t.update_time = None;
            t.created_by = None;
            t.is_registered_with_lake_formation = false;
            t.catalog_id = None;
            t.version_id = None;
            t.parameters = t.parameters.filter(|m| !m.is_empty());
            t.partition_keys = t.partition_keys.filter(|k| !k.is_empty());
            if let Some(sd) = t.storage_descriptor.as_mut() {
                sd.normalise();
            }
            t
        };
        defining(self) == defining(other)
    }
}
