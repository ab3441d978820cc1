//! Value types shared by the messages of both directions: positions, the seed's enums, [`User`],
//! [`Zone`], [`PeerState`] and the [`ErrorPayload`] of `ERROR`.

use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::{WorkspaceId, WorldId, WorldUserId, ZoneId};

/// A position on the world's tile grid, in tiles (`{"x": 18, "y": 26}`).
///
/// Integers and decimals are both accepted. Integral values are written as JSON integers
/// (`18.0` is written `18`, as in the seed's examples); others as decimals. Values should be finite:
/// JSON has no NaN or infinity, and `serde_json` writes a non-finite value as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct Position {
    /// Column, in tiles; grows eastwards.
    pub x: f64,
    /// Row, in tiles; grows southwards.
    pub y: f64,
}

impl Position {
    /// A position at column `x`, row `y`.
    pub fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }
}

impl Serialize for Position {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut pos = s.serialize_struct("Position", 2)?;
        pos.serialize_field("x", &Coordinate(self.x))?;
        pos.serialize_field("y", &Coordinate(self.y))?;
        pos.end()
    }
}

/// One coordinate, written as an integer when that loses nothing.
struct Coordinate(f64);

impl Serialize for Coordinate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // 2^53: every integer up to here is exact in an f64, so the cast below is lossless.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if self.0.fract() == 0.0 && self.0.abs() <= EXACT {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

/// The direction an avatar faces (`facing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Facing {
    /// `"north"`: up on the map.
    North,
    /// `"south"`: down on the map.
    South,
    /// `"east"`: right on the map.
    East,
    /// `"west"`: left on the map.
    West,
}

/// What an avatar is doing (`state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AvatarState {
    /// `"idle"`: standing still.
    Idle,
    /// `"walking"`: moving.
    Walking,
    /// `"sitting"`: holding a seat (see `INTERACT_REQUEST`).
    Sitting,
}

/// The kind of a zone (`zone_type`), which decides how its users talk (SPEC section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ZoneType {
    /// `"OpenArea"`: proximity audio.
    OpenArea,
    /// `"TeamArea"`: one group.
    TeamArea,
    /// `"MeetingRoom"`: one group, always on the SFU.
    MeetingRoom,
    /// `"PrivateRoom"`: one group behind a door.
    PrivateRoom,
}

impl ZoneType {
    /// Every kind of zone.
    pub const ALL: [ZoneType; 4] = [
        ZoneType::OpenArea,
        ZoneType::TeamArea,
        ZoneType::MeetingRoom,
        ZoneType::PrivateRoom,
    ];
}

/// How the media of a zone flows (`media_topology`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaTopology {
    /// `"P2P_DIRECT"`: direct peer-to-peer.
    #[serde(rename = "P2P_DIRECT")]
    P2pDirect,
    /// `"P2P_TURN"`: peer-to-peer through a TURN relay.
    #[serde(rename = "P2P_TURN")]
    P2pTurn,
    /// `"SFU"`: through the selective forwarding unit.
    #[serde(rename = "SFU")]
    Sfu,
}

/// Why the server corrected a position (`POSITION_CORRECTION.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionReason {
    /// `"collision"`: a blocked tile or a door the user may not pass.
    Collision,
    /// `"occupied"`: the spot is taken.
    Occupied,
    /// `"invalid"`: off the map, too fast, or otherwise impossible.
    Invalid,
}

/// Why an interaction was refused (`INTERACT_DENIED.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DenyReason {
    /// `"occupied"`: someone else holds the object.
    Occupied,
    /// `"invalid"`: no such interaction, or the user is too far away.
    Invalid,
    /// `"unauthorized"`: the user's roles do not allow it.
    Unauthorized,
}

/// What a user wants to do with an object (`INTERACT_REQUEST.action`, seed 004 section 9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractAction {
    /// `"sit"`: take a seat.
    Sit,
    /// `"use"`: use a device, e.g. a computer.
    Use,
    /// `"attach"`: attach to an object, e.g. a whiteboard.
    Attach,
}

/// Why a client left the SFU (`SFU_DISCONNECTED.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SfuDisconnectReason {
    /// `"error"`: the connection failed; the server answers with a fresh `PROMOTE_TO_SFU`.
    Error,
    /// `"manual"`: the user left on purpose.
    Manual,
}

/// Roles travel as their exact names (`"Admin"`, ...): the one `Role` type of the crate.
pub use crate::roles::Role;

/// The code of an `ERROR` message (seed 004 section 14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Authentication token invalid or expired.
    AuthFailed,
    /// Malformed or invalid message.
    InvalidRequest,
    /// Too many requests.
    RateLimited,
    /// Internal server error.
    ServerError,
    /// World does not exist.
    WorldNotFound,
    /// Zone does not exist.
    ZoneNotFound,
    /// Object does not exist.
    ObjectNotFound,
    /// User lacks required permissions.
    PermissionDenied,
}

/// A user as the protocol shows it (seed 004 section 4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Who the user is.
    pub user_id: WorldUserId,
    /// The workspace the user belongs to.
    pub workspace_id: WorkspaceId,
    /// The name shown above the avatar.
    pub display_name: String,
    /// Which avatar sprite to draw.
    pub avatar_id: String,
    /// Extension: the user's roles, so clients can offer moderation to those who may use it.
    /// Absent means none; omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
}

/// A zone as the protocol shows it (seed 004 section 4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// Which zone.
    pub zone_id: ZoneId,
    /// What kind of zone it is.
    pub zone_type: ZoneType,
    /// The world it belongs to.
    pub world_id: WorldId,
}

/// One other user in a snapshot (`WORLD_STATE.peers`, `ZONE_TRANSITIONED.presence_snapshot`).
///
/// The seed only says "User[] with positions"; Hearth writes
/// `{user: User, position, facing, state, zone_id}`: the [`User`] nested whole (not flattened,
/// so user fields and presence fields never clash) plus the presence a `PRESENCE_BROADCAST`
/// would carry and the zone the peer is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerState {
    /// Who the peer is.
    pub user: User,
    /// Where the peer stands.
    pub position: Position,
    /// Which way the peer faces.
    pub facing: Facing,
    /// What the peer is doing.
    pub state: AvatarState,
    /// The zone the peer is in.
    pub zone_id: ZoneId,
}

/// The payload of `ERROR`, in both directions (seed 004 section 14.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorPayload {
    /// What kind of error.
    pub code: ErrorCode,
    /// A human-readable explanation; absent reads as `""`.
    #[serde(default)]
    pub message: String,
    /// Machine-readable context, e.g. `{"field": "position.x"}`. Absent or `null` reads as `{}`;
    /// always written, as `{}` when empty.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub details: Map<String, Value>,
}

impl ErrorPayload {
    /// An error with no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default())
}
