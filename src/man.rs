//! Man pages, rendered from the same definitions as `--help`: `glutil.1`,
//! one page per named command (`partitioner.1`, ...) and `glutil-backups.1`
//! for the subcommand that is not a program of its own. The pages are also
//! committed under `docs/man/`; a test keeps them equal to what this
//! renders.

use std::path::Path;

use anyhow::Context;

/// Every page of `glutil` (the front door's definition) and of its
/// subcommands that are programs of their own (`named`), as (file name,
/// roff text).
pub fn pages(
    glutil: clap::Command,
    named: &[&'static str],
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = vec![render("glutil", glutil.clone())?];
    for &name in named {
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
pub fn write_pages(
    dir: &Path,
    pages: Vec<(String, Vec<u8>)>,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for (file, text) in pages {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
