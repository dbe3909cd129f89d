//! The backups in a folder, for `glutil backups list` and `prune`: what
//! wrote each, when, on which tables, how many entries. A file that is not
//! a readable glutil backup is listed with its problem and never pruned.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

use crate::backup::Header;
use crate::error::{Error, Result};

/// One backup file, summarised.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackupSummary {
    /// Its path.
    pub path: PathBuf,
    /// The command that wrote it.
    pub command: Option<String>,
    /// When, as its header says (RFC 3339).
    pub created: Option<String>,
    /// `database.table` names (or databases) its entries touch.
    pub tables: Vec<String>,
    /// Entries after the header.
    pub entries: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// Why it could not be read, if it could not.
    pub problem: Option<String>,
    #[serde(skip)]
    created_at: Option<SystemTime>,
}

impl BackupSummary {
    /// When it was written, if its header says.
    pub fn created_at(&self) -> Option<SystemTime> {
        self.created_at
    }
}

/// Summarises every `*.jsonl` file in `dir`, oldest first (unreadable
/// ones last). A folder that does not exist holds no backups.
pub fn list_backups(dir: &Path) -> Result<Vec<BackupSummary>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(Error::InvalidInput(format!(
                "backup folder {} cannot be read: {err}",
                dir.display()
            )))
        }
    };
    let mut found: Vec<BackupSummary> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl") && p.is_file())
        .map(|p| summarise(&p))
        .collect();
    // Oldest first; files without a time (unreadable ones) last.
    found.sort_by(|a, b| {
        let key = |x: &BackupSummary| (x.created_at.is_none(), x.created_at, x.path.clone());
        key(a).cmp(&key(b))
    });
    Ok(found)
}

fn summarise(path: &Path) -> BackupSummary {
    let mut summary = BackupSummary {
        path: path.to_path_buf(),
        command: None,
        created: None,
        tables: Vec::new(),
        entries: 0,
        bytes: std::fs::metadata(path).map_or(0, |m| m.len()),
        problem: None,
        created_at: None,
    };
    if let Err(problem) = read_summary(path, &mut summary) {
        summary.problem = Some(problem);
    }
    summary
}

fn read_summary(path: &Path, summary: &mut BackupSummary) -> std::result::Result<(), String> {
    let file = File::open(path).map_err(|e| format!("cannot be opened: {e}"))?;
    let mut lines = BufReader::new(file).lines();
    let first = lines
        .next()
        .ok_or("empty")?
        .map_err(|e| format!("cannot be read: {e}"))?;
    let header: Header =
        serde_json::from_str(&first).map_err(|_| "not a glutil backup header".to_string())?;
    summary.command = Some(header.command);
    summary.created_at = DateTime::from_str(&header.created, Format::DateTime)
        .ok()
        .and_then(|t| SystemTime::try_from(t).ok());
    summary.created = Some(header.created);
    let mut tables = BTreeSet::new();
    for line in lines {
        let line = line.map_err(|e| format!("cannot be read: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        summary.entries += 1;
        let entry: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| format!("entry {} is not JSON: {e}", summary.entries))?;
        let field = |name: &str| entry.get(name).and_then(|v| v.as_str());
        let table = entry.get("table").and_then(|t| {
            t.as_str()
                .map(str::to_string)
                .or_else(|| t.get("name").and_then(|n| n.as_str()).map(str::to_string))
        });
        match (field("database"), table) {
            (Some(db), Some(table)) => tables.insert(format!("{db}.{table}")),
            (Some(db), None) => tables.insert(db.to_string()),
            _ => false,
        };
    }
    summary.tables = tables.into_iter().collect();
    Ok(())
}

/// The backups written before `cutoff`; unreadable files and files
/// without a time are never chosen.
pub fn older_than(backups: &[BackupSummary], cutoff: SystemTime) -> Vec<&BackupSummary> {
    backups
        .iter()
        .filter(|b| b.problem.is_none() && b.created_at.is_some_and(|t| t < cutoff))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn backups_are_summarised_and_only_readable_old_ones_are_chosen() {
        let dir = std::env::temp_dir().join(format!("glutil-catalog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let old = r#"{"glutil_backup":1,"command":"delete-all","created":"2026-01-01T00:00:00Z"}"#;
        let entry =
            r#"{"op":"delete_partition","database":"db","table":"t","partition":{"values":["1"]}}"#;
        std::fs::write(dir.join("a.jsonl"), format!("{old}\n{entry}\n{entry}\n")).unwrap();
        let new = r#"{"glutil_backup":1,"command":"partitioner","created":"2026-11-20T00:00:00Z"}"#;
        std::fs::write(dir.join("b.jsonl"), format!("{new}\n")).unwrap();
        std::fs::write(dir.join("c.jsonl"), "not a backup\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let all = list_backups(&dir).unwrap();
        assert_eq!(all.len(), 3);
        let a = all.iter().find(|b| b.path.ends_with("a.jsonl")).unwrap();
        assert_eq!(a.command.as_deref(), Some("delete-all"));
        assert_eq!((a.entries, a.tables.clone()), (2, vec!["db.t".to_string()]));
        let c = all.iter().find(|b| b.path.ends_with("c.jsonl")).unwrap();
        assert!(c.problem.is_some());
        let cutoff = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000); // 2026-05
        let chosen: Vec<&Path> = older_than(&all, cutoff)
            .iter()
            .map(|b| b.path.as_path())
            .collect();
        assert_eq!(chosen, [dir.join("a.jsonl")]);
        assert!(list_backups(&dir.join("none")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
