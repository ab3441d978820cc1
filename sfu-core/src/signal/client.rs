//! Client -> SFU messages and their payloads. Decoding lives in [`super::wire`], encoding (for the
//! client engine) in `super::encode`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{IceCandidate, SessionDescription, event, op};
use crate::ids::{ChannelId, UserId};

/// A message a client sends to the SFU, decoded from an `{op, t, d}` envelope or a simple
/// `{event, data}` frame by [`super::decode_client`].
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// `op 7 t 500`: join a voice channel; must be the first frame.
    Join(Join),
    /// `op 7 t 501`: the client offers (the SFU answers).
    Offer(SessionDescription),
    /// `op 7 t 502`, or the simple `answer` event: the client answers the SFU's offer.
    Answer(SessionDescription),
    /// `op 7 t 503`, or the simple `candidate` event: a trickle ICE candidate.
    Candidate(IceCandidate),
    /// `op 7 t 504`: leave; the SFU cleans up and closes the socket.
    Leave,
    /// `op 7 t 505`: stop or resume publishing one's own audio.
    MuteSelf(MuteSelf),
    /// `op 7 t 506`: stop or resume receiving one user's media, for this client only.
    MuteUser(MuteUser),
    /// `op 7 t 507`: server mute a user for everyone (needs MuteMembers).
    ServerMute(ServerMute),
    /// `op 7 t 508`: server deafen a user (needs DeafenMembers).
    ServerDeafen(ServerDeafen),
    /// `op 7 t 510`: kick a user (needs MoveMembers).
    Kick(Kick),
    /// `op 7 t 511`: block or unblock a user for the channel (needs MoveMembers).
    Block(Block),
    /// `op 7 t 512`: move a user to another channel (needs MoveMembers).
    Move(MoveUser),
    /// `op 7 t 514`, or the simple `speaking` event: the sender started or stopped speaking.
    Speaking(Speaking),
    /// `op 2`: heartbeat; answered with a [`super::Pong`] echoing `nonce` and `ts`.
    Heartbeat(Heartbeat),
    /// The simple `negotiate` event: the client asks for a fresh server offer.
    Negotiate,
}

impl ClientMessage {
    /// A short snake_case name for logs and the protocol inspector, e.g. `"server_mute"`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Join(_) => "join",
            Self::Offer(_) => "offer",
            Self::Answer(_) => "answer",
            Self::Candidate(_) => "candidate",
            Self::Leave => "leave",
            Self::MuteSelf(_) => "mute_self",
            Self::MuteUser(_) => "mute_user",
            Self::ServerMute(_) => "server_mute",
            Self::ServerDeafen(_) => "server_deafen",
            Self::Kick(_) => "kick",
            Self::Block(_) => "block",
            Self::Move(_) => "move",
            Self::Speaking(_) => "speaking",
            Self::Heartbeat(_) => "heartbeat",
            Self::Negotiate => "negotiate",
        }
    }

    /// The `op` and `t` an error reply to this message goes on (SPEC: "a reply on the same
    /// `op`/`t`"). Messages that only exist as simple events (`negotiate`) reply on `op 0`.
    pub fn route(&self) -> (u8, Option<u16>) {
        let t = match self {
            Self::Join(_) => event::JOIN,
            Self::Offer(_) => event::OFFER,
            Self::Answer(_) => event::ANSWER,
            Self::Candidate(_) => event::CANDIDATE,
            Self::Leave => event::LEAVE,
            Self::MuteSelf(_) => event::MUTE_SELF,
            Self::MuteUser(_) => event::MUTE_USER,
            Self::ServerMute(_) => event::SERVER_MUTE,
            Self::ServerDeafen(_) => event::SERVER_DEAFEN,
            Self::Kick(_) => event::KICK,
            Self::Block(_) => event::BLOCK,
            Self::Move(_) => event::MOVE,
            Self::Speaking(_) => event::SPEAKING,
            Self::Heartbeat(_) => return (op::HEARTBEAT, None),
            Self::Negotiate => return (op::INVALID, None),
        };
        (op::RTC, Some(t))
    }
}

/// `t 500` payload `{channel, token}`. `channel` may be a JSON number or a decimal string.
///
/// `Debug` hides the token so a logged message never leaks it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    /// The voice channel to join; must match the token's `channel_id`.
    pub channel: ChannelId,
    /// The short-lived SFU token (`typ=sfu`, `aud=sfu`), not yet verified.
    pub token: String,
}

impl fmt::Debug for Join {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("channel", &self.channel)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// `t 505` payload `{muted}`: the sender mutes (`true`) or unmutes its own audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteSelf {
    /// `true` to stop forwarding the sender's audio.
    pub muted: bool,
}

/// `t 506` payload `{user, muted}`: a receiver-side mute, affecting only the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteUser {
    /// The user whose media the sender stops (or resumes) receiving.
    pub user: UserId,
    /// `true` to stop receiving.
    pub muted: bool,
}

/// `t 507` payload `{user, muted}`: a reversible server mute, seen by everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMute {
    /// The target user.
    pub user: UserId,
    /// `true` to mute, `false` to lift the mute.
    pub muted: bool,
}

/// `t 508` payload `{user, deafened}`: a deafened user receives nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerDeafen {
    /// The target user.
    pub user: UserId,
    /// `true` to deafen, `false` to undeafen.
    pub deafened: bool,
}

/// `t 510` payload `{user}`: kick the user out of the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kick {
    /// The target user.
    pub user: UserId,
}

/// `t 511` payload `{user, block}`; the target may also be given as `user_id` (not both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The target user (`user` or `user_id` on the wire).
    #[serde(alias = "user_id")]
    pub user: UserId,
    /// `true` to block, `false` to unblock.
    pub block: bool,
}

/// `t 512` payload `{user, channel}`: move the user to another voice channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveUser {
    /// The target user.
    pub user: UserId,
    /// Where the user goes.
    pub channel: ChannelId,
}

/// `t 514` payload `{speaking}` (read as `0`/`1` or `false`/`true`, written as `0`/`1`), or the
/// simple `speaking` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speaking {
    /// Whether the sender is speaking now.
    #[serde(with = "super::int_bool")]
    pub speaking: bool,
}

/// `op 2` payload `{nonce?, ts?}`. Both are echoed as sent, whatever JSON they are; a JSON `null`
/// counts as absent, on the way in and out (`None` and `Some(null)` are both omitted).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Opaque client value echoed in the pong.
    #[serde(skip_serializing_if = "is_absent")]
    pub nonce: Option<Value>,
    /// Client timestamp (an integer by convention) echoed in the pong.
    #[serde(skip_serializing_if = "is_absent")]
    pub ts: Option<Value>,
}

/// `None` or JSON `null`: a heartbeat field that is not written.
fn is_absent(v: &Option<Value>) -> bool {
    v.as_ref().is_none_or(Value::is_null)
}
