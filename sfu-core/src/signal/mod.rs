//! Typed messages of the SFU signaling protocol `/signal` (SPEC section 4, seeds 002 and 003).
//!
//! Frames are JSON `{op, t, d}` (`t` omitted where it does not apply, e.g. the op 2 heartbeat),
//! plus GoChat's "simple" frames `{event, data}` whose `data` is a JSON *string*. There is one enum
//! per direction: [`ClientMessage`] (client to SFU) and [`ServerMessage`] (SFU to client). Both
//! directions are encoded and decoded: the SFU uses [`decode_client`] and
//! [`ServerMessage::to_json`], the client engine [`ClientMessage::to_json`] and [`decode_server`].
//! Each variant wraps a named payload struct; the payload structs that travel both ways
//! ([`SessionDescription`], [`IceCandidate`]) live here.
//!
//! Decoding never panics; a frame that cannot be decoded yields a [`DecodeError`]. For client
//! frames, [`DecodeError::reply`] is the error frame the SPEC says the client gets back.

mod client;
mod encode;
mod error;
mod int_bool;
mod server;
mod server_decode;
mod wire;

#[cfg(test)]
mod wire_bad_input_tests;
#[cfg(test)]
mod wire_client_tests;
#[cfg(test)]
mod wire_fuzz_tests;
#[cfg(test)]
mod wire_server_decode_tests;
#[cfg(test)]
mod wire_tests;

use serde::{Deserialize, Serialize};

pub use client::{
    Block, ClientMessage, Heartbeat, Join, Kick, MoveUser, MuteSelf, MuteUser, ServerDeafen,
    ServerMute, Speaking,
};
pub use error::DecodeError;
pub use server::{
    Deafened, ErrorCode, ErrorReply, JoinAck, JoinErrorCode, Kicked, Moved, Pong, SelfMuted,
    ServerMessage, ServerMuted, UserSpeaking,
};
pub use server_decode::decode_server;
pub use wire::decode_client;

/// Operation codes (`op`). Append-only, like the event numbers in [`event`].
pub mod op {
    /// Error replies to frames that have no usable `op` (unparseable JSON, simple events).
    pub const INVALID: u8 = 0;
    /// Heartbeat ping/pong; these frames carry no `t`.
    pub const HEARTBEAT: u8 = 2;
    /// RTC signaling and voice control; `t` says which event.
    pub const RTC: u8 = 7;
}

/// Event numbers (`t`) under [`op::RTC`]. 509 and 513 belong to the GoChat WS gateway, not the SFU.
pub mod event {
    /// Join request (C->S) and its acknowledgement (S->C).
    pub const JOIN: u16 = 500;
    /// SDP offer, both directions.
    pub const OFFER: u16 = 501;
    /// SDP answer, both directions.
    pub const ANSWER: u16 = 502;
    /// Trickle ICE candidate, both directions.
    pub const CANDIDATE: u16 = 503;
    /// Leave the session (C->S).
    pub const LEAVE: u16 = 504;
    /// Self mute (C->S) and its notification to the others (S->C).
    pub const MUTE_SELF: u16 = 505;
    /// Local, receiver-side mute of one user (C->S).
    pub const MUTE_USER: u16 = 506;
    /// Server mute of a user (C->S, needs MuteMembers) and its notification.
    pub const SERVER_MUTE: u16 = 507;
    /// Server deafen of a user (C->S, needs DeafenMembers) and its notification.
    pub const SERVER_DEAFEN: u16 = 508;
    /// Kick a user (C->S, needs MoveMembers); the target is told it was kicked.
    pub const KICK: u16 = 510;
    /// Block or unblock a user for the channel (C->S, needs MoveMembers).
    pub const BLOCK: u16 = 511;
    /// Move a user (C->S, needs MoveMembers); the target is told where to go.
    pub const MOVE: u16 = 512;
    /// Speaking indicator, both directions.
    pub const SPEAKING: u16 = 514;
}

/// An SDP offer or answer, `{sdp, type?}` (seed 003: `t` 501 and 502).
///
/// On the way in, `kind` is whatever the peer wrote, if anything (the event number says what the
/// description is). On the way out the [`ServerMessage`] or [`ClientMessage`] variant decides the
/// `type` written, and `kind` is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SessionDescription {
    /// The SDP text.
    pub sdp: String,
    /// The `type` field (`RTCSdpType`), optional on the wire.
    #[serde(rename = "type")]
    pub kind: Option<SdpType>,
}

impl SessionDescription {
    /// A description with no explicit `type`.
    pub fn new(sdp: impl Into<String>) -> Self {
        Self {
            sdp: sdp.into(),
            kind: None,
        }
    }
}

/// The `type` of a [`SessionDescription`], as the WebRTC `RTCSdpType` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// `"offer"`.
    Offer,
    /// `"pranswer"`.
    Pranswer,
    /// `"answer"`.
    Answer,
    /// `"rollback"`.
    Rollback,
}

/// A trickle ICE candidate, `{candidate, sdpMid?, sdpMLineIndex?}` (the browser's
/// `RTCIceCandidateInit`; other fields such as `usernameFragment` are ignored).
///
/// An empty `candidate` is the end-of-candidates marker. Optional fields are omitted when `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    /// The `candidate:` attribute line, without the `a=` prefix.
    pub candidate: String,
    /// The media stream identification tag the candidate belongs to.
    #[serde(rename = "sdpMid", skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    /// The index of the m-line the candidate belongs to.
    #[serde(rename = "sdpMLineIndex", skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
}
