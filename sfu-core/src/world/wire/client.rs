//! Client -> server messages of the world protocol and their payloads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AvatarState, ErrorPayload, Facing, InteractAction, LockId, ObjectId, Position,
    SfuDisconnectReason, WorldId, WorldUserId, ZoneId,
};

/// A message a client sends to the world server: `{type, payload, protocol_version}`.
///
/// Decoded by [`super::decode_client`], written by [`ClientMessage::to_json`]. Serde alone writes
/// and reads `{type, payload}`; the envelope functions add and check `protocol_version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientMessage {
    /// `CONNECT`: authenticate; must be the first message, within 10 s.
    Connect(Connect),
    /// `JOIN_WORLD`: enter a world; answered by `WORLD_STATE`.
    JoinWorld(JoinWorld),
    /// `PRESENCE_UPDATE`: where the user is and what it does (at most 15 Hz).
    PresenceUpdate(PresenceUpdate),
    /// `ZONE_TRANSITION`: the user crossed into another zone; answered by `ZONE_TRANSITIONED`.
    ZoneTransition(ZoneTransition),
    /// `MOVE_INTENT`: the user wants to move (at most 30 Hz); a bad move gets `POSITION_CORRECTION`.
    MoveIntent(MoveIntent),
    /// `INTERACT_REQUEST`: take hold of an object.
    InteractRequest(InteractRequest),
    /// `INTERACT_END`: let go of an object.
    InteractEnd(InteractEnd),
    /// `SDP_OFFER`: a P2P offer for another user of the same zone.
    SdpOffer(SdpToPeer),
    /// `SDP_ANSWER`: a P2P answer for another user of the same zone.
    SdpAnswer(SdpToPeer),
    /// `ICE_CANDIDATE`: a trickle ICE candidate for another user of the same zone.
    IceCandidate(IceToPeer),
    /// `ICE_FAILED`: no direct path to a peer; answered by `TURN_CREDENTIALS`.
    IceFailed(IceFailed),
    /// `SFU_CONNECTED`: the client joined the zone's SFU channel.
    SfuConnected(SfuConnected),
    /// `SFU_DISCONNECTED`: the client left the zone's SFU channel.
    SfuDisconnected(SfuDisconnected),
    /// `MUTE_USER`: server mute a user for a while (Admin or Editor).
    MuteUser(MuteUser),
    /// `REMOVE_FROM_ZONE`: send a user out of a zone (Admin).
    RemoveFromZone(RemoveFromZone),
    /// `KICK_FROM_WORLD`: throw a user out of the world (Admin).
    KickFromWorld(KickFromWorld),
    /// `ERROR`: the seed lets clients report errors too; the server only logs them.
    Error(ErrorPayload),
}

impl ClientMessage {
    /// The message's `type` as written on the wire, e.g. `"PRESENCE_UPDATE"`, for logs and the
    /// protocol inspector.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connect(_) => "CONNECT",
            Self::JoinWorld(_) => "JOIN_WORLD",
            Self::PresenceUpdate(_) => "PRESENCE_UPDATE",
            Self::ZoneTransition(_) => "ZONE_TRANSITION",
            Self::MoveIntent(_) => "MOVE_INTENT",
            Self::InteractRequest(_) => "INTERACT_REQUEST",
            Self::InteractEnd(_) => "INTERACT_END",
            Self::SdpOffer(_) => "SDP_OFFER",
            Self::SdpAnswer(_) => "SDP_ANSWER",
            Self::IceCandidate(_) => "ICE_CANDIDATE",
            Self::IceFailed(_) => "ICE_FAILED",
            Self::SfuConnected(_) => "SFU_CONNECTED",
            Self::SfuDisconnected(_) => "SFU_DISCONNECTED",
            Self::MuteUser(_) => "MUTE_USER",
            Self::RemoveFromZone(_) => "REMOVE_FROM_ZONE",
            Self::KickFromWorld(_) => "KICK_FROM_WORLD",
            Self::Error(_) => "ERROR",
        }
    }

    /// The message's JSON text, `{type, payload, protocol_version: 1}`, as a client sends it.
    pub fn to_json(&self) -> String {
        super::envelope::to_json(self)
    }
}

/// `CONNECT` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connect {
    /// The world token (a JWT, SPEC section 2). Never log it.
    pub token: String,
    /// The client's version, e.g. `"1.0.0"`.
    pub client_version: String,
}

/// `JOIN_WORLD` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinWorld {
    /// The world to enter.
    pub world_id: WorldId,
}

/// `PRESENCE_UPDATE` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceUpdate {
    /// Where the user stands.
    pub position: Position,
    /// Which way the user faces.
    pub facing: Facing,
    /// What the user is doing.
    pub state: AvatarState,
    /// The zone the client believes it is in; the server decides. Omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<ZoneId>,
}

/// `ZONE_TRANSITION` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneTransition {
    /// The zone being left.
    pub from_zone_id: ZoneId,
    /// The zone being entered.
    pub to_zone_id: ZoneId,
    /// Where the user crossed.
    pub position: Position,
}

/// `MOVE_INTENT` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoveIntent {
    /// Where the user wants to be.
    pub position: Position,
    /// The client's clock when it sent the intent (an integer; the seed gives no unit). The
    /// server does not trust it: speed checks use the server's own clock.
    pub timestamp: u64,
}

/// `INTERACT_REQUEST` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractRequest {
    /// The object to take hold of.
    pub object_id: ObjectId,
    /// What to do with it.
    pub action: InteractAction,
}

/// `INTERACT_END` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractEnd {
    /// The object to let go of.
    pub object_id: ObjectId,
    /// The lock `INTERACT_GRANTED` gave.
    pub lock_id: LockId,
}

/// `SDP_OFFER` and `SDP_ANSWER` payload from a client: the server relays it with `from` instead
/// of `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdpToPeer {
    /// The user it is for.
    pub to: WorldUserId,
    /// The SDP, base64-encoded; relayed untouched.
    pub sdp: String,
}

/// `ICE_CANDIDATE` payload from a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IceToPeer {
    /// The user it is for.
    pub to: WorldUserId,
    /// The candidate, any JSON (usually the browser's `RTCIceCandidateInit`); relayed untouched.
    pub candidate: Value,
}

/// `ICE_FAILED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceFailed {
    /// The peer no direct path was found to.
    pub peer_id: WorldUserId,
}

/// `SFU_CONNECTED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfuConnected {
    /// The zone whose SFU channel the client joined.
    pub zone_id: ZoneId,
}

/// `SFU_DISCONNECTED` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfuDisconnected {
    /// The zone whose SFU channel the client left.
    pub zone_id: ZoneId,
    /// Why it left.
    pub reason: SfuDisconnectReason,
}

/// `MUTE_USER` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteUser {
    /// The user to mute.
    pub target_user_id: WorldUserId,
    /// How long, in whole seconds.
    pub duration: u64,
}

/// `REMOVE_FROM_ZONE` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveFromZone {
    /// The user to remove.
    pub target_user_id: WorldUserId,
    /// The zone to remove the user from.
    pub zone_id: ZoneId,
}

/// `KICK_FROM_WORLD` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickFromWorld {
    /// The user to kick.
    pub target_user_id: WorldUserId,
    /// The world to kick the user from.
    pub world_id: WorldId,
}
