use super::World;
use super::ZoneId;
use super::route::{Bounds, Destination, Point, Route, distance, plan, straight_ok};
use crate::roles::Role;

const SPAWN: Point = (28.5, 22.5);

/// Checks every leg of `route` from `from` is legal within `bounds`; returns its end.
fn walk(world: &World, roles: &[Role], from: Point, route: &[Point], bounds: Bounds) -> Point {
    let mut at = from;
    for &next in route {
        assert!(
            straight_ok(world, roles, at, next, bounds),
            "{at:?} -> {next:?} crosses a wall or leaves the allowed zones"
        );
        at = next;
    }
    at
}

#[test]
fn a_point_behind_walls_is_reached_through_a_door() {
    let world = World::demo();
    let roles = [Role::Member];
    // The meeting room (x 2..16, y 2..12) is walled off from the spawn.
    let to = (8.5, 6.5);
    assert!(!straight_ok(&world, &roles, SPAWN, to, Bounds::Anywhere));
    let route = plan(
        &world,
        &roles,
        SPAWN,
        Destination::Point(to),
        Bounds::Anywhere,
    )
    .expect("a way in");
    assert!(route.len() >= 2, "goes round: {route:?}");
    assert_eq!(walk(&world, &roles, SPAWN, &route, Bounds::Anywhere), to);
}

#[test]
fn a_door_the_roles_may_not_pass_has_no_route_and_a_wall_is_no_destination() {
    let world = World::demo();
    // Inside the private room, whose door admits Admins and Editors only.
    let inside = (40.5, 6.5);
    let to = Destination::Point(inside);
    assert_eq!(
        plan(&world, &[Role::Member], SPAWN, to, Bounds::Anywhere),
        None
    );
    let route = plan(&world, &[Role::Admin], SPAWN, to, Bounds::Anywhere).expect("admins");
    assert_eq!(
        walk(&world, &[Role::Admin], SPAWN, &route, Bounds::Anywhere),
        inside
    );
    // Off the map.
    let off = Destination::Point((-5.0, 3.0));
    assert_eq!(
        plan(&world, &[Role::Admin], SPAWN, off, Bounds::Anywhere),
        None
    );
}

#[test]
fn a_zone_is_reached_crossing_only_the_allowed_zones() {
    let world = World::demo();
    let roles = [Role::Member];
    let (open, home) = (ZoneId::new("open-area"), ZoneId::new("meeting-room"));
    let allowed = [open, home.clone()];
    let bounds = Bounds::Zones(&allowed);
    let route = plan(&world, &roles, SPAWN, Destination::Zone(&home), bounds).expect("a route");
    let end = walk(&world, &roles, SPAWN, &route, bounds);
    assert_eq!(world.zone_at(end.0, end.1).map(|z| &z.id), Some(&home));
    // Already inside: nowhere to go.
    let inside = plan(&world, &roles, end, Destination::Zone(&home), bounds);
    assert_eq!(inside, Some(Vec::new()));
    let here = plan(
        &world,
        &roles,
        SPAWN,
        Destination::Point(SPAWN),
        Bounds::Anywhere,
    );
    assert_eq!(here, Some(Vec::new()));
}

#[test]
fn a_route_is_walked_a_distance_at_a_time() {
    let mut route = Route::new((0.0, 0.0), [(3.0, 0.0), (3.0, 4.0)]);
    assert_eq!(route.end(), (3.0, 4.0));
    assert_eq!(route.advance(2.0), (2.0, 0.0));
    // Round the corner: 1 tile to it, 1 beyond.
    assert_eq!(route.advance(2.0), (3.0, 1.0));
    assert!(!route.is_done());
    assert_eq!(route.advance(10.0), (3.0, 4.0));
    assert!(route.is_done());
    assert_eq!(route.advance(1.0), (3.0, 4.0), "stays at the end");
    route.snap((1.0, 1.0));
    assert_eq!((route.position(), route.end()), ((1.0, 1.0), (1.0, 1.0)));
    assert!((distance((0.0, 0.0), (3.0, 4.0)) - 5.0).abs() < 1e-12);
}
