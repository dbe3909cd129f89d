//! Backups: before a command changes the catalog, it writes what it is
//! about to change to a JSON Lines file, so that `restore` can undo it.
//!
//! The first line is a [`Header`]; every other line is one [`Entry`]: a
//! partition or table about to be deleted or updated (its complete
//! before-image, as Glue returned it) or a partition about to be created.
//! The images are `model::definition`'s, which map every field of Glue's
//! `Partition` and `Table`.

pub mod catalog;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::model::definition::{PartitionImage, TableImage};
use crate::model::table::TableName;

/// The backup format's version, in every header.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of a backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The format version, [`FORMAT_VERSION`].
    pub glutil_backup: u32,
    /// The command that wrote it (`delete-all`, `restore`, ...).
    pub command: String,
    /// When it was written (RFC 3339, UTC).
    pub created: String,
    /// The AWS Region the command ran against.
    #[serde(default)]
    pub region: Option<String>,
    /// The catalog id the command was given, if any.
    #[serde(default)]
    pub catalog_id: Option<String>,
}

/// A compact UTC time for file names: `20261122T101500.123Z`.
pub fn file_stamp(now: std::time::SystemTime) -> String {
    DateTime::from(now)
        .fmt(Format::DateTime)
        .unwrap_or_default()
        .replace(['-', ':'], "")
}

impl Header {
    /// A header for a command run now.
    pub fn new(command: &str, region: Option<String>, catalog_id: Option<String>) -> Self {
        Self {
            glutil_backup: FORMAT_VERSION,
            command: command.to_string(),
            created: DateTime::from(std::time::SystemTime::now())
                .fmt(Format::DateTime)
                .unwrap_or_default(),
            region,
            catalog_id,
        }
    }
}

/// One change a command is about to make, with what restoring it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Entry {
    /// A partition about to be deleted, as it was.
    DeletePartition {
        /// Its database.
        database: String,
        /// Its table.
        table: String,
        /// The partition as Glue returned it.
        partition: PartitionImage,
    },
    /// A partition about to be updated, as it was.
    UpdatePartition {
        /// Its database.
        database: String,
        /// Its table.
        table: String,
        /// The partition as Glue returned it.
        partition: PartitionImage,
    },
    /// A partition about to be created, as it will be.
    CreatePartition {
        /// Its database.
        database: String,
        /// Its table.
        table: String,
        /// The definition sent to Glue.
        partition: PartitionImage,
    },
    /// A table about to be deleted, as it was (its partitions follow as
    /// `delete_partition` entries).
    DeleteTable {
        /// Its database.
        database: String,
        /// The table as Glue returned it.
        table: TableImage,
    },
    /// A table about to be updated, as it was.
    UpdateTable {
        /// Its database.
        database: String,
        /// The table as Glue returned it.
        table: TableImage,
    },
    /// A table about to be updated, as read again after Glue refused the
    /// first update because someone else had changed the table: what the
    /// table was just before glutil's write. It replaces the table's
    /// earlier `update_table` entry.
    RereadTable {
        /// Its database.
        database: String,
        /// The table as Glue returned it the second time.
        table: TableImage,
    },
    /// A table about to be created, as it will be.
    CreateTable {
        /// Its database.
        database: String,
        /// The definition sent to Glue.
        table: TableImage,
    },
}

impl Entry {
    /// A partition of `table` about to be deleted, as it is now.
    pub fn delete_partition(table: &impl TableName, partition: &PartitionImage) -> Self {
        Entry::DeletePartition {
            database: table.database_name().to_string(),
            table: table.table_name().to_string(),
            partition: partition.clone(),
        }
    }

    /// A partition of `table` about to be updated, as it is now.
    pub fn update_partition(table: &impl TableName, partition: &PartitionImage) -> Self {
        Entry::UpdatePartition {
            database: table.database_name().to_string(),
            table: table.table_name().to_string(),
            partition: partition.clone(),
        }
    }

    /// A partition of `table` about to be created, as it will be.
    pub fn create_partition(table: &impl TableName, partition: &PartitionImage) -> Self {
        Entry::CreatePartition {
            database: table.database_name().to_string(),
            table: table.table_name().to_string(),
            partition: partition.clone(),
        }
    }

    /// The entries for deleting a table: the table, then each of its
    /// partitions (Glue deletes them with it).
    pub fn delete_table(
        database: &str,
        table: &TableImage,
        partitions: &[PartitionImage],
    ) -> Vec<Entry> {
        let id = crate::model::table::TableId::new(database, &table.name);
        let mut entries = vec![Entry::DeleteTable {
            database: database.to_string(),
            table: table.clone(),
        }];
        entries.extend(partitions.iter().map(|p| Entry::delete_partition(&id, p)));
        entries
    }
}

/// A backup file being written. Nothing reaches the catalog before
/// [`BackupWriter::seal`] returns: entries are flushed and synced to disk.
#[derive(Debug)]
pub struct BackupWriter {
    path: PathBuf,
    file: BufWriter<File>,
    entries: u64,
}

/// A backup's entries, made one at a time as they are written, so a big
/// run never holds them all.
pub type Entries<'a> = Box<dyn Iterator<Item = Entry> + 'a>;

/// Refuses a backup path that exists already: backups are never
/// overwritten. A run that writes several tables' entries into one file
/// checks before its first table, not only when the file is created.
pub fn refuse_existing(path: &Path) -> Result<()> {
    if path.exists() {
        Err(already_exists(path))
    } else {
        Ok(())
    }
}

fn already_exists(path: &Path) -> Error {
    Error::InvalidInput(format!(
        "backup file {} already exists; backups are never overwritten, choose another path",
        path.display()
    ))
}

/// Options that create a new file, owner-only on Unix.
fn private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates missing folders, owner-only on Unix; existing ones are left as
/// they are.
pub fn private_dirs(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

impl BackupWriter {
    /// Creates the file (and its folders) and writes the header. An existing
    /// file is never overwritten. A backup can hold whatever the catalog
    /// holds (connection strings in table parameters): the file is created
    /// readable by its owner only (0600), and so are the folders this
    /// creates (0700).
    pub fn create(path: &Path, header: &Header) -> Result<Self> {
        let failed = |source: std::io::Error| Error::BackupWrite {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_dirs(parent).map_err(failed)?;
        }
        let file = match private_file().open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(already_exists(path))
            }
            Err(err) => return Err(failed(err)),
        };
        let mut writer = Self {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
            entries: 0,
        };
        writer.line(header)?;
        Ok(writer)
    }

    /// Appends one entry.
    pub fn record(&mut self, entry: &Entry) -> Result<()> {
        self.line(entry)?;
        self.entries += 1;
        Ok(())
    }

    fn line<T: Serialize>(&mut self, value: &T) -> Result<()> {
        let failed = |source: std::io::Error| Error::BackupWrite {
            path: self.path.display().to_string(),
            source,
        };
        serde_json::to_writer(&mut self.file, value).map_err(|e| failed(e.into()))?;
        self.file.write_all(b"\n").map_err(failed)
    }

    /// Flushes and syncs what was recorded so far, keeping the file open
    /// for more: a run over many tables syncs before each table's writes.
    pub fn sync(&mut self) -> Result<u64> {
        let failed = |source: std::io::Error| Error::BackupWrite {
            path: self.path.display().to_string(),
            source,
        };
        self.file.flush().map_err(failed)?;
        self.file.get_ref().sync_all().map_err(failed)?;
        Ok(self.entries)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes and syncs the file; returns its path and entry count. Call
    /// before the first write to the catalog.
    pub fn seal(mut self) -> Result<(PathBuf, u64)> {
        let entries = self.sync()?;
        Ok((self.path, entries))
    }
}

/// Appends one entry to a backup written earlier in this run and syncs it:
/// for a change planned again after a concurrent update.
pub fn append_to_backup(path: &Path, entry: &Entry) -> Result<()> {
    let failed = |source: std::io::Error| Error::BackupWrite {
        path: path.display().to_string(),
        source,
    };
    let file = OpenOptions::new().append(true).open(path).map_err(failed)?;
    let mut writer = BackupWriter {
        path: path.to_path_buf(),
        file: BufWriter::new(file),
        entries: 0,
    };
    writer.record(entry)?;
    writer.sync().map(|_| ())
}

/// Writes a whole backup: header, entries, flush and sync.
pub fn write_backup(
    path: &Path,
    header: &Header,
    entries: impl IntoIterator<Item = Entry>,
) -> Result<(PathBuf, u64)> {
    let mut writer = BackupWriter::create(path, header)?;
    for entry in entries {
        writer.record(&entry)?;
    }
    writer.seal()
}

/// Reads a backup file, checking every line. A malformed file is an error
/// that names the line and what is wrong with it.
pub fn read_backup(path: &Path) -> Result<(Header, Vec<Entry>)> {
    let bad = |line: usize, problem: String| Error::BadBackup {
        path: path.display().to_string(),
        line,
        problem,
    };
    let file = File::open(path).map_err(|e| bad(0, format!("cannot be opened: {e}")))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    let header: Header = loop {
        match lines.next() {
            None => {
                return Err(bad(
                    0,
                    "is empty; a backup starts with a header line".into(),
                ))
            }
            Some((n, line)) => {
                let line = line.map_err(|e| bad(n + 1, format!("cannot be read: {e}")))?;
                if line.trim().is_empty() {
                    continue;
                }
                break serde_json::from_str(&line).map_err(|e| {
                    bad(
                        n + 1,
                        format!(
                            "is not a glutil backup header ({{\"glutil_backup\": 1, ...}}): {e}"
                        ),
                    )
                })?;
            }
        }
    };
    if header.glutil_backup != FORMAT_VERSION {
        return Err(bad(
            1,
            format!(
                "has format version {}, this glutil reads version {FORMAT_VERSION}",
                header.glutil_backup
            ),
        ));
    }
    let mut entries = Vec::new();
    for (n, line) in lines {
        let line = line.map_err(|e| bad(n + 1, format!("cannot be read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(&line)
            .map_err(|e| bad(n + 1, format!("is not a backup entry: {e}")))?;
        entries.push(entry);
    }
    Ok((header, entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::definition::StorageImage;

    fn image(value: &str) -> PartitionImage {
        let mut image = PartitionImage::new(
            vec![value.to_string()],
            StorageImage {
                location: Some(format!("s3://b/t/{value}/")),
                input_format: Some("in".into()),
                ..StorageImage::default()
            },
        );
        image.parameters = Some([("k".to_string(), "v".to_string())].into());
        image
    }

    #[test]
    fn backups_are_written_whole_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("glutil-backup-test-{}", std::process::id()));
        let path = dir.join("nested").join("b.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        let entries = vec![
            Entry::DeletePartition {
                database: "db".into(),
                table: "t".into(),
                partition: image("1"),
            },
            Entry::CreatePartition {
                database: "db".into(),
                table: "t".into(),
                partition: PartitionImage::new(vec!["x".into()], StorageImage::default()),
            },
        ];
        let header = Header::new("delete-all", Some("us-east-1".into()), None);
        let (written, count) = write_backup(&path, &header, entries.clone()).unwrap();
        assert_eq!((written.as_path(), count), (path.as_path(), 2));
        #[cfg(unix)]
        {
            // Catalog dumps can hold secrets: owner-only file and folders.
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.join("nested")), 0o700);
            assert_eq!(mode(&dir), 0o700);
        }
        let (read_header, read_entries) = read_backup(&path).unwrap();
        assert_eq!(read_header, header);
        assert_eq!(read_entries, entries);
        let again = write_backup(&path, &header, entries.clone()).unwrap_err();
        assert!(again.to_string().contains("already exists"), "{again}");
        assert_eq!(read_backup(&path).unwrap().1, entries);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn malformed_backups_name_the_line_and_the_problem() {
        let dir = std::env::temp_dir().join(format!("glutil-bad-backup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let header =
            r#"{"glutil_backup":1,"command":"delete-all","created":"2026-01-01T00:00:00Z"}"#;
        let cases = [
            ("", "is empty"),
            ("not json\n", "line 1"),
            ("{\"glutil_backup\":2,\"command\":\"x\",\"created\":\"\"}\n", "version 2"),
            (&format!("{header}\n{{\"op\":\"delete_partition\"}}\n"), "line 2"),
            (&format!("{header}\n\n{{\"op\":\"explode\",\"database\":\"d\"}}\n"), "line 3"),
            (
                &format!("{header}\n{{\"op\":\"delete_partition\",\"database\":\"d\",\"table\":\"t\",\"partition\":{{\"values\":[\"1\"],\"creation_time\":\"yesterday\"}}}}\n"),
                "yesterday",
            ),
            (&format!("{header}\n{{\"op\":\"delete_partition\",\"database\":\"d\",\"table\":\"t\",\"partition\":{{\"values\":[\"1\"]}}"), ""),
        ];
        for (i, (text, expected)) in cases.iter().enumerate() {
            let path = dir.join(format!("{i}.jsonl"));
            std::fs::write(&path, text).unwrap();
            match read_backup(&path) {
                Err(err) => {
                    assert!(err.is_bad_input(), "case {i}: {err}");
                    assert!(err.to_string().contains(expected), "case {i}: {err}");
                }
                // The last case is a valid file without a final newline.
                Ok((_, entries)) => assert_eq!((i, entries.len()), (cases.len() - 1, 1)),
            }
        }
        let missing = read_backup(&dir.join("absent.jsonl")).unwrap_err();
        assert!(missing.to_string().contains("absent.jsonl"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
