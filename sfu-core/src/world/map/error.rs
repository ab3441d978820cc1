//! [`WorldFileError`]: why a world file was rejected, naming the field at fault.

use std::fmt;

/// Why a world file could not be loaded: the JSON path of the field at fault (e.g.
/// `zones[2].bounds.width`, empty for the document itself) and what is wrong with it.
///
/// Displays as `path: reason`, e.g. `zones[2].bounds: extends past the map (x 30 + width 20 > map
/// width 40)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct WorldFileError {
    /// The JSON path of the field at fault, in `a.b[3].c` form; empty for the whole document.
    pub path: String,
    /// What is wrong with it.
    pub kind: WorldFileErrorKind,
}

impl WorldFileError {
    /// An error at `path`.
    pub(crate) fn new(path: impl Into<String>, kind: WorldFileErrorKind) -> Self {
        Self {
            path: path.into(),
            kind,
        }
    }

    /// The JSON path of the field at fault (empty for the whole document).
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for WorldFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "world file: {}", self.kind)
        } else {
            write!(f, "{}: {}", self.path, self.kind)
        }
    }
}

/// What is wrong with the field a [`WorldFileError`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldFileErrorKind {
    /// The text is not JSON. The path is where the parser stopped.
    #[error("invalid JSON at line {line} column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// Byte column of the error within its line.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A required field is absent; the path names the missing field.
    #[error("required field is missing")]
    Missing,
    /// A field has the wrong JSON type or an unknown value (zone type, role, action...).
    #[error("{message} (line {line} column {column})")]
    Shape {
        /// The decoder's message, e.g. "invalid type: string \"a\", expected u32".
        message: String,
        /// 1-based line of the offending value.
        line: usize,
        /// Byte column just after the offending value.
        column: usize,
    },
    /// `worldId` or `workspaceId` is not a UUID.
    #[error("not a UUID: {0:?}")]
    NotUuid(String),
    /// A size or capacity that must be a positive integer is not (zero, negative, fractional,
    /// too large or not a number); holds the value as written.
    #[error("must be a positive integer, got {0}")]
    NotPositive(String),
    /// `map.layers` is empty.
    #[error("the map needs at least one layer")]
    NoLayer,
    /// A layer's `tiles` does not hold `width * height` entries.
    #[error("holds {got} tiles, the map needs width * height = {want}")]
    TileCount {
        /// Entries in the layer.
        got: usize,
        /// `width * height`.
        want: u64,
    },
    /// A rectangle or position lies (partly) outside the map; the text says by how much.
    #[error("{0}")]
    OutsideMap(String),
    /// An id used earlier in the same list.
    #[error("duplicate id {id:?} (first used at {first})")]
    DuplicateId {
        /// The repeated id.
        id: String,
        /// The path of its first use.
        first: String,
    },
    /// A reference to a zone or object that the file does not define.
    #[error("refers to {what} {id:?}, which does not exist")]
    UnknownReference {
        /// "zone" or "object".
        what: &'static str,
        /// The missing id.
        id: String,
    },
    /// An object that links to or requires itself.
    #[error("object {0:?} refers to itself")]
    SelfReference(String),
    /// An object or spawn point on a tile a collision layer blocks.
    #[error("on blocked tile ({tx}, {ty})")]
    OnBlockedTile {
        /// Tile column.
        tx: u32,
        /// Tile row.
        ty: u32,
    },
    /// The file defines no spawn point.
    #[error("at least one spawn point is required")]
    NoSpawnPoint,
    /// A spawn point whose zone (after the priority rule) is not an OpenArea, so nobody removed
    /// from a zone could be sent there.
    #[error("resolves to zone {zone:?} ({zone_type}), spawn points must lie in an OpenArea")]
    SpawnNotInOpenArea {
        /// The zone the point resolves to, if any.
        zone: String,
        /// That zone's type, or "no zone".
        zone_type: String,
    },
    /// Two zones of the same priority overlap, so the priority rule cannot decide between them.
    #[error("overlaps {other} ({other_id:?}), a zone of the same type")]
    ZoneOverlap {
        /// The path of the other zone, e.g. `zones[1]`.
        other: String,
        /// The other zone's id.
        other_id: String,
    },
    /// A door none of whose tiles is blocked: a door is a gap in a wall.
    #[error("covers no blocked tile; a door must sit in a wall")]
    DoorNotInWall,
}
