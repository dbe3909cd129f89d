//! What kind of table a Glue table is, decided once from its own fields:
//! a view, a Hive-style external table (glutil's job, with or without
//! Athena partition projection), or a table whose partitions live
//! elsewhere (Iceberg, Delta Lake, Hudi, Lake Formation governed).
//! Parameter keys and values are compared case-insensitively.

use std::collections::BTreeMap;

use super::definition::TableImage;

/// The kind of a Glue table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// `TableType` `VIRTUAL_VIEW`: no data or partitions of its own.
    View,
    /// A Hive-style external table: partitions in Glue, glutil's job.
    /// `projection` is true when Athena partition projection is on
    /// (`projection.enabled = true`), so Athena ignores Glue partitions.
    Hive {
        /// Athena partition projection is enabled.
        projection: bool,
    },
    /// Apache Iceberg: partitions in the table's metadata files.
    Iceberg,
    /// Delta Lake: partitions in the transaction log (`_delta_log/`).
    Delta,
    /// Apache Hudi: partitions kept by Hudi's own sync.
    Hudi,
    /// A Lake Formation governed table: partitions kept by Lake Formation.
    Governed,
}

/// A parameter's value, its key compared case-insensitively.
pub fn parameter<'a>(parameters: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    parameters
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim())
}

fn is(value: Option<&str>, expected: &str) -> bool {
    value.is_some_and(|v| v.eq_ignore_ascii_case(expected))
}

fn contains(value: Option<&str>, part: &str) -> bool {
    value.is_some_and(|v| v.to_ascii_lowercase().contains(part))
}

impl TableKind {
    /// The kind of `table`, from `TableType`, its parameters and its
    /// storage formats.
    pub fn of(table: &TableImage) -> Self {
        let empty = BTreeMap::new();
        let parameters = table.parameters.as_ref().unwrap_or(&empty);
        let param = |key: &str| parameter(parameters, key);
        let sd = table.storage_descriptor.as_ref();
        let input_format = sd.and_then(|sd| sd.input_format.as_deref());
        let serde = sd
            .and_then(|sd| sd.serde_info.as_ref())
            .and_then(|s| s.serialization_library.as_deref());
        let table_type = table.table_type.as_deref();
        let provider = param("spark.sql.sources.provider");
        if is(table_type, "VIRTUAL_VIEW") {
            TableKind::View
        } else if is(table_type, "GOVERNED") {
            TableKind::Governed
        } else if is(param("table_type"), "ICEBERG")
            || contains(input_format, "org.apache.iceberg")
            || contains(param("storage_handler"), "org.apache.iceberg")
        {
            TableKind::Iceberg
        } else if is(provider, "delta")
            || is(param("table_type"), "DELTA")
            || contains(input_format, "io.delta.")
        {
            TableKind::Delta
        } else if contains(input_format, "org.apache.hudi")
            || contains(input_format, "com.uber.hoodie")
            || contains(serde, "org.apache.hudi")
            || is(provider, "hudi")
            || is(param("table_type"), "HUDI")
        {
            TableKind::Hudi
        } else {
            TableKind::Hive {
                projection: is(param("projection.enabled"), "true"),
            }
        }
    }

    /// The word for the kind, in messages and JSON.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::View => "view",
            TableKind::Hive { projection: false } => "hive",
            TableKind::Hive { projection: true } => "hive (projection)",
            TableKind::Iceberg => "iceberg",
            TableKind::Delta => "delta",
            TableKind::Hudi => "hudi",
            TableKind::Governed => "governed",
        }
    }

    /// Why a run over several tables leaves a table of this kind out, in a
    /// few words; `None` for Hive-style tables.
    pub fn skip_reason(self) -> Option<&'static str> {
        Some(match self {
            TableKind::Hive { .. } => return None,
            TableKind::View => "a view, no data of its own",
            TableKind::Iceberg => {
                "an Iceberg table: its partitions are in its own metadata, not in Glue"
            }
            TableKind::Delta => {
                "a Delta Lake table: its partitions are in _delta_log/, not in Glue"
            }
            TableKind::Hudi => "a Hudi table: Hudi keeps its partitions itself",
            TableKind::Governed => {
                "a Lake Formation governed table: Lake Formation keeps its partitions"
            }
        })
    }

    /// Why glutil does not manage this table's partitions, as the rest of
    /// a sentence that starts with the table's name (`sales.t is ...`);
    /// `None` for Hive-style tables, whose partitions are glutil's job.
    pub fn refusal(self) -> Option<&'static str> {
        Some(match self {
            TableKind::Hive { .. } => return None,
            TableKind::View => "a view (TableType VIRTUAL_VIEW): it has no data or partitions of its own",
            TableKind::Iceberg => "an Apache Iceberg table (table_type ICEBERG): its partitions live in the table's own metadata files, not in Glue partitions, so glutil does not manage them; Iceberg's own maintenance procedures do (Athena's OPTIMIZE and VACUUM, Spark's rewrite_data_files and expire_snapshots)",
            TableKind::Delta => "a Delta Lake table: its partitions live in the transaction log (_delta_log/), not in Glue partitions, so glutil does not manage them; Delta's own commands do (OPTIMIZE, VACUUM)",
            TableKind::Hudi => "an Apache Hudi table (org.apache.hudi input format): Hudi keeps its partitions itself (its metadata table and hive sync), so glutil does not manage them",
            TableKind::Governed => "a Lake Formation governed table (TableType GOVERNED): Lake Formation manages its partitions in transactions, so glutil does not manage them",
        })
    }
}

/// The table's data format, from its SerDe, input format and
/// `classification`: parquet, orc, avro, json, csv, text, or what the
/// table kind says (iceberg, delta, hudi); `unknown` otherwise.
pub fn format_of(table: &TableImage) -> &'static str {
    let sd = table.storage_descriptor.as_ref();
    let serde = sd
        .and_then(|sd| sd.serde_info.as_ref())
        .and_then(|s| s.serialization_library.as_deref())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let input = sd
        .and_then(|sd| sd.input_format.as_deref())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let empty = BTreeMap::new();
    let classification = parameter(
        table.parameters.as_ref().unwrap_or(&empty),
        "classification",
    )
    .unwrap_or_default()
    .to_ascii_lowercase();
    let says = |word: &str| serde.contains(word) || input.contains(word) || classification == word;
    match TableKind::of(table) {
        TableKind::Iceberg => return "iceberg",
        TableKind::Delta => return "delta",
        TableKind::Hudi => return "hudi",
        TableKind::View => return "view",
        _ => {}
    }
    if says("parquet") {
        "parquet"
    } else if says("orc") {
        "orc"
    } else if says("avro") {
        "avro"
    } else if says("json") {
        "json"
    } else if says("csv") || serde.contains("opencsvserde") {
        "csv"
    } else if serde.contains("lazysimpleserde")
        || input.contains("textinputformat")
        || classification == "text"
    {
        "text"
    } else {
        "unknown"
    }
}

/// The warning for a table with Athena partition projection enabled:
/// Athena ignores its catalog partitions, other engines read them.
pub fn projection_warning(table: &str) -> String {
    format!(
        "{table} has Athena partition projection enabled (projection.enabled = true): Athena ignores its catalog partitions and computes them from the projection.* properties; Spark, EMR, Glue jobs and Redshift Spectrum still read the catalog partitions this command works on"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::definition::{SerDeImage, StorageImage};

    fn table(table_type: Option<&str>, params: &[(&str, &str)], input: Option<&str>) -> TableImage {
        TableImage {
            name: "t".into(),
            table_type: table_type.map(str::to_string),
            parameters: Some(
                params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            storage_descriptor: Some(StorageImage {
                location: Some("s3://b/t/".into()),
                input_format: input.map(str::to_string),
                serde_info: Some(SerDeImage::default()),
                ..StorageImage::default()
            }),
            ..TableImage::default()
        }
    }

    const PARQUET_IN: &str = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";

    #[test]
    fn iceberg_from_athena_and_from_spark() {
        // Athena's CREATE TABLE ... TBLPROPERTIES ('table_type'='ICEBERG').
        let athena = table(
            Some("EXTERNAL_TABLE"),
            &[
                ("table_type", "ICEBERG"),
                (
                    "metadata_location",
                    "s3://b/t/metadata/00000-a.metadata.json",
                ),
                ("format", "parquet"),
                ("write_compression", "zstd"),
            ],
            Some("org.apache.hadoop.mapred.FileInputFormat"),
        );
        assert_eq!(TableKind::of(&athena), TableKind::Iceberg);
        // Spark's GlueCatalog writes the value in lower case.
        let spark = table(
            Some("EXTERNAL_TABLE"),
            &[
                ("table_type", "iceberg"),
                (
                    "metadata_location",
                    "s3://b/t/metadata/00001-b.metadata.json",
                ),
                (
                    "previous_metadata_location",
                    "s3://b/t/metadata/00000-a.metadata.json",
                ),
            ],
            None,
        );
        assert_eq!(TableKind::of(&spark), TableKind::Iceberg);
        // Hive's storage handler, no table_type.
        let hive = table(
            None,
            &[(
                "storage_handler",
                "org.apache.iceberg.mr.hive.HiveIcebergStorageHandler",
            )],
            Some("org.apache.iceberg.mr.hive.HiveIcebergInputFormat"),
        );
        assert_eq!(TableKind::of(&hive), TableKind::Iceberg);
    }

    #[test]
    fn delta_from_a_crawler_and_from_spark() {
        let crawler = table(
            Some("EXTERNAL_TABLE"),
            &[
                ("classification", "delta"),
                ("table_type", "DELTA"),
                ("EXTERNAL", "TRUE"),
            ],
            Some("org.apache.hadoop.mapred.SequenceFileInputFormat"),
        );
        assert_eq!(TableKind::of(&crawler), TableKind::Delta);
        let spark = table(
            Some("EXTERNAL_TABLE"),
            &[
                ("Spark.SQL.Sources.Provider", "DELTA"),
                ("spark.sql.sources.schema.numParts", "1"),
            ],
            Some("org.apache.hadoop.mapred.SequenceFileInputFormat"),
        );
        assert_eq!(TableKind::of(&spark), TableKind::Delta);
        // A crawler's symlink-manifest table is Hive-style: its partitions
        // are in Glue.
        let manifest = table(
            Some("EXTERNAL_TABLE"),
            &[("classification", "parquet")],
            Some("org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"),
        );
        assert_eq!(
            TableKind::of(&manifest),
            TableKind::Hive { projection: false }
        );
    }

    #[test]
    fn hudi_governed_and_views() {
        for input in [
            "org.apache.hudi.hadoop.HoodieParquetInputFormat",
            "org.apache.hudi.hadoop.realtime.HoodieParquetRealtimeInputFormat",
        ] {
            let hudi = table(Some("EXTERNAL_TABLE"), &[], Some(input));
            assert_eq!(TableKind::of(&hudi), TableKind::Hudi, "{input}");
        }
        let governed = table(
            Some("GOVERNED"),
            &[("classification", "parquet")],
            Some(PARQUET_IN),
        );
        assert_eq!(TableKind::of(&governed), TableKind::Governed);
        let view = table(
            Some("VIRTUAL_VIEW"),
            &[("presto_view", "true"), ("comment", "Presto View")],
            None,
        );
        assert_eq!(TableKind::of(&view), TableKind::View);
        assert_eq!(
            TableKind::of(&table(Some("virtual_view"), &[], None)),
            TableKind::View
        );
    }

    #[test]
    fn projection_is_read_whatever_the_case() {
        let on = table(
            Some("EXTERNAL_TABLE"),
            &[
                ("Projection.Enabled", "TRUE"),
                ("projection.dt.type", "date"),
            ],
            Some(PARQUET_IN),
        );
        assert_eq!(TableKind::of(&on), TableKind::Hive { projection: true });
        let off = table(
            Some("EXTERNAL_TABLE"),
            &[("projection.enabled", "false")],
            Some(PARQUET_IN),
        );
        assert_eq!(TableKind::of(&off), TableKind::Hive { projection: false });
        let plain = table(Some("EXTERNAL_TABLE"), &[], Some(PARQUET_IN));
        assert_eq!(TableKind::of(&plain), TableKind::Hive { projection: false });
        assert!(TableKind::of(&plain).refusal().is_none());
        for kind in [
            TableKind::Iceberg,
            TableKind::Delta,
            TableKind::Hudi,
            TableKind::Governed,
        ] {
            assert!(
                kind.refusal().unwrap().contains("glutil does not manage"),
                "{kind:?}"
            );
        }
    }
}
