//! Walking this user back to where it stood before a reconnect (sans-IO: time is passed in).
//!
//! A rejoin puts the user at a spawn point, and the server accepts only moves that keep under
//! its speed limit and clear of walls and closed doors. So the way back is planned on the world
//! file (a breadth-first search over tile centres, then straight lines over as many of them as
//! the map allows) and walked in small steps, one presence update per [`STEP_INTERVAL`].

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use sfu_core::roles::Role;
use sfu_core::world::map::World;
use sfu_core::world::wire::Position;

/// Walking speed on the way back, in tiles per second: under the server's limit of 8 with
/// room for timer jitter.
pub const WALK_BACK_SPEED: f64 = 6.0;

/// Time between two steps: a little over the 15 Hz presence limit, so no step waits.
pub const STEP_INTERVAL: Duration = Duration::from_millis(70);

/// The way back to a position, walked one step at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkBack {
    at: Position,
    target: Position,
    waypoints: VecDeque<Position>,
    next_step: Instant,
}

impl WalkBack {
    /// Plans the way from `from` to `to` for a user with `roles`, the first step due at `now`.
    /// `None` when there is no way (or `to` is not a place to stand).
    pub fn plan(
        world: &World,
        roles: &[Role],
        from: Position,
        to: Position,
        now: Instant,
    ) -> Option<Self> {
        let waypoints = route(world, roles, from, to)?;
        Some(Self {
            at: from,
            target: to,
            waypoints: waypoints.into(),
            next_step: now,
        })
    }

    /// When the next step is due.
    pub fn poll_timeout(&self) -> Instant {
        self.next_step
    }

    /// The next position to report when a step is due at `now`: at most
    /// `WALK_BACK_SPEED * STEP_INTERVAL` tiles on from the last. `None` when no step is due.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Position> {
        if now < self.next_step || self.is_done() {
            return None;
        }
        self.next_step = now + STEP_INTERVAL;
        let mut left = WALK_BACK_SPEED * STEP_INTERVAL.as_secs_f64();
        while let Some(&next) = self.waypoints.front() {
            let d = distance(self.at, next);
            if d <= left {
                self.at = next;
                self.waypoints.pop_front();
                left -= d;
            } else {
                let t = left / d;
                self.at = Position::new(
                    self.at.x + (next.x - self.at.x) * t,
                    self.at.y + (next.y - self.at.y) * t,
                );
                break;
            }
        }
        Some(self.at)
    }

    /// Where the walk ends.
    pub fn target(&self) -> Position {
        self.target
    }

    /// Whether the walk has arrived.
    pub fn is_done(&self) -> bool {
        self.waypoints.is_empty()
    }
}

fn distance(a: Position, b: Position) -> f64 {
    (b.x - a.x).hypot(b.y - a.y)
}

fn clear(world: &World, roles: &[Role], a: Position, b: Position) -> bool {
    world.segment_clear((a.x, a.y), (b.x, b.y), roles).is_ok()
}

/// Waypoints from `from` to `to` (the last one is `to`), each in plain sight of the one before.
fn route(world: &World, roles: &[Role], from: Position, to: Position) -> Option<Vec<Position>> {
    if clear(world, roles, from, to) {
        return Some(vec![to]);
    }
    world.can_stand(to.x, to.y, roles).ok()?;
    let tile = |p: Position| (p.x.floor() as i64, p.y.floor() as i64);
    let centre = |(tx, ty): (i64, i64)| Position::new(tx as f64 + 0.5, ty as f64 + 0.5);
    let (start, goal) = (tile(from), tile(to));
    let mut came_from = HashMap::from([(start, start)]);
    let mut queue = VecDeque::from([start]);
    while let Some(here) = queue.pop_front() {
        if here == goal {
            break;
        }
        let (tx, ty) = here;
        for next in [(tx + 1, ty), (tx - 1, ty), (tx, ty + 1), (tx, ty - 1)] {
            let (x, y) = (next.0 as f64 + 0.5, next.1 as f64 + 0.5);
            if !came_from.contains_key(&next) && world.can_stand(x, y, roles).is_ok() {
                came_from.insert(next, here);
                queue.push_back(next);
            }
        }
    }
    let mut tiles = vec![goal];
    let mut tile_at = goal;
    while tile_at != start {
        tile_at = *came_from.get(&tile_at)?;
        tiles.push(tile_at);
    }
    tiles.reverse();
    let mut path: Vec<Position> = tiles.into_iter().map(centre).collect();
    if let Some(last) = path.last_mut() {
        *last = to;
    }
    // Straight lines: from each waypoint on to the farthest one in plain sight.
    let mut route = Vec::new();
    let mut here = from;
    let mut at = 0;
    while at < path.len() {
        let reach = (at..path.len())
            .rev()
            .find(|&j| clear(world, roles, here, path[j]))
            .unwrap_or(at);
        here = path[reach];
        route.push(here);
        at = reach + 1;
    }
    Some(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAWN: Position = Position { x: 28.5, y: 22.5 };

    /// Walks to the end, checking that every step is legal for the server.
    fn walk_all(world: &World, roles: &[Role], mut walk: WalkBack, t0: Instant) -> Position {
        let mut at = SPAWN;
        let mut now = t0;
        for step in 0..10_000 {
            if walk.is_done() {
                return at;
            }
            assert_eq!(walk.handle_timeout(now - Duration::from_millis(1)), None);
            let next = walk.handle_timeout(now).expect("a step is due");
            assert!(
                clear(world, roles, at, next),
                "step {step}: {at:?} -> {next:?} crosses a wall"
            );
            let max = WALK_BACK_SPEED * STEP_INTERVAL.as_secs_f64() + 1e-9;
            assert!(distance(at, next) <= max, "step {step} is too long");
            at = next;
            now = walk.poll_timeout();
        }
        panic!("the walk never arrived");
    }

    #[test]
    fn the_walk_back_reaches_a_room_behind_walls_in_legal_steps() {
        let world = World::demo();
        let roles = [Role::Member];
        let t0 = Instant::now();
        // The meeting room (x 2..16, y 2..12) is walled off from the spawn.
        let to = Position::new(8.5, 6.5);
        assert!(!clear(&world, &roles, SPAWN, to), "needs a route");
        let walk = WalkBack::plan(&world, &roles, SPAWN, to, t0).expect("a way in");
        assert_eq!(walk.poll_timeout(), t0, "the first step is due at once");
        assert_eq!(walk_all(&world, &roles, walk, t0), to);
    }

    #[test]
    fn no_walk_back_into_a_wall_or_through_a_door_the_user_may_not_pass() {
        let world = World::demo();
        let t0 = Instant::now();
        // Inside the private room, whose door admits Admins and Editors only.
        let inside = Position::new(40.5, 6.5);
        assert!(WalkBack::plan(&world, &[Role::Member], SPAWN, inside, t0).is_none());
        let walk = WalkBack::plan(&world, &[Role::Admin], SPAWN, inside, t0).expect("admins");
        assert_eq!(walk_all(&world, &[Role::Admin], walk, t0), inside);
    }
}
