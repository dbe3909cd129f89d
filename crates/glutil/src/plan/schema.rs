//! `create-table`: a table definition from Parquet files, as a Glue crawler
//! writes one. Schemas merge by lower-cased column name in first-seen
//! order, with the listed widenings (tinyint → smallint → int → bigint,
//! float → double, decimal to a higher precision, struct fields unioned);
//! anything else is a conflict that names both files and both types.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::definition::{ColumnImage, SerDeImage, StorageImage, TableImage};
use crate::model::location::S3Location;
use crate::model::schema::ColumnType;
use crate::read::parquet::FileSchema;

/// Parquet's Hive input format.
pub const INPUT_FORMAT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
/// Parquet's Hive output format.
pub const OUTPUT_FORMAT: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
/// Parquet's Hive SerDe.
pub const SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
/// The table parameter that says glutil made the table.
pub const CREATED_BY: &str = "glutil:created_by";

/// The columns of many files, merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedSchema {
    /// Columns in first-seen order.
    pub columns: Vec<(String, ColumnType)>,
    /// `compressionType`: the files' one codec, or `none` when they differ
    /// or none of them has data.
    pub compression: String,
}

/// Two files that disagree on a column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaConflict {
    /// The column.
    pub column: String,
    /// The file that first gave the column a type, and that type.
    pub first: (String, ColumnType),
    /// The file that disagrees, and its type.
    pub second: (String, ColumnType),
}

impl std::fmt::Display for SchemaConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "column `{}` is {} in {} but {} in {}; only tinyint→smallint→int→bigint, float→double and wider decimals of one scale merge",
            self.column, self.first.1, self.first.0, self.second.1, self.second.0
        )
    }
}

/// Merges the schemas of `files` (name, schema), in the order given.
pub fn merge(files: &[(String, FileSchema)]) -> Result<MergedSchema, Box<SchemaConflict>> {
    // Each column with its type so far and the file that last set it.
    let mut columns: Vec<(String, ColumnType, &str)> = Vec::new();
    let mut codecs = BTreeSet::new();
    for (file, schema) in files {
        codecs.extend(schema.codecs.iter().cloned());
        for (name, t) in &schema.columns {
            match columns.iter_mut().find(|(n, _, _)| n == name) {
                None => columns.push((name.clone(), t.clone(), file)),
                Some((_, merged, from)) => {
                    let widened = merged.widen(t).ok_or_else(|| {
                        Box::new(SchemaConflict {
                            column: name.clone(),
                            first: (from.to_string(), merged.clone()),
                            second: (file.clone(), t.clone()),
                        })
                    })?;
                    if widened != *merged {
                        *merged = widened;
                        *from = file;
                    }
                }
            }
        }
    }
    let compression = match codecs.len() {
        1 => codecs.into_iter().next().expect("one codec"),
        _ => "none".to_string(),
    };
    Ok(MergedSchema {
        columns: columns.into_iter().map(|(n, t, _)| (n, t)).collect(),
        compression,
    })
}

/// A partition key: name and Glue type.
pub type KeyColumn = (String, String);

/// The table a crawler would write for Parquet files at `location`, plus
/// [`CREATED_BY`].
pub fn crawler_table(
    name: &str,
    location: &S3Location,
    schema: &MergedSchema,
    keys: &[KeyColumn],
) -> TableImage {
    let parameters: BTreeMap<String, String> = [
        ("classification", "parquet"),
        ("compressionType", schema.compression.as_str()),
        ("typeOfData", "file"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut table_parameters = parameters.clone();
    table_parameters.insert(CREATED_BY.into(), "glutil create-table".into());
    let column = |(name, type_name): (&str, String)| ColumnImage {
        name: name.to_string(),
        type_name: Some(type_name),
        comment: None,
        parameters: None,
    };
    let storage = StorageImage {
        columns: Some(
            schema
                .columns
                .iter()
                .map(|(n, t)| column((n, t.to_string())))
                .collect(),
        ),
        location: Some(location.to_string()),
        input_format: Some(INPUT_FORMAT.into()),
        output_format: Some(OUTPUT_FORMAT.into()),
        serde_info: Some(SerDeImage {
            name: None,
            serialization_library: Some(SERDE.into()),
            parameters: Some([("serialization.format".to_string(), "1".to_string())].into()),
        }),
        parameters: Some(parameters),
        ..StorageImage::default()
    };
    TableImage {
        name: name.to_string(),
        table_type: Some("EXTERNAL_TABLE".into()),
        parameters: Some(table_parameters),
        storage_descriptor: Some(storage),
        partition_keys: Some(keys.iter().map(|(n, t)| column((n, t.clone()))).collect()),
        ..TableImage::named(name)
    }
}

/// What `--update` changes in an existing table's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnChanges {
    /// The columns after the update: the existing ones (widened where the
    /// files need it), then the new ones.
    pub columns: Vec<(String, String)>,
    /// Columns the files add.
    pub added: Vec<String>,
    /// Columns whose type widens: (name, from, to).
    pub widened: Vec<(String, String, String)>,
    /// Columns the table has and the files do not: kept.
    pub kept: Vec<String>,
}

impl ColumnChanges {
    /// True when the table's columns change.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.widened.is_empty()
    }
}

/// Compares an existing table's columns with the files': new columns are
/// appended, widened types updated, columns absent from the files kept.
/// A type the files cannot widen to is a conflict with the table.
pub fn update_columns(
    existing: &[(String, String)],
    files: &MergedSchema,
) -> Result<ColumnChanges, String> {
    let mut changes = ColumnChanges::default();
    for (name, type_name) in existing {
        let Some((_, from_files)) = files.columns.iter().find(|(n, _)| n == name) else {
            changes.kept.push(name.clone());
            changes.columns.push((name.clone(), type_name.clone()));
            continue;
        };
        let current = ColumnType::parse(type_name).map_err(|e| {
            format!("the table's column `{name}` has a type glutil cannot read: {e}")
        })?;
        let widened = current.widen(from_files).ok_or_else(|| {
            format!("column `{name}` is {current} in the table but {from_files} in the files")
        })?;
        if widened != current {
            changes
                .widened
                .push((name.clone(), current.to_string(), widened.to_string()));
        }
        changes.columns.push((name.clone(), widened.to_string()));
    }
    for (name, t) in &files.columns {
        if !existing.iter().any(|(n, _)| n == name) {
            changes.added.push(name.clone());
            changes.columns.push((name.clone(), t.to_string()));
        }
    }
    Ok(changes)
}

/// The table as Athena DDL, for the dry run.
pub fn athena_ddl(database: &str, table: &TableImage) -> String {
    let storage = table.storage_descriptor.clone().unwrap_or_default();
    let list = |columns: &[ColumnImage]| {
        columns
            .iter()
            .map(|c| {
                format!(
                    "  `{}` {}",
                    c.name,
                    c.type_name.as_deref().unwrap_or("string")
                )
            })
            .collect::<Vec<_>>()
            .join(",\n")
    };
    let mut ddl = format!(
        "CREATE EXTERNAL TABLE `{database}`.`{}` (\n{}\n)",
        table.name,
        list(storage.columns.as_deref().unwrap_or_default())
    );
    if let Some(keys) = table.partition_keys.as_deref().filter(|k| !k.is_empty()) {
        ddl.push_str(&format!("\nPARTITIONED BY (\n{}\n)", list(keys)));
    }
    let parameters: Vec<String> = table
        .parameters
        .iter()
        .flatten()
        .map(|(k, v)| format!("  '{k}'='{v}'"))
        .collect();
    ddl.push_str(&format!(
        "\nROW FORMAT SERDE '{SERDE}'\nSTORED AS INPUTFORMAT '{INPUT_FORMAT}'\nOUTPUTFORMAT '{OUTPUT_FORMAT}'\nLOCATION '{}'\nTBLPROPERTIES (\n{}\n);",
        storage.location.unwrap_or_default(),
        parameters.join(",\n")
    ));
    ddl
}

#[cfg(test)]
mod tests {
    use super::ColumnType::*;
    use super::*;

    fn schema(columns: &[(&str, ColumnType)], codec: Option<&str>) -> FileSchema {
        FileSchema {
            columns: columns
                .iter()
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect(),
            codecs: codec.into_iter().map(|c| c.to_owned()).collect(),
            rows: 1,
        }
    }

    #[test]
    fn columns_merge_in_first_seen_order_with_widenings() {
        let files = vec![
            (
                "s3://b/t/1.parquet".to_string(),
                schema(&[("id", Int), ("name", String)], Some("snappy")),
            ),
            (
                "s3://b/t/2.parquet".to_string(),
                schema(&[("id", BigInt), ("score", Float)], Some("snappy")),
            ),
            (
                "s3://b/t/3.parquet".to_string(),
                schema(&[("score", Double), ("name", String)], None),
            ),
        ];
        let merged = merge(&files).unwrap();
        assert_eq!(
            merged.columns,
            [
                ("id".to_string(), BigInt),
                ("name".to_string(), String),
                ("score".to_string(), Double)
            ]
        );
        assert_eq!(merged.compression, "snappy");
    }

    #[test]
    fn a_conflict_names_both_files_and_both_types() {
        let files = vec![
            (
                "s3://b/t/a.parquet".to_string(),
                schema(&[("id", SmallInt)], None),
            ),
            (
                "s3://b/t/b.parquet".to_string(),
                schema(&[("id", Int)], None),
            ),
            (
                "s3://b/t/c.parquet".to_string(),
                schema(&[("id", String)], None),
            ),
        ];
        let err = merge(&files).unwrap_err().to_string();
        assert!(
            err.contains("column `id` is int in s3://b/t/b.parquet"),
            "{err}"
        );
        assert!(err.contains("but string in s3://b/t/c.parquet"), "{err}");
    }

    #[test]
    fn mixed_codecs_are_none() {
        let files = vec![
            ("a".to_string(), schema(&[("x", Int)], Some("snappy"))),
            ("b".to_string(), schema(&[("x", Int)], Some("gzip"))),
        ];
        assert_eq!(merge(&files).unwrap().compression, "none");
        let empty = vec![("a".to_string(), schema(&[("x", Int)], None))];
        assert_eq!(merge(&empty).unwrap().compression, "none");
    }

    #[test]
    fn the_table_is_shaped_like_a_crawler_s() {
        let merged = MergedSchema {
            columns: vec![
                ("id".into(), BigInt),
                ("tags".into(), Array(Box::new(String))),
            ],
            compression: "zstd".into(),
        };
        let location = S3Location::parse("s3://b/events").unwrap();
        let keys = vec![("year".to_string(), "string".to_string())];
        let t = crawler_table("events", &location, &merged, &keys);
        assert_eq!(t.table_type.as_deref(), Some("EXTERNAL_TABLE"));
        let params = t.parameters.as_ref().unwrap();
        assert_eq!(params["classification"], "parquet");
        assert_eq!(params["compressionType"], "zstd");
        assert_eq!(params["typeOfData"], "file");
        assert_eq!(params[CREATED_BY], "glutil create-table");
        let sd = t.storage_descriptor.as_ref().unwrap();
        assert_eq!(sd.location.as_deref(), Some("s3://b/events/"));
        assert_eq!(sd.input_format.as_deref(), Some(INPUT_FORMAT));
        assert_eq!(sd.output_format.as_deref(), Some(OUTPUT_FORMAT));
        let serde = sd.serde_info.as_ref().unwrap();
        assert_eq!(serde.serialization_library.as_deref(), Some(SERDE));
        assert_eq!(
            serde.parameters.as_ref().unwrap()["serialization.format"],
            "1"
        );
        assert!(!sd.compressed);
        assert_eq!(sd.parameters.as_ref().unwrap().len(), 3);
        let columns = sd.columns.as_ref().unwrap();
        assert_eq!(columns[1].type_name.as_deref(), Some("array<string>"));
        assert_eq!(t.partition_keys.as_ref().unwrap()[0].name, "year");
        let ddl = athena_ddl("db", &t);
        assert!(
            ddl.starts_with(
                "CREATE EXTERNAL TABLE `db`.`events` (\n  `id` bigint,\n  `tags` array<string>\n)"
            ),
            "{ddl}"
        );
        assert!(
            ddl.contains("PARTITIONED BY (\n  `year` string\n)"),
            "{ddl}"
        );
        assert!(ddl.contains("LOCATION 's3://b/events/'"), "{ddl}");
    }

    #[test]
    fn an_update_appends_widens_and_keeps() {
        let existing = vec![
            ("id".to_string(), "int".to_string()),
            ("old".to_string(), "string".to_string()),
        ];
        let files = MergedSchema {
            columns: vec![("new".into(), Date), ("id".into(), BigInt)],
            compression: "none".into(),
        };
        let changes = update_columns(&existing, &files).unwrap();
        assert_eq!(changes.added, ["new"]);
        assert_eq!(changes.kept, ["old"]);
        assert_eq!(
            changes.widened,
            [("id".to_string(), "int".to_string(), "bigint".to_string())]
        );
        assert_eq!(
            changes.columns,
            [
                ("id".to_string(), "bigint".to_string()),
                ("old".to_string(), "string".to_string()),
                ("new".to_string(), "date".to_string())
            ]
        );
        let narrower = MergedSchema {
            columns: vec![("id".into(), String)],
            compression: "none".into(),
        };
        let err = update_columns(&existing, &narrower).unwrap_err();
        assert!(
            err.contains("column `id` is int in the table but string in the files"),
            "{err}"
        );
        let same = MergedSchema {
            columns: vec![("id".into(), Int)],
            compression: "none".into(),
        };
        assert!(update_columns(&existing, &same).unwrap().is_empty());
    }
}
