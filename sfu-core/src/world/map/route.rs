//! Routes on the map, for every client that walks a user somewhere the server will accept: the
//! app's click-to-walk, the reconnect walk-back and the bots. One planner: a breadth-first search
//! over tile centres, then straight lines over as many of them as the map allows, each segment
//! clear of walls and of doors the user's roles may not pass ([`World::segment_clear`]).

use std::collections::{HashMap, VecDeque};

use super::{World, ZoneId};
use crate::roles::Role;

/// A point in tiles, `(x, y)`.
pub type Point = (f64, f64);

/// Sample spacing, in tiles, when checking that a segment stays inside allowed zones.
const ZONE_SAMPLE: f64 = 0.1;

/// Where a route goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Destination<'a> {
    /// This point (a place to stand); the route ends exactly there.
    Point(Point),
    /// Anywhere inside this zone; the route ends at the first tile centre reached in it.
    Zone(&'a ZoneId),
}

/// What a route may cross, beyond walls and closed doors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bounds<'a> {
    /// Any zone (and the space between zones).
    Anywhere,
    /// Only these zones, all the way.
    Zones(&'a [ZoneId]),
}

/// May a user with `roles` walk straight from `a` to `b` within `bounds`?
pub fn straight_ok(world: &World, roles: &[Role], a: Point, b: Point, bounds: Bounds) -> bool {
    if world.segment_clear(a, b, roles).is_err() {
        return false;
    }
    let Bounds::Zones(zones) = bounds else {
        return true;
    };
    let samples = (distance(a, b) / ZONE_SAMPLE).ceil().max(1.0) as usize;
    (0..=samples).all(|i| {
        let p = lerp(a, b, i as f64 / samples as f64);
        world
            .zone_at(p.0, p.1)
            .is_some_and(|z| zones.contains(&z.id))
    })
}

/// Waypoints from `from` to `to` within `bounds`, each in plain sight of the one before (the
/// first of `from`); empty when already there. `None` when there is no way for these roles (or a
/// destination point is not a place to stand).
pub fn plan(
    world: &World,
    roles: &[Role],
    from: Point,
    to: Destination,
    bounds: Bounds,
) -> Option<Vec<Point>> {
    let within = |p: Point| match bounds {
        Bounds::Anywhere => true,
        Bounds::Zones(zones) => world
            .zone_at(p.0, p.1)
            .is_some_and(|z| zones.contains(&z.id)),
    };
    let arrived = |p: Point| match to {
        Destination::Point(goal) => tile_of(p) == tile_of(goal),
        Destination::Zone(zone) => world.zone_at(p.0, p.1).is_some_and(|z| &z.id == zone),
    };
    if let Destination::Point(goal) = to {
        world.can_stand(goal.0, goal.1, roles).ok()?;
        if straight_ok(world, roles, from, goal, bounds) {
            return Some(if goal == from { Vec::new() } else { vec![goal] });
        }
    } else if arrived(from) {
        return Some(Vec::new());
    }
    let open = |tile: (i64, i64)| {
        let p = centre(tile);
        world.can_stand(p.0, p.1, roles).is_ok() && within(p)
    };
    let start = tile_of(from);
    let mut came_from = HashMap::from([(start, start)]);
    let mut queue = VecDeque::from([start]);
    let goal = loop {
        let tile = queue.pop_front()?;
        if arrived(centre(tile)) {
            break tile;
        }
        let (tx, ty) = tile;
        for next in [(tx + 1, ty), (tx - 1, ty), (tx, ty + 1), (tx, ty - 1)] {
            if !came_from.contains_key(&next) && open(next) {
                came_from.insert(next, tile);
                queue.push_back(next);
            }
        }
    };
    let mut tiles = vec![goal];
    let mut tile = goal;
    while tile != start {
        tile = *came_from.get(&tile)?;
        tiles.push(tile);
    }
    tiles.reverse();
    let mut path: Vec<Point> = tiles.into_iter().map(centre).collect();
    if let (Destination::Point(goal), Some(last)) = (to, path.last_mut()) {
        *last = goal;
    }
    // Straight lines: from each waypoint on to the farthest one in plain sight.
    let mut route = Vec::new();
    let mut here = from;
    let mut at = 0;
    while at < path.len() {
        let reach = (at..path.len())
            .rev()
            .find(|&j| straight_ok(world, roles, here, path[j], bounds))
            .unwrap_or(at);
        here = path[reach];
        route.push(here);
        at = reach + 1;
    }
    Some(route)
}

/// A position walking along waypoints, a given distance at a time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Route {
    at: Point,
    waypoints: VecDeque<Point>,
}

impl Route {
    /// Standing at `at` with nowhere to go.
    pub fn at(at: Point) -> Self {
        Self {
            at,
            waypoints: VecDeque::new(),
        }
    }

    /// Walking from `at` through `waypoints`.
    pub fn new(at: Point, waypoints: impl IntoIterator<Item = Point>) -> Self {
        Self {
            at,
            waypoints: waypoints.into_iter().collect(),
        }
    }

    /// Moves up to `distance` tiles along the waypoints; returns the new position.
    pub fn advance(&mut self, distance: f64) -> Point {
        let mut left = distance;
        while let Some(&next) = self.waypoints.front() {
            let d = self::distance(self.at, next);
            if d <= left {
                self.at = next;
                self.waypoints.pop_front();
                left -= d;
            } else {
                self.at = lerp(self.at, next, left / d);
                break;
            }
        }
        self.at
    }

    /// Where it stands now.
    pub fn position(&self) -> Point {
        self.at
    }

    /// Where it ends (where it stands, when done).
    pub fn end(&self) -> Point {
        self.waypoints.back().copied().unwrap_or(self.at)
    }

    pub fn is_done(&self) -> bool {
        self.waypoints.is_empty()
    }

    /// Puts it at `at` with nowhere to go (the server moved the user).
    pub fn snap(&mut self, at: Point) {
        self.at = at;
        self.waypoints.clear();
    }
}

/// The distance between two points, in tiles.
pub fn distance(a: Point, b: Point) -> f64 {
    (b.0 - a.0).hypot(b.1 - a.1)
}

fn lerp(a: Point, b: Point, t: f64) -> Point {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

fn tile_of(p: Point) -> (i64, i64) {
    (p.0.floor() as i64, p.1.floor() as i64)
}

fn centre((tx, ty): (i64, i64)) -> Point {
    (tx as f64 + 0.5, ty as f64 + 0.5)
}
