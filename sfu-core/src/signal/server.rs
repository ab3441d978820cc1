//! SFU -> client messages and their payloads. Encoding lives in `super::encode`, decoding (for the
//! client engine) in `super::server_decode`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ClientMessage, IceCandidate, SessionDescription};
use crate::ids::{ChannelId, UserId};

/// A message the SFU sends to a client; [`ServerMessage::to_json`] writes the exact wire text.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// `op 7 t 500`: the answer to the join request.
    JoinAck(JoinAck),
    /// `op 7 t 501` `{sdp, type:"offer"}`: the SFU offers.
    Offer(SessionDescription),
    /// `op 7 t 502` `{sdp, type:"answer"}`: the SFU answers a client offer.
    Answer(SessionDescription),
    /// `op 7 t 503`: a trickle ICE candidate of the SFU.
    Candidate(IceCandidate),
    /// `op 7 t 505`: a user muted or unmuted itself.
    SelfMuted(SelfMuted),
    /// `op 7 t 507`: a user was server muted or unmuted.
    ServerMuted(ServerMuted),
    /// `op 7 t 508`: a user was deafened or undeafened.
    Deafened(Deafened),
    /// `op 7 t 510`: sent to a kicked user before its socket closes.
    Kicked(Kicked),
    /// `op 7 t 512`: sent to a moved user before it is disconnected.
    Moved(Moved),
    /// `op 7 t 514`: a user started or stopped speaking.
    Speaking(UserSpeaking),
    /// `op 2`: the answer to a heartbeat.
    Pong(Pong),
    /// An error reply on the `op`/`t` of the offending frame (or `op 0`).
    Error(ErrorReply),
}

impl ServerMessage {
    /// A short snake_case name for logs and the protocol inspector, e.g. `"join_ack"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::JoinAck(_) => "join_ack",
            Self::Offer(_) => "offer",
            Self::Answer(_) => "answer",
            Self::Candidate(_) => "candidate",
            Self::SelfMuted(_) => "self_muted",
            Self::ServerMuted(_) => "server_muted",
            Self::Deafened(_) => "deafened",
            Self::Kicked(_) => "kicked",
            Self::Moved(_) => "moved",
            Self::Speaking(_) => "speaking",
            Self::Pong(_) => "pong",
            Self::Error(_) => "error",
        }
    }
}

/// `t 500` payload: `{ok:true}` on success, `{ok:false,error:CODE}` on failure.
///
/// Invariant: `ok` on the wire is exactly `error.is_none()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinAck {
    /// Why the join was refused; `None` means it succeeded.
    pub error: Option<JoinErrorCode>,
}

impl JoinAck {
    /// A successful join.
    pub fn ok() -> Self {
        Self { error: None }
    }

    /// A refused join; the socket closes after this message.
    pub fn rejected(code: JoinErrorCode) -> Self {
        Self { error: Some(code) }
    }
}

/// Why a join was refused (SPEC section 4, "Join").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinErrorCode {
    /// The first frame was not valid JSON or had a malformed join payload.
    InvalidMessage,
    /// The first frame was a valid message, but not a join.
    ExpectedJoin,
    /// The token is missing, expired, badly signed or for another channel.
    Unauthorized,
    /// The token lacks the Connect permission.
    Forbidden,
    /// The user is on the channel's block list (and the token is not `moved=true`).
    Blocked,
    /// The room is at capacity.
    Full,
}

/// `t 505` notification `{user_id, muted}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfMuted {
    /// The user who muted or unmuted itself.
    pub user_id: UserId,
    /// Its new state.
    pub muted: bool,
}

/// `t 507` notification `{user_id, muted}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMuted {
    /// The user who was server muted or unmuted.
    pub user_id: UserId,
    /// Its new state.
    pub muted: bool,
}

/// `t 508` notification `{user_id, deafened}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deafened {
    /// The user who was deafened or undeafened.
    pub user_id: UserId,
    /// Its new state.
    pub deafened: bool,
}

/// `t 510` notification `{user_id, reason}` sent to the kicked user. When decoding, a missing
/// `reason` (GoChat gen 2 sends only `{user_id}`) reads as `"kicked"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kicked {
    /// The kicked user (the recipient).
    pub user_id: UserId,
    /// Why, for display; `"kicked"` for a plain kick.
    #[serde(default = "plain_kick")]
    pub reason: String,
}

impl Kicked {
    /// A plain kick, `reason: "kicked"`.
    pub fn new(user_id: UserId) -> Self {
        Self {
            user_id,
            reason: plain_kick(),
        }
    }
}

/// The `reason` of a plain kick.
fn plain_kick() -> String {
    "kicked".to_owned()
}

/// `t 512` notification `{channel, sfu_token?}` sent to the moved user.
///
/// `Debug` hides the token so a logged message never leaks it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    /// The channel to reconnect to.
    pub channel: ChannelId,
    /// A token for that channel with `moved=true`, when the host can mint one; omitted if `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sfu_token: Option<String>,
}

impl fmt::Debug for Moved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Moved")
            .field("channel", &self.channel)
            .field("sfu_token", &self.sfu_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `t 514` notification `{user_id, speaking}`, `speaking` written as `0` or `1` (read as `0`/`1`
/// or `false`/`true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSpeaking {
    /// The user whose speaking state changed.
    pub user_id: UserId,
    /// Whether it speaks now.
    #[serde(with = "super::int_bool")]
    pub speaking: bool,
}

/// `op 2` answer `{pong:true, server_ts, nonce?, ts?}`; `nonce` and `ts` echo the heartbeat and are
/// omitted when it had none.
#[derive(Debug, Clone, PartialEq)]
pub struct Pong {
    /// Server time in Unix milliseconds.
    pub server_ts: i64,
    /// The heartbeat's `nonce`, as sent.
    pub nonce: Option<Value>,
    /// The heartbeat's `ts`, as sent.
    pub ts: Option<Value>,
}

/// An error reply `{op, t?, d:{error:CODE, message}}`, sent on the `op`/`t` of the offending frame
/// (`op 0` without `t` when the frame had no usable `op`). The connection stays open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    /// The `op` of the offending frame, or [`super::op::INVALID`].
    pub op: u8,
    /// The `t` of the offending frame; omitted on the wire when `None`.
    pub t: Option<u16>,
    /// What kind of error.
    pub code: ErrorCode,
    /// Human readable detail naming the problem.
    pub message: String,
}

impl ErrorReply {
    /// An error reply to a decoded request, on that request's `op`/`t` (e.g. `permission_denied`
    /// for a `server_mute` without MuteMembers).
    pub fn to(request: &ClientMessage, code: ErrorCode, message: impl Into<String>) -> Self {
        let (op, t) = request.route();
        Self {
            op,
            t,
            code,
            message: message.into(),
        }
    }
}

/// Error codes of error replies after join (SPEC section 4, "Errors after join").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not JSON, or its payload had the wrong shape.
    InvalidMessage,
    /// The sender lacks the permission the request needs.
    PermissionDenied,
    /// The target (user, channel) does not exist or is not in the room.
    NotFound,
    /// The sender sends too much; repeated abuse closes the connection.
    RateLimited,
    /// The SFU does not handle this `op`/`t` or simple event.
    Unsupported,
}
