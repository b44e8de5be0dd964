//! The store's one error type. Messages follow STYLE.md §3: lowercase, one line, the field
//! or record named, user input in backticks.

use crate::audit::ChainBreak;

/// Why a store operation did not happen. Nothing is written when one is returned: every
/// operation runs in one transaction that is rolled back on error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL cannot be used.
    #[error("--database-url: `{url}` {problem}")]
    Url { url: String, problem: String },
    /// The database could not be reached.
    #[error("failed to connect to the database at `{url}`: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// The embedded migrations failed.
    #[error("failed to migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Input that names a field and what is wrong with it.
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    /// A record that does not exist.
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    /// An idempotency key reused for a different request (Stripe's semantics).
    #[error("idempotency_key: already used for a different action")]
    IdempotencyConflict,
    /// The action is not in a state that allows the operation.
    #[error("action `{action_id}` is {status}, not held")]
    NotHeld { action_id: String, status: String },
    /// An approval of a revision that is no longer the latest: the reviewer did not read
    /// what would be released.
    #[error(
        "action `{action_id}` is at revision {latest}; you reviewed revision {reviewed}: \
         read it again before approving"
    )]
    StaleRevision {
        action_id: String,
        latest: i64,
        reviewed: i64,
    },
    /// The operation is not permitted (authorization, separation of duties, duplicates).
    #[error("{0}")]
    Refused(String),
    /// The worker no longer holds the outbox item's lease.
    #[error("outbox item {outbox_id} is not leased to worker `{worker}`")]
    LeaseLost { outbox_id: i64, worker: String },
    /// The audit chain is broken at a record.
    #[error("{0}")]
    AuditBroken(ChainBreak),
    /// The policy texts do not load.
    #[error(transparent)]
    Policy(#[from] countersign_engine::policy::PolicyError),
    /// Stored data that cannot be read back (a bug or a hand edit).
    #[error("corrupt store: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn url(url: &str, problem: &str) -> Self {
        Self::Url {
            url: url.to_owned(),
            problem: problem.to_owned(),
        }
    }

    pub(crate) fn connect(url: &str, source: sqlx::Error) -> Self {
        Self::Connect {
            url: url.to_owned(),
            source,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            what,
            id: id.into(),
        }
    }

    /// Whether the request was understood and refused (as opposed to bad input or a
    /// broken database): the CLI exits 1 for these, 2 for the others.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::NotFound { .. }
                | Self::IdempotencyConflict
                | Self::NotHeld { .. }
                | Self::StaleRevision { .. }
                | Self::Refused(_)
                | Self::LeaseLost { .. }
                | Self::AuditBroken(_)
        )
    }

    /// Whether this is a unique-constraint violation (a concurrent insert won).
    pub(crate) fn is_unique_violation(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}
