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
    /// Items never sent because the run was stopped (Ctrl-C), or because
    /// an error stopped the write ([`Outcome::stopped`]).
    pub not_attempted: u64,
    /// Why the write stopped before sending everything, when an error
    /// doomed every later request (credentials, access, the table gone, a
    /// quota).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    /// Tables someone else changed between glutil's read and its update,
    /// with what they changed: each was read again and planned again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_by_others: Vec<(String, Vec<String>)>,
}

/// Why a write stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// AWS refused the credentials: every request would fail.
    Credentials,
    /// Not allowed: every write of this kind would fail.
    AccessDenied,
    /// The table (or database) is gone.
    NotFound,
    /// An account quota is used up.
    Quota,
}

/// The error that stopped a write, in AWS's words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stopped {
    /// What kind of stop.
    pub reason: StopReason,
    /// The API operation refused.
    pub operation: String,
    /// AWS's error code.
    pub code: String,
    /// AWS's message (it names the action and resource for AccessDenied).
    pub message: String,
}

impl std::fmt::Display for Stopped {
    /// `stopped: AccessDeniedException on BatchCreatePartition: User ...`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}: {}", self.code, self.operation, self.message)
    }
}

impl Outcome {
    /// Adds another write's outcome to this one.
    pub fn add(&mut self, other: Outcome) {
        self.applied += other.applied;
        self.already_done += other.already_done;
        self.failed.extend(other.failed);
        self.not_attempted += other.not_attempted;
        if self.stopped.is_none() {
            self.stopped = other.stopped;
        }
        self.changed_by_others.extend(other.changed_by_others);
    }
}
