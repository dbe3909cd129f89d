//! End-to-end tests of `update-partitions`, `update-storage` and
//! `delete-bad-tables` against moto.

use aws_sdk_glue::types::{Column, PartitionInput, SerDeInfo, StorageDescriptor, TableInput};

use crate::harness::{run, strings, Moto};

const UPDATE_PARTITIONS: &str = env!("CARGO_BIN_EXE_update-partitions");
const UPDATE_STORAGE: &str = env!("CARGO_BIN_EXE_update-storage");
const DELETE_BAD_TABLES: &str = env!("CARGO_BIN_EXE_delete-bad-tables");

fn column(name: &str, ty: &str) -> Column {
    Column::builder().name(name).r#type(ty).build().unwrap()
}

fn storage(location: &str, columns: &[Column], serde: &str) -> StorageDescriptor {
    StorageDescriptor::builder()
        .location(location)
        .set_columns(Some(columns.to_vec()))
        .input_format("org.apache.hadoop.mapred.TextInputFormat")
        .output_format("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
        .serde_info(SerDeInfo::builder().serialization_library(serde).build())
        .parameters("classification", "json")
        .build()
}

/// Creates or replaces a table with an exact name.
async fn put_table(
    moto: &Moto,
    db: &str,
    name: &str,
    sd: StorageDescriptor,
    keys: &[(&str, &str)],
    replace: bool,
) {
    let mut input = TableInput::builder()
        .name(name)
        .table_type("EXTERNAL_TABLE")
        .storage_descriptor(sd);
    for (k, t) in keys {
        input = input.partition_keys(column(k, t));
    }
    let input = input.build().unwrap();
    if replace {
        moto.glue
            .update_table()
            .database_name(db)
            .table_input(input)
            .send()
            .await
            .unwrap();
    } else {
        moto.glue
            .create_table()
            .database_name(db)
            .table_input(input)
            .send()
            .await
            .unwrap();
    }
}

/// Partitions with a full storage descriptor and custom parameters.
async fn put_partitions(
    moto: &Moto,
    db: &str,
    table: &str,
    partitions: &[(Vec<String>, StorageDescriptor)],
) {
    let inputs = partitions
        .iter()
        .map(|(values, sd)| {
            PartitionInput::builder()
                .set_values(Some(values.clone()))
                .storage_descriptor(sd.clone())
                .parameters("owner", "team-a")
                .parameters("retention", "90d")
                .build()
        })
        .collect();
    moto.add_partition_inputs(db, table, inputs).await;
}

async fn partition(
    moto: &Moto,
    db: &str,
    table: &str,
    values: &[&str],
) -> aws_sdk_glue::types::Partition {
    moto.glue
        .get_partition()
        .database_name(db)
        .table_name(table)
        .set_partition_values(Some(strings(values)))
        .send()
        .await
        .unwrap()
        .partition()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn update_partitions_repoints_moved_partitions_and_changes_nothing_else() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("move").await;
    let db = moto.database("move").await;
    let columns = [column("id", "string"), column("n", "int")];
    let old = |h: u32| format!("s3://{bucket}/old/day=1/hour={h:02}/");
    put_table(
        &moto,
        &db,
        "events",
        storage(&format!("s3://{bucket}/old/"), &columns, "json-serde"),
        &[("day", "string"), ("hour", "string")],
        false,
    )
    .await;
    let partitions: Vec<_> = (0..5)
        .map(|h| {
            (
                strings(&["1", &format!("{h:02}")]),
                storage(&old(h), &columns, "json-serde"),
            )
        })
        .collect();
    put_partitions(&moto, &db, "events", &partitions).await;
    // Data for hours 0..4 was copied to the new prefix, hour 4 was not; the
    // table now points at the new prefix.
    moto.put(
        &bucket,
        (0..4).map(|h| format!("new/day=1/hour={h:02}/part-0.json")),
    )
    .await;
    put_table(
        &moto,
        &db,
        "events",
        storage(&format!("s3://{bucket}/new"), &columns, "json-serde"),
        &[("day", "string"), ("hour", "string")],
        true,
    )
    .await;

    let dry = run(UPDATE_PARTITIONS, &[&db, "events", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.contains(&format!(
            "would update [1, 00] {} -> s3://{bucket}/new/day=1/hour=00/",
            old(0)
        )),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("left alone [1, 04]"), "{}", dry.stdout);
    let before = partition(&moto, &db, "events", &["1", "00"]).await;
    assert_eq!(
        before.storage_descriptor().unwrap().location(),
        Some(old(0).as_str())
    );

    let r = run(UPDATE_PARTITIONS, &[&db, "events", "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["updated"], 4);
    assert_eq!(json["not_found"].as_array().unwrap().len(), 1);
    assert_eq!(
        json["not_found"][0]["values"],
        serde_json::json!(["1", "04"])
    );
    assert_eq!(json["requests"]["Glue:BatchUpdatePartition"], 1);

    for h in 0..4 {
        let p = partition(&moto, &db, "events", &["1", &format!("{h:02}")]).await;
        let sd = p.storage_descriptor().unwrap();
        assert_eq!(
            sd.location(),
            Some(format!("s3://{bucket}/new/day=1/hour={h:02}/").as_str())
        );
        // Every other field stays as it was.
        assert_eq!(sd.columns(), &columns);
        assert_eq!(
            sd.serde_info().unwrap().serialization_library(),
            Some("json-serde")
        );
        assert_eq!(sd.parameters().unwrap()["classification"], "json");
        assert_eq!(p.parameters().unwrap()["owner"], "team-a");
        assert_eq!(p.parameters().unwrap()["retention"], "90d");
    }
    let left = partition(&moto, &db, "events", &["1", "04"]).await;
    assert_eq!(
        left.storage_descriptor().unwrap().location(),
        Some(old(4).as_str())
    );

    let again = run(UPDATE_PARTITIONS, &[&db, "events", "--output", "json"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.json()["to_update"].as_array().unwrap().len(), 0);
    assert_eq!(again.json()["unchanged"], 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_storage_copies_a_new_schema_into_more_than_100_partitions() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("schema").await;
    let db = moto.database("schema").await;
    let old_columns = [column("id", "string")];
    let new_columns = [column("id", "string"), column("amount", "double")];
    let root = format!("s3://{bucket}/t/");
    put_table(
        &moto,
        &db,
        "sales",
        storage(&root, &old_columns, "json-serde"),
        &[("n", "int")],
        false,
    )
    .await;
    let partitions: Vec<_> = (0..130)
        .map(|n| {
            (
                vec![n.to_string()],
                storage(&format!("{root}n={n}/"), &old_columns, "json-serde"),
            )
        })
        .collect();
    put_partitions(&moto, &db, "sales", &partitions).await;
    put_table(
        &moto,
        &db,
        "sales",
        storage(&root, &new_columns, "parquet-serde"),
        &[("n", "int")],
        true,
    )
    .await;

    let dry = run(
        UPDATE_STORAGE,
        &[&db, "sales", "--dry-run", "--output", "json"],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    let json = dry.json();
    assert_eq!(json["to_update"].as_array().unwrap().len(), 130);
    assert_eq!(json["differing_fields"]["columns"], 130);
    assert_eq!(json["differing_fields"]["serde_info"], 130);
    assert_eq!(json["differing_fields"]["input_format"], 0);
    let unchanged = partition(&moto, &db, "sales", &["7"]).await;
    assert_eq!(unchanged.storage_descriptor().unwrap().columns().len(), 1);

    let r = run(UPDATE_STORAGE, &[&db, "sales", "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["updated"], 130);
    assert_eq!(r.json()["requests"]["Glue:BatchUpdatePartition"], 2);
    for n in [0, 99, 129] {
        let p = partition(&moto, &db, "sales", &[&n.to_string()]).await;
        let sd = p.storage_descriptor().unwrap();
        assert_eq!(sd.columns(), &new_columns);
        assert_eq!(
            sd.serde_info().unwrap().serialization_library(),
            Some("parquet-serde")
        );
        assert_eq!(sd.location(), Some(format!("{root}n={n}/").as_str()));
        assert_eq!(p.parameters().unwrap()["owner"], "team-a");
    }
    let again = run(UPDATE_STORAGE, &[&db, "sales", "--output", "json"]);
    assert_eq!(again.json()["to_update"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_bad_tables_removes_crawler_children_and_suffixed_copies_only() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("crawl").await;
    let db = moto.database("crawl").await;
    let at = |rel: &str| {
        storage(
            &format!("s3://{bucket}/{rel}"),
            &[column("x", "int")],
            "json-serde",
        )
    };
    for (name, rel) in [
        ("events", "events/"),
        ("year_2019", "events/year=2019/"),
        ("month_01", "events/year=2019/month=01/"),
        ("events_1a2b3c", "events"),
        ("events_archive", "events_archive/"),
        ("clicks", "clicks/"),
    ] {
        put_table(&moto, &db, name, at(rel), &[], false).await;
    }

    let dry = run(DELETE_BAD_TABLES, &[&db, "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout
            .contains(&format!("would delete table {db}.events_1a2b3c")),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains(&format!("would delete table {db}.year_2019")),
        "{}",
        dry.stdout
    );
    assert_eq!(moto.table_names(&db).await.len(), 6);

    let r = run(DELETE_BAD_TABLES, &[&db, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["deleted"], 3);
    assert_eq!(
        moto.table_names(&db).await,
        ["clicks", "events", "events_archive"]
    );

    let missing = run(DELETE_BAD_TABLES, &["no_such_db"]);
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.contains("database `no_such_db`"),
        "{}",
        missing.stderr
    );
}
