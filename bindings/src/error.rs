//! The one error type apps see: only the cases an app acts on differently.
//! Messages never carry personal data (the core masks values).

use fieldgrid_core::Error as CoreError;
use fieldgrid_core::sync::SyncError;

use crate::types::FieldProblemInfo;

/// What went wrong, by what the app should do about it.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// The key does not open the store (ask for the right one; never retry blindly).
    #[error("{detail}")]
    WrongKey {
        /// What happened.
        detail: String,
    },
    /// The store was written by a newer app: ask the user to update.
    #[error("{detail}")]
    UpdateRequired {
        /// What happened.
        detail: String,
    },
    /// The store file is damaged or not a Fieldgrid store.
    #[error("{detail}")]
    Corrupt {
        /// What happened.
        detail: String,
    },
    /// Nobody is signed in: show the sign-in screen.
    #[error("{detail}")]
    NotSignedIn {
        /// What happened.
        detail: String,
    },
    /// The record, photo or patrol is not on this phone.
    #[error("{detail}")]
    NotFound {
        /// What happened.
        detail: String,
    },
    /// The input was refused (shown to the user as is); nothing was stored.
    #[error("{detail}")]
    Invalid {
        /// What was wrong.
        detail: String,
    },
    /// Form values were refused, each problem on its field; nothing was stored.
    #[error("{count} field(s) have wrong values", count = problems.len())]
    InvalidFields {
        /// One per wrong value.
        problems: Vec<FieldProblemInfo>,
    },
    /// The record cannot be marked complete yet.
    #[error("{count} problem(s) left", count = problems.len())]
    Incomplete {
        /// Every open problem.
        problems: Vec<FieldProblemInfo>,
    },
    /// The server could not be reached or failed: keep working offline, retry later.
    #[error("{detail}")]
    Offline {
        /// What happened.
        detail: String,
    },
    /// The device is not (or no longer) allowed to sync: register again.
    #[error("{detail}")]
    NotAuthorized {
        /// What happened.
        detail: String,
    },
    /// An administrator revoked this device; its data has been wiped.
    #[error("{detail}")]
    DeviceRevoked {
        /// What happened.
        detail: String,
    },
    /// Anything else (a bug or the disk): report it.
    #[error("{detail}")]
    Internal {
        /// What happened.
        detail: String,
    },
}

fn problems(list: Vec<fieldgrid_core::forms::FieldProblem>) -> Vec<FieldProblemInfo> {
    list.into_iter().map(FieldProblemInfo::from).collect()
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let message = e.to_string();
        match e {
            CoreError::WrongKey { .. } | CoreError::EncryptionUnavailable => {
                ApiError::WrongKey { detail: message }
            }
            CoreError::DatabaseTooNew { .. } => ApiError::UpdateRequired { detail: message },
            CoreError::Corrupt { .. } => ApiError::Corrupt { detail: message },
            CoreError::NotSignedIn => ApiError::NotSignedIn { detail: message },
            CoreError::NotFound { .. } => ApiError::NotFound { detail: message },
            CoreError::InvalidFields { problems: p, .. } => ApiError::InvalidFields {
                problems: problems(p),
            },
            CoreError::Incomplete { problems: p, .. } => ApiError::Incomplete {
                problems: problems(p),
            },
            CoreError::Sqlite(_) | CoreError::Automerge(_) | CoreError::Io { .. } => {
                ApiError::Internal { detail: message }
            }
            _ => ApiError::Invalid { detail: message },
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let message = e.to_string();
        match e {
            SyncError::Network(_) | SyncError::Protocol(_) => ApiError::Offline { detail: message },
            SyncError::Unauthenticated(_) => ApiError::NotAuthorized { detail: message },
            SyncError::DeviceRevoked => ApiError::DeviceRevoked { detail: message },
            SyncError::UpgradeRequired(_) => ApiError::UpdateRequired { detail: message },
            SyncError::Store(inner) => inner.into(),
            _ => ApiError::Invalid { detail: message },
        }
    }
}

/// The result type of every call.
pub type ApiResult<T> = Result<T, ApiError>;
