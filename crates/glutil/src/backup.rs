//! Backups: before a command changes the catalog, it writes what it is
//! about to change to a JSON Lines file, so that `restore` can undo it.
//!
//! The first line is a [`Header`]; every other line is one [`Entry`]: a
//! partition or table about to be deleted or updated (its complete
//! before-image, as Glue returned it) or a partition about to be created.
//! The SDK's types have no stable serde support, so the images here map
//! every field of Glue's `Partition` and `Table` explicitly, and the tests
//! prove the mapping loses nothing.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use aws_sdk_glue::types::{
    Column, FederatedTable, Order, Partition, PartitionInput, SchemaId, SchemaReference, SerDeInfo,
    SkewedInfo, StorageDescriptor, Table, TableIdentifier, TableInput,
};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// The backup format's version, in every header.
pub const FORMAT_VERSION: u32 = 1;

/// A timestamp: RFC 3339 when that is exact, epoch seconds with nine
/// decimals otherwise (Glue's timestamps are JSON numbers, so they may carry
/// sub-microsecond noise that RFC 3339 here would drop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime);

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

fn time(t: Option<&DateTime>) -> Option<Timestamp> {
    t.copied().map(Timestamp)
}

fn sorted(map: Option<&HashMap<String, String>>) -> Option<BTreeMap<String, String>> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn hashed(map: &Option<BTreeMap<String, String>>) -> Option<HashMap<String, String>> {
    map.as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn list(items: &[String], present: bool) -> Option<Vec<String>> {
    present.then(|| items.to_vec())
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

impl From<&Column> for ColumnImage {
    fn from(c: &Column) -> Self {
        Self {
            name: c.name.clone(),
            type_name: c.r#type.clone(),
            comment: c.comment.clone(),
            parameters: sorted(c.parameters.as_ref()),
        }
    }
}

impl ColumnImage {
    fn to_sdk(&self) -> Column {
        Column::builder()
            .name(&self.name)
            .set_type(self.type_name.clone())
            .set_comment(self.comment.clone())
            .set_parameters(hashed(&self.parameters))
            .build()
            .expect("the name is set")
    }
}

fn columns(c: Option<&Vec<Column>>) -> Option<Vec<ColumnImage>> {
    c.map(|c| c.iter().map(ColumnImage::from).collect())
}

fn sdk_columns(c: &Option<Vec<ColumnImage>>) -> Option<Vec<Column>> {
    c.as_ref()
        .map(|c| c.iter().map(ColumnImage::to_sdk).collect())
}

/// `SerDeInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl From<&StorageDescriptor> for StorageImage {
    fn from(sd: &StorageDescriptor) -> Self {
        Self {
            columns: columns(sd.columns.as_ref()),
            location: sd.location.clone(),
            additional_locations: sd.additional_locations.clone(),
            input_format: sd.input_format.clone(),
            output_format: sd.output_format.clone(),
            compressed: sd.compressed,
            number_of_buckets: sd.number_of_buckets,
            serde_info: sd.serde_info.as_ref().map(|s| SerDeImage {
                name: s.name.clone(),
                serialization_library: s.serialization_library.clone(),
                parameters: sorted(s.parameters.as_ref()),
            }),
            bucket_columns: sd.bucket_columns.clone(),
            sort_columns: sd.sort_columns.as_ref().map(|orders| {
                orders
                    .iter()
                    .map(|o| OrderImage {
                        column: o.column.clone(),
                        sort_order: o.sort_order,
                    })
                    .collect()
            }),
            parameters: sorted(sd.parameters.as_ref()),
            skewed_info: sd.skewed_info.as_ref().map(|s| SkewedImage {
                skewed_column_names: list(s.skewed_column_names(), s.skewed_column_names.is_some()),
                skewed_column_values: list(
                    s.skewed_column_values(),
                    s.skewed_column_values.is_some(),
                ),
                skewed_column_value_location_maps: sorted(
                    s.skewed_column_value_location_maps.as_ref(),
                ),
            }),
            stored_as_sub_directories: sd.stored_as_sub_directories,
            schema_reference: sd.schema_reference.as_ref().map(|r| SchemaReferenceImage {
                schema_arn: r.schema_id.as_ref().and_then(|i| i.schema_arn.clone()),
                schema_name: r.schema_id.as_ref().and_then(|i| i.schema_name.clone()),
                registry_name: r.schema_id.as_ref().and_then(|i| i.registry_name.clone()),
                has_schema_id: r.schema_id.is_some(),
                schema_version_id: r.schema_version_id.clone(),
                schema_version_number: r.schema_version_number,
            }),
        }
    }
}

impl StorageImage {
    /// The SDK's storage descriptor, field for field.
    pub fn to_sdk(&self) -> StorageDescriptor {
        StorageDescriptor::builder()
            .set_columns(sdk_columns(&self.columns))
            .set_location(self.location.clone())
            .set_additional_locations(self.additional_locations.clone())
            .set_input_format(self.input_format.clone())
            .set_output_format(self.output_format.clone())
            .compressed(self.compressed)
            .number_of_buckets(self.number_of_buckets)
            .set_serde_info(self.serde_info.as_ref().map(|s| {
                SerDeInfo::builder()
                    .set_name(s.name.clone())
                    .set_serialization_library(s.serialization_library.clone())
                    .set_parameters(hashed(&s.parameters))
                    .build()
            }))
            .set_bucket_columns(self.bucket_columns.clone())
            .set_sort_columns(self.sort_columns.as_ref().map(|orders| {
                orders
                    .iter()
                    .map(|o| {
                        Order::builder()
                            .column(&o.column)
                            .sort_order(o.sort_order)
                            .build()
                            .expect("column and sort order are set")
                    })
                    .collect()
            }))
            .set_parameters(hashed(&self.parameters))
            .set_skewed_info(self.skewed_info.as_ref().map(|s| {
                SkewedInfo::builder()
                    .set_skewed_column_names(s.skewed_column_names.clone())
                    .set_skewed_column_values(s.skewed_column_values.clone())
                    .set_skewed_column_value_location_maps(hashed(
                        &s.skewed_column_value_location_maps,
                    ))
                    .build()
            }))
            .stored_as_sub_directories(self.stored_as_sub_directories)
            .set_schema_reference(self.schema_reference.as_ref().map(|r| {
                SchemaReference::builder()
                    .set_schema_id(r.has_schema_id.then(|| {
                        SchemaId::builder()
                            .set_schema_arn(r.schema_arn.clone())
                            .set_schema_name(r.schema_name.clone())
                            .set_registry_name(r.registry_name.clone())
                            .build()
                    }))
                    .set_schema_version_id(r.schema_version_id.clone())
                    .set_schema_version_number(r.schema_version_number)
                    .build()
            }))
            .build()
    }
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

impl From<&Partition> for PartitionImage {
    fn from(p: &Partition) -> Self {
        Self {
            values: p.values().to_vec(),
            database_name: p.database_name.clone(),
            table_name: p.table_name.clone(),
            creation_time: time(p.creation_time.as_ref()),
            last_access_time: time(p.last_access_time.as_ref()),
            storage_descriptor: p.storage_descriptor.as_ref().map(StorageImage::from),
            parameters: sorted(p.parameters.as_ref()),
            last_analyzed_time: time(p.last_analyzed_time.as_ref()),
            catalog_id: p.catalog_id.clone(),
        }
    }
}

impl From<&PartitionInput> for PartitionImage {
    fn from(p: &PartitionInput) -> Self {
        Self {
            values: p.values().to_vec(),
            database_name: None,
            table_name: None,
            creation_time: None,
            last_access_time: time(p.last_access_time.as_ref()),
            storage_descriptor: p.storage_descriptor.as_ref().map(StorageImage::from),
            parameters: sorted(p.parameters.as_ref()),
            last_analyzed_time: time(p.last_analyzed_time.as_ref()),
            catalog_id: None,
        }
    }
}

impl PartitionImage {
    /// The definition to create or update the partition with: everything
    /// but what Glue sets itself (creation time, database, table, catalog).
    pub fn to_input(&self) -> PartitionInput {
        PartitionInput::builder()
            .set_values(Some(self.values.clone()))
            .set_last_access_time(self.last_access_time.map(|t| t.0))
            .set_storage_descriptor(self.storage_descriptor.as_ref().map(StorageImage::to_sdk))
            .set_parameters(hashed(&self.parameters))
            .set_last_analyzed_time(self.last_analyzed_time.map(|t| t.0))
            .build()
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
        PartitionImage::from(&self.to_input()).normalised()
            == PartitionImage::from(&other.to_input()).normalised()
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl From<&Table> for TableImage {
    fn from(t: &Table) -> Self {
        Self {
            name: t.name.clone(),
            database_name: t.database_name.clone(),
            description: t.description.clone(),
            owner: t.owner.clone(),
            create_time: time(t.create_time.as_ref()),
            update_time: time(t.update_time.as_ref()),
            last_access_time: time(t.last_access_time.as_ref()),
            last_analyzed_time: time(t.last_analyzed_time.as_ref()),
            retention: t.retention,
            storage_descriptor: t.storage_descriptor.as_ref().map(StorageImage::from),
            partition_keys: columns(t.partition_keys.as_ref()),
            view_original_text: t.view_original_text.clone(),
            view_expanded_text: t.view_expanded_text.clone(),
            table_type: t.table_type.clone(),
            parameters: sorted(t.parameters.as_ref()),
            created_by: t.created_by.clone(),
            is_registered_with_lake_formation: t.is_registered_with_lake_formation,
            target_table: t.target_table.as_ref().map(|i| TableIdentifierImage {
                catalog_id: i.catalog_id.clone(),
                database_name: i.database_name.clone(),
                name: i.name.clone(),
                region: i.region.clone(),
            }),
            catalog_id: t.catalog_id.clone(),
            version_id: t.version_id.clone(),
            federated_table: t.federated_table.as_ref().map(|f| FederatedTableImage {
                identifier: f.identifier.clone(),
                database_identifier: f.database_identifier.clone(),
                connection_name: f.connection_name.clone(),
                connection_type: f.connection_type.clone(),
            }),
        }
    }
}

impl TableImage {
    /// The definition to create or update the table with.
    pub fn to_input(&self) -> TableInput {
        TableInput::builder()
            .name(&self.name)
            .set_description(self.description.clone())
            .set_owner(self.owner.clone())
            .set_last_access_time(self.last_access_time.map(|t| t.0))
            .set_last_analyzed_time(self.last_analyzed_time.map(|t| t.0))
            .retention(self.retention)
            .set_storage_descriptor(self.storage_descriptor.as_ref().map(StorageImage::to_sdk))
            .set_partition_keys(sdk_columns(&self.partition_keys))
            .set_view_original_text(self.view_original_text.clone())
            .set_view_expanded_text(self.view_expanded_text.clone())
            .set_table_type(self.table_type.clone())
            .set_parameters(hashed(&self.parameters))
            .set_target_table(self.target_table.as_ref().map(|i| {
                TableIdentifier::builder()
                    .set_catalog_id(i.catalog_id.clone())
                    .set_database_name(i.database_name.clone())
                    .set_name(i.name.clone())
                    .set_region(i.region.clone())
                    .build()
            }))
            .set_federated_table(self.federated_table.as_ref().map(|f| {
                FederatedTable::builder()
                    .set_identifier(f.identifier.clone())
                    .set_database_identifier(f.database_identifier.clone())
                    .set_connection_name(f.connection_name.clone())
                    .set_connection_type(f.connection_type.clone())
                    .build()
            }))
            .build()
            .expect("the name is set")
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

/// The first line of a backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The format version, [`FORMAT_VERSION`].
    pub glutil_backup: u32,
    /// The command that wrote it (`delete-all`, `restore`, ...).
    pub command: String,
    /// When it was written (RFC 3339, UTC).
    pub created: String,
    /// The AWS Region the command ran against.
    #[serde(default)]
    pub region: Option<String>,
    /// The catalog id the command was given, if any.
    #[serde(default)]
    pub catalog_id: Option<String>,
}

impl Header {
    /// A header for a command run now.
    pub fn new(command: &str, region: Option<String>, catalog_id: Option<String>) -> Self {
        Self {
            glutil_backup: FORMAT_VERSION,
            command: command.to_string(),
            created: DateTime::from(std::time::SystemTime::now())
                .fmt(Format::DateTime)
                .unwrap_or_default(),
            region,
            catalog_id,
        }
    }
}

/// One change a command is about to make, with what restoring it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Entry {
    /// A partition about to be deleted, as it was.
    DeletePartition {
        /// Its database.
        database: String,
        /// Its table.
        table: String,
        /// The partition as Glue returned it.
        partition: PartitionImage,
    },
    /// A partition about to be updated, as it was.
    UpdatePartition {
        /// Its database.
        database: String,
        /// Its table.
        table: String,
        /// The partition as Glue returned it.
        partition: PartitionImage,
    },
    /// A partition about to be created, as it will be.
    CreatePartition {
        /// Its database.
        database: String,
        /// Its table.
        table: String,
        /// The definition sent to Glue.
        partition: PartitionImage,
    },
    /// A table about to be deleted, as it was (its partitions follow as
    /// `delete_partition` entries).
    DeleteTable {
        /// Its database.
        database: String,
        /// The table as Glue returned it.
        table: TableImage,
    },
    /// A table about to be updated, as it was.
    UpdateTable {
        /// Its database.
        database: String,
        /// The table as Glue returned it.
        table: TableImage,
    },
    /// A table about to be created, as it will be.
    CreateTable {
        /// Its database.
        database: String,
        /// The definition sent to Glue.
        table: TableImage,
    },
}

/// A backup file being written. Nothing reaches the catalog before
/// [`BackupWriter::seal`] returns: entries are flushed and synced to disk.
#[derive(Debug)]
pub struct BackupWriter {
    path: PathBuf,
    file: BufWriter<File>,
    entries: u64,
}

impl BackupWriter {
    /// Creates the file (and its folders) and writes the header. An existing
    /// file is never overwritten.
    pub fn create(path: &Path, header: &Header) -> Result<Self> {
        let failed = |source: std::io::Error| Error::BackupWrite {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        let file = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::InvalidInput(format!(
                    "backup file {} already exists; backups are never overwritten, choose another path",
                    path.display()
                )))
            }
            Err(err) => return Err(failed(err)),
        };
        let mut writer = Self {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
            entries: 0,
        };
        writer.line(header)?;
        Ok(writer)
    }

    /// Appends one entry.
    pub fn record(&mut self, entry: &Entry) -> Result<()> {
        self.line(entry)?;
        self.entries += 1;
        Ok(())
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<()> {
        let failed = |source: std::io::Error| Error::BackupWrite {
            path: self.path.display().to_string(),
            source,
        };
        serde_json::to_writer(&mut self.file, value).map_err(|e| failed(e.into()))?;
        self.file.write_all(b"\n").map_err(failed)
    }

    /// Flushes and syncs the file; returns its path and entry count. Call
    /// before the first write to the catalog.
    pub fn seal(mut self) -> Result<(PathBuf, u64)> {
        let path = self.path.clone();
        let failed = |source: std::io::Error| Error::BackupWrite {
            path: path.display().to_string(),
            source,
        };
        self.file.flush().map_err(failed)?;
        self.file.get_ref().sync_all().map_err(failed)?;
        Ok((self.path, self.entries))
    }
}

/// Writes a whole backup: header, entries, flush and sync.
pub fn write_backup(path: &Path, header: &Header, entries: &[Entry]) -> Result<(PathBuf, u64)> {
    let mut writer = BackupWriter::create(path, header)?;
    for entry in entries {
        writer.record(entry)?;
    }
    writer.seal()
}

/// Reads a backup file, checking every line. A malformed file is an error
/// that names the line and what is wrong with it.
pub fn read_backup(path: &Path) -> Result<(Header, Vec<Entry>)> {
    let bad = |line: usize, problem: String| Error::BadBackup {
        path: path.display().to_string(),
        line,
        problem,
    };
    let file = File::open(path).map_err(|e| bad(0, format!("cannot be opened: {e}")))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    let header: Header = loop {
        match lines.next() {
            None => {
                return Err(bad(
                    0,
                    "is empty; a backup starts with a header line".into(),
                ))
            }
            Some((n, line)) => {
                let line = line.map_err(|e| bad(n + 1, format!("cannot be read: {e}")))?;
                if line.trim().is_empty() {
                    continue;
                }
                break serde_json::from_str(&line).map_err(|e| {
                    bad(
                        n + 1,
                        format!(
                            "is not a glutil backup header ({{\"glutil_backup\": 1, ...}}): {e}"
                        ),
                    )
                })?;
            }
        }
    };
    if header.glutil_backup != FORMAT_VERSION {
        return Err(bad(
            1,
            format!(
                "has format version {}, this glutil reads version {FORMAT_VERSION}",
                header.glutil_backup
            ),
        ));
    }
    let mut entries = Vec::new();
    for (n, line) in lines {
        let line = line.map_err(|e| bad(n + 1, format!("cannot be read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(&line)
            .map_err(|e| bad(n + 1, format!("is not a backup entry: {e}")))?;
        entries.push(entry);
    }
    Ok((header, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn column(name: &str) -> Column {
        Column::builder()
            .name(name)
            .r#type("string")
            .comment("a comment")
            .set_parameters(Some(map(&[("pii", "no")])))
            .build()
            .unwrap()
    }

    /// Every field of a storage descriptor set to something distinctive.
    fn full_storage() -> StorageDescriptor {
        StorageDescriptor::builder()
            .columns(column("a"))
            .columns(column("b"))
            .location("s3://bucket/table/year=2024/")
            .additional_locations("s3://other/x/")
            .input_format("org.apache.hadoop.mapred.TextInputFormat")
            .output_format("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
            .compressed(true)
            .number_of_buckets(7)
            .serde_info(
                SerDeInfo::builder()
                    .name("json")
                    .serialization_library("org.openx.data.jsonserde.JsonSerDe")
                    .set_parameters(Some(map(&[("paths", "a,b")])))
                    .build(),
            )
            .bucket_columns("a")
            .sort_columns(Order::builder().column("b").sort_order(1).build().unwrap())
            .set_parameters(Some(map(&[("classification", "json"), ("k", "v")])))
            .skewed_info(
                SkewedInfo::builder()
                    .skewed_column_names("a")
                    .skewed_column_values("x")
                    .set_skewed_column_value_location_maps(Some(map(&[("x", "s3://b/x/")])))
                    .build(),
            )
            .stored_as_sub_directories(true)
            .schema_reference(
                SchemaReference::builder()
                    .schema_id(
                        SchemaId::builder()
                            .schema_name("s")
                            .registry_name("r")
                            .schema_arn("arn:aws:glue:::schema/r/s")
                            .build(),
                    )
                    .schema_version_id("v1")
                    .schema_version_number(3)
                    .build(),
            )
            .build()
    }

    fn full_partition() -> Partition {
        Partition::builder()
            .values("2024")
            .values("01")
            .database_name("db")
            .table_name("events")
            .creation_time(DateTime::from_secs_and_nanos(1_700_000_000, 123_000_000))
            .last_access_time(DateTime::from_secs_and_nanos(1_700_000_100, 0))
            .storage_descriptor(full_storage())
            .set_parameters(Some(map(&[("owner", "team-a"), ("custom", "1")])))
            .last_analyzed_time(DateTime::from_secs_and_nanos(1_700_000_200, 123_456_789))
            .catalog_id("123456789012")
            .build()
    }

    fn through_json<T: Serialize + for<'de> Deserialize<'de>>(value: &T) -> T {
        let text = serde_json::to_string(value).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_partition_survives_the_round_trip_field_by_field() {
        let partition = full_partition();
        let image = through_json(&PartitionImage::from(&partition));
        assert_eq!(image, PartitionImage::from(&partition));
        let input = image.to_input();
        assert_eq!(input.values(), partition.values());
        assert_eq!(input.storage_descriptor, partition.storage_descriptor);
        assert_eq!(input.parameters, partition.parameters);
        assert_eq!(input.last_access_time, partition.last_access_time);
        // Sub-microsecond precision is kept too.
        assert_eq!(input.last_analyzed_time, partition.last_analyzed_time);
        assert_eq!(
            image.creation_time,
            Some(Timestamp(partition.creation_time.unwrap()))
        );
        assert_eq!(image.catalog_id.as_deref(), Some("123456789012"));
    }

    #[test]
    fn absent_and_empty_are_kept_apart_but_define_the_same_partition() {
        let with_empty = Partition::builder()
            .values("1")
            .set_parameters(Some(HashMap::new()))
            .storage_descriptor(StorageDescriptor::builder().location("s3://b/t/1/").build())
            .build();
        let without = Partition::builder()
            .values("1")
            .storage_descriptor(StorageDescriptor::builder().location("s3://b/t/1/").build())
            .build();
        let (a, b) = (
            through_json(&PartitionImage::from(&with_empty)),
            through_json(&PartitionImage::from(&without)),
        );
        assert_eq!(a.to_input().parameters, Some(HashMap::new()));
        assert_eq!(b.to_input().parameters, None);
        assert!(a.same_definition(&b));
        let mut moved = b.clone();
        moved.storage_descriptor.as_mut().unwrap().location = Some("s3://b/t/2/".into());
        assert!(!moved.same_definition(&b));
        let mut tagged = b.clone();
        tagged.parameters = Some([("k".to_string(), "v".to_string())].into());
        assert!(!tagged.same_definition(&b));
    }

    #[test]
    fn a_table_survives_the_round_trip() {
        let table = Table::builder()
            .name("events_1a2b")
            .database_name("db")
            .description("crawler junk")
            .owner("owner")
            .create_time(DateTime::from_secs(1_600_000_000))
            .update_time(DateTime::from_secs(1_600_000_001))
            .last_access_time(DateTime::from_secs(1_600_000_002))
            .last_analyzed_time(DateTime::from_secs(1_600_000_003))
            .retention(5)
            .storage_descriptor(full_storage())
            .partition_keys(column("year"))
            .view_original_text("o")
            .view_expanded_text("e")
            .table_type("EXTERNAL_TABLE")
            .set_parameters(Some(map(&[("classification", "json")])))
            .created_by("arn:aws:iam::1:role/crawler")
            .is_registered_with_lake_formation(true)
            .target_table(
                TableIdentifier::builder()
                    .catalog_id("1")
                    .database_name("d")
                    .name("n")
                    .region("eu-west-1")
                    .build(),
            )
            .catalog_id("1")
            .version_id("4")
            .federated_table(
                FederatedTable::builder()
                    .identifier("i")
                    .database_identifier("d")
                    .connection_name("c")
                    .connection_type("t")
                    .build(),
            )
            .build()
            .unwrap();
        let image = through_json(&TableImage::from(&table));
        assert_eq!(image, TableImage::from(&table));
        let input = image.to_input();
        assert_eq!(input.name, table.name);
        assert_eq!(input.description, table.description);
        assert_eq!(input.owner, table.owner);
        assert_eq!(input.last_access_time, table.last_access_time);
        assert_eq!(input.last_analyzed_time, table.last_analyzed_time);
        assert_eq!(input.retention, table.retention);
        assert_eq!(input.storage_descriptor, table.storage_descriptor);
        assert_eq!(input.partition_keys, table.partition_keys);
        assert_eq!(input.view_original_text, table.view_original_text);
        assert_eq!(input.view_expanded_text, table.view_expanded_text);
        assert_eq!(input.table_type, table.table_type);
        assert_eq!(input.parameters, table.parameters);
        assert_eq!(input.target_table, table.target_table);
        assert_eq!(input.federated_table, table.federated_table);
        assert!(image.same_definition(&TableImage::from(&table)));
    }

    #[test]
    fn backups_are_written_whole_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("glutil-backup-test-{}", std::process::id()));
        let path = dir.join("nested").join("b.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        let entries = vec![
            Entry::DeletePartition {
                database: "db".into(),
                table: "t".into(),
                partition: PartitionImage::from(&full_partition()),
            },
            Entry::CreatePartition {
                database: "db".into(),
                table: "t".into(),
                partition: PartitionImage::from(&Partition::builder().values("x").build()),
            },
        ];
        let header = Header::new("delete-all", Some("us-east-1".into()), None);
        let (written, count) = write_backup(&path, &header, &entries).unwrap();
        assert_eq!((written.as_path(), count), (path.as_path(), 2));
        let (read_header, read_entries) = read_backup(&path).unwrap();
        assert_eq!(read_header, header);
        assert_eq!(read_entries, entries);
        let again = write_backup(&path, &header, &entries).unwrap_err();
        assert!(again.to_string().contains("already exists"), "{again}");
        assert_eq!(read_backup(&path).unwrap().1, entries);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_backups_name_the_line_and_the_problem() {
        let dir = std::env::temp_dir().join(format!("glutil-bad-backup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let header =
            r#"{"glutil_backup":1,"command":"delete-all","created":"2026-01-01T00:00:00Z"}"#;
        let cases = [
            ("", "is empty"),
            ("not json\n", "line 1"),
            ("{\"glutil_backup\":2,\"command\":\"x\",\"created\":\"\"}\n", "version 2"),
            (&format!("{header}\n{{\"op\":\"delete_partition\"}}\n"), "line 2"),
            (&format!("{header}\n\n{{\"op\":\"explode\",\"database\":\"d\"}}\n"), "line 3"),
            (
                &format!("{header}\n{{\"op\":\"delete_partition\",\"database\":\"d\",\"table\":\"t\",\"partition\":{{\"values\":[\"1\"],\"creation_time\":\"yesterday\"}}}}\n"),
                "yesterday",
            ),
            (&format!("{header}\n{{\"op\":\"delete_partition\",\"database\":\"d\",\"table\":\"t\",\"partition\":{{\"values\":[\"1\"]}}"), ""),
        ];
        for (i, (text, expected)) in cases.iter().enumerate() {
            let path = dir.join(format!("{i}.jsonl"));
            std::fs::write(&path, text).unwrap();
            match read_backup(&path) {
                Err(err) => {
                    assert!(err.is_bad_input(), "case {i}: {err}");
                    assert!(err.to_string().contains(expected), "case {i}: {err}");
                }
                // The last case is a valid file without a final newline.
                Ok((_, entries)) => assert_eq!((i, entries.len()), (cases.len() - 1, 1)),
            }
        }
        let missing = read_backup(&dir.join("absent.jsonl")).unwrap_err();
        assert!(missing.to_string().contains("absent.jsonl"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
