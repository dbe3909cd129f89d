//! Man pages, rendered from the same definitions as `--help`: `glutil.1`,
//! one page per named command (`partitioner.1`, ...) and `glutil-backups.1`
//! for the subcommand that is not a program of its own. The pages are also
//! committed under `docs/man/`; a test keeps them equal to what this
//! renders.

use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::front::{Glutil, NAMED};

/// Every page, as (file name, roff text).
pub fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let glutil = Glutil::command();
    let mut pages = vec![render("glutil", glutil.clone())?];
    for name in NAMED {
        let sub = glutil
            .find_subcommand(name)
            .with_context(|| format!("{name} is not a glutil subcommand"))?
            .clone();
        pages.push(render(name, sub)?);
    }
    let backups = glutil
        .find_subcommand("backups")
        .context("backups is not a glutil subcommand")?
        .clone();
    pages.push(render("glutil-backups", backups)?);
    Ok(pages)
}

fn render(name: &'static str, cmd: clap::Command) -> anyhow::Result<(String, Vec<u8>)> {
    let cmd = cmd
        .name(name)
        .bin_name(name)
        .version(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd).manual("glutil");
    let mut text = Vec::new();
    man.render(&mut text)?;
    Ok((man.get_filename(), text))
}

/// Writes every page into `dir` (created if needed); returns the paths.
pub fn write_pages(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for (file, text) in pages()? {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed pages are what `glutil man` renders: regenerate them
    /// with `cargo run --bin glutil -- man --dir docs/man` after changing
    /// any help text.
    #[test]
    fn the_committed_man_pages_are_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/man");
        let pages = pages().unwrap();
        assert_eq!(pages.len(), NAMED.len() + 2);
        let mut stale = Vec::new();
        for (file, text) in &pages {
            if std::fs::read(dir.join(file)).ok().as_deref() != Some(text.as_slice()) {
                stale.push(file.clone());
            }
        }
        let committed = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert!(
            stale.is_empty() && committed == pages.len(),
            "docs/man is out of date ({stale:?}, {committed} files): run \
             `cargo run --bin glutil -- man --dir docs/man`"
        );
    }

    #[test]
    fn each_page_names_its_command_and_shows_its_examples() {
        for (file, text) in pages().unwrap() {
            let text = String::from_utf8(text).unwrap();
            let name = file.trim_end_matches(".1");
            assert!(
                text.contains(&format!(".TH {}", name.to_uppercase()))
                    || text.contains(&format!(".TH {name}")),
                "{file}"
            );
            assert!(
                text.contains("Exit codes")
                    || text.contains("exit codes")
                    || name == "glutil-backups",
                "{file} has no exit codes"
            );
        }
    }
}
