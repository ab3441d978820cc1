//! The world file as written on disk (SPEC section 6, camelCase JSON), and its decoding with
//! errors that name the field at fault.
//!
//! These types only check JSON shape; `validate.rs` turns a [`WorldFile`] into a [`World`].
//! Optional in the file: `doors` and `objects` (default empty), a layer's `collision` (default
//! false), a zone's `overrides`, an object's `linkedObjects` (default empty) and `interaction`
//! (absent: not interactive), and `interaction.requires`. Unknown keys are ignored, except in
//! `meta` and `overrides`, which keep them.

use serde::{Deserialize, Serialize};
use serde_json::error::Category;
use serde_json::{Map, Value};

use super::error::{WorldFileError, WorldFileErrorKind};
use super::path::{join, offset_of, path_at};
use super::{InteractionAction, Occupancy, TileRect, World, ZoneType};
use crate::roles::Role;

/// A whole world file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorldFile {
    /// A UUID.
    pub world_id: String,
    /// A UUID.
    pub workspace_id: String,
    /// The file's version, e.g. `"1.0.0"` or `1`.
    pub version: VersionFile,
    /// Informational: `name` and anything else (`createdAt`, `createdBy`...).
    pub meta: MetaFile,
    /// The tile grid.
    pub map: MapFile,
    /// The zones.
    pub zones: Vec<ZoneFile>,
    /// The doors.
    #[serde(default)]
    pub doors: Vec<DoorFile>,
    /// The objects.
    #[serde(default)]
    pub objects: Vec<ObjectFile>,
    /// The spawn points.
    pub spawn_points: Vec<SpawnPointFile>,
}

/// `version`: a string (`"1.0.0"`, as in the Proxima docs) or a non-negative integer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a version string or a non-negative integer")]
pub enum VersionFile {
    /// A version string.
    Text(String),
    /// A version number.
    Number(u64),
}

/// `meta`: a required `name`, other keys kept as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaFile {
    /// The world's display name.
    pub name: String,
    /// Every other key, as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `map`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapFile {
    /// The tile set's name.
    pub tile_set: String,
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Layers, bottom first.
    pub layers: Vec<LayerFile>,
}

/// `map.layers[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFile {
    /// The layer's name.
    pub id: String,
    /// Row-major tile numbers, `width * height` of them.
    pub tiles: Vec<u32>,
    /// Non-zero tiles of a collision layer are blocked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub collision: bool,
}

/// `bounds`: a rectangle of whole tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RectFile {
    /// Leftmost column.
    pub x: u32,
    /// Topmost row.
    pub y: u32,
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
}

/// `position`, in tiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PositionFile {
    /// Column.
    pub x: f64,
    /// Row.
    pub y: f64,
}

/// `zones[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneFile {
    /// Unique among zones.
    pub id: String,
    /// `type`.
    #[serde(rename = "type")]
    pub zone_type: ZoneType,
    /// The tiles covered.
    pub bounds: RectFile,
    /// `capacity` (a positive integer) and settings kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Map<String, Value>>,
}

/// `doors[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoorFile {
    /// Unique among doors.
    pub id: String,
    /// The door's tiles, in a wall.
    pub bounds: RectFile,
    /// A zone id.
    pub leads_to_zone: String,
    /// Who passes.
    pub access: DoorAccessFile,
}

/// `doors[i].access`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoorAccessFile {
    /// `type`, e.g. `"knock"`.
    #[serde(rename = "type")]
    pub access_type: String,
    /// Roles that pass.
    pub allowed_roles: Vec<Role>,
}

/// `objects[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectFile {
    /// Unique among objects.
    pub id: String,
    /// `type`, e.g. `"desk"`.
    #[serde(rename = "type")]
    pub object_type: String,
    /// Where it stands.
    pub position: PositionFile,
    /// Other object ids.
    #[serde(default)]
    pub linked_objects: Vec<String>,
    /// How it is used; absent for decoration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<InteractionFile>,
    /// `"single"` or `"multiple"`.
    pub occupancy: Occupancy,
}

/// `objects[i].interaction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionFile {
    /// `sit`, `use` or `attach`.
    pub action: InteractionAction,
    /// An object id that must be held first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
}

/// `spawnPoints[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpawnPointFile {
    /// Unique among spawn points.
    pub id: String,
    /// Where users appear.
    pub position: PositionFile,
}

/// Decodes the JSON shape of a world file; errors carry the path of the field at fault.
pub(super) fn parse(json: &str) -> Result<WorldFile, WorldFileError> {
    serde_json::from_str(json).map_err(|err| locate(json, &err))
}

/// Converts a decoder error into a [`WorldFileError`] at the path where the decoder stopped.
fn locate(json: &str, err: &serde_json::Error) -> WorldFileError {
    let (line, column) = (err.line(), err.column());
    let path = path_at(json, offset_of(json, line, column));
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    match err.classify() {
        Category::Data => {
            // The decoder reports a missing field once the object is closed, so `path` names the
            // object and the field comes from the message.
            let missing = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.strip_suffix('`'));
            match missing {
                Some(field) => WorldFileError::new(join(&path, field), WorldFileErrorKind::Missing),
                None => WorldFileError::new(
                    path,
                    WorldFileErrorKind::Shape {
                        message,
                        line,
                        column,
                    },
                ),
            }
        }
        Category::Syntax | Category::Eof | Category::Io => WorldFileError::new(
            path,
            WorldFileErrorKind::Syntax {
                line,
                column,
                message,
            },
        ),
    }
}

impl From<TileRect> for RectFile {
    fn from(r: TileRect) -> Self {
        RectFile {
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
        }
    }
}

/// Writes a world back as a file; loading the result gives an equal [`World`].
impl From<&World> for WorldFile {
    fn from(w: &World) -> Self {
        let pos = |p: super::Position| PositionFile { x: p.x, y: p.y };
        WorldFile {
            world_id: w.id.to_string(),
            workspace_id: w.workspace.to_string(),
            version: w.version.clone(),
            meta: w.meta.clone(),
            map: MapFile {
                tile_set: w.map.tile_set.clone(),
                width: w.map.width,
                height: w.map.height,
                layers: (w.map.layers.iter())
                    .map(|l| LayerFile {
                        id: l.id.clone(),
                        tiles: l.tiles.clone(),
                        collision: l.collision,
                    })
                    .collect(),
            },
            zones: (w.zones.iter())
                .map(|z| ZoneFile {
                    id: z.id.to_string(),
                    zone_type: z.zone_type,
                    bounds: z.bounds.into(),
                    overrides: z.overrides.clone(),
                })
                .collect(),
            doors: (w.doors.iter())
                .map(|d| DoorFile {
                    id: d.id.to_string(),
                    bounds: d.bounds.into(),
                    leads_to_zone: d.leads_to.to_string(),
                    access: DoorAccessFile {
                        access_type: d.access_type.clone(),
                        allowed_roles: d.allowed_roles.clone(),
                    },
                })
                .collect(),
            objects: (w.objects.iter())
                .map(|o| ObjectFile {
                    id: o.id.to_string(),
                    object_type: o.object_type.clone(),
                    position: pos(o.position),
                    linked_objects: o.linked.iter().map(ToString::to_string).collect(),
                    interaction: o.interaction.as_ref().map(|i| InteractionFile {
                        action: i.action,
                        requires: i.requires.as_ref().map(ToString::to_string),
                    }),
                    occupancy: o.occupancy,
                })
                .collect(),
            spawn_points: (w.spawn_points.iter())
                .map(|s| SpawnPointFile {
                    id: s.id.to_string(),
                    position: pos(s.position),
                })
                .collect(),
        }
    }
}
