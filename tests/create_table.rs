//! `create-table` against moto, on Parquet files written by pyarrow: every
//! type mapping, Hive and flat layouts, schema evolution, conflicts, junk
//! and corrupt files, `--update`, dry runs and restores.

use aws_sdk_glue::types::Table;

use crate::harness::{
    backup_path, columns, parquet_fixture, parquet_fixtures, run, summary_value, Moto,
};

const CREATE_TABLE: &str = env!("CARGO_BIN_EXE_create-table");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");
const GLUTIL: &str = env!("CARGO_BIN_EXE_glutil");

/// The expected (name, Glue type) columns of one fixture file.
fn expected(file: &str) -> Vec<(String, String)> {
    let (_, files) = parquet_fixtures();
    files.iter().find(|(f, _)| f == file).unwrap().1.clone()
}

fn keys(t: &Table) -> Vec<(String, String)> {
    t.partition_keys()
        .iter()
        .map(|c| (c.name().to_string(), c.r#type().unwrap_or("").to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_parquet_type_maps_as_a_crawler_maps_it_and_the_table_is_crawler_shaped() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("ct-types").await;
    let db = moto.database("ct_types").await;
    moto.put_bytes(
        &bucket,
        "types/all_types.parquet",
        parquet_fixture("all_types.parquet"),
    )
    .await;
    moto.put_bytes(
        &bucket,
        "int96/int96.parquet",
        parquet_fixture("int96.parquet"),
    )
    .await;
    let location = format!("s3://{bucket}/types");
    let r = run(CREATE_TABLE, &[&db, "types", &location]);
    assert_eq!(r.code, 0, "{r:?}");
    let t = moto
        .get_table(&db, "types")
        .await
        .expect("the table exists");
    assert_eq!(columns(&t), expected("all_types.parquet"));
    assert!(keys(&t).is_empty());
    assert_eq!(t.table_type(), Some("EXTERNAL_TABLE"));
    let params = t.parameters().unwrap();
    assert_eq!(params["classification"], "parquet");
    assert_eq!(params["compressionType"], "snappy");
    assert_eq!(params["typeOfData"], "file");
    assert_eq!(params["glutil:created_by"], "glutil create-table");
    let sd = t.storage_descriptor().unwrap();
    assert_eq!(
        sd.location(),
        Some(format!("s3://{bucket}/types/").as_str())
    );
    assert_eq!(
        sd.input_format(),
        Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
    );
    assert_eq!(
        sd.output_format(),
        Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
    );
    let serde = sd.serde_info().unwrap();
    assert_eq!(
        serde.serialization_library(),
        Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
    );
    assert_eq!(serde.parameters().unwrap()["serialization.format"], "1");
    assert!(!sd.compressed());
    assert_eq!(sd.parameters().unwrap()["compressionType"], "snappy");
    assert!(!sd.parameters().unwrap().contains_key("glutil:created_by"));

    let r = run(
        GLUTIL,
        &[
            "create-table",
            &db,
            "int96",
            &format!("s3://{bucket}/int96/"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let t = moto.get_table(&db, "int96").await.unwrap();
    assert_eq!(columns(&t), expected("int96.parquet"));
    assert_eq!(t.parameters().unwrap()["compressionType"], "gzip");
}

#[tokio::test(flavor = "multi_thread")]
async fn hive_partitions_evolve_and_junk_is_skipped_and_counted() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("ct-hive").await;
    let db = moto.database("ct_hive").await;
    for (key, file) in [
        ("t/year=2024/month=01/part-0.parquet", "v1.parquet"),
        ("t/year=2024/month=02/part-0.parquet", "v2.parquet"),
        ("t/year=2024/month=03/part-0.parquet", "empty.parquet"),
    ] {
        moto.put_bytes(&bucket, key, parquet_fixture(file)).await;
    }
    moto.put(
        &bucket,
        [
            "t/year=2024/month=01/_SUCCESS".to_string(),
            "t/manifest.csv".to_string(),
            "t/year=2024/month=02/".to_string(),
            "t/_temporary/0/part-9.parquet".to_string(),
        ],
    )
    .await;
    moto.put_bytes(&bucket, "t/year=2024/month=02/notes.json", b"{}".to_vec())
        .await;
    let location = format!("s3://{bucket}/t/");
    let dry = run(CREATE_TABLE, &[&db, "events", &location, "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.contains("CREATE EXTERNAL TABLE"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("PARTITIONED BY"), "{}", dry.stdout);
    assert_eq!(
        summary_value(&dry.stdout, "to create").as_deref(),
        Some("3"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("skipped, hidden file"),
        "{}",
        dry.stdout
    );
    assert!(
        moto.get_table(&db, "events").await.is_none(),
        "a dry run changes nothing"
    );

    let path = backup_path("ct-hive");
    let r = run(
        CREATE_TABLE,
        &[
            &db, "events", &location, "--backup", &path, "--output", "json",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["created"], 3);
    let input = &json["table_input"];
    assert_eq!(input["TableType"], "EXTERNAL_TABLE");
    assert_eq!(
        input["StorageDescriptor"]["SerdeInfo"]["Parameters"]["serialization.format"],
        "1"
    );
    assert_eq!(input["StorageDescriptor"]["Columns"][0]["Name"], "id");
    assert_eq!(input["Parameters"]["compressionType"], "zstd");
    assert_eq!(input["PartitionKeys"][1]["Type"], "string");
    assert_eq!(json["files"]["footers_read"], 3);
    let skipped = json["files"]["skipped"].as_object().unwrap();
    let count: u64 = skipped.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(count, 5, "{skipped:?}");
    let t = moto.get_table(&db, "events").await.unwrap();
    let strings = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        columns(&t),
        strings(&[("id", "bigint"), ("name", "string"), ("score", "double")])
    );
    assert_eq!(
        keys(&t),
        strings(&[("year", "string"), ("month", "string")])
    );
    assert_eq!(t.parameters().unwrap()["compressionType"], "zstd");
    let partitions = moto.partitions(&db, "events").await;
    assert_eq!(partitions.len(), 3);
    assert!(
        partitions
            .iter()
            .any(|(v, l)| v == &["2024", "02"]
                && l == &format!("s3://{bucket}/t/year=2024/month=02/"))
    );

    // Restore undoes it all: the table goes with its partitions.
    let r = run(RESTORE, &[&path]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(moto.get_table(&db, "events").await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn flat_folders_take_named_keys_or_are_numbered_like_a_crawler_s() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("ct-flat").await;
    let db = moto.database("ct_flat").await;
    moto.put_bytes(
        &bucket,
        "f/2024/01/a.parquet",
        parquet_fixture("v1.parquet"),
    )
    .await;
    moto.put_bytes(
        &bucket,
        "f/2024/02/b.parquet",
        parquet_fixture("v1.parquet"),
    )
    .await;
    let location = format!("s3://{bucket}/f/");
    let r = run(CREATE_TABLE, &[&db, "numbered", &location]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("--partition-keys"), "{}", r.stderr);
    let t = moto.get_table(&db, "numbered").await.unwrap();
    assert_eq!(keys(&t)[0].0, "partition_0");
    assert_eq!(keys(&t)[1].0, "partition_1");
    assert_eq!(moto.partitions(&db, "numbered").await.len(), 2);

    let r = run(
        CREATE_TABLE,
        &[
            &db,
            "named",
            &location,
            "--partition-keys",
            "year,month:int",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let t = moto.get_table(&db, "named").await.unwrap();
    assert_eq!(
        keys(&t),
        [
            ("year".to_string(), "string".to_string()),
            ("month".to_string(), "int".to_string())
        ]
    );
    // One footer per folder by default; --all-files reads every one.
    moto.put_bytes(
        &bucket,
        "f/2024/01/c.parquet",
        parquet_fixture("v1.parquet"),
    )
    .await;
    let footers = |extra: &[&str]| {
        let mut args = vec![db.as_str(), "sampled", location.as_str(), "--dry-run"];
        args.extend(extra);
        args.extend(["--output", "json"]);
        run(CREATE_TABLE, &args).json()["files"]["footers_read"].clone()
    };
    assert_eq!(footers(&[]), 2);
    assert_eq!(footers(&["--all-files"]), 3);
    let bad = run(
        CREATE_TABLE,
        &[&db, "three", &location, "--partition-keys", "a,b,c"],
    );
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("2 folder levels"), "{}", bad.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicts_corrupt_files_and_uneven_depths_stop_before_any_change() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("ct-bad").await;
    let db = moto.database("ct_bad").await;
    moto.put_bytes(&bucket, "c/dt=1/a.parquet", parquet_fixture("v1.parquet"))
        .await;
    moto.put_bytes(
        &bucket,
        "c/dt=2/b.parquet",
        parquet_fixture("conflict.parquet"),
    )
    .await;
    let r = run(
        CREATE_TABLE,
        &[&db, "conflict", &format!("s3://{bucket}/c/")],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("column `id` is int in"), "{}", r.stderr);
    assert!(r.stderr.contains("c/dt=1/a.parquet"), "{}", r.stderr);
    assert!(
        r.stderr.contains("string in") && r.stderr.contains("c/dt=2/b.parquet"),
        "{}",
        r.stderr
    );

    let mut truncated = parquet_fixture("v2.parquet");
    truncated.drain(..200);
    moto.put_bytes(&bucket, "x/dt=1/ok.parquet", parquet_fixture("v1.parquet"))
        .await;
    moto.put_bytes(&bucket, "x/dt=2/cut.parquet", truncated)
        .await;
    let r = run(
        CREATE_TABLE,
        &[&db, "corrupt", &format!("s3://{bucket}/x/")],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("x/dt=2/cut.parquet"), "{}", r.stderr);
    assert!(r.stderr.contains("does not start with"), "{}", r.stderr);
    // A footer of garbage behind a valid length and magic.
    let mut garbled = parquet_fixture("v1.parquet");
    let n = garbled.len();
    let length = u32::from_le_bytes(garbled[n - 8..n - 4].try_into().unwrap()) as usize;
    garbled[n - 8 - length..n - 8].fill(0xff);
    moto.put_bytes(&bucket, "g/dt=1/bad.parquet", garbled).await;
    let r = run(
        CREATE_TABLE,
        &[&db, "garbled", &format!("s3://{bucket}/g/")],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let needle = "g/dt=1/bad.parquet: its footer cannot be decoded";
    assert!(r.stderr.contains(needle), "{}", r.stderr);

    moto.put_bytes(&bucket, "d/dt=1/a.parquet", parquet_fixture("v1.parquet"))
        .await;
    moto.put_bytes(&bucket, "d/b.parquet", parquet_fixture("v1.parquet"))
        .await;
    let r = run(CREATE_TABLE, &[&db, "depths", &format!("s3://{bucket}/d/")]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("(depth 0)") && r.stderr.contains("(depth 1)"),
        "{}",
        r.stderr
    );

    let none = run(
        CREATE_TABLE,
        &[&db, "nothing", &format!("s3://{bucket}/none/")],
    );
    assert_eq!(none.code, 2, "{none:?}");
    let db_missing = run(
        CREATE_TABLE,
        &["no_such_db", "t", &format!("s3://{bucket}/c/")],
    );
    assert_eq!(db_missing.code, 2, "{db_missing:?}");
    assert!(
        db_missing.stderr.contains("database `no_such_db`"),
        "{}",
        db_missing.stderr
    );
    let not_s3 = run(CREATE_TABLE, &[&db, "t", "hdfs://nn/x/"]);
    assert_eq!(not_s3.code, 2, "{not_s3:?}");
    assert!(
        moto.table_names(&db).await.is_empty(),
        "nothing was created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn update_appends_and_widens_columns_and_restore_reverts_it() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("ct-update").await;
    let db = moto.database("ct_update").await;
    moto.put_bytes(&bucket, "u/dt=1/a.parquet", parquet_fixture("v1.parquet"))
        .await;
    let location = format!("s3://{bucket}/u/");
    let r = run(CREATE_TABLE, &[&db, "events", &location]);
    assert_eq!(r.code, 0, "{r:?}");
    moto.put_bytes(&bucket, "u/dt=2/b.parquet", parquet_fixture("v2.parquet"))
        .await;

    let refused = run(CREATE_TABLE, &[&db, "events", &location]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("--update"), "{}", refused.stderr);

    let elsewhere = run(
        CREATE_TABLE,
        &[&db, "events", &format!("s3://{bucket}/other/"), "--update"],
    );
    assert_eq!(elsewhere.code, 2, "{elsewhere:?}");
    assert!(
        elsewhere
            .stderr
            .contains("--update reads the files at the table's location"),
        "{}",
        elsewhere.stderr
    );

    let path = backup_path("ct-update");
    let r = run(
        CREATE_TABLE,
        &[&db, "events", &location, "--update", "--backup", &path],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("add column score"), "{}", r.stdout);
    assert!(
        r.stdout.contains("widen column id from int to bigint"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("update-storage"), "{}", r.stdout);
    let t = moto.get_table(&db, "events").await.unwrap();
    assert_eq!(
        columns(&t),
        [
            ("id".to_string(), "bigint".to_string()),
            ("name".to_string(), "string".to_string()),
            ("score".to_string(), "double".to_string())
        ]
    );
    assert_eq!(moto.partitions(&db, "events").await.len(), 2);

    let again = run(CREATE_TABLE, &[&db, "events", &location, "--update"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        summary_value(&again.stdout, "table").as_deref(),
        Some("unchanged"),
        "{}",
        again.stdout
    );

    let r = run(RESTORE, &[&path]);
    assert_eq!(r.code, 0, "{r:?}");
    let t = moto.get_table(&db, "events").await.unwrap();
    assert_eq!(columns(&t), expected("v1.parquet"));
    assert_eq!(moto.partitions(&db, "events").await.len(), 1);
}
