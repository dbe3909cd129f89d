//! Relocation after a copy to a new bucket or prefix: every location that
//! starts with the old folder gets the new one instead, the table's and
//! its partitions'; nothing else changes. Pure.

use crate::model::definition::{PartitionImage, TableImage};
use crate::model::location::S3Location;

/// The relocated form of `location`, when it lies in the folder `from`
/// (at a folder boundary: `s3://a/ev/` never matches `s3://a/events/`);
/// the rest of the string is kept exactly.
pub fn relocated(location: &str, from: &S3Location, to: &S3Location) -> Option<String> {
    let (from, to) = (from.to_string(), to.to_string());
    if let Some(rest) = location.strip_prefix(&from) {
        return Some(format!("{to}{rest}"));
    }
    // The folder itself, written without its trailing slash.
    (location == from.trim_end_matches('/')).then(|| to.trim_end_matches('/').to_string())
}

/// What relocating one table changes.
#[derive(Debug, Clone, Default)]
pub struct Relocation {
    /// The table's location, before and after, when it moves.
    pub table: Option<(String, String)>,
    /// Partitions that move: as they are, and as they will be.
    pub partitions: Vec<(PartitionImage, PartitionImage)>,
    /// Partitions left alone (not under `from`): values and location.
    pub elsewhere: Vec<(Vec<String>, Option<String>)>,
}

/// Plans the relocation of `table` and its `partitions`.
pub fn plan_relocation(
    table: &TableImage,
    partitions: &[PartitionImage],
    from: &S3Location,
    to: &S3Location,
) -> Relocation {
    let location = table
        .storage_descriptor
        .as_ref()
        .and_then(|sd| sd.location.clone());
    let table_move = location
        .as_deref()
        .and_then(|l| relocated(l, from, to).map(|new| (l.to_string(), new)));
    let mut plan = Relocation {
        table: table_move,
        ..Relocation::default()
    };
    for p in partitions {
        match p.location().and_then(|l| relocated(l, from, to)) {
            Some(new) => {
                let mut after = p.clone();
                if let Some(sd) = after.storage_descriptor.as_mut() {
                    sd.location = Some(new);
                }
                plan.partitions.push((p.clone(), after));
            }
            None => plan
                .elsewhere
                .push((p.values.clone(), p.location().map(str::to_string))),
        }
    }
    plan
}

/// The table with its location rewritten, or `None` when it is not under
/// `from` (any more).
pub fn relocated_table(
    table: &TableImage,
    from: &S3Location,
    to: &S3Location,
) -> Option<TableImage> {
    let location = table.storage_descriptor.as_ref()?.location.as_deref()?;
    let new = relocated(location, from, to)?;
    let mut moved = table.clone();
    moved.storage_descriptor.as_mut()?.location = Some(new);
    Some(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(s: &str) -> S3Location {
        S3Location::parse(s).unwrap()
    }

    #[test]
    fn only_whole_folders_move_and_the_rest_is_kept() {
        let (from, to) = (loc("s3://old/ev"), loc("s3://new/data/ev/"));
        assert_eq!(
            relocated("s3://old/ev/dt=1/", &from, &to).as_deref(),
            Some("s3://new/data/ev/dt=1/")
        );
        assert_eq!(
            relocated("s3://old/ev/dt=1", &from, &to).as_deref(),
            Some("s3://new/data/ev/dt=1")
        );
        assert_eq!(
            relocated("s3://old/ev", &from, &to).as_deref(),
            Some("s3://new/data/ev")
        );
        assert_eq!(
            relocated("s3://old/ev/", &from, &to).as_deref(),
            Some("s3://new/data/ev/")
        );
        assert_eq!(
            relocated("s3://old/events/dt=1/", &from, &to),
            None,
            "a sibling prefix"
        );
        assert_eq!(relocated("s3://older/ev/dt=1/", &from, &to), None);
        assert_eq!(relocated("s3://archive/ev/dt=1/", &from, &to), None);
    }
}
