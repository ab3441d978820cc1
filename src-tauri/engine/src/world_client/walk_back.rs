//! Walking this user back to where it stood before a reconnect (sans-IO: time is passed in).
//!
//! A rejoin puts the user at a spawn point, and the server accepts only moves that keep under
//! its speed limit and clear of walls and closed doors. So the way back is planned on the world
//! file ([`route::plan`]) and walked in small steps, one presence update per [`STEP_INTERVAL`].

use std::time::{Duration, Instant};

use sfu_core::roles::Role;
use sfu_core::world::map::World;
use sfu_core::world::map::route::{self, Bounds, Destination, Route};
use sfu_core::world::wire::Position;

/// Walking speed on the way back, in tiles per second: under the server's limit of 8 with
/// room for timer jitter.
pub const WALK_BACK_SPEED: f64 = 6.0;

/// Time between two steps: a little over the 15 Hz presence limit, so no step waits.
pub const STEP_INTERVAL: Duration = Duration::from_millis(70);

/// The way back to a position, walked one step at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkBack {
    route: Route,
    target: Position,
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
        let from_point = (from.x, from.y);
        let to_point = (to.x, to.y);
        let waypoints = route::plan(
            world,
            roles,
            from_point,
            Destination::Point(to_point),
            Bounds::Anywhere,
        )?;
        Some(Self {
            route: Route::new(from_point, waypoints),
            target: to,
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
        let (x, y) = self
            .route
            .advance(WALK_BACK_SPEED * STEP_INTERVAL.as_secs_f64());
        Some(Position::new(x, y))
    }

    /// Where the walk ends.
    pub fn target(&self) -> Position {
        self.target
    }

    /// Whether the walk has arrived.
    pub fn is_done(&self) -> bool {
        self.route.is_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAWN: Position = Position { x: 28.5, y: 22.5 };

    fn clear(world: &World, roles: &[Role], a: Position, b: Position) -> bool {
        world.segment_clear((a.x, a.y), (b.x, b.y), roles).is_ok()
    }

    fn distance(a: Position, b: Position) -> f64 {
        route::distance((a.x, a.y), (b.x, b.y))
    }

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
