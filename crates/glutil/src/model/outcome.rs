//! What a batched write did: one outcome type for creates, updates and
//! deletes of partitions and tables, so every command reports the same way.

/// A partition or table a write could not change, with Glue's reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The partition's values; empty for a table.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The table's name; `None` for a partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Glue's error code, or `RequestFailed` when the whole request failed.
    pub code: String,
    /// Glue's message.
    pub message: String,
}

impl Failure {
    /// A partition that could not be changed.
    pub fn partition(
        values: Vec<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            values,
            name: None,
            code: code.into(),
            message: message.into(),
        }
    }

    /// A table that could not be changed.
    pub fn table(
        name: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            values: Vec::new(),
            name: Some(name.into()),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// What a batched write did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Items this run changed.
    pub applied: u64,
    /// Items someone else had already changed the same way: a create that
    /// found the partition there (AlreadyExists), a delete that found it
    /// gone (EntityNotFound).
    pub already_done: u64,
    /// Items that could not be changed, sorted.
    pub failed: Vec<Failure>,
    /// Items never sent because the run was stopped (Ctrl-C).
    pub not_attempted: u64,
}

impl Outcome {
    /// Adds another write's outcome to this one.
    pub fn add(&mut self, other: Outcome) {
        self.applied += other.applied;
        self.already_done += other.already_done;
        self.failed.extend(other.failed);
        self.not_attempted += other.not_attempted;
    }
}
