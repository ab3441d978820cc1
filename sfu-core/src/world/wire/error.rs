//! [`WireError`]: why a world message could not be decoded, and the `ERROR` the server answers with.

use serde_json::{Map, Value, json};

use super::{ErrorCode, ErrorPayload, PROTOCOL_VERSION, ServerMessage};

/// Why a text frame is not a valid world message. Decoding never panics; every failure is one
/// of these. [`WireError::to_error`] is the `ERROR` the server sends back for a client frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The text is not JSON.
    #[error("not JSON: {reason}")]
    NotJson {
        /// The parser's message, with line and column.
        reason: String,
    },
    /// The text is JSON but not an object (an array, a string, ...).
    #[error("a message must be a JSON object, got {got}")]
    NotAnObject {
        /// What it is instead, e.g. "an array".
        got: &'static str,
    },
    /// The object has no `type`, or its `type` is `null` or not a string.
    #[error("a message must have a string `type`")]
    MissingType,
    /// The `type` is a string this side does not know (including the other direction's types,
    /// e.g. `CONNECTED` sent to the server). Long names are cut to 64 characters.
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    /// The `type` is known but the `payload` is missing or has the wrong shape.
    #[error("invalid {message_type} payload: {reason}")]
    InvalidPayload {
        /// The message's `type`, e.g. `"PRESENCE_UPDATE"`.
        message_type: String,
        /// The offending field's path within the payload, e.g. `position.x` or
        /// `peers[0].user.user_id`; `None` when the payload as a whole is wrong (e.g. not an
        /// object).
        field: Option<String>,
        /// What is wrong, naming the field, e.g. ``"`position.x`: invalid type: string \"a\",
        /// expected f64"``. Cut to about 200 characters.
        reason: String,
    },
    /// `protocol_version` names a major version other than 1 (seed 004 section 16). The SPEC
    /// says the server answers with `ERROR INVALID_REQUEST` and closes the connection.
    #[error("unsupported protocol_version {got}: only version {PROTOCOL_VERSION} is supported")]
    UnsupportedVersion {
        /// The major version the frame declared.
        got: u64,
    },
    /// `protocol_version` is present but not a version: not a non-negative number, nor a string
    /// such as `"1"` or `"1.2"`.
    #[error("invalid protocol_version: {reason}")]
    InvalidVersion {
        /// What was found instead.
        reason: String,
    },
}

impl WireError {
    /// The `ERROR` message the server answers a bad client frame with: code `INVALID_REQUEST`,
    /// this error's text as `message`, and `details` naming the problem:
    /// `{"problem": "invalid_payload", "type": "MOVE_INTENT", "field": "position.x"}`,
    /// `{"problem": "unknown_type", "type": "FOO"}`, `{"problem": "unsupported_version",
    /// "protocol_version": 2, "supported": [1]}`, and so on (`problem` is the variant in
    /// snake_case).
    pub fn to_error(&self) -> ServerMessage {
        let mut details = Map::new();
        let mut add = |key: &str, value: Value| {
            details.insert(key.to_owned(), value);
        };
        match self {
            Self::NotJson { .. } => add("problem", json!("not_json")),
            Self::NotAnObject { .. } => add("problem", json!("not_an_object")),
            Self::MissingType => {
                add("problem", json!("missing_type"));
                add("field", json!("type"));
            }
            Self::UnknownType(name) => {
                add("problem", json!("unknown_type"));
                add("type", json!(name));
            }
            Self::InvalidPayload {
                message_type,
                field,
                ..
            } => {
                add("problem", json!("invalid_payload"));
                add("type", json!(message_type));
                add("field", json!(field.as_deref().unwrap_or("payload")));
            }
            Self::UnsupportedVersion { got } => {
                add("problem", json!("unsupported_version"));
                add("protocol_version", json!(got));
                add("supported", json!([PROTOCOL_VERSION]));
            }
            Self::InvalidVersion { .. } => {
                add("problem", json!("invalid_version"));
                add("field", json!("protocol_version"));
            }
        }
        ServerMessage::Error(ErrorPayload {
            code: ErrorCode::InvalidRequest,
            message: self.to_string(),
            details,
        })
    }

    /// Whether the server should close the connection after sending [`WireError::to_error`]:
    /// true for a version it cannot speak (SPEC section 6), false otherwise (the message is
    /// dropped and the connection stays open).
    pub fn closes_connection(&self) -> bool {
        matches!(
            self,
            Self::UnsupportedVersion { .. } | Self::InvalidVersion { .. }
        )
    }
}
