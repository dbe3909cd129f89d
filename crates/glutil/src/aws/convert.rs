//! Conversions between the SDK's Glue types and the catalog definitions of
//! `model::definition`, field for field. The tests prove that nothing is
//! lost on the way to a backup and back.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_glue::types::{
    Column, FederatedTable, Order, Partition, PartitionInput, SchemaId, SchemaReference, SerDeInfo,
    SkewedInfo, StorageDescriptor, Table, TableIdentifier, TableInput,
};
use aws_smithy_types::DateTime;

use crate::model::definition::{
    ColumnImage, FederatedTableImage, OrderImage, PartitionImage, SchemaReferenceImage, SerDeImage,
    SkewedImage, StorageImage, TableIdentifierImage, TableImage, Timestamp,
};

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
    pub(crate) fn to_sdk(&self) -> StorageDescriptor {
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
    pub(crate) fn to_input(&self) -> PartitionInput {
        PartitionInput::builder()
            .set_values(Some(self.values.clone()))
            .set_last_access_time(self.last_access_time.map(|t| t.0))
            .set_storage_descriptor(self.storage_descriptor.as_ref().map(StorageImage::to_sdk))
            .set_parameters(hashed(&self.parameters))
            .set_last_analyzed_time(self.last_analyzed_time.map(|t| t.0))
            .build()
    }
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
    pub(crate) fn to_input(&self) -> TableInput {
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

    fn through_json<T: serde::Serialize + for<'de> serde::Deserialize<'de>>(value: &T) -> T {
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
}
