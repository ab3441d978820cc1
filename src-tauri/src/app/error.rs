//! What a command that fails returns to the UI: a code to switch on and a sentence to show.

use serde::Serialize;
use ts_rs::TS;

/// Why a command failed, as the UI switches on it (`"invalid_server"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AppErrorCode {
    /// The server field is not an address or invite link, or lacks the invite.
    InvalidServer,
    /// The display name is empty.
    InvalidName,
    /// The host could not be reached, refused the invite, or the world refused the join.
    JoinFailed,
    /// The command needs a world and the app is in none.
    NotInWorld,
    /// The user named is not in this zone.
    UnknownUser,
    /// The settings could not be written.
    SettingsNotSaved,
    /// No audio host could list the sound devices.
    DevicesUnavailable,
    /// Hosting a LAN room failed (the world file, the port).
    HostFailed,
}

/// A failed command: `{code, message}` to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: AppErrorCode,
    /// A sentence for the user.
    pub message: String,
}

impl AppError {
    pub fn new(code: AppErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `error` with its causes, as one sentence.
    pub fn from_chain(code: AppErrorCode, error: &anyhow::Error) -> Self {
        Self::new(code, format!("{error:#}"))
    }

    pub fn not_in_world() -> Self {
        Self::new(AppErrorCode::NotInWorld, "Not in a world.")
    }
}

/// What a command returns.
pub type AppResult<T = ()> = Result<T, AppError>;
