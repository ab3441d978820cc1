//! What a world session reports to its user (the app, `hearth-bot`, tests): one enum, serialized
//! as `{"event": "...", ...}` JSON lines by `hearth-bot world`, like [`crate::events::EngineEvent`].
//!
//! Secrets (the SFU token of a promotion, a TURN credential) travel in the events so the app can
//! use them, but are never serialized: printed events must not leak them.

use serde::Serialize;
use serde_json::Value;
use sfu_core::roles::Role;

use super::world_map::SharedWorldMap;
use sfu_core::world::wire::{
    CorrectionReason, DenyReason, ErrorCode, LockId, MediaTopology, ObjectId, PeerState, WorldId,
    WorldUserId, ZoneId, ZoneType,
};

/// A point on the tile grid, in tiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Column; grows eastwards.
    pub x: f64,
    /// Row; grows southwards.
    pub y: f64,
}

/// Another user of the zone, as a snapshot shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerView {
    /// Who the peer is.
    pub user_id: WorldUserId,
    /// The name shown above the avatar.
    pub display_name: String,
    /// Where the peer stands.
    pub x: f64,
    /// Where the peer stands.
    pub y: f64,
}

impl From<&PeerState> for PeerView {
    fn from(peer: &PeerState) -> Self {
        Self {
            user_id: peer.user.user_id.clone(),
            display_name: peer.user.display_name.clone(),
            x: peer.position.x,
            y: peer.position.y,
        }
    }
}

/// Something that happened in a world session, from the user's point of view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorldEvent {
    /// The token was accepted (`CONNECTED`); `JOIN_WORLD` follows.
    Connected {
        /// Who the server says this user is.
        user_id: WorldUserId,
        /// The name others see.
        display_name: String,
        /// The user's roles (extension `USER_ROLES`; empty when the server does not send them).
        roles: Vec<Role>,
    },
    /// The user entered the world (`WORLD_STATE`).
    WorldState {
        /// The world entered.
        world_id: WorldId,
        /// The zone the user starts in.
        zone: ZoneId,
        /// What kind of zone it is.
        zone_type: ZoneType,
        /// How the zone's audio flows.
        topology: MediaTopology,
        /// Where the user starts, when known: the server does not say, so this is the world's
        /// first spawn point, where Hearth servers place newcomers.
        position: Option<Point>,
        /// The other users of the zone.
        peers: Vec<PeerView>,
        /// The world file (extension `WORLD_FILE`), decoded once and shared: for drawing the
        /// map and planning walks; not serialized (it is large).
        #[serde(skip_serializing)]
        world: Option<SharedWorldMap>,
    },
    /// Another user entered the zone (`PEER_JOINED`).
    PeerJoined {
        /// Who.
        user_id: WorldUserId,
        /// The name shown above the avatar.
        display_name: String,
        /// Where the user stands.
        x: f64,
        /// Where the user stands.
        y: f64,
    },
    /// Another user left the zone (`PEER_LEFT`).
    PeerLeft {
        /// Who.
        user_id: WorldUserId,
    },
    /// Another user of the zone moved (`PRESENCE_BROADCAST`).
    Presence {
        /// Who.
        user_id: WorldUserId,
        /// Where the user stands now.
        x: f64,
        /// Where the user stands now.
        y: f64,
    },
    /// This user is now in another zone (`ZONE_TRANSITIONED`).
    ZoneChanged {
        /// The zone entered.
        zone: ZoneId,
        /// What kind of zone it is.
        zone_type: ZoneType,
        /// How that zone's audio flows.
        topology: MediaTopology,
        /// The other users of that zone.
        peers: Vec<PeerView>,
    },
    /// The server refused a move and put this user back (`POSITION_CORRECTION`).
    Corrected {
        /// Where the user really is.
        x: f64,
        /// Where the user really is.
        y: f64,
        /// Why the move was refused.
        reason: CorrectionReason,
    },
    /// The zone now talks through the SFU: join it (`PROMOTE_TO_SFU`).
    PromoteToSfu {
        /// The zone promoted.
        zone: ZoneId,
        /// The SFU channel to join, when the server says (extension `SFU_CHANNEL_ID`).
        channel_id: Option<i64>,
        /// Where the SFU's `/signal` is.
        sfu_url: String,
        /// This user's SFU token; never serialized.
        #[serde(skip_serializing)]
        sfu_token: String,
    },
    /// A user of the zone was server muted or unmuted (extension `USER_MUTED`).
    UserMuted {
        /// Who.
        user_id: WorldUserId,
        /// Muted or not.
        muted: bool,
        /// For how long, in seconds, when muted.
        duration: Option<u64>,
    },
    /// This user holds an object (`INTERACT_GRANTED`).
    InteractGranted {
        /// The object.
        object_id: ObjectId,
        /// The lock to quote when letting go.
        lock_id: LockId,
    },
    /// An interaction was refused (`INTERACT_DENIED`).
    InteractDenied {
        /// The object.
        object_id: ObjectId,
        /// Why.
        reason: DenyReason,
    },
    /// Someone in the zone took hold of an object (`OBJECT_OCCUPIED`).
    ObjectOccupied {
        /// The object.
        object_id: ObjectId,
        /// Who holds it.
        user_id: WorldUserId,
    },
    /// An object was let go (extension `OBJECT_RELEASED`).
    ObjectReleased {
        /// The object.
        object_id: ObjectId,
        /// Who held it.
        user_id: WorldUserId,
    },
    /// A P2P offer from another user of the zone (`SDP_OFFER`, base64 SDP).
    SdpOffer {
        /// The sender.
        from: WorldUserId,
        /// Base64-encoded SDP.
        sdp: String,
    },
    /// A P2P answer from another user of the zone (`SDP_ANSWER`, base64 SDP).
    SdpAnswer {
        /// The sender.
        from: WorldUserId,
        /// Base64-encoded SDP.
        sdp: String,
    },
    /// A trickled ICE candidate from another user of the zone (`ICE_CANDIDATE`).
    IceCandidate {
        /// The sender.
        from: WorldUserId,
        /// The candidate, as the sender wrote it.
        candidate: Value,
    },
    /// TURN credentials, the answer to `ICE_FAILED` (`TURN_CREDENTIALS`).
    TurnCredentials {
        /// TURN server URLs.
        urls: Vec<String>,
        /// `"<expiry>:<user_id>"`.
        username: String,
        /// The credential; never serialized.
        #[serde(skip_serializing)]
        credential: String,
    },
    /// The server refused something or failed (`ERROR`).
    Error {
        /// The seed's error code.
        code: ErrorCode,
        /// Human-readable explanation.
        message: String,
    },
    /// The socket was lost; the session dials again after `delay_ms` (attempt `attempt` of at
    /// most 10 since the last success). Until [`WorldEvent::Reconnected`], moves are only kept
    /// as where to walk back to and other requests are dropped.
    Reconnecting {
        /// Which attempt this is, from 1.
        attempt: u32,
        /// How long until it dials, in milliseconds.
        delay_ms: u64,
        /// Why the socket was lost (or the last attempt failed).
        reason: String,
    },
    /// Back in the world after a reconnect, in `zone` (where the server placed the user); the
    /// [`WorldEvent::WorldState`] snapshot came just before. The session then walks the user back
    /// to where it stood, which may bring a [`WorldEvent::ZoneChanged`].
    Reconnected {
        /// The zone the rejoin placed the user in.
        zone: ZoneId,
    },
    /// The session ended: the socket closed (with its close code, if any) or the user left.
    Closed {
        /// The WebSocket close code, when there was one.
        code: Option<u16>,
        /// Why.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_tagged_snake_case_json() {
        let presence = WorldEvent::Presence {
            user_id: WorldUserId::new("u1"),
            x: 18.5,
            y: 26.0,
        };
        assert_eq!(
            serde_json::to_value(&presence).expect("serializable"),
            json!({"event": "presence", "user_id": "u1", "x": 18.5, "y": 26.0})
        );
        let corrected = WorldEvent::Corrected {
            x: 1.0,
            y: 2.0,
            reason: CorrectionReason::Collision,
        };
        assert_eq!(
            serde_json::to_value(&corrected).expect("serializable"),
            json!({"event": "corrected", "x": 1.0, "y": 2.0, "reason": "collision"})
        );
        let error = WorldEvent::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
        };
        assert_eq!(
            serde_json::to_value(&error).expect("serializable"),
            json!({"event": "error", "code": "RATE_LIMITED", "message": "slow down"})
        );
    }

    #[test]
    fn secrets_are_never_serialized() {
        let promote = WorldEvent::PromoteToSfu {
            zone: ZoneId::new("team-area"),
            channel_id: Some(7),
            sfu_url: "ws://h/signal".into(),
            sfu_token: "secret-jwt".into(),
        };
        let text = serde_json::to_string(&promote).expect("serializable");
        assert!(!text.contains("secret-jwt"), "the SFU token leaked: {text}");
        assert!(text.contains(r#""event":"promote_to_sfu""#), "{text}");
        let turn = WorldEvent::TurnCredentials {
            urls: vec!["turn:h:3478".into()],
            username: "1:u".into(),
            credential: "hmac".into(),
        };
        let text = serde_json::to_string(&turn).expect("serializable");
        assert!(!text.contains("hmac"), "the TURN credential leaked: {text}");
    }
}
