//! Where things are: zone resolution, collision, doors and straight-line moves. Pure functions of
//! a [`World`], used by the world server to check `MOVE_INTENT` and presence positions.

use super::{Door, DoorId, TileMap, TileRect, World, WorldObject, Zone};
use crate::roles::Role;

/// Why a user cannot stand somewhere or move along a segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Blocked {
    /// The point is outside the map (or not a finite number).
    #[error("outside the map")]
    OutOfBounds,
    /// Tile `(tx, ty)` is blocked by a collision layer and no door covers it.
    #[error("tile ({tx}, {ty}) is blocked")]
    Collision {
        /// Tile column.
        tx: i64,
        /// Tile row.
        ty: i64,
    },
    /// Tile `(tx, ty)` belongs to `door`, which admits none of the user's roles.
    #[error("door {door} at ({tx}, {ty}) does not admit this user")]
    DoorLocked {
        /// The door.
        door: DoorId,
        /// Tile column.
        tx: i64,
        /// Tile row.
        ty: i64,
    },
}

impl Blocked {
    /// The `POSITION_CORRECTION.reason` for this: `invalid` off the map, else `collision`.
    pub fn correction_reason(&self) -> &'static str {
        match self {
            Blocked::OutOfBounds => "invalid",
            Blocked::Collision { .. } | Blocked::DoorLocked { .. } => "collision",
        }
    }
}

impl TileRect {
    /// Does the rectangle cover tile `(tx, ty)`?
    pub fn contains_tile(&self, tx: i64, ty: i64) -> bool {
        let (x, y) = (i64::from(self.x), i64::from(self.y));
        tx >= x && tx < x + i64::from(self.width) && ty >= y && ty < y + i64::from(self.height)
    }

    /// Does the rectangle cover point `(x, y)` (in tiles; right and bottom edges excluded)?
    pub fn contains_point(&self, x: f64, y: f64) -> bool {
        let (x0, y0) = (f64::from(self.x), f64::from(self.y));
        x >= x0 && x < x0 + f64::from(self.width) && y >= y0 && y < y0 + f64::from(self.height)
    }
}

impl TileMap {
    /// Is tile `(tx, ty)` inside the map and blocked by a collision layer?
    pub(super) fn is_blocked(&self, tx: u32, ty: u32) -> bool {
        if tx >= self.width || ty >= self.height {
            return false;
        }
        let index = u64::from(ty) * u64::from(self.width) + u64::from(tx);
        usize::try_from(index)
            .ok()
            .and_then(|i| self.blocked.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Tile `(tx, ty)` as map coordinates, if inside the map.
    fn tile(&self, tx: i64, ty: i64) -> Option<(u32, u32)> {
        let tx = u32::try_from(tx).ok().filter(|&x| x < self.width)?;
        let ty = u32::try_from(ty).ok().filter(|&y| y < self.height)?;
        Some((tx, ty))
    }
}

/// The zone at `(x, y)`: the highest [`ZoneType::priority`](super::ZoneType::priority) among the
/// zones covering the point, the first in file order on a tie.
pub(super) fn resolve_zone(zones: &[Zone], x: f64, y: f64) -> Option<&Zone> {
    let mut best: Option<&Zone> = None;
    for zone in zones.iter().filter(|z| z.bounds.contains_point(x, y)) {
        if best.is_none_or(|b| zone.zone_type.priority() > b.zone_type.priority()) {
            best = Some(zone);
        }
    }
    best
}

/// The tile holding coordinate `v`, for finite `v`; saturates far outside any map.
fn tile_of(v: f64) -> i64 {
    v.floor() as i64
}

impl World {
    /// The zone at `(x, y)` (in tiles): the most specific zone covering it (PrivateRoom >
    /// MeetingRoom > TeamArea > OpenArea), the first in the file on a tie; `None` if no zone
    /// covers it or a coordinate is not finite.
    pub fn zone_at(&self, x: f64, y: f64) -> Option<&Zone> {
        resolve_zone(&self.zones, x, y)
    }

    /// Is tile `(tx, ty)` blocked by a collision layer? Tiles outside the map are blocked.
    /// Doors are not considered (see [`World::can_stand`]).
    pub fn tile_blocked(&self, tx: i64, ty: i64) -> bool {
        match self.map.tile(tx, ty) {
            Some((tx, ty)) => self.map.is_blocked(tx, ty),
            None => true,
        }
    }

    /// The first door (in file order) covering tile `(tx, ty)`.
    pub fn door_at(&self, tx: i64, ty: i64) -> Option<&Door> {
        self.doors.iter().find(|d| d.bounds.contains_tile(tx, ty))
    }

    /// May a user with `roles` stand on tile `(tx, ty)`? A door tile admits exactly the door's
    /// allowed roles (whether or not the tile itself is a wall); any other tile admits everyone
    /// unless a collision layer blocks it.
    fn tile_passable(&self, tx: i64, ty: i64, roles: &[Role]) -> Result<(), Blocked> {
        if self.map.tile(tx, ty).is_none() {
            return Err(Blocked::OutOfBounds);
        }
        match self.door_at(tx, ty) {
            Some(door) if door.admits(roles) => Ok(()),
            Some(door) => Err(Blocked::DoorLocked {
                door: door.id.clone(),
                tx,
                ty,
            }),
            None if self.tile_blocked(tx, ty) => Err(Blocked::Collision { tx, ty }),
            None => Ok(()),
        }
    }

    /// May a user with `roles` stand at `(x, y)` (in tiles)?
    ///
    /// # Errors
    /// [`Blocked::OutOfBounds`] off the map or for a non-finite coordinate;
    /// [`Blocked::Collision`] on a wall; [`Blocked::DoorLocked`] on a door that admits none of
    /// `roles` (an empty `roles` passes no door).
    pub fn can_stand(&self, x: f64, y: f64, roles: &[Role]) -> Result<(), Blocked> {
        if !x.is_finite() || !y.is_finite() {
            return Err(Blocked::OutOfBounds);
        }
        self.tile_passable(tile_of(x), tile_of(y), roles)
    }

    /// May a user with `roles` move in a straight line from `from` to `to` (both `(x, y)` in
    /// tiles)? Every tile the segment touches must be passable, including both tiles beside a
    /// corner it crosses exactly, so no move slips between two walls that meet at a corner or
    /// jumps over a wall however long it is.
    ///
    /// # Errors
    /// The first obstacle along the segment, as for [`World::can_stand`].
    pub fn segment_clear(
        &self,
        from: (f64, f64),
        to: (f64, f64),
        roles: &[Role],
    ) -> Result<(), Blocked> {
        self.can_stand(from.0, from.1, roles)?;
        self.can_stand(to.0, to.1, roles)?;
        // Amanatides & Woo grid traversal: step into whichever tile border the segment reaches
        // next. Both end points are on the map, so it visits at most width + height tiles.
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let (mut tx, mut ty) = (tile_of(from.0), tile_of(from.1));
        let (end_x, end_y) = (tile_of(to.0), tile_of(to.1));
        let (step_x, mut next_x, delta_x) = axis(from.0, dx);
        let (step_y, mut next_y, delta_y) = axis(from.1, dy);
        let budget = (end_x - tx).abs() + (end_y - ty).abs();
        for _ in 0..budget {
            if (tx, ty) == (end_x, end_y) || next_x.min(next_y) > 1.0 {
                break;
            }
            if next_x < next_y {
                tx += step_x;
                next_x += delta_x;
            } else if next_y < next_x {
                ty += step_y;
                next_y += delta_y;
            } else {
                // Exactly through a corner: both side tiles must be free.
                self.tile_passable(tx + step_x, ty, roles)?;
                self.tile_passable(tx, ty + step_y, roles)?;
                tx += step_x;
                ty += step_y;
                next_x += delta_x;
                next_y += delta_y;
            }
            self.tile_passable(tx, ty, roles)?;
        }
        Ok(())
    }

    /// Objects whose position lies within `radius` tiles of `(x, y)`, in file order.
    pub fn objects_near(&self, x: f64, y: f64, radius: f64) -> impl Iterator<Item = &WorldObject> {
        self.objects.iter().filter(move |o| {
            let (ox, oy) = (o.position.x - x, o.position.y - y);
            ox * ox + oy * oy <= radius * radius
        })
    }
}

/// For one axis of a traversal starting at `start` and moving `delta` over the whole segment:
/// the tile step (-1, 0, 1), the segment fraction at which the first tile border is crossed, and
/// the fraction between borders.
fn axis(start: f64, delta: f64) -> (i64, f64, f64) {
    if delta > 0.0 {
        (1, (start.floor() + 1.0 - start) / delta, 1.0 / delta)
    } else if delta < 0.0 {
        (-1, (start - start.floor()) / -delta, 1.0 / -delta)
    } else {
        (0, f64::INFINITY, f64::INFINITY)
    }
}
