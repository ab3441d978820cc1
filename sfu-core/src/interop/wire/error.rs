//! [`InteropError`], the `{"type": "error", "data": "..."}` message both sides send, and
//! [`InteropDecodeError`], why a received frame was not a message to act on.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The error message of seed 000, `{"type": "error", "data": "..."}`, sent by either side in
/// reply to a bad message (see [`InteropDecodeError::reply`]). Receiving one decodes to
/// [`InteropDecodeError::PeerError`]; it is logged and never answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InteropError {
    /// What went wrong, in words, e.g. `"Unknown message type: foo"`.
    pub data: String,
}

impl InteropError {
    /// An error message saying `data`.
    pub fn new(data: impl Into<String>) -> Self {
        Self { data: data.into() }
    }

    /// The message's JSON text, `{"type":"error","data":...}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Tagged<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            data: &'a str,
        }
        super::to_json(&Tagged {
            kind: "error",
            data: &self.data,
        })
    }
}

impl fmt::Display for InteropError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.data)
    }
}

/// Why a received interop frame is not a message to act on. Decoding never panics; every
/// failure is one of these. [`InteropDecodeError::reply`] is the error message to send back,
/// if any (seed 000 "Error Handling & Flows").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InteropDecodeError {
    /// The text is not JSON. Seed 000: log a warning and ignore it, so there is no reply.
    #[error("not JSON: {reason}")]
    NotJson {
        /// The parser's message, with line and column.
        reason: String,
    },
    /// The frame has no usable `type`: it is missing, `null`, empty or not a string, or the
    /// JSON value is not an object at all (a JavaScript peer reading `msg.type` finds nothing
    /// either). Reply: `Invalid message format: missing type`.
    #[error("invalid message format: missing type")]
    MissingType,
    /// The `type` is a string this side does not know, including the other direction's types
    /// (`force_disconnect` sent to the main server). Names longer than 64 characters are cut, with
    /// `...`. Reply: `Unknown message type: <type>`.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// The `type` is known but a field is missing (or `null`) or has the wrong type or value.
    /// Reply: `Invalid message format: <reason>`, except for an `error` message (never answer an
    /// error with an error, or two peers could bounce errors forever).
    #[error("invalid {message_type} message: {reason}")]
    InvalidFields {
        /// The message's `type`, e.g. `"media_presence"`.
        message_type: String,
        /// What is wrong, naming the field: ``missing field `userId` `` or ``field `muted`:
        /// invalid type: string "yes", expected a boolean``. Cut to about 200 characters.
        reason: String,
    },
    /// The peer sent an error message, `{"type": "error", "data": ...}`: nothing to act on,
    /// but worth logging. No reply.
    #[error("the peer reported an error: {0}")]
    PeerError(InteropError),
}

impl InteropDecodeError {
    /// The error message to send back to the peer, as seed 000 asks:
    ///
    /// - [`NotJson`](Self::NotJson): `None` (log and ignore);
    /// - [`MissingType`](Self::MissingType): `Invalid message format: missing type`;
    /// - [`UnknownType`](Self::UnknownType): `Unknown message type: <type>`;
    /// - [`InvalidFields`](Self::InvalidFields): `Invalid message format: <reason>`, or `None`
    ///   when the bad message was itself an `error`;
    /// - [`PeerError`](Self::PeerError): `None`.
    pub fn reply(&self) -> Option<InteropError> {
        match self {
            Self::NotJson { .. } | Self::PeerError(_) => None,
            Self::MissingType => Some(InteropError::new("Invalid message format: missing type")),
            Self::UnknownType(name) => {
                Some(InteropError::new(format!("Unknown message type: {name}")))
            }
            Self::InvalidFields { message_type, .. } if message_type == "error" => None,
            Self::InvalidFields { reason, .. } => Some(InteropError::new(format!(
                "Invalid message format: {reason}"
            ))),
        }
    }
}
