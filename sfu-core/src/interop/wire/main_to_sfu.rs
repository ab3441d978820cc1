//! Main server -> SFU messages of the interop link and their payloads: seed 000's
//! `force_disconnect` (section 4) and Hearth's additive `server_mute` and `move_user`.

use serde::Serialize;

use super::decimal;
use crate::ids::{ChannelId, UserId};

/// A message the main server sends to the SFU: `{"type": ..., <payload fields>}`.
///
/// Decoded by [`super::decode_main_to_sfu`], written by [`MainToSfu::to_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MainToSfu {
    /// `force_disconnect`: disconnect a user from a channel (kicked, banned, removed from the
    /// world). The SFU tells the user `{op:7,t:510,d:{user_id,reason}}` and closes its socket.
    ForceDisconnect(ForceDisconnect),
    /// `server_mute` (Hearth extension): server mute or unmute a user in a channel, as the
    /// `/signal` event 507 does.
    ServerMute(ServerMute),
    /// `move_user` (Hearth extension): move a user to another channel, as the `/signal` event
    /// 512 does.
    MoveUser(MoveUser),
}

impl MainToSfu {
    /// The message's `type` as written on the wire, e.g. `"force_disconnect"`, for logs.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ForceDisconnect(_) => "force_disconnect",
            Self::ServerMute(_) => "server_mute",
            Self::MoveUser(_) => "move_user",
        }
    }

    /// The message's JSON text, ids as decimal strings.
    pub fn to_json(&self) -> String {
        super::to_json(self)
    }
}

/// `force_disconnect`: `{userId, channelId, reason}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceDisconnect {
    /// Who to disconnect; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub user_id: UserId,
    /// From which channel; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub channel_id: ChannelId,
    /// Why, passed on to the user, e.g. `"banned"` or `"kicked"`.
    pub reason: String,
}

/// `server_mute` (extension): `{userId, channelId, muted}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerMute {
    /// Who to mute or unmute; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub user_id: UserId,
    /// In which channel; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub channel_id: ChannelId,
    /// `true` to mute, `false` to lift the mute. A JSON boolean; `0`/`1` are not accepted.
    pub muted: bool,
}

/// `move_user` (extension): `{userId, channelId, toChannelId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveUser {
    /// Who to move; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub user_id: UserId,
    /// The channel the user is in now; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub channel_id: ChannelId,
    /// The channel to move the user to; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub to_channel_id: ChannelId,
}
