//! SFU -> main server messages of the interop link and their payloads (seed 000 sections 1-3).

use serde::{Deserialize, Serialize};

use super::{decimal, iso8601_utc};
use crate::ids::{ChannelId, UserId};

/// A message the SFU sends to the main server: `{"type": ..., <payload fields>}`.
///
/// Decoded by [`super::decode_sfu_to_main`], written by [`SfuToMain::to_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SfuToMain {
    /// `media_presence`: a user joined or left a channel, or started or stopped producing media.
    MediaPresence(MediaPresence),
    /// `channel_presence_sync`: the full list of users in a channel, after every join and leave
    /// and for every active channel right after (re)connecting (SPEC section 5).
    ChannelPresenceSync(ChannelPresenceSync),
    /// `sfu_status`: the SFU's health, on connect and every 10 s (SPEC section 5).
    SfuStatus(SfuStatus),
}

impl SfuToMain {
    /// The message's `type` as written on the wire, e.g. `"media_presence"`, for logs.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::MediaPresence(_) => "media_presence",
            Self::ChannelPresenceSync(_) => "channel_presence_sync",
            Self::SfuStatus(_) => "sfu_status",
        }
    }

    /// The message's JSON text, ids as decimal strings.
    pub fn to_json(&self) -> String {
        super::to_json(self)
    }
}

/// `media_presence`: `{event, userId, channelId, timestamp}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaPresence {
    /// What happened.
    pub event: PresenceEvent,
    /// Who it happened to; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub user_id: UserId,
    /// The voice channel; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub channel_id: ChannelId,
    /// When, as ISO-8601 UTC (`2025-08-12T12:34:56.789Z`, see [`iso8601_utc`]). Kept as the
    /// string received; decoding does not check its format.
    pub timestamp: String,
}

impl MediaPresence {
    /// A presence event at unix time `unix_ms` (milliseconds), the timestamp formatted with
    /// [`iso8601_utc`].
    pub fn at(event: PresenceEvent, user_id: UserId, channel_id: ChannelId, unix_ms: i64) -> Self {
        Self {
            event,
            user_id,
            channel_id,
            timestamp: iso8601_utc(unix_ms),
        }
    }
}

/// The `event` of a [`MediaPresence`]. Only seed 000's four values exist: any other value
/// (including dspeak's `staged-leave` and `rejoin`) makes the message invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceEvent {
    /// `"join"`: the user joined the channel.
    Join,
    /// `"leave"`: the user left the channel.
    Leave,
    /// `"start_produce"`: the user started sending media.
    StartProduce,
    /// `"stop_produce"`: the user stopped sending media.
    StopProduce,
}

impl PresenceEvent {
    /// Every value, in the seed's order.
    pub const ALL: [Self; 4] = [
        Self::Join,
        Self::Leave,
        Self::StartProduce,
        Self::StopProduce,
    ];
}

/// `channel_presence_sync`: `{channelId, userIds}`, the users currently in a channel. An empty
/// list means the channel is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelPresenceSync {
    /// The voice channel; written as a decimal string.
    #[serde(serialize_with = "decimal::id")]
    pub channel_id: ChannelId,
    /// Everyone in it; written as an array of decimal strings.
    #[serde(serialize_with = "decimal::user_ids")]
    pub user_ids: Vec<UserId>,
}

/// `sfu_status`: `{status, details}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SfuStatus {
    /// Healthy or not.
    pub status: Status,
    /// A human-readable description: load figures when healthy, the problem otherwise.
    pub details: String,
}

/// The `status` of an [`SfuStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// `"ok"`: the SFU is serving.
    Ok,
    /// `"error"`: the SFU has a problem, described in `details`.
    Error,
}
