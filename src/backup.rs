//! Where backups go and how a command writes one before it changes the
//! catalog.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::SystemTime;

use glutil::backup::{file_stamp, write_backup, Entries, Header};

use crate::args::BackupArgs;
use crate::output::Output;
use crate::session::Session;

/// The default backup folder: `$XDG_STATE_HOME/glutil/backups`, or
/// `$HOME/.local/state/glutil/backups`. XDG_STATE_HOME counts only when it
/// is an absolute path, as the XDG spec says.
pub fn default_dir(state_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let state = state_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local").join("state"))
        })?;
    Some(state.join("glutil").join("backups"))
}

/// The default backup folder, created owner-only (0700) and tightened to
/// that if it already exists: it is glutil's own.
pub fn backup_dir() -> anyhow::Result<PathBuf> {
    let dir = default_dir(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
        .ok_or_else(|| {
            glutil::Error::InvalidInput(
                "no place for the backup: neither XDG_STATE_HOME nor HOME is set; pass --backup PATH"
                    .into(),
            )
        })?;
    let failed = |source: std::io::Error| glutil::Error::BackupWrite {
        path: dir.display().to_string(),
        source,
    };
    glutil::backup::private_dirs(&dir).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(failed)?;
    }
    Ok(dir)
}

/// A file name that says what wrote the backup, on what, and when:
/// `delete-all-db.events-20261122T101500.123Z-4242.jsonl`.
pub fn file_name(command: &str, target: &str, now: SystemTime, pid: u32) -> String {
    let stamp = file_stamp(now);
    let target: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{command}-{target}-{stamp}-{pid}.jsonl")
}

/// Where a backup goes: `--backup PATH`, or a new file in the default
/// folder named for the command, the target and the time.
pub fn path_for(args: &BackupArgs, command: &str, target: &str) -> anyhow::Result<PathBuf> {
    Ok(match &args.backup {
        Some(path) => path.clone(),
        None => backup_dir()?.join(file_name(
            command,
            target,
            SystemTime::now(),
            std::process::id(),
        )),
    })
}

/// The header of a backup `command` writes in this session.
pub fn header(session: &Session, command: &str) -> Header {
    Header::new(
        command,
        Some(session.aws.settings.region.clone()),
        session.aws.catalog_id.clone(),
    )
}

/// Writes the backup of `entries` (nothing when there are none) and
/// returns its path. Fails, before any change, when it cannot be written.
pub fn write(
    session: &Session,
    args: &BackupArgs,
    command: &str,
    target: &str,
    entries: Entries<'_>,
) -> anyhow::Result<Option<PathBuf>> {
    let mut entries = entries.peekable();
    if entries.peek().is_none() {
        return Ok(None);
    }
    let path = path_for(args, command, target)?;
    let sealed = write_backup(&path, &header(session, command), entries)?;
    Ok(Some(announce(&session.output, sealed)))
}

/// Says, with `-v`, how many entries a sealed backup holds and where;
/// returns its path.
pub fn announce(output: &Output, (path, count): (PathBuf, u64)) -> PathBuf {
    output.verbose(format_args!(
        "backup: {count} entries in {}",
        path.display()
    ));
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_folder_follows_xdg() {
        assert_eq!(
            default_dir(Some("/state".into()), Some("/home/u".into())),
            Some(PathBuf::from("/state/glutil/backups"))
        );
        assert_eq!(
            default_dir(Some("relative".into()), Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.local/state/glutil/backups"))
        );
        assert_eq!(
            default_dir(None, Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.local/state/glutil/backups"))
        );
        assert_eq!(default_dir(None, None), None);
    }

    #[test]
    fn file_names_say_what_and_when() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_795_000_000_123);
        assert_eq!(
            file_name("delete-all", "db.my table/x", now, 42),
            "delete-all-db.my_table_x-20261118T110640.123Z-42.jsonl"
        );
    }
}
