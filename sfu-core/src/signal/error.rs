//! [`DecodeError`]: why a client frame was rejected, and the error reply the client gets.

use std::fmt;

use super::{ErrorCode, ErrorReply, ServerMessage, op};

/// Why a client frame could not be decoded. [`DecodeError::reply`] gives the error frame to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The text is not JSON, or is JSON but not an object.
    #[error("{reason}")]
    NotJson {
        /// What is wrong, e.g. the parser's message with line and column.
        reason: String,
    },
    /// An object that is neither a simple event nor an envelope with a usable `op`.
    #[error("invalid frame: {reason}")]
    InvalidEnvelope {
        /// What is wrong, e.g. "missing `op`".
        reason: String,
    },
    /// An `op`/`t` pair the SFU does not handle, e.g. the gateway's `op 7 t 509`, or `op 5`.
    #[error("{} is not supported by the SFU", Route(*.op, *.t))]
    UnknownEvent {
        /// The frame's `op`.
        op: u8,
        /// The frame's `t`, if it had a usable one.
        t: Option<u16>,
    },
    /// A known `op` whose `t` is missing or whose payload `d` has the wrong shape.
    #[error("{} payload: {reason}", Route(*.op, *.t))]
    InvalidPayload {
        /// The frame's `op`.
        op: u8,
        /// The frame's `t`, if it had a usable one.
        t: Option<u16>,
        /// What is wrong, e.g. "missing field `user`".
        reason: String,
    },
    /// A simple `{event, data}` frame with an event name the SFU does not know.
    #[error("unknown simple event {0:?}")]
    UnknownSimpleEvent(String),
    /// A known simple event whose `data` is missing or malformed.
    #[error("simple event {event:?}: {reason}")]
    InvalidSimpleEvent {
        /// The event name.
        event: String,
        /// What is wrong with its `data`.
        reason: String,
    },
}

impl DecodeError {
    /// The error reply SPEC section 4 asks for: `invalid_message` or `unsupported`, on the frame's
    /// `op`/`t` when it had a usable `op`, otherwise on `op 0`. Every error currently has a reply;
    /// `None` is kept for errors that should be dropped silently.
    pub fn reply(&self) -> Option<ServerMessage> {
        let (op, t, code) = match *self {
            Self::NotJson { .. } | Self::InvalidEnvelope { .. } => {
                (op::INVALID, None, ErrorCode::InvalidMessage)
            }
            Self::UnknownEvent { op, t } => (op, t, ErrorCode::Unsupported),
            Self::InvalidPayload { op, t, .. } => (op, t, ErrorCode::InvalidMessage),
            Self::UnknownSimpleEvent(_) => (op::INVALID, None, ErrorCode::Unsupported),
            Self::InvalidSimpleEvent { .. } => (op::INVALID, None, ErrorCode::InvalidMessage),
        };
        Some(ServerMessage::Error(ErrorReply {
            op,
            t,
            code,
            message: self.to_string(),
        }))
    }
}

/// Writes `op=7 t=507`, or `op=2` when there is no `t`.
struct Route(u8, Option<u16>);

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(t) => write!(f, "op={} t={t}", self.0),
            None => write!(f, "op={}", self.0),
        }
    }
}
