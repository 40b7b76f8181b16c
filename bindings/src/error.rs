//! The one error type apps see: only the cases an app acts on differently.
//! Messages never carry personal data (the core masks values).

use fieldgrid_core::Error as CoreError;
use fieldgrid_core::sync::SyncError;

use crate::types::FieldProblemInfo;

/// What went wrong, by what the app should do about it.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// The key does not open the store (ask for the right one; never retry blindly).
    #[error("{message}")]
    WrongKey {
        /// What happened.
        message: String,
    },
    /// The store was written by a newer app: ask the user to update.
    #[error("{message}")]
    UpdateRequired {
        /// What happened.
        message: String,
    },
    /// The store file is damaged or not a Fieldgrid store.
    #[error("{message}")]
    Corrupt {
        /// What happened.
        message: String,
    },
    /// Nobody is signed in: show the sign-in screen.
    #[error("{message}")]
    NotSignedIn {
        /// What happened.
        message: String,
    },
    /// The record, photo or patrol is not on this phone.
    #[error("{message}")]
    NotFound {
        /// What happened.
        message: String,
    },
    /// The input was refused (shown to the user as is); nothing was stored.
    #[error("{message}")]
    Invalid {
        /// What was wrong.
        message: String,
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
    #[error("{message}")]
    Offline {
        /// What happened.
        message: String,
    },
    /// The device is not (or no longer) allowed to sync: register again.
    #[error("{message}")]
    NotAuthorized {
        /// What happened.
        message: String,
    },
    /// An administrator revoked this device; its data has been wiped.
    #[error("{message}")]
    DeviceRevoked {
        /// What happened.
        message: String,
    },
    /// Anything else (a bug or the disk): report it.
    #[error("{message}")]
    Internal {
        /// What happened.
        message: String,
    },
}

fn problems(list: Vec<fieldgrid_core::forms::FieldProblem>) -> Vec<FieldProblemInfo> {
    list.into_iter().map(FieldProblemInfo::from).collect()
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let message = e.to_string();
        match e {
            CoreError::WrongKey { .. } | CoreError::EncryptionUnavailable => ApiError::WrongKey { message },
            CoreError::DatabaseTooNew { .. } => ApiError::UpdateRequired { message },
            CoreError::Corrupt { .. } => ApiError::Corrupt { message },
            CoreError::NotSignedIn => ApiError::NotSignedIn { message },
            CoreError::NotFound { .. } => ApiError::NotFound { message },
            CoreError::InvalidFields { problems: p, .. } => ApiError::InvalidFields { problems: problems(p) },
            CoreError::Incomplete { problems: p, .. } => ApiError::Incomplete { problems: problems(p) },
            CoreError::Sqlite(_) | CoreError::Automerge(_) | CoreError::Io { .. } => ApiError::Internal { message },
            _ => ApiError::Invalid { message },
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let message = e.to_string();
        match e {
            SyncError::Network(_) | SyncError::Protocol(_) => ApiError::Offline { message },
            SyncError::Unauthenticated(_) => ApiError::NotAuthorized { message },
            SyncError::DeviceRevoked => ApiError::DeviceRevoked { message },
            SyncError::UpgradeRequired(_) => ApiError::UpdateRequired { message },
            SyncError::Store(inner) => inner.into(),
            _ => ApiError::Invalid { message },
        }
    }
}

/// The result type of every call.
pub type ApiResult<T> = Result<T, ApiError>;
