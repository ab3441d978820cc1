//! Typed messages of the world signaling protocol `/world` (seed 004, SPEC section 6).
//!
//! Every message is a JSON object `{type, payload, protocol_version}`. There is one enum per
//! direction, [`ClientMessage`] (client to server) and [`ServerMessage`] (server to client), each
//! `#[serde(tag = "type", content = "payload")]` with one named payload struct per variant. Both
//! directions are encoded and decoded: the server uses [`decode_client`] and
//! [`ServerMessage::to_json`], the client engine [`ClientMessage::to_json`] and [`decode_server`].
//!
//! Envelope rules: both sides write `protocol_version: 1` on every message; a frame without it is
//! read as version 1; another major version is [`WireError::UnsupportedVersion`]. Unknown fields
//! are ignored. A frame that cannot be decoded yields a [`WireError`], never a panic, and
//! [`WireError::to_error`] is the `ERROR INVALID_REQUEST` the server answers with, its `details`
//! naming the field (`{"field": "position.x"}`) or the type (`{"type": "FOO"}`).
//!
//! Hearth's additive extensions are listed in [`EXTENSIONS`], for `CONNECTED.payload.extensions`.
//!
//! These are wire types: ids are any strings and positions any numbers. Checking them (a known
//! zone, a position on the map) is the world domain's job.

mod client;
mod envelope;
mod error;
mod ids;
mod path_de;
mod server;
mod types;

#[cfg(test)]
mod bad_input_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod golden_client_tests;
#[cfg(test)]
mod golden_server_tests;
#[cfg(test)]
mod round_trip_tests;

pub use client::{
    ClientMessage, Connect, IceFailed, IceToPeer, InteractEnd, InteractRequest, JoinWorld,
    KickFromWorld, MoveIntent, MuteUser, PresenceUpdate, RemoveFromZone, SdpToPeer, SfuConnected,
    SfuDisconnected, ZoneTransition,
};
pub use envelope::{ClientEnvelope, decode_client, decode_server};
pub use error::WireError;
pub use ids::{LockId, ObjectId, WorkspaceId, WorldId, WorldUserId, ZoneId};
pub use server::{
    Connected, IceFromPeer, InteractDenied, InteractGranted, ObjectOccupied, ObjectReleased,
    PeerJoined, PeerLeft, PositionCorrection, PresenceBroadcast, PromoteToSfu, SdpFromPeer,
    ServerMessage, TurnCredentials, UserMuted, WorldState, ZoneTransitioned,
};
pub use types::{
    AvatarState, CorrectionReason, DenyReason, ErrorCode, ErrorPayload, Facing, InteractAction,
    MediaTopology, PeerState, Position, Role, SfuDisconnectReason, User, Zone, ZoneType,
};

/// The protocol's major version, written in every envelope (seed 004 section 16).
pub const PROTOCOL_VERSION: u64 = 1;

/// The additive extensions to seed 004 that these types carry, by the names a Hearth server
/// announces in `CONNECTED.payload.extensions`:
///
/// - `OBJECT_RELEASED`: the [`ServerMessage::ObjectReleased`] message;
/// - `USER_MUTED`: the [`ServerMessage::UserMuted`] message;
/// - `USER_ROLES`: [`User::roles`];
/// - `WORLD_FILE`: [`WorldState::world`];
/// - `SFU_CHANNEL_ID`: [`PromoteToSfu::channel_id`].
/// - `WORLD_STATE_YOU`: [`WorldState::you`], the joining user's own state.
pub const EXTENSIONS: [&str; 6] = [
    "OBJECT_RELEASED",
    "USER_MUTED",
    "USER_ROLES",
    "WORLD_FILE",
    "SFU_CHANNEL_ID",
    "WORLD_STATE_YOU",
];
