//! Walking the user's avatar, sans-IO: a click sets a goal, held keys set a direction, and each
//! [`Walker::step`] (time passed in) moves at a legal speed. A click is walked along a route
//! around walls and through the doors the user may pass ([`route::plan`], the planner the
//! reconnect walk-back and the bots use too); held keys slide along walls they meet. Neither
//! ever goes through a wall (the server would refuse the move anyway).

use std::time::Duration;

use sfu_core::roles::Role;
use sfu_core::world::map::World;
use sfu_core::world::map::route::{self, Bounds, Destination, Route};

/// Walking speed in tiles per second (the server allows about 8).
pub const SPEED: f64 = 5.0;

/// Closer than this to a goal counts as there.
const ARRIVED: f64 = 0.05;

/// A route is planned again when the user is found farther than this from where it led.
const OFF_ROUTE: f64 = 0.01;

#[derive(Debug, Clone, PartialEq)]
enum Goal {
    Idle,
    /// Walk to a point, then stop (planned at the next step).
    To(f64, f64),
    /// Walking a planned route to a point.
    Along(Route),
    /// Walk this way until told otherwise (components -1..1).
    Heading(f64, f64),
}

/// Where the user wants to go.
#[derive(Debug, Clone, PartialEq)]
pub struct Walker {
    goal: Goal,
}

impl Default for Walker {
    fn default() -> Self {
        Self { goal: Goal::Idle }
    }
}

impl Walker {
    /// Walk to `(x, y)` (a click).
    pub fn walk_to(&mut self, x: f64, y: f64) {
        self.goal = if x.is_finite() && y.is_finite() {
            Goal::To(x, y)
        } else {
            Goal::Idle
        };
    }

    /// Walk in a direction while keys are held; `(0, 0)` stops.
    pub fn walk(&mut self, dx: f64, dy: f64) {
        let (dx, dy) = (clamp_unit(dx), clamp_unit(dy));
        self.goal = if dx == 0.0 && dy == 0.0 {
            Goal::Idle
        } else {
            Goal::Heading(dx, dy)
        };
    }

    /// Stops walking (the server moved the user, or the world changed).
    pub fn stop(&mut self) {
        self.goal = Goal::Idle;
    }

    pub fn is_walking(&self) -> bool {
        self.goal != Goal::Idle
    }

    /// Where the user stands after `dt` of walking from `from`, or None when it does not move.
    pub fn step(
        &mut self,
        from: (f64, f64),
        dt: Duration,
        world: &World,
        roles: &[Role],
    ) -> Option<(f64, f64)> {
        let budget = SPEED * dt.as_secs_f64();
        if let Goal::To(x, y) = self.goal
            && let Some(waypoints) = route::plan(
                world,
                roles,
                from,
                Destination::Point((x, y)),
                Bounds::Anywhere,
            )
        {
            self.goal = Goal::Along(Route::new(from, waypoints));
        }
        if let Goal::Along(route) = &mut self.goal {
            if route::distance(route.position(), from) > OFF_ROUTE {
                // Moved by something else (a correction): plan again from here.
                self.goal = Goal::To(route.end().0, route.end().1);
                return self.step(from, dt, world, roles);
            }
            if route.is_done() {
                self.goal = Goal::Idle;
                return None;
            }
            let next = route.advance(budget);
            return (next != from).then_some(next);
        }
        let (dx, dy, length) = match self.goal {
            Goal::Idle | Goal::Along(_) => return None,
            Goal::To(x, y) => {
                // No route there: walk straight until something blocks the way.
                let (dx, dy) = (x - from.0, y - from.1);
                let distance = dx.hypot(dy);
                if distance < ARRIVED {
                    self.goal = Goal::Idle;
                    return None;
                }
                (dx / distance, dy / distance, budget.min(distance))
            }
            Goal::Heading(dx, dy) => {
                let norm = dx.hypot(dy);
                (dx / norm, dy / norm, budget)
            }
        };
        let tries = [
            (from.0 + dx * length, from.1 + dy * length),
            // Slide along whatever blocks the straight move.
            (from.0 + dx * length, from.1),
            (from.0, from.1 + dy * length),
        ];
        let next = tries
            .into_iter()
            .find(|&to| to != from && world.segment_clear(from, to, roles).is_ok());
        if next.is_none() && matches!(self.goal, Goal::To(..)) {
            // Stuck against a wall on the way to a click: give up rather than push forever.
            self.goal = Goal::Idle;
        }
        next
    }
}

fn clamp_unit(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(100);

    /// Steps until the walker stops or `max` steps pass; the last position.
    fn walk_until_still(
        walker: &mut Walker,
        mut at: (f64, f64),
        world: &World,
        max: usize,
    ) -> (f64, f64) {
        for _ in 0..max {
            match walker.step(at, TICK, world, &[Role::Member]) {
                Some(next) => {
                    let moved = (next.0 - at.0).hypot(next.1 - at.1);
                    assert!(
                        moved <= SPEED * TICK.as_secs_f64() + 1e-9,
                        "too fast: {moved}"
                    );
                    at = next;
                }
                None => break,
            }
        }
        at
    }

    #[test]
    fn a_click_is_reached_at_walking_speed_and_then_it_stops() {
        let world = World::demo();
        let mut walker = Walker::default();
        walker.walk_to(30.5, 14.5);
        let end = walk_until_still(&mut walker, (28.5, 22.5), &world, 100);
        assert!(
            (end.0 - 30.5).abs() < 0.06 && (end.1 - 14.5).abs() < 0.06,
            "{end:?}"
        );
        assert!(!walker.is_walking());
    }

    #[test]
    fn keys_walk_until_released() {
        let world = World::demo();
        let mut walker = Walker::default();
        walker.walk(1.0, 0.0);
        let next = walker.step((28.5, 22.5), TICK, &world, &[]).expect("moves");
        assert!(
            (next.0 - 29.0).abs() < 1e-9 && (next.1 - 22.5).abs() < 1e-9,
            "{next:?}"
        );
        walker.walk(0.0, 0.0);
        assert_eq!(walker.step(next, TICK, &world, &[]), None);
        walker.walk(f64::NAN, 0.0);
        assert!(!walker.is_walking(), "a NaN direction is no direction");
    }

    #[test]
    fn walls_stop_a_walk_and_it_slides_along_them() {
        let world = World::demo();
        // The private room's walls: a Member heading north into the room's south wall stops
        // below it, and heading north-east slides east along it.
        let mut walker = Walker::default();
        walker.walk(0.0, -1.0);
        let stopped = walk_until_still(&mut walker, (36.5, 14.5), &world, 50);
        assert!(stopped.1 > 11.0, "walked into the wall: {stopped:?}");
        walker.walk(1.0, -1.0);
        let slid = walker
            .step(stopped, TICK, &world, &[Role::Member])
            .expect("slides");
        assert!(slid.0 > stopped.0, "{slid:?}");
        assert!(world.can_stand(slid.0, slid.1, &[Role::Member]).is_ok());
    }

    #[test]
    fn a_click_into_a_walled_room_walks_round_through_its_door() {
        let world = World::demo();
        let roles = [Role::Member];
        // The meeting room (x 2..16, y 2..12) is walled off from the spawn: no straight line.
        let (from, to) = ((28.5, 22.5), (8.5, 6.5));
        assert!(world.segment_clear(from, to, &roles).is_err());
        let mut walker = Walker::default();
        walker.walk_to(to.0, to.1);
        let mut at = from;
        for _ in 0..2000 {
            let Some(next) = walker.step(at, TICK, &world, &roles) else {
                break;
            };
            assert!(
                world.segment_clear(at, next, &roles).is_ok(),
                "{at:?} -> {next:?} crosses a wall"
            );
            assert!((next.0 - at.0).hypot(next.1 - at.1) <= SPEED * TICK.as_secs_f64() + 1e-9);
            at = next;
        }
        assert_eq!(at, to, "arrived");
        assert!(!walker.is_walking());
    }

    #[test]
    fn a_correction_mid_route_plans_again_from_there() {
        let world = World::demo();
        let mut walker = Walker::default();
        walker.walk_to(8.5, 6.5);
        let first = walker
            .step((28.5, 22.5), TICK, &world, &[Role::Member])
            .expect("sets off");
        // The server put the user elsewhere: the walk goes on from there, legally.
        let moved = (26.5, 20.5);
        assert_ne!(first, moved);
        let next = walker
            .step(moved, TICK, &world, &[Role::Member])
            .expect("walks on");
        assert!(world.segment_clear(moved, next, &[Role::Member]).is_ok());
        assert!((next.0 - moved.0).hypot(next.1 - moved.1) <= SPEED * TICK.as_secs_f64() + 1e-9);
    }

    #[test]
    fn a_click_behind_a_wall_is_given_up() {
        let world = World::demo();
        let mut walker = Walker::default();
        walker.walk_to(36.5, 5.5); // inside the private room, straight north through its wall
        walk_until_still(&mut walker, (36.5, 14.5), &world, 200);
        assert!(!walker.is_walking());
    }
}
