//! What a [`super::HearthClient`] reports: everything the world session, the SFU session and the
//! voice engine say, plus how each connection is doing. Serialized as one JSON object per event
//! with an `"event"` tag (the inner enums' tags).

use serde::Serialize;
use sfu_core::world::wire::{WorldUserId, ZoneId};

use crate::events::EngineEvent;
use crate::p2p::link::LinkState;
use crate::voice::VoiceEvent;
use crate::world_client::WorldEvent;

/// How the media connections are doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum MediaEvent {
    /// A P2P link to `peer` changed state.
    Link {
        peer: WorldUserId,
        state: LinkState,
        /// Whether it goes through TURN.
        relayed: bool,
    },
    /// A P2P link was closed by this side.
    LinkClosed { peer: WorldUserId, reason: String },
    /// Joining the zone's SFU channel.
    SfuJoining { zone: ZoneId, channel: i64 },
    /// On the SFU with media flowing; `SFU_CONNECTED` was sent.
    SfuConnected { zone: ZoneId },
    /// Off the SFU.
    SfuLeft { reason: String },
}

/// This user's own walking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WalkEvent {
    /// A step of a walk (`HearthClient::walk_to`, `walk`) reached `(x, y)`: the position the
    /// server was sent and the media plan follows (the server corrects it if it disagrees).
    Moved { x: f64, y: f64 },
}

/// Anything the client reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ClientEvent {
    World(WorldEvent),
    Sfu(EngineEvent),
    Voice(VoiceEvent),
    Media(MediaEvent),
    Walk(WalkEvent),
}
