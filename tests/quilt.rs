//! End-to-end tests of `quilt-tables` against moto.

use aws_sdk_glue::types::Table;
use glutil::model::quilt::{PrestoView, QuiltNames};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::harness::{backup_path, columns, run, Moto};

const QUILT: &str = env!("CARGO_BIN_EXE_quilt-tables");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");

const HASH_1: &str = "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a";
const HASH_2: &str = "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b";
const HASH_3: &str = "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c";

/// A manifest as Quilt writes one: package metadata, then one line per file.
fn manifest(bucket: &str, message: &str, files: &[&str]) -> Vec<u8> {
    let mut lines = vec![serde_json::json!({
        "version": "v0",
        "message": message,
        "user_meta": {"project": "demo"}
    })];
    for file in files {
        lines.push(serde_json::json!({
            "logical_key": file,
            "physical_keys": [format!("s3://{bucket}/{file}?versionId=abc")],
            "size": 12,
            "hash": {"type": "SHA256", "value": "ff".repeat(32)},
            "meta": {"user_meta": {"cell": 5}}
        }));
    }
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    (text.join("\n") + "\n").into_bytes()
}

/// A Quilt bucket: three packages, two users, two revisions of one.
async fn quilt_bucket(moto: &Moto) -> String {
    let bucket = moto.bucket("quilt").await;
    let objects = [
        (
            format!(".quilt/packages/{HASH_1}"),
            manifest(&bucket, "first", &["a.csv"]),
        ),
        (
            format!(".quilt/packages/{HASH_2}"),
            manifest(&bucket, "second", &["a.csv", "b.csv"]),
        ),
        (
            format!(".quilt/packages/{HASH_3}"),
            manifest(&bucket, "other", &["c.tiff"]),
        ),
        (
            ".quilt/named_packages/alice/cells/1700000000".into(),
            HASH_1.into(),
        ),
        (
            ".quilt/named_packages/alice/cells/1700000100".into(),
            HASH_2.into(),
        ),
        (
            ".quilt/named_packages/alice/cells/latest".into(),
            HASH_2.into(),
        ),
        (
            ".quilt/named_packages/bob/tiffs/1700000200".into(),
            HASH_3.into(),
        ),
    ];
    for (key, body) in objects {
        moto.put_bytes(&bucket, &key, body).await;
    }
    bucket
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Checks both external tables field by field.
fn check_tables(bucket: &str, manifests: &Table, packages: &Table) {
    assert_eq!(manifests.table_type(), Some("EXTERNAL_TABLE"));
    assert_eq!(
        columns(manifests),
        pairs(&[
            ("logical_key", "string"),
            ("physical_keys", "array<string>"),
            ("size", "string"),
            ("hash", "struct<type:string,value:string>"),
            ("meta", "string"),
            ("user_meta", "string"),
            ("message", "string"),
            ("version", "string"),
        ])
    );
    let sd = manifests.storage_descriptor().unwrap();
    assert_eq!(
        sd.location(),
        Some(format!("s3://{bucket}/.quilt/packages/").as_str())
    );
    assert_eq!(
        sd.input_format(),
        Some("org.apache.hadoop.mapred.TextInputFormat")
    );
    assert_eq!(
        sd.output_format(),
        Some("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
    );
    let serde = sd.serde_info().unwrap();
    assert_eq!(
        serde.serialization_library(),
        Some("org.openx.data.jsonserde.JsonSerDe")
    );
    let params = serde.parameters().unwrap();
    assert_eq!(
        params.get("ignore.malformed.json").map(String::as_str),
        Some("true")
    );

    assert_eq!(columns(packages), pairs(&[("hash", "string")]));
    let sd = packages.storage_descriptor().unwrap();
    assert_eq!(
        sd.location(),
        Some(format!("s3://{bucket}/.quilt/named_packages/").as_str())
    );
    let serde = sd.serde_info().unwrap();
    assert_eq!(
        serde.serialization_library(),
        Some("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe")
    );
    assert_eq!(
        serde
            .parameters()
            .unwrap()
            .get("field.delim")
            .map(String::as_str),
        Some(",")
    );
}

/// Checks a view as Athena would read it, and parses its SQL.
fn check_view(db: &str, view: &Table, expected: &[(&str, &str, &str)], reads: &[&str]) {
    assert_eq!(view.table_type(), Some("VIRTUAL_VIEW"));
    assert_eq!(view.view_expanded_text(), Some("/* Presto View */"));
    let params = view.parameters().unwrap();
    assert_eq!(params.get("presto_view").map(String::as_str), Some("true"));
    let decoded = PrestoView::decode(view.view_original_text().unwrap()).expect("a Presto view");
    assert_eq!(
        (decoded.catalog.as_str(), decoded.schema.as_str()),
        ("awsdatacatalog", db)
    );
    assert!(!decoded.run_as_invoker);
    let trino: Vec<(&str, &str)> = decoded
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.type_name.as_str()))
        .collect();
    let want_trino: Vec<(&str, &str)> = expected.iter().map(|(n, _, t)| (*n, *t)).collect();
    assert_eq!(trino, want_trino);
    let want_hive: Vec<(String, String)> = expected
        .iter()
        .map(|(n, h, _)| (n.to_string(), h.to_string()))
        .collect();
    assert_eq!(columns(view), want_hive);
    let statements = Parser::parse_sql(&GenericDialect {}, &decoded.original_sql)
        .unwrap_or_else(|e| panic!("the view SQL does not parse: {e}\n{}", decoded.original_sql));
    assert_eq!(statements.len(), 1);
    let sql = statements[0].to_string();
    assert!(sql.starts_with("SELECT"), "{sql}");
    for table in reads {
        assert!(
            sql.contains(&format!("\"{db}\".\"{table}\"")),
            "{table} in {sql}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn quilt_tables_are_created_checked_kept_updated_dropped_and_restored() {
    let moto = Moto::connect().await;
    let bucket = quilt_bucket(&moto).await;
    let db = moto.database("quilt").await;
    let names = QuiltNames::for_bucket(&bucket);
    let other = moto.table(&db, "unrelated", "s3://elsewhere/t/", &[]).await;

    // A dry run changes nothing.
    let dry = run(QUILT, &[&bucket, "--database", &db, "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout
            .contains(&format!("would create view {db}.{}", names.objects_view)),
        "{}",
        dry.stdout
    );
    for name in names.all() {
        assert!(
            moto.get_table(&db, name).await.is_none(),
            "{name} after a dry run"
        );
    }

    let first = run(QUILT, &[&bucket, "--database", &db, "--output", "json"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(first.json()["applied"], 4);
    let [manifests, packages, packages_view, objects_view] = [
        &names.manifests,
        &names.packages,
        &names.packages_view,
        &names.objects_view,
    ];
    let table = |name: &str| {
        let moto = &moto;
        let (db, name) = (db.clone(), name.to_string());
        async move { moto.get_table(&db, &name).await.expect("created") }
    };
    check_tables(&bucket, &table(manifests).await, &table(packages).await);
    let s = |n| (n, "string", "varchar");
    check_view(
        &db,
        &table(packages_view).await,
        &[
            s("user"),
            s("name"),
            s("hash"),
            s("timestamp"),
            s("message"),
            s("meta"),
        ],
        &[packages, manifests],
    );
    check_view(
        &db,
        &table(objects_view).await,
        &[
            s("user"),
            s("name"),
            s("timestamp"),
            s("tophash"),
            s("logical_key"),
            ("physical_keys", "array<string>", "array(varchar)"),
            (
                "hash",
                "struct<type:string,value:string>",
                "row(type varchar, value varchar)",
            ),
            s("meta"),
            s("user_meta"),
        ],
        &[packages_view, manifests],
    );

    // A rerun changes nothing.
    let again = run(QUILT, &[&bucket, "--database", &db]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        again.stdout.matches("unchanged ").count(),
        4,
        "{}",
        again.stdout
    );
    assert!(!again.stdout.contains("backup:"), "{}", again.stdout);

    // An older definition is shown and updated, with a backup first.
    let mut old = table(manifests).await;
    let sd = old.storage_descriptor().unwrap().clone();
    let input = aws_sdk_glue::types::TableInput::builder()
        .name(old.name())
        .table_type("EXTERNAL_TABLE")
        .storage_descriptor(
            aws_sdk_glue::types::StorageDescriptor::builder()
                .set_columns(Some(sd.columns()[..3].to_vec()))
                .set_location(sd.location().map(str::to_string))
                .set_serde_info(sd.serde_info().cloned())
                .set_input_format(sd.input_format().map(str::to_string))
                .set_output_format(sd.output_format().map(str::to_string))
                .build(),
        )
        .build()
        .unwrap();
    moto.glue
        .update_table()
        .database_name(&db)
        .table_input(input)
        .send()
        .await
        .unwrap();
    old = table(manifests).await;
    assert_eq!(columns(&old).len(), 3);
    let update_backup = backup_path("quilt-update");
    let update = run(
        QUILT,
        &[&bucket, "--database", &db, "--backup", &update_backup],
    );
    assert_eq!(update.code, 0, "{update:?}");
    assert!(
        update
            .stdout
            .contains(&format!("update table {db}.{manifests} (differs: ")),
        "{}",
        update.stdout
    );
    assert!(update.stdout.contains("columns"), "{}", update.stdout);
    assert_eq!(columns(&table(manifests).await).len(), 8);
    let backup = std::fs::read_to_string(&update_backup).unwrap();
    assert_eq!(
        backup.lines().count(),
        2,
        "header and the one update: {backup}"
    );
    assert!(backup.contains("\"update_table\""), "{backup}");

    // --drop removes the four, with a backup; restore brings them back.
    let drop_backup = backup_path("quilt-drop");
    let dropped = run(
        QUILT,
        &[
            &bucket,
            "--database",
            &db,
            "--drop",
            "--backup",
            &drop_backup,
        ],
    );
    assert_eq!(dropped.code, 0, "{dropped:?}");
    for name in names.all() {
        assert!(
            moto.get_table(&db, name).await.is_none(),
            "{name} after --drop"
        );
    }
    assert!(
        moto.get_table(&db, &other).await.is_some(),
        "not ours: kept"
    );
    let restored = run(RESTORE, &[&drop_backup]);
    assert_eq!(restored.code, 0, "{restored:?}");
    check_tables(&bucket, &table(manifests).await, &table(packages).await);
    let view = table(objects_view).await;
    assert!(PrestoView::decode(view.view_original_text().unwrap()).is_some());
    let after = run(QUILT, &[&bucket, "--database", &db]);
    assert_eq!(
        after.stdout.matches("unchanged ").count(),
        4,
        "{}",
        after.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn buckets_without_quilt_and_unknown_databases_are_refused() {
    let moto = Moto::connect().await;
    let plain = moto.bucket("plain").await;
    moto.put(&plain, ["data/x.csv".to_string()]).await;
    let db = moto.database("quilt").await;

    let r = run(QUILT, &[&plain, "--database", &db]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("bucket {plain} has no .quilt/ folder")),
        "{}",
        r.stderr
    );
    assert!(moto.table_names(&db).await.is_empty(), "nothing created");

    let quilt = quilt_bucket(&moto).await;
    let r = run(QUILT, &[&quilt, "--database", "no_such_db"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no_such_db"), "{}", r.stderr);

    let r = run(QUILT, &["Not_A_Bucket", "--database", &db]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not an S3 bucket name"), "{}", r.stderr);
}
