//! `glutil backups list` and `prune`, and the permissions backups get.

use crate::harness::{run, run_env, strings, Moto};

const GLUTIL: &str = env!("CARGO_BIN_EXE_glutil");
const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");

#[tokio::test]
async fn backups_are_private_listed_and_pruned_by_age() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto.bucket_and_table("bk", "t", &[("dt", "string")]).await;
    moto.put(&bucket, strings(&["t/dt=1/a.json"])).await;
    let state = std::env::temp_dir().join(crate::harness::unique("bk-state"));
    let state_text = state.display().to_string();
    let env = [("XDG_STATE_HOME", state_text.as_str())];
    let created = run_env(
        crate::harness::endpoint(),
        PARTITIONER,
        &[&db, &table],
        &env,
    );
    assert_eq!(created.code, 0, "{created:?}");
    let dir = state.join("glutil").join("backups");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert_eq!(mode(&file), 0o600);
    }
    let old = r#"{"glutil_backup":1,"command":"delete-all","created":"2025-01-01T00:00:00Z"}"#;
    let entry = format!(
        r#"{{"op":"delete_partition","database":"{db}","table":"old","partition":{{"values":["9"]}}}}"#
    );
    std::fs::write(dir.join("old.jsonl"), format!("{old}\n{entry}\n")).unwrap();
    std::fs::write(dir.join("junk.jsonl"), "not a backup\n").unwrap();
    let dir_text = dir.display().to_string();

    let list = run(
        GLUTIL,
        &["backups", "list", "--dir", &dir_text, "--output", "json"],
    );
    assert_eq!(list.code, 0, "{list:?}");
    let backups = list.json()["backups"].as_array().unwrap().clone();
    assert_eq!(backups.len(), 3);
    let commands: Vec<&str> = backups
        .iter()
        .filter_map(|b| b["command"].as_str())
        .collect();
    assert_eq!(commands, ["delete-all", "partitioner"], "oldest first");
    assert_eq!(
        backups[1]["tables"],
        serde_json::json!([format!("{db}.{table}")])
    );
    assert_eq!(backups[1]["entries"], 1);
    let text = run(GLUTIL, &["backups", "list", "--dir", &dir_text]);
    assert!(text.stdout.contains("unreadable"), "{}", text.stdout);

    let dry = run(
        GLUTIL,
        &[
            "backups",
            "prune",
            "--older-than",
            "30d",
            "--dry-run",
            "--dir",
            &dir_text,
        ],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.contains("would remove delete-all"),
        "{}",
        dry.stdout
    );
    assert!(dir.join("old.jsonl").exists());
    let pruned = run(
        GLUTIL,
        &[
            "backups",
            "prune",
            "--older-than",
            "30d",
            "--dir",
            &dir_text,
        ],
    );
    assert_eq!(pruned.code, 0, "{pruned:?}");
    assert!(!dir.join("old.jsonl").exists());
    assert!(
        dir.join("junk.jsonl").exists(),
        "unreadable files are never pruned"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    let bad = run(
        GLUTIL,
        &[
            "backups",
            "prune",
            "--older-than",
            "soon",
            "--dir",
            &dir_text,
        ],
    );
    assert_eq!(bad.code, 2);
    std::fs::remove_dir_all(&state).unwrap();
}
