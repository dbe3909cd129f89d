//! The four Glue objects that make a bucket's Quilt package metadata
//! queryable in Athena: two external tables over `.quilt/` and two views
//! over them, defined here as full table definitions, the views written the
//! way Athena itself stores a view in Glue.
//!
//! Quilt keeps each package's manifest in `.quilt/packages/<tophash>` (JSON
//! Lines: package metadata first, then one line per file) and names
//! packages with pointer files `.quilt/named_packages/<user>/<name>/<time>`
//! whose content is the top hash.

use std::collections::BTreeMap;

use aws_smithy_types::base64;
use serde::{Deserialize, Serialize};

use crate::model::definition::{ColumnImage, SerDeImage, StorageImage, TableImage};

/// Athena's catalog name for the Glue Data Catalog, as views record it.
pub const ATHENA_CATALOG: &str = "awsdatacatalog";

/// What the views' definitions name as their owner.
pub const VIEW_OWNER: &str = "glutil";

const JSON_SERDE: &str = "org.openx.data.jsonserde.JsonSerDe";
const TEXT_SERDE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
const TEXT_INPUT: &str = "org.apache.hadoop.mapred.TextInputFormat";
const TEXT_OUTPUT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";

/// The names of a bucket's four objects: the bucket name with `-` and `.`
/// (which table names cannot hold) as `_`, and a suffix each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuiltNames {
    /// `<id>_quilt_manifests`: every manifest line.
    pub manifests: String,
    /// `<id>_quilt_packages`: every pointer file's top hash.
    pub packages: String,
    /// `<id>_quilt_packages_view`: one row per named package revision.
    pub packages_view: String,
    /// `<id>_quilt_objects_view`: one row per file of a revision.
    pub objects_view: String,
}

impl QuiltNames {
    /// The names for `bucket`.
    pub fn for_bucket(bucket: &str) -> Self {
        let id: String = bucket
            .chars()
            .map(|c| match c {
                '-' | '.' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Self {
            manifests: format!("{id}_quilt_manifests"),
            packages: format!("{id}_quilt_packages"),
            packages_view: format!("{id}_quilt_packages_view"),
            objects_view: format!("{id}_quilt_objects_view"),
        }
    }

    /// All four, tables before the views that read them.
    pub fn all(&self) -> [&str; 4] {
        [
            &self.manifests,
            &self.packages,
            &self.packages_view,
            &self.objects_view,
        ]
    }
}

/// A column of a view: its Hive type (the storage descriptor's) and its
/// Trino type (the view definition's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewColumn {
    /// The column name.
    pub name: &'static str,
    /// Hive type, as Glue columns carry it.
    pub hive: &'static str,
    /// Trino type, as the encoded view carries it.
    pub trino: &'static str,
}

const fn string_column(name: &'static str) -> ViewColumn {
    ViewColumn {
        name,
        hive: "string",
        trino: "varchar",
    }
}

/// The packages view's columns.
pub const PACKAGES_VIEW_COLUMNS: [ViewColumn; 6] = [
    string_column("user"),
    string_column("name"),
    string_column("hash"),
    string_column("timestamp"),
    string_column("message"),
    string_column("meta"),
];

/// The objects view's columns.
pub const OBJECTS_VIEW_COLUMNS: [ViewColumn; 9] = [
    string_column("user"),
    string_column("name"),
    string_column("timestamp"),
    string_column("tophash"),
    string_column("logical_key"),
    ViewColumn {
        name: "physical_keys",
        hive: "array<string>",
        trino: "array(varchar)",
    },
    ViewColumn {
        name: "hash",
        hive: "struct<type:string,value:string>",
        trino: "row(type varchar, value varchar)",
    },
    string_column("meta"),
    string_column("user_meta"),
];

/// The manifests table's columns (Hive types).
pub const MANIFEST_COLUMNS: [(&str, &str); 8] = [
    ("logical_key", "string"),
    ("physical_keys", "array<string>"),
    ("size", "string"),
    ("hash", "struct<type:string,value:string>"),
    ("meta", "string"),
    ("user_meta", "string"),
    ("message", "string"),
    ("version", "string"),
];

/// The four definitions for `bucket` in `database`, tables first.
pub fn quilt_tables(bucket: &str, database: &str) -> [TableImage; 4] {
    let names = QuiltNames::for_bucket(bucket);
    [
        manifests_table(&names.manifests, bucket),
        packages_table(&names.packages, bucket),
        presto_view(
            &names.packages_view,
            database,
            &packages_view_sql(database, &names),
            &PACKAGES_VIEW_COLUMNS,
        ),
        presto_view(
            &names.objects_view,
            database,
            &objects_view_sql(database, &names),
            &OBJECTS_VIEW_COLUMNS,
        ),
    ]
}

fn parameters(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn column(name: &str, type_name: &str) -> ColumnImage {
    ColumnImage {
        name: name.to_string(),
        type_name: Some(type_name.to_string()),
        comment: None,
        parameters: None,
    }
}

fn external_table(
    name: &str,
    location: String,
    columns: Vec<ColumnImage>,
    serde: SerDeImage,
) -> TableImage {
    TableImage {
        table_type: Some("EXTERNAL_TABLE".into()),
        parameters: parameters(&[("EXTERNAL", "TRUE"), ("has_encrypted_data", "false")]),
        partition_keys: Some(Vec::new()),
        storage_descriptor: Some(StorageImage {
            columns: Some(columns),
            location: Some(location),
            input_format: Some(TEXT_INPUT.into()),
            output_format: Some(TEXT_OUTPUT.into()),
            serde_info: Some(serde),
            ..StorageImage::default()
        }),
        ..TableImage::named(name)
    }
}

fn manifests_table(name: &str, bucket: &str) -> TableImage {
    let columns = MANIFEST_COLUMNS.iter().map(|(n, t)| column(n, t)).collect();
    let serde = SerDeImage {
        name: None,
        serialization_library: Some(JSON_SERDE.into()),
        parameters: parameters(&[("ignore.malformed.json", "true")]),
    };
    let location = format!("s3://{bucket}/.quilt/packages/");
    external_table(name, location, columns, serde)
}

fn packages_table(name: &str, bucket: &str) -> TableImage {
    let serde = SerDeImage {
        name: None,
        serialization_library: Some(TEXT_SERDE.into()),
        parameters: parameters(&[("field.delim", ","), ("serialization.format", ",")]),
    };
    let location = format!("s3://{bucket}/.quilt/named_packages/");
    external_table(name, location, vec![column("hash", "string")], serde)
}

/// `"database"."table"`, each quoted for Trino (`"` doubled).
fn qualified(database: &str, table: &str) -> String {
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    format!("{}.{}", quote(database), quote(table))
}

/// A pointer file's path: `s3://bucket/.quilt/named_packages/USER/NAME/TIME`.
const POINTER_PATH: &str = r"^s3://[^/]+/\.quilt/named_packages/([^/]+)/([^/]+)/([^/]+)$";

/// The manifest whose file name (its top hash) a row came from.
const MANIFEST_HASH: &str = "regexp_extract(mani.\"$path\", '[^/]+$')";

fn packages_view_sql(database: &str, names: &QuiltNames) -> String {
    let part = |group: u8| format!("regexp_extract(npkg.\"$path\", '{POINTER_PATH}', {group})");
    format!(
        "SELECT {user} AS \"user\", {name} AS \"name\", npkg.hash AS \"hash\", \
         {time} AS \"timestamp\", mani.message AS \"message\", mani.meta AS \"meta\" \
         FROM {packages} npkg JOIN {manifests} mani ON npkg.hash = {MANIFEST_HASH} \
         WHERE mani.logical_key IS NULL",
        user = part(1),
        name = part(2),
        time = part(3),
        packages = qualified(database, &names.packages),
        manifests = qualified(database, &names.manifests),
    )
}

fn objects_view_sql(database: &str, names: &QuiltNames) -> String {
    format!(
        "SELECT pkg.\"user\" AS \"user\", pkg.\"name\" AS \"name\", \
         pkg.\"timestamp\" AS \"timestamp\", pkg.hash AS \"tophash\", \
         mani.logical_key AS \"logical_key\", mani.physical_keys AS \"physical_keys\", \
         mani.hash AS \"hash\", mani.meta AS \"meta\", mani.user_meta AS \"user_meta\" \
         FROM {view} pkg JOIN {manifests} mani ON pkg.hash = {MANIFEST_HASH} \
         WHERE mani.logical_key IS NOT NULL",
        view = qualified(database, &names.packages_view),
        manifests = qualified(database, &names.manifests),
    )
}

/// The JSON inside an Athena view's `ViewOriginalText`, field for field in
/// Athena's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrestoView {
    /// The view's SQL.
    pub original_sql: String,
    /// Always [`ATHENA_CATALOG`].
    pub catalog: String,
    /// The view's database.
    pub schema: String,
    /// Its columns with Trino types.
    pub columns: Vec<PrestoColumn>,
    /// Who defined it.
    pub owner: String,
    /// Athena views run with the invoker's rights regardless; Athena
    /// writes `false`.
    pub run_as_invoker: bool,
}

/// A column of a [`PrestoView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrestoColumn {
    /// The column name.
    pub name: String,
    /// Its Trino type (`varchar`, `array(varchar)`, ...).
    #[serde(rename = "type")]
    pub type_name: String,
}

const VIEW_PREFIX: &str = "/* Presto View: ";
const VIEW_SUFFIX: &str = " */";

impl PrestoView {
    /// `/* Presto View: <base64 of the JSON> */`, as Athena writes it.
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{VIEW_PREFIX}{}{VIEW_SUFFIX}", base64::encode(json))
    }

    /// Reads a `ViewOriginalText` Athena (or [`PrestoView::encode`])
    /// wrote; `None` when it is not one.
    pub fn decode(text: &str) -> Option<Self> {
        let encoded = text
            .trim()
            .strip_prefix(VIEW_PREFIX)?
            .strip_suffix(VIEW_SUFFIX)?;
        let json = base64::decode(encoded.trim()).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// A view stored the way Athena stores one: `VIRTUAL_VIEW`, the encoded
/// definition, `presto_view=true`, and the columns with Hive types.
pub fn presto_view(name: &str, database: &str, sql: &str, columns: &[ViewColumn]) -> TableImage {
    let view = PrestoView {
        original_sql: sql.to_string(),
        catalog: ATHENA_CATALOG.into(),
        schema: database.to_string(),
        columns: columns
            .iter()
            .map(|c| PrestoColumn {
                name: c.name.into(),
                type_name: c.trino.into(),
            })
            .collect(),
        owner: VIEW_OWNER.into(),
        run_as_invoker: false,
    };
    TableImage {
        table_type: Some("VIRTUAL_VIEW".into()),
        parameters: parameters(&[("presto_view", "true"), ("comment", "Presto View")]),
        partition_keys: Some(Vec::new()),
        view_original_text: Some(view.encode()),
        view_expanded_text: Some("/* Presto View */".into()),
        storage_descriptor: Some(StorageImage {
            columns: Some(columns.iter().map(|c| column(c.name, c.hive)).collect()),
            serde_info: Some(SerDeImage {
                name: None,
                serialization_library: None,
                parameters: None,
            }),
            ..StorageImage::default()
        }),
        ..TableImage::named(name)
    }
}

/// What about an existing object differs from the wanted definition, by
/// the parts this module sets (Glue's own fields, and parameters or
/// properties others added, are not compared). Empty when it matches.
pub fn differences(existing: &TableImage, wanted: &TableImage) -> Vec<&'static str> {
    let mut found = Vec::new();
    if existing.table_type != wanted.table_type {
        found.push("table type");
    }
    if !keeps_pairs(&existing.parameters, &wanted.parameters) {
        found.push("parameters");
    }
    let keys = |t: &TableImage| t.partition_keys.clone().unwrap_or_default();
    if keys(existing) != keys(wanted) {
        found.push("partition keys");
    }
    let view = |t: &TableImage| t.view_original_text.as_deref().and_then(PrestoView::decode);
    if view(existing) != view(wanted) {
        found.push("view definition");
    }
    let empty = StorageImage::default();
    let have = existing.storage_descriptor.as_ref().unwrap_or(&empty);
    let want = wanted.storage_descriptor.as_ref().unwrap_or(&empty);
    let columns = |s: &StorageImage| -> Vec<(String, Option<String>)> {
        let all = s.columns.clone().unwrap_or_default();
        all.into_iter().map(|c| (c.name, c.type_name)).collect()
    };
    if columns(have) != columns(want) {
        found.push("columns");
    }
    let location = |s: &StorageImage| s.location.clone().filter(|l| !l.is_empty());
    if location(have) != location(want) {
        found.push("location");
    }
    if (&have.input_format, &have.output_format) != (&want.input_format, &want.output_format) {
        found.push("formats");
    }
    let serde = |s: &StorageImage| s.serde_info.clone().and_then(|i| i.serialization_library);
    let serde_parameters = |s: &StorageImage| s.serde_info.clone().and_then(|i| i.parameters);
    if serde(have) != serde(want) || !keeps_pairs(&serde_parameters(have), &serde_parameters(want))
    {
        found.push("serde");
    }
    found
}

/// True when `have` holds every pair of `want`.
fn keeps_pairs(
    have: &Option<BTreeMap<String, String>>,
    want: &Option<BTreeMap<String, String>>,
) -> bool {
    let empty = BTreeMap::new();
    let have = have.as_ref().unwrap_or(&empty);
    want.iter().flatten().all(|(k, v)| have.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_bucket() {
        let names = QuiltNames::for_bucket("my-bucket.data");
        assert_eq!(
            names.all(),
            [
                "my_bucket_data_quilt_manifests",
                "my_bucket_data_quilt_packages",
                "my_bucket_data_quilt_packages_view",
                "my_bucket_data_quilt_objects_view"
            ]
        );
    }

    #[test]
    fn a_view_encodes_as_athena_writes_one() {
        // The shape Athena stores for `CREATE VIEW v AS SELECT 1 AS x` in
        // database `db`: the JSON in this field order, base64, framed.
        let captured_json = r#"{"originalSql":"SELECT 1 AS x","catalog":"awsdatacatalog","schema":"db","columns":[{"name":"x","type":"integer"}],"owner":"glutil","runAsInvoker":false}"#;
        let captured = format!("/* Presto View: {} */", base64::encode(captured_json));
        let column = ViewColumn {
            name: "x",
            hive: "int",
            trino: "integer",
        };
        let view = presto_view("v", "db", "SELECT 1 AS x", &[column]);
        assert_eq!(view.view_original_text.as_deref(), Some(captured.as_str()));
        assert_eq!(
            view.view_expanded_text.as_deref(),
            Some("/* Presto View */")
        );
        assert_eq!(view.table_type.as_deref(), Some("VIRTUAL_VIEW"));
        let params = view.parameters.clone().unwrap();
        assert_eq!(params.get("presto_view").map(String::as_str), Some("true"));
        assert_eq!(
            params.get("comment").map(String::as_str),
            Some("Presto View")
        );
        let decoded = PrestoView::decode(&captured).unwrap();
        assert_eq!(decoded.columns[0].type_name, "integer");
        assert_eq!(decoded.schema, "db");
        assert!(PrestoView::decode("SELECT 1").is_none());
    }

    #[test]
    fn differences_name_what_changed_and_ignore_glue_s_own_fields() {
        let [manifests, ..] = quilt_tables("b", "d");
        let mut existing = manifests.clone();
        existing.create_time = None;
        existing.created_by = Some("someone".into());
        existing
            .parameters
            .get_or_insert_with(BTreeMap::new)
            .insert("transient_lastDdlTime".into(), "1".into());
        assert!(differences(&existing, &manifests).is_empty());
        let storage = existing.storage_descriptor.as_mut().unwrap();
        storage.columns.as_mut().unwrap().pop();
        storage.location = Some("s3://b/.quilt/old/".into());
        assert_eq!(differences(&existing, &manifests), ["columns", "location"]);
    }
}
