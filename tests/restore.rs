//! Backups and `restore`: every command that writes records what it is
//! about to change, and `restore` puts it back, field by field.

use aws_sdk_glue::types::{
    Column, Order, PartitionInput, SerDeInfo, SkewedInfo, StorageDescriptor, TableInput,
};
use aws_smithy_types::DateTime;
use glutil::backup::{PartitionImage, TableImage};

use crate::harness::{backup_path, run, state_home, strings, unique, Moto};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");
const DELETE_MISSING: &str = env!("CARGO_BIN_EXE_delete-missing");
const DELETE_ALL: &str = env!("CARGO_BIN_EXE_delete-all");
const UPDATE_PARTITIONS: &str = env!("CARGO_BIN_EXE_update-partitions");
const DELETE_BAD_TABLES: &str = env!("CARGO_BIN_EXE_delete-bad-tables");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");

/// Rich partitions keyed `dt` = each number, in `dt=N/` folders under `root`.
fn dt_inputs(days: std::ops::RangeInclusive<usize>, root: &str) -> Vec<PartitionInput> {
    days.map(|d| rich_input(&strings(&[&d.to_string()]), &format!("{root}/dt={d}/"), d))
        .collect()
}

/// A partition with every storage field set, custom parameters and
/// timestamps: what a restore must give back exactly.
fn rich_input(values: &[String], location: &str, n: usize) -> PartitionInput {
    let column = |name: &str| {
        Column::builder()
            .name(name)
            .r#type("string")
            .comment(format!("comment {n}"))
            .parameters("pii", if n.is_multiple_of(2) { "no" } else { "yes" })
            .build()
            .unwrap()
    };
    let storage = StorageDescriptor::builder()
        .columns(column("a"))
        .columns(column("b"))
        .location(location)
        .input_format("org.apache.hadoop.mapred.TextInputFormat")
        .output_format("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat")
        .compressed(n.is_multiple_of(2))
        .number_of_buckets(n as i32 % 5)
        .serde_info(
            SerDeInfo::builder()
                .name("json")
                .serialization_library("org.openx.data.jsonserde.JsonSerDe")
                .parameters("paths", "a,b")
                .build(),
        )
        .bucket_columns("a")
        .sort_columns(Order::builder().column("b").sort_order(1).build().unwrap())
        .parameters("classification", "json")
        .parameters("recordCount", n.to_string())
        .skewed_info(
            SkewedInfo::builder()
                .skewed_column_names("a")
                .skewed_column_values(format!("v{n}"))
                .skewed_column_value_location_maps(format!("v{n}"), location)
                .build(),
        )
        .stored_as_sub_directories(n.is_multiple_of(3))
        .build();
    PartitionInput::builder()
        .set_values(Some(values.to_vec()))
        .storage_descriptor(storage)
        .parameters("owner", "team-a")
        .parameters("custom", format!("value {n}"))
        .last_access_time(DateTime::from_secs(1_700_000_000 + n as i64))
        .build()
}

/// Every partition of a table, whole, sorted by values; the creation time
/// is left out (Glue sets it on every create).
async fn images(moto: &Moto, db: &str, table: &str) -> Vec<PartitionImage> {
    let mut out: Vec<PartitionImage> = moto
        .full_partitions(db, table)
        .await
        .iter()
        .map(|p| PartitionImage {
            creation_time: None,
            ..PartitionImage::from(p)
        })
        .collect();
    out.sort_by(|a, b| a.values.cmp(&b.values));
    out
}

fn backup_in(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("backup:"))
        .unwrap_or_else(|| panic!("no backup line in:\n{stdout}"))
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_missing_then_delete_all_then_restore_both_gives_back_every_field() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("restore", "t", &[("year", "string"), ("month", "string")])
        .await;
    // 130 partitions; a third of them have no data (44 missing): more than
    // one batch of every write.
    let mut inputs = Vec::new();
    let mut keys = Vec::new();
    for n in 0..130usize {
        let values = vec![format!("{}", 2000 + n / 10), format!("{:02}", n % 10)];
        let folder = format!("t/year={}/month={}/", values[0], values[1]);
        if n % 3 != 0 {
            keys.push(format!("{folder}part-0.json"));
        }
        inputs.push(rich_input(&values, &format!("s3://{bucket}/{folder}"), n));
    }
    moto.put(&bucket, keys).await;
    moto.add_partition_inputs(&db, &table, inputs).await;
    let before = images(&moto, &db, &table).await;
    assert_eq!(before.len(), 130);

    let missing_backup = backup_path("missing");
    let r = run(DELETE_MISSING, &[&db, &table, "--backup", &missing_backup]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("deleted:      44"), "{}", r.stdout);
    assert_eq!(backup_in(&r.stdout), missing_backup);
    let text = std::fs::read_to_string(&missing_backup).unwrap();
    assert_eq!(text.lines().count(), 1 + 44, "header and one line each");
    assert!(text
        .lines()
        .next()
        .unwrap()
        .contains("\"command\":\"delete-missing\""));
    assert_eq!(images(&moto, &db, &table).await.len(), 86);

    let all_backup = backup_path("all");
    let r = run(
        DELETE_ALL,
        &[
            &db,
            &table,
            "--yes",
            "--backup",
            &all_backup,
            "--output",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["deleted"], 86);
    assert_eq!(r.json()["backup"], all_backup.as_str());
    assert!(images(&moto, &db, &table).await.is_empty());

    // A dry run changes nothing and writes no backup.
    let r = run(RESTORE, &[&all_backup, "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("to create:    86"), "{}", r.stdout);
    assert!(r.stdout.contains("would create"), "{}", r.stdout);
    assert!(!r.stdout.contains("backup:"), "{}", r.stdout);
    assert!(images(&moto, &db, &table).await.is_empty());

    // Newest first, as an undo goes.
    let r = run(RESTORE, &[&all_backup]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("created:      86"), "{}", r.stdout);
    let undo_restore = backup_in(&r.stdout);
    let r = run(RESTORE, &[&missing_backup]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("created:      44"), "{}", r.stdout);
    assert_eq!(images(&moto, &db, &table).await, before);

    // Restoring again changes nothing.
    for file in [&all_backup, &missing_backup] {
        let r = run(RESTORE, &[file, "--output", "json"]);
        assert_eq!(r.code, 0, "{r:?}");
        let j = r.json();
        assert_eq!(
            (&j["created"], &j["updated"], &j["deleted"], &j["backup"]),
            (
                &serde_json::json!(0),
                &serde_json::json!(0),
                &serde_json::json!(0),
                &serde_json::Value::Null
            ),
            "{j}"
        );
        assert!(j["unchanged"].as_u64().unwrap() >= 44, "{j}");
    }
    assert_eq!(images(&moto, &db, &table).await, before);

    // A restore is undone by its own backup: the 86 go again, the 44
    // restored later stay.
    let r = run(RESTORE, &[&undo_restore]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("deleted:      86"), "{}", r.stdout);
    let left = images(&moto, &db, &table).await;
    assert_eq!(left.len(), 44);
    assert!(left.iter().all(|p| before.contains(p)));
}

#[tokio::test(flavor = "multi_thread")]
async fn restoring_a_partitioner_run_removes_what_it_created_but_not_what_changed_since() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("undo-create", "t", &[("dt", "string")])
        .await;
    let keys: Vec<String> = (1..=32).map(|d| format!("t/dt={d:02}/a.json")).collect();
    moto.put(&bucket, keys).await;
    moto.add_partitions(
        &db,
        &table,
        &[
            (strings(&["01"]), format!("s3://{bucket}/t/dt=01/")),
            (strings(&["02"]), format!("s3://{bucket}/t/dt=02/")),
        ],
    )
    .await;
    let path = backup_path("partitioner");
    let r = run(PARTITIONER, &[&db, &table, "--backup", &path]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("created:         30"), "{}", r.stdout);
    assert_eq!(moto.partitions(&db, &table).await.len(), 32);

    // Someone repoints one of the new partitions.
    moto.glue
        .update_partition()
        .database_name(&db)
        .table_name(&table)
        .partition_value_list("17")
        .partition_input(
            PartitionInput::builder()
                .values("17")
                .storage_descriptor(
                    StorageDescriptor::builder()
                        .location(format!("s3://{bucket}/moved/17/"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let r = run(RESTORE, &[&path]);
    assert_eq!(r.code, 1, "a partition was left alone: {r:?}");
    assert!(r.stdout.contains("deleted:      29"), "{}", r.stdout);
    assert!(
        r.stdout.contains("not restored")
            && r.stdout.contains("[17]")
            && r.stdout.contains("moved/17"),
        "{}",
        r.stdout
    );
    assert_eq!(
        moto.partitions(&db, &table).await,
        vec![
            (strings(&["01"]), format!("s3://{bucket}/t/dt=01/")),
            (strings(&["02"]), format!("s3://{bucket}/t/dt=02/")),
            (strings(&["17"]), format!("s3://{bucket}/moved/17/")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_and_table_deletes_are_undone() {
    let moto = Moto::connect().await;
    // update-partitions: data moved to a new bucket, partitions still at
    // the old one.
    let (new, db, table) = moto
        .bucket_and_table("undo-update", "t", &[("dt", "string")])
        .await;
    let keys: Vec<String> = (1..=5).map(|d| format!("t/dt={d}/a.json")).collect();
    moto.put(&new, keys).await;
    let inputs = dt_inputs(1..=5, "s3://old-bucket/t");
    moto.add_partition_inputs(&db, &table, inputs).await;
    let before = images(&moto, &db, &table).await;
    let path = backup_path("update");
    let r = run(UPDATE_PARTITIONS, &[&db, &table, "--backup", &path]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("updated:    5"), "{}", r.stdout);
    assert!(images(&moto, &db, &table)
        .await
        .iter()
        .all(|p| p.location().unwrap().starts_with(&format!("s3://{new}/"))));
    let r = run(RESTORE, &[&path]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("updated:      5"), "{}", r.stdout);
    assert_eq!(images(&moto, &db, &table).await, before);

    // delete-bad-tables: a crawler's copy of a table, with partitions.
    let (bucket, db, good) = moto
        .bucket_and_table("undo-tables", "t", &[("dt", "string")])
        .await;
    let junk = format!("{good}_1a2b3c");
    moto.glue
        .create_table()
        .database_name(&db)
        .table_input(
            TableInput::builder()
                .name(&junk)
                .description("made by a crawler")
                .table_type("EXTERNAL_TABLE")
                .parameters("classification", "json")
                .parameters("UPDATED_BY_CRAWLER", "crawler-1")
                .partition_keys(
                    Column::builder()
                        .name("dt")
                        .r#type("string")
                        .build()
                        .unwrap(),
                )
                .storage_descriptor(
                    StorageDescriptor::builder()
                        .location(format!("s3://{bucket}/t/"))
                        .columns(Column::builder().name("x").r#type("int").build().unwrap())
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let inputs = dt_inputs(1..=3, &format!("s3://{bucket}/t"));
    moto.add_partition_inputs(&db, &junk, inputs).await;
    let junk_before = moto
        .glue
        .get_table()
        .database_name(&db)
        .name(&junk)
        .send()
        .await
        .unwrap();
    let junk_before = TableImage::from(junk_before.table().unwrap());
    let partitions_before = images(&moto, &db, &junk).await;

    let path = backup_path("tables");
    let r = run(DELETE_BAD_TABLES, &[&db, "--backup", &path]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("deleted:      1"), "{}", r.stdout);
    assert!(moto
        .glue
        .get_table()
        .database_name(&db)
        .name(&junk)
        .send()
        .await
        .is_err());

    let r = run(RESTORE, &[&path]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("1 to create"), "{}", r.stdout);
    assert!(r.stdout.contains("created:      3"), "{}", r.stdout);
    let junk_after = moto
        .glue
        .get_table()
        .database_name(&db)
        .name(&junk)
        .send()
        .await
        .unwrap();
    let junk_after = TableImage::from(junk_after.table().unwrap());
    assert!(
        junk_after.same_definition(&junk_before),
        "{junk_before:#?}\n{junk_after:#?}"
    );
    assert_eq!(junk_after.parameters, junk_before.parameters);
    assert_eq!(images(&moto, &db, &junk).await, partitions_before);
    let again = run(RESTORE, &[&path]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("created:      0"), "{}", again.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_go_to_the_state_folder_and_a_failed_backup_stops_the_run() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("default-backup", "t", &[("dt", "string")])
        .await;
    let partitions = vec![
        (strings(&["1"]), format!("s3://{bucket}/t/dt=1/")),
        (strings(&["2"]), format!("s3://{bucket}/t/dt=2/")),
    ];
    moto.add_partitions(&db, &table, &partitions).await;

    // A backup that cannot be written: its folder would be a file.
    let blocker = state_home().join(unique("a-file"));
    std::fs::create_dir_all(state_home()).unwrap();
    std::fs::write(&blocker, "not a folder").unwrap();
    let path = blocker.join("b.jsonl").display().to_string();
    let r = run(DELETE_ALL, &[&db, &table, "--yes", "--backup", &path]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("could not write the backup file"),
        "{}",
        r.stderr
    );
    assert_eq!(moto.partitions(&db, &table).await, partitions);

    // The default: the state folder, named after the command and table.
    let r = run(DELETE_ALL, &[&db, &table, "--yes"]);
    assert_eq!(r.code, 0, "{r:?}");
    let written = backup_in(&r.stdout);
    let expected_dir = state_home().join("glutil").join("backups");
    assert!(
        written.starts_with(&expected_dir.display().to_string()),
        "{written}"
    );
    assert!(
        written.contains(&format!("delete-all-{db}.{table}-")),
        "{written}"
    );
    assert!(moto.partitions(&db, &table).await.is_empty());
    let r = run(RESTORE, &[&written]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(moto.partitions(&db, &table).await, partitions);

    // A dry run writes no backup.
    let r = run(DELETE_ALL, &[&db, &table, "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stdout.contains("backup:"), "{}", r.stdout);
}
