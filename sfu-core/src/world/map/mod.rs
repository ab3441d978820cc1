//! The world map (SPEC section 6): the world file format, its validation, and the geometry the
//! world server checks movement against.
//!
//! [`load_world`] parses and validates a world file into a [`World`]; a `World` only ever holds
//! valid values (ids unique, references resolved, everything inside the map, spawn points in an
//! OpenArea, no equal-priority zone overlap). [`World::demo`] is the bundled demo world.
//!
//! Coordinates are in tiles: tile `(tx, ty)` covers `x` in `[tx, tx + 1)` and `y` in `[ty, ty + 1)`,
//! with `(0, 0)` the top-left corner of the map.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::roles::Role;

mod error;
mod file;
mod geometry;
mod ids;
mod path;
pub mod route;
mod validate;

#[cfg(test)]
mod demo_tests;
#[cfg(test)]
mod file_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod geometry_tests;
#[cfg(test)]
mod route_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod validate_tests;

pub use error::{WorldFileError, WorldFileErrorKind};
pub use file::{
    DoorAccessFile, DoorFile, InteractionFile, LayerFile, MapFile, MetaFile, ObjectFile,
    PositionFile, RectFile, SpawnPointFile, VersionFile, WorldFile, ZoneFile,
};
pub use geometry::Blocked;
pub use ids::{DoorId, ObjectId, SpawnPointId, WorkspaceId, WorldId, ZoneId};

/// The bundled demo world's file, as shipped (`demo.json`).
pub const DEMO_WORLD_JSON: &str = include_str!("demo.json");

/// Parses and validates a world file.
///
/// # Errors
/// A [`WorldFileError`] naming the JSON path of the first field at fault: bad JSON (with line and
/// column), a missing or mistyped field, or a broken rule (see [`WorldFileErrorKind`]).
pub fn load_world(json: &str) -> Result<World, WorldFileError> {
    World::try_from(file::parse(json)?)
}

/// The kind of a zone, which decides how its users talk (SPEC section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ZoneType {
    /// Proximity audio; the background zone that covers the map.
    OpenArea,
    /// One audio group, P2P up to 8 users.
    TeamArea,
    /// Always on the SFU.
    MeetingRoom,
    /// One audio group behind a door only some roles pass.
    PrivateRoom,
}

impl ZoneType {
    /// Where zones overlap the highest priority wins: PrivateRoom > MeetingRoom > TeamArea >
    /// OpenArea.
    pub const fn priority(self) -> u8 {
        match self {
            ZoneType::OpenArea => 0,
            ZoneType::TeamArea => 1,
            ZoneType::MeetingRoom => 2,
            ZoneType::PrivateRoom => 3,
        }
    }

    /// Users a zone of this type holds unless its `overrides.capacity` says otherwise.
    pub const fn default_capacity(self) -> u32 {
        match self {
            ZoneType::OpenArea => 50,
            ZoneType::TeamArea => 25,
            ZoneType::MeetingRoom => 16,
            ZoneType::PrivateRoom => 8,
        }
    }

    /// The type's name as in the world file.
    pub const fn as_str(self) -> &'static str {
        match self {
            ZoneType::OpenArea => "OpenArea",
            ZoneType::TeamArea => "TeamArea",
            ZoneType::MeetingRoom => "MeetingRoom",
            ZoneType::PrivateRoom => "PrivateRoom",
        }
    }
}

/// Whether an object is locked by one user at a time (`single`) or shared (`multiple`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Occupancy {
    /// First come, first served lock (`INTERACT_GRANTED` with a `lock_id`).
    Single,
    /// No lock.
    Multiple,
}

/// What a user does with an object (`INTERACT_REQUEST.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractionAction {
    /// Sit on it (a chair).
    Sit,
    /// Use it (a desk, a computer).
    Use,
    /// Attach to it.
    Attach,
}

/// A rectangle of whole tiles; `width` and `height` are at least 1 and it lies inside its map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileRect {
    /// Leftmost tile column.
    pub x: u32,
    /// Topmost tile row.
    pub y: u32,
    /// Columns covered, at least 1.
    pub width: u32,
    /// Rows covered, at least 1.
    pub height: u32,
}

/// A point in tile units (finite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Column, in tiles.
    pub x: f64,
    /// Row, in tiles.
    pub y: f64,
}

/// The tile grid: its layers and the union of its collision layers.
#[derive(Debug, Clone, PartialEq)]
pub struct TileMap {
    tile_set: String,
    width: u32,
    height: u32,
    layers: Vec<Layer>,
    /// Row-major, `width * height`: blocked by any collision layer.
    blocked: Vec<bool>,
}

impl TileMap {
    /// The tile set's name.
    pub fn tile_set(&self) -> &str {
        &self.tile_set
    }
    /// Width in tiles (at least 1).
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in tiles (at least 1).
    pub fn height(&self) -> u32 {
        self.height
    }
    /// The layers, bottom first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
}

/// One layer of tiles: `width * height` tile numbers, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The layer's name (e.g. `"floor"`, `"walls"`).
    pub id: String,
    /// Row-major tile numbers, exactly `width * height` of them.
    pub tiles: Vec<u32>,
    /// In a collision layer a non-zero tile is blocked.
    pub collision: bool,
}

/// A zone: a rectangle of the map with a type and a capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Unique among the world's zones.
    pub id: ZoneId,
    /// Decides the audio rules and the priority.
    pub zone_type: ZoneType,
    /// The tiles the zone covers, inside the map.
    pub bounds: TileRect,
    /// At least 1: `overrides.capacity`, or the type's default.
    pub capacity: u32,
    /// The file's `overrides` as written (including `capacity`), for settings this module does
    /// not interpret (e.g. `video`).
    pub overrides: Option<Map<String, Value>>,
}

/// A door: tiles of a wall that users with one of `allowed_roles` may pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Door {
    /// Unique among the world's doors.
    pub id: DoorId,
    /// Inside the map; at least one of its tiles is blocked by collision.
    pub bounds: TileRect,
    /// An existing zone.
    pub leads_to: ZoneId,
    /// The file's `access.type` (e.g. `"knock"`).
    pub access_type: String,
    /// Who passes. Empty: nobody.
    pub allowed_roles: Vec<Role>,
}

impl Door {
    /// Does a user with `roles` pass this door?
    pub fn admits(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.allowed_roles.contains(role))
    }
}

/// How an object is interacted with.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// The action `INTERACT_REQUEST` must name.
    pub action: InteractionAction,
    /// Another existing object the user must hold first (a computer needs its chair).
    pub requires: Option<ObjectId>,
}

/// An object of the world (desk, chair, computer, sofa...).
#[derive(Debug, Clone, PartialEq)]
pub struct WorldObject {
    /// Unique among the world's objects.
    pub id: ObjectId,
    /// The file's `type`, e.g. `"desk"`.
    pub object_type: String,
    /// Inside the map, on a tile no collision layer blocks.
    pub position: Position,
    /// Other existing objects, never itself.
    pub linked: Vec<ObjectId>,
    /// `None`: decoration, not interactive.
    pub interaction: Option<Interaction>,
    /// Whether it is locked while in use.
    pub occupancy: Occupancy,
}

/// Where users appear on world entry and after `REMOVE_FROM_ZONE`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnPoint {
    /// Unique among the world's spawn points.
    pub id: SpawnPointId,
    /// On a free tile whose zone (after the priority rule) is an OpenArea.
    pub position: Position,
}

/// A validated world. Built only by [`load_world`] / `TryFrom<WorldFile>`, so every invariant
/// documented on its parts holds, and it has at least one spawn point.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    id: WorldId,
    workspace: WorkspaceId,
    version: VersionFile,
    meta: MetaFile,
    map: TileMap,
    zones: Vec<Zone>,
    doors: Vec<Door>,
    objects: Vec<WorldObject>,
    spawn_points: Vec<SpawnPoint>,
}

impl World {
    /// The bundled demo world (open area, team area with desks and chairs, meeting room, private
    /// room behind an Admin/Editor door). See `demo.json`.
    pub fn demo() -> World {
        load_world(DEMO_WORLD_JSON).expect("demo.json is valid: demo_tests loads it")
    }

    /// `worldId`.
    pub fn id(&self) -> WorldId {
        self.id
    }
    /// `workspaceId`.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace
    }
    /// `version`, as written.
    pub fn version(&self) -> &VersionFile {
        &self.version
    }
    /// `meta.name`.
    pub fn name(&self) -> &str {
        &self.meta.name
    }
    /// `meta`, including the keys this module does not interpret.
    pub fn meta(&self) -> &MetaFile {
        &self.meta
    }
    /// The tile grid.
    pub fn map(&self) -> &TileMap {
        &self.map
    }
    /// The zones, in file order.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }
    /// The zone `id`.
    pub fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id.as_str() == id)
    }
    /// The doors, in file order.
    pub fn doors(&self) -> &[Door] {
        &self.doors
    }
    /// The door `id`.
    pub fn door(&self, id: &str) -> Option<&Door> {
        self.doors.iter().find(|d| d.id.as_str() == id)
    }
    /// The objects, in file order.
    pub fn objects(&self) -> &[WorldObject] {
        &self.objects
    }
    /// The object `id`.
    pub fn object(&self, id: &str) -> Option<&WorldObject> {
        self.objects.iter().find(|o| o.id.as_str() == id)
    }
    /// The spawn points, in file order; never empty, all in an OpenArea.
    pub fn spawn_points(&self) -> &[SpawnPoint] {
        &self.spawn_points
    }
    /// A spawn point in an OpenArea, for world entry and `REMOVE_FROM_ZONE`: the first one.
    pub fn open_area_spawn(&self) -> &SpawnPoint {
        self.spawn_points
            .first()
            .expect("validation rejects worlds without spawn points")
    }
    /// How many users `zone` holds: its `overrides.capacity`, or its type's default.
    pub fn zone_capacity(&self, zone: &Zone) -> u32 {
        zone.capacity
    }
}
