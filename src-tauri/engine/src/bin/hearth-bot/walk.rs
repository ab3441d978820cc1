//! Walking bots on a world map, sans-IO (the caller ticks them and passes the randomness):
//! [`random_target`] picks where `hearth-bot world --walk random` sends its client next (the
//! client's own walker takes it there); [`ZoneWalk`] first walks a planned route into its home
//! zone, then wanders inside it only (`hearth-bot world-load`, whose thousands of users are bare
//! world sessions, not whole clients). Both only ever lead where the server will accept: every
//! segment passes [`World::segment_clear`] for the user's roles (routes come from the one planner
//! next to the map, [`route::plan`]).

use std::sync::Arc;

use rand::Rng;
use sfu_core::roles::Role;
use sfu_core::world::map::route::{self, Bounds, Destination, Point, Route, straight_ok};
use sfu_core::world::map::{World, ZoneId};

/// Random targets tried before giving up for this step.
const TARGET_TRIES: usize = 32;

/// A random standable point of `world` (a tile centre plus up to 0.3 tiles either way).
fn random_point(world: &World, rng: &mut impl Rng) -> Point {
    let map = world.map();
    let tx = rng.random_range(0..map.width());
    let ty = rng.random_range(0..map.height());
    (
        f64::from(tx) + 0.5 + rng.random_range(-0.3..0.3),
        f64::from(ty) + 0.5 + rng.random_range(-0.3..0.3),
    )
}

/// A random point `from` has a route to for a user with `roles`, if one is found in a few tries.
pub fn random_target(
    world: &World,
    roles: &[Role],
    from: Point,
    rng: &mut impl Rng,
) -> Option<Point> {
    (0..TARGET_TRIES)
        .map(|_| random_point(world, rng))
        .find(|to| {
            route::plan(
                world,
                roles,
                from,
                Destination::Point(*to),
                Bounds::Anywhere,
            )
            .is_some()
        })
}

/// Walks into its home zone along a planned route, then wanders inside it.
pub struct ZoneWalk {
    world: Arc<World>,
    roles: Vec<Role>,
    home: ZoneId,
    walker: Route,
    transit_step: f64,
    wander_step: f64,
}

impl ZoneWalk {
    /// A walk from `start` to `home` (through the zone it starts in only), moving
    /// `transit_step` tiles per tick on the way and `wander_step` once home. `None` when no route
    /// exists for these roles.
    pub fn new(
        world: Arc<World>,
        roles: Vec<Role>,
        start: Point,
        home: ZoneId,
        transit_step: f64,
        wander_step: f64,
    ) -> Option<Self> {
        let mut walk = Self {
            world,
            roles,
            home,
            walker: Route::at(start),
            transit_step,
            wander_step,
        };
        walk.plan().then_some(walk)
    }

    /// Whether the user stands in its home zone.
    pub fn at_home(&self) -> bool {
        let (x, y) = self.walker.position();
        self.world.zone_at(x, y).is_some_and(|z| z.id == self.home)
    }

    /// Plans the route home from the current position; false when there is none.
    fn plan(&mut self) -> bool {
        let from = self.walker.position();
        self.walker.snap(from);
        if self.at_home() {
            return true;
        }
        let Some(here) = self.world.zone_at(from.0, from.1).map(|z| z.id.clone()) else {
            return false;
        };
        let allowed = [here, self.home.clone()];
        let planned = route::plan(
            &self.world,
            &self.roles,
            from,
            Destination::Zone(&self.home),
            Bounds::Zones(&allowed),
        );
        match planned {
            Some(waypoints) => {
                self.walker = Route::new(from, waypoints);
                true
            }
            None => false,
        }
    }

    /// One tick: on the way home, the next step of the route; at home, a step towards a random
    /// target inside the zone (a new one when reached). Returns where the user now stands.
    pub fn step(&mut self, rng: &mut impl Rng) -> Point {
        if !self.walker.is_done() && !self.at_home() {
            return self.walker.advance(self.transit_step);
        }
        if !self.at_home() {
            return self.walker.position();
        }
        if self.walker.is_done() {
            let from = self.walker.position();
            let home = [self.home.clone()];
            let target = (0..TARGET_TRIES)
                .map(|_| random_point(&self.world, rng))
                .find(|to| straight_ok(&self.world, &self.roles, from, *to, Bounds::Zones(&home)));
            self.walker = Route::new(from, target);
        }
        self.walker.advance(self.wander_step)
    }

    /// The server put the user at `at`: plan again from there.
    pub fn snap(&mut self, at: Point) {
        self.walker.snap(at);
        self.plan();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use sfu_core::world::map::route::distance;

    const SPAWN: Point = (28.5, 22.5);

    fn zone_walk(home: &str, roles: &[Role]) -> ZoneWalk {
        ZoneWalk::new(
            Arc::new(World::demo()),
            roles.to_vec(),
            SPAWN,
            ZoneId::new(home),
            0.4,
            0.2,
        )
        .unwrap_or_else(|| panic!("a route to {home}"))
    }

    /// Walks `ticks` steps, checking every step is legal and stays in the start or home zone.
    fn walk_legally(walk: &mut ZoneWalk, ticks: usize) {
        let world = World::demo();
        let mut rng = StdRng::seed_from_u64(7);
        let mut at = walk.walker.position();
        for tick in 0..ticks {
            let next = walk.step(&mut rng);
            assert!(
                world.segment_clear(at, next, &walk.roles).is_ok(),
                "tick {tick}: {at:?} -> {next:?} crosses a wall"
            );
            assert!(distance(at, next) <= 0.4 + 1e-9, "tick {tick}: too fast");
            let zone = world
                .zone_at(next.0, next.1)
                .map(|z| z.id.as_str().to_owned());
            assert!(
                matches!(zone.as_deref(), Some(z) if z == "open-area" || z == walk.home.as_str()),
                "tick {tick}: strayed into {zone:?}"
            );
            at = next;
        }
    }

    #[test]
    fn zone_walks_reach_every_room_of_the_demo_and_stay_there() {
        for (home, roles) in [
            ("meeting-room", [Role::Member]),
            ("team-area", [Role::Member]),
            ("private-room", [Role::Admin]),
        ] {
            let mut walk = zone_walk(home, &roles);
            walk_legally(&mut walk, 200);
            assert!(walk.at_home(), "{home} reached within 200 ticks");
            walk_legally(&mut walk, 300);
            assert!(walk.at_home(), "{home}: still home after wandering");
        }
    }

    #[test]
    fn a_member_has_no_route_into_the_private_room() {
        let walk = ZoneWalk::new(
            Arc::new(World::demo()),
            vec![Role::Member],
            SPAWN,
            ZoneId::new("private-room"),
            0.4,
            0.2,
        );
        assert!(walk.is_none(), "the door admits Admin and Editor only");
    }

    #[test]
    fn random_targets_are_reachable_and_a_member_is_never_sent_into_the_private_room() {
        let world = World::demo();
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let to = random_target(&world, &[Role::Member], SPAWN, &mut rng).expect("a target");
            assert!(
                world.can_stand(to.0, to.1, &[Role::Member]).is_ok(),
                "{to:?}"
            );
            let zone = world.zone_at(to.0, to.1).map(|z| z.id.clone());
            assert_ne!(zone, Some(ZoneId::new("private-room")), "{to:?}");
        }
    }
}
