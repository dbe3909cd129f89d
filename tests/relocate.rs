//! `relocate` against moto: tables and partitions under --from move to
//! --to, nothing else changes; --verify refuses an incomplete copy; one
//! restore puts every location back.

use crate::harness::{backup_path, run, strings, Moto};

const RELOCATE: &str = env!("CARGO_BIN_EXE_relocate");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");

#[tokio::test(flavor = "multi_thread")]
async fn two_tables_move_and_the_rest_stays_and_restore_puts_them_back() {
    let moto = Moto::connect().await;
    let old = moto.bucket("relold").await;
    let new = moto.bucket("relnew").await;
    let archive = moto.bucket("relarch").await;
    let db = moto.database("reloc").await;
    let keys = [("dt", "string")];
    let a = moto
        .table(&db, "a", &format!("s3://{old}/lake/a"), &keys)
        .await;
    let b = moto
        .table(&db, "b", &format!("s3://{old}/lake/b/"), &keys)
        .await;
    // A sibling prefix that must not match `lake/`.
    let c = moto
        .table(&db, "c", &format!("s3://{old}/lakehouse/c/"), &keys)
        .await;
    for t in [&a, &b] {
        let prefix = if *t == a { "a" } else { "b" };
        moto.add_partitions(
            &db,
            t,
            &[
                (strings(&["1"]), format!("s3://{old}/lake/{prefix}/dt=1/")),
                (strings(&["2"]), format!("s3://{old}/lake/{prefix}/dt=2")),
                (strings(&["0"]), format!("s3://{archive}/{prefix}/dt=0/")),
            ],
        )
        .await;
    }
    moto.add_partitions(
        &db,
        &c,
        &[(strings(&["1"]), format!("s3://{old}/lakehouse/c/dt=1/"))],
    )
    .await;
    // The copy: complete for a, one folder short for b.
    moto.put(
        &new,
        strings(&["lake/a/dt=1/x", "lake/a/dt=2/x", "lake/b/dt=1/x"]),
    )
    .await;
    let before: Vec<_> = [&a, &b, &c]
        .iter()
        .map(|t| futures_like(&moto, &db, t))
        .collect();
    let before = futures::future::join_all(before).await;
    let (from, to) = (format!("s3://{old}/lake/"), format!("s3://{new}/lake/"));
    let mut full_before = moto.full_partitions(&db, &a).await;
    full_before.sort_by_key(|p| p.values().to_vec());

    // --verify refuses b (its dt=2 has no data at the new place), and a
    // --tables run still moves a.
    let r = run(
        RELOCATE,
        &[&db, &b, "--from", &from, "--to", &to, "--verify"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!("s3://{new}/lake/b/dt=2")),
        "{}",
        r.stderr
    );
    assert_eq!(
        futures_like(&moto, &db, &b).await,
        before[1],
        "nothing written"
    );
    // --verify towards a bucket that does not exist names --to.
    let nowhere = format!("s3://{new}-missing/lake/");
    let r = run(
        RELOCATE,
        &[&db, &b, "--from", &from, "--to", &nowhere, "--verify"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "--to {nowhere}: bucket `{new}-missing` does not exist"
        )),
        "{}",
        r.stderr
    );

    let dry = run(
        RELOCATE,
        &[
            &db,
            "--all-tables",
            "--from",
            &from,
            "--to",
            &to,
            "--dry-run",
            "--output",
            "json",
        ],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(dry.json()["totals"]["to_update"], 4, "{}", dry.stdout);

    let backup = backup_path("relocate");
    let r = run(
        RELOCATE,
        &[
            &db,
            "--all-tables",
            "--from",
            &from,
            "--to",
            &to,
            "--backup",
            &backup,
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let (table_a, parts_a) = futures_like(&moto, &db, &a).await;
    assert_eq!(table_a, format!("s3://{new}/lake/a"));
    assert_eq!(
        parts_a,
        vec![
            (strings(&["0"]), format!("s3://{archive}/a/dt=0/")),
            (strings(&["1"]), format!("s3://{new}/lake/a/dt=1/")),
            (strings(&["2"]), format!("s3://{new}/lake/a/dt=2")),
        ]
    );
    assert_eq!(
        futures_like(&moto, &db, &b).await.0,
        format!("s3://{new}/lake/b/")
    );
    assert_eq!(
        futures_like(&moto, &db, &c).await,
        before[2],
        "the sibling prefix is untouched"
    );
    // Nothing but the location changed.
    let mut full_after = moto.full_partitions(&db, &a).await;
    full_after.sort_by_key(|p| p.values().to_vec());
    assert_eq!(full_after.len(), full_before.len());
    for (x, y) in full_after.iter().zip(&full_before) {
        let (sx, sy) = (
            x.storage_descriptor().unwrap(),
            y.storage_descriptor().unwrap(),
        );
        assert_eq!(
            (
                x.parameters(),
                sx.columns(),
                sx.serde_info(),
                sx.input_format()
            ),
            (
                y.parameters(),
                sy.columns(),
                sy.serde_info(),
                sy.input_format()
            )
        );
    }

    let back = run(RESTORE, &[&backup]);
    assert_eq!(back.code, 0, "{back:?}");
    for (t, was) in [&a, &b, &c].iter().zip(&before) {
        assert_eq!(&futures_like(&moto, &db, t).await, was, "{t} restored");
    }

    for args in [
        vec![db.as_str(), a.as_str(), "--from", &from, "--to", &from],
        vec![
            db.as_str(),
            a.as_str(),
            "--from",
            "/local/path",
            "--to",
            &to,
        ],
        vec!["no_such_db", "--all-tables", "--from", &from, "--to", &to],
    ] {
        let r = run(RELOCATE, &args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
    }
}

/// A table's location and its partitions' (values, location), sorted.
async fn futures_like(moto: &Moto, db: &str, table: &str) -> (String, Vec<(Vec<String>, String)>) {
    let t = moto.get_table(db, table).await.unwrap();
    let location = t
        .storage_descriptor()
        .and_then(|sd| sd.location())
        .unwrap_or_default()
        .to_string();
    let mut partitions = moto.partitions(db, table).await;
    partitions.sort();
    (location, partitions)
}
