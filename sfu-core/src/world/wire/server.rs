//! Server -> client messages of the world protocol and their payloads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AvatarState, CorrectionReason, DenyReason, ErrorPayload, Facing, LockId, MediaTopology,
    ObjectId, PeerState, Position, User, WorldId, WorldUserId, Zone, ZoneId,
};
use crate::ids::ChannelId;

/// A message the world server sends to a client: `{type, payload, protocol_version: 1}`.
///
/// Written by [`ServerMessage::to_json`], decoded (by the client engine) with
/// [`super::decode_server`]. Serde alone writes and reads `{type, payload}`; the envelope
/// functions add and check `protocol_version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServerMessage {
    /// `CONNECTED`: the `CONNECT` token was accepted.
    Connected(Connected),
    /// `WORLD_STATE`: the answer to `JOIN_WORLD`, a full snapshot.
    WorldState(WorldState),
    /// `PRESENCE_BROADCAST`: another user of the zone moved or changed state (10 Hz, coalesced).
    PresenceBroadcast(PresenceBroadcast),
    /// `ZONE_TRANSITIONED`: the user is now in another zone; a snapshot of that zone.
    ZoneTransitioned(ZoneTransitioned),
    /// `POSITION_CORRECTION`: a move was refused; the client snaps back.
    PositionCorrection(PositionCorrection),
    /// `INTERACT_GRANTED`: the user holds the object's lock.
    InteractGranted(InteractGranted),
    /// `INTERACT_DENIED`: the user may not interact with the object.
    InteractDenied(InteractDenied),
    /// `OBJECT_OCCUPIED`: someone in the zone took hold of an object.
    ObjectOccupied(ObjectOccupied),
    /// `OBJECT_RELEASED` (extension): an object's lock was released, for whatever reason.
    ObjectReleased(ObjectReleased),
    /// `SDP_OFFER`: a P2P offer relayed from another user of the zone.
    SdpOffer(SdpFromPeer),
    /// `SDP_ANSWER`: a P2P answer relayed from another user of the zone.
    SdpAnswer(SdpFromPeer),
    /// `ICE_CANDIDATE`: a trickle ICE candidate relayed from another user of the zone.
    IceCandidate(IceFromPeer),
    /// `TURN_CREDENTIALS`: time-limited TURN credentials, the answer to `ICE_FAILED`.
    TurnCredentials(TurnCredentials),
    /// `PROMOTE_TO_SFU`: the zone now talks through the SFU; join it.
    PromoteToSfu(PromoteToSfu),
    /// `PEER_JOINED`: a user entered the zone.
    PeerJoined(PeerJoined),
    /// `PEER_LEFT`: a user left the zone.
    PeerLeft(PeerLeft),
    /// `USER_MUTED` (extension): a user of the zone was server muted or unmuted.
    UserMuted(UserMuted),
    /// `ERROR`: something the client sent was refused, or the server failed.
    Error(ErrorPayload),
}

impl ServerMessage {
    /// The message's `type` as written on the wire, e.g. `"WORLD_STATE"`, for logs and the
    /// protocol inspector.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connected(_) => "CONNECTED",
            Self::WorldState(_) => "WORLD_STATE",
            Self::PresenceBroadcast(_) => "PRESENCE_BROADCAST",
            Self::ZoneTransitioned(_) => "ZONE_TRANSITIONED",
            Self::PositionCorrection(_) => "POSITION_CORRECTION",
            Self::InteractGranted(_) => "INTERACT_GRANTED",
            Self::InteractDenied(_) => "INTERACT_DENIED",
            Self::ObjectOccupied(_) => "OBJECT_OCCUPIED",
            Self::ObjectReleased(_) => "OBJECT_RELEASED",
            Self::SdpOffer(_) => "SDP_OFFER",
            Self::SdpAnswer(_) => "SDP_ANSWER",
            Self::IceCandidate(_) => "ICE_CANDIDATE",
            Self::TurnCredentials(_) => "TURN_CREDENTIALS",
            Self::PromoteToSfu(_) => "PROMOTE_TO_SFU",
            Self::PeerJoined(_) => "PEER_JOINED",
            Self::PeerLeft(_) => "PEER_LEFT",
            Self::UserMuted(_) => "USER_MUTED",
            Self::Error(_) => "ERROR",
        }
    }

    /// The message's JSON text, `{type, payload, protocol_version: 1}` (SPEC section 6: every
    /// server message carries `protocol_version`).
    pub fn to_json(&self) -> String {
        super::envelope::to_json(self)
    }
}

/// `CONNECTED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connected {
    /// The authenticated user, as the token describes it.
    pub user: User,
    /// The server's version, e.g. `"1.0.0"`.
    pub server_version: String,
    /// Names of the additive extensions this server speaks (SPEC section 6), e.g.
    /// `"OBJECT_RELEASED"`. Always written; absent reads as none.
    #[serde(default)]
    pub extensions: Vec<String>,
}

/// `WORLD_STATE` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldState {
    /// The world entered.
    pub world_id: WorldId,
    /// The zone the user starts in.
    pub current_zone: Zone,
    /// How that zone's media flows.
    pub media_topology: MediaTopology,
    /// The other users of that zone.
    pub peers: Vec<PeerState>,
    /// Extension: the world file (SPEC section 6), so the client can draw the map. Omitted when
    /// `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world: Option<Value>,
    /// Extension `WORLD_STATE_YOU`: the joining user's own state (where it spawned), which the
    /// seed's `peers` (everyone else) does not carry. Omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub you: Option<Box<PeerState>>,
}

/// `PRESENCE_BROADCAST` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceBroadcast {
    /// Whose presence this is.
    pub user_id: WorldUserId,
    /// Where the user stands.
    pub position: Position,
    /// Which way the user faces.
    pub facing: Facing,
    /// What the user is doing.
    pub state: AvatarState,
}

/// `ZONE_TRANSITIONED` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneTransitioned {
    /// The zone the user is now in.
    pub zone: Zone,
    /// The other users of that zone.
    pub presence_snapshot: Vec<PeerState>,
    /// How that zone's media flows.
    pub media_topology: MediaTopology,
}

/// `POSITION_CORRECTION` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionCorrection {
    /// Where the user really is.
    pub correct_position: Position,
    /// Why the move was refused.
    pub reason: CorrectionReason,
}

/// `INTERACT_GRANTED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractGranted {
    /// The object the user now holds.
    pub object_id: ObjectId,
    /// The lock to quote in `INTERACT_END`.
    pub lock_id: LockId,
}

/// `INTERACT_DENIED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractDenied {
    /// The object asked for.
    pub object_id: ObjectId,
    /// Why the request was refused.
    pub reason: DenyReason,
}

/// `OBJECT_OCCUPIED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectOccupied {
    /// The object taken.
    pub object_id: ObjectId,
    /// Who holds it.
    pub user_id: WorldUserId,
}

/// `OBJECT_RELEASED` payload (extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectReleased {
    /// The object now free.
    pub object_id: ObjectId,
    /// Who held it.
    pub user_id: WorldUserId,
}

/// `SDP_OFFER` and `SDP_ANSWER` payload relayed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdpFromPeer {
    /// The sender, filled in by the server.
    pub from: WorldUserId,
    /// The SDP, base64-encoded, as the sender wrote it.
    pub sdp: String,
}

/// `ICE_CANDIDATE` payload relayed by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IceFromPeer {
    /// The sender, filled in by the server.
    pub from: WorldUserId,
    /// The candidate, any JSON, as the sender wrote it.
    pub candidate: Value,
}

/// `TURN_CREDENTIALS` payload (coturn REST form, SPEC section 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnCredentials {
    /// TURN server URLs, e.g. `"turn:turn.example.com:3478"`.
    pub urls: Vec<String>,
    /// `"<expiry unix seconds>:<user_id>"`.
    pub username: String,
    /// `base64(HMAC-SHA1(turn_secret, username))`. Never log it.
    pub credential: String,
}

/// `PROMOTE_TO_SFU` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoteToSfu {
    /// Where the SFU's `/signal` WebSocket is.
    pub sfu_url: String,
    /// An SFU token for this user (SPEC section 2). Never log it.
    pub sfu_token: String,
    /// The zone being promoted.
    pub zone_id: ZoneId,
    /// Extension: the SFU channel to join (an int64, written as a JSON number; a decimal string is
    /// accepted too). Hearth servers always send it; omitted when `None`, as in the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<ChannelId>,
}

/// `PEER_JOINED` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerJoined {
    /// Who entered the zone.
    pub user: User,
    /// Where the user stands.
    pub position: Position,
}

/// `PEER_LEFT` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerLeft {
    /// Who left the zone.
    pub user_id: WorldUserId,
}

/// `USER_MUTED` payload (extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMuted {
    /// Who was muted or unmuted.
    pub user_id: WorldUserId,
    /// `true` when muted, `false` when the mute ended.
    pub muted: bool,
    /// How long the mute lasts, in whole seconds; omitted when `None` (e.g. for an unmute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    /// The moderator who muted; omitted when `None` (e.g. when a mute expires).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<WorldUserId>,
}
