//! `update-storage`: copy a changed table schema and format into the
//! partitions that differ (Athena's HIVE_PARTITION_SCHEMA_MISMATCH), keeping
//! each partition's own location, parameters and everything else.

use std::collections::BTreeMap;

use crate::model::definition::{PartitionImage, StorageImage};

/// The storage fields `update-storage` copies from the table.
pub const STORAGE_FIELDS: [&str; 5] = [
    "columns",
    "serde_info",
    "input_format",
    "output_format",
    "compressed",
];

/// One partition to update.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StorageChange {
    /// The partition's values.
    pub values: Vec<String>,
    /// The fields that differ from the table's.
    pub fields: Vec<&'static str>,
    /// The partition as it is now (its backup).
    #[serde(skip)]
    pub before: PartitionImage,
    /// The partition as it will be.
    #[serde(skip)]
    pub after: PartitionImage,
}

/// What `update-storage` would change.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StoragePlan {
    /// Partitions that differ, sorted by values.
    pub changes: Vec<StorageChange>,
    /// How many partitions differ in each field (every field listed).
    pub differing_fields: BTreeMap<&'static str, u64>,
}

/// Compares each partition's storage with the table's.
pub fn plan_storage(table: &StorageImage, partitions: &[PartitionImage]) -> StoragePlan {
    let mut plan = StoragePlan {
        changes: Vec::new(),
        differing_fields: STORAGE_FIELDS.iter().map(|f| (*f, 0)).collect(),
    };
    for p in partitions {
        let (storage, fields) = storage_update(table, p);
        if fields.is_empty() {
            continue;
        }
        for field in &fields {
            *plan.differing_fields.entry(field).or_default() += 1;
        }
        plan.changes.push(StorageChange {
            values: p.values.clone(),
            fields,
            before: p.clone(),
            after: p.with_storage(storage),
        });
    }
    plan.changes.sort_by(|a, b| a.values.cmp(&b.values));
    plan
}

/// The partition's storage descriptor with the table's columns, serde,
/// input/output format and compression, and the partition's own location,
/// parameters and everything else; plus the names of the fields that
/// change. No names means the partition already matches.
pub fn storage_update(
    table: &StorageImage,
    p: &PartitionImage,
) -> (StorageImage, Vec<&'static str>) {
    let current = p.storage_descriptor.clone().unwrap_or_default();
    let updated = StorageImage {
        columns: table.columns.clone(),
        serde_info: table.serde_info.clone(),
        input_format: table.input_format.clone(),
        output_format: table.output_format.clone(),
        compressed: table.compressed,
        ..current.clone()
    };
    let changed = [
        current.columns != updated.columns,
        current.serde_info != updated.serde_info,
        current.input_format != updated.input_format,
        current.output_format != updated.output_format,
        current.compressed != updated.compressed,
    ];
    let fields = STORAGE_FIELDS
        .iter()
        .zip(changed)
        .filter(|(_, c)| *c)
        .map(|(f, _)| *f)
        .collect();
    (updated, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::definition::{ColumnImage, SerDeImage};

    fn column(name: &str, type_name: &str) -> ColumnImage {
        ColumnImage {
            name: name.into(),
            type_name: Some(type_name.into()),
            comment: None,
            parameters: None,
        }
    }

    fn partition(value: &str) -> PartitionImage {
        let mut p = PartitionImage::new(
            vec![value.into()],
            StorageImage {
                location: Some(format!("s3://b/t/k={value}/")),
                columns: Some(vec![column("a", "int")]),
                input_format: Some("old-in".into()),
                ..StorageImage::default()
            },
        );
        p.parameters = Some([("owner".to_string(), "team-a".to_string())].into());
        p
    }

    fn table() -> StorageImage {
        StorageImage {
            location: Some("s3://b/t/".into()),
            columns: Some(vec![column("a", "int"), column("b", "string")]),
            input_format: Some("new-in".into()),
            serde_info: Some(SerDeImage {
                name: None,
                serialization_library: Some("new-serde".into()),
                parameters: None,
            }),
            ..StorageImage::default()
        }
    }

    #[test]
    fn storage_updates_copy_the_table_schema_and_keep_location_and_parameters() {
        let p = partition("1");
        let (updated, fields) = storage_update(&table(), &p);
        assert_eq!(fields, ["columns", "serde_info", "input_format"]);
        assert_eq!(updated.location.as_deref(), Some("s3://b/t/k=1/"));
        assert_eq!(updated.columns.as_ref().unwrap().len(), 2);
        let plan = plan_storage(&table(), &[p]);
        let after = &plan.changes[0].after;
        assert_eq!(after.parameters.as_ref().unwrap()["owner"], "team-a");
        // Once applied, nothing differs any more.
        assert!(storage_update(&table(), after).1.is_empty());
    }

    #[test]
    fn the_plan_counts_every_field_and_skips_partitions_that_match() {
        let (matching, _) = storage_update(&table(), &partition("2"));
        let plan = plan_storage(
            &table(),
            &[
                partition("3"),
                partition("2").with_storage(matching),
                partition("1"),
            ],
        );
        let values: Vec<&str> = plan.changes.iter().map(|c| c.values[0].as_str()).collect();
        assert_eq!(values, ["1", "3"]);
        assert_eq!(plan.differing_fields["columns"], 2);
        assert_eq!(plan.differing_fields["output_format"], 0);
        assert_eq!(plan.differing_fields.len(), 5);
    }
}
