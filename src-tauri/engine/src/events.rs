//! What the engine reports to its user (the app, `hearth-bot`, tests): one enum, serialized as
//! `{"event": "...", ...}` JSON lines by `hearth-bot`.

use serde::Serialize;

/// Something that happened in a session, from the user's point of view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EngineEvent {
    /// The SFU accepted the join.
    Joined { channel: i64 },
    /// The SFU refused the join (`unauthorized`, `blocked`, ...).
    JoinRefused { code: String },
    /// An SDP offer arrived from the SFU (`renegotiation` false for the first one).
    Offer { renegotiation: bool },
    /// Media to or from the SFU connected.
    MediaConnected,
    /// A remote user's track started arriving.
    TrackAdded { user_id: i64, kind: String },
    /// A remote user's track ended.
    TrackEnded { user_id: i64 },
    /// Someone started or stopped speaking.
    Speaking { user_id: i64, speaking: bool },
    /// Someone muted or unmuted themselves (505).
    Muted { user_id: i64, muted: bool },
    /// A moderator server-muted or unmuted someone (507).
    ServerMuted { user_id: i64, muted: bool },
    /// A moderator deafened or undeafened someone (508).
    Deafened { user_id: i64, deafened: bool },
    /// This user was removed from the channel (510), with the reason given.
    Kicked { reason: String },
    /// This user was moved to another channel (512).
    Moved { channel: i64, has_token: bool },
    /// A heartbeat came back.
    Pong { rtt_ms: u64 },
    /// The server refused a request (error reply after join).
    ServerError {
        op: u8,
        t: Option<u16>,
        code: String,
        message: String,
    },
    /// The session ended.
    Left { reason: String },
}
