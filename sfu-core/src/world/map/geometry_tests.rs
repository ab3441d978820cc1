//! Zone priority, collision, doors by role, segment moves, objects nearby.

use serde_json::json;

use super::geometry::resolve_zone;
use super::test_support::{W, accepted, fixture, load, push, set};
use super::{Blocked, DoorId, World, ZoneId};
use crate::roles::Role;

const ADMIN: &[Role] = &[Role::Admin];
const MEMBER: &[Role] = &[Role::Member];

fn world() -> World {
    load(&fixture()).expect("fixture is valid")
}

fn zone_id(world: &World, x: f64, y: f64) -> Option<&str> {
    world.zone_at(x, y).map(|z| z.id.as_str())
}

#[test]
fn the_most_specific_zone_wins() {
    let world = accepted(|f| {
        // A TeamArea over the wall and half of the PrivateRoom, a MeetingRoom in the open area.
        let team = json!({ "id": "team", "type": "TeamArea",
                           "bounds": { "x": 3, "y": 0, "width": 7, "height": 3 } });
        let meeting = json!({ "id": "meet", "type": "MeetingRoom",
                              "bounds": { "x": 0, "y": 6, "width": 3, "height": 2 } });
        push(f, "/zones", team);
        push(f, "/zones", meeting);
    });
    assert_eq!(
        zone_id(&world, 7.5, 1.5),
        Some("room"),
        "PrivateRoom inside TeamArea wins"
    );
    assert_eq!(zone_id(&world, 7.5, 5.5), Some("room"));
    assert_eq!(
        zone_id(&world, 3.5, 1.5),
        Some("team"),
        "TeamArea over OpenArea"
    );
    assert_eq!(
        zone_id(&world, 1.5, 6.5),
        Some("meet"),
        "MeetingRoom over OpenArea"
    );
    assert_eq!(zone_id(&world, 1.5, 4.5), Some("open-area"));
    assert_eq!(
        zone_id(&world, 6.0, 3.0),
        Some("room"),
        "left and top edges are inside"
    );
    assert_eq!(zone_id(&world, 2.999, 6.0), Some("meet"));
    assert_eq!(
        zone_id(&world, 3.0, 6.0),
        Some("open-area"),
        "right edge is outside"
    );
    assert_eq!(zone_id(&world, W as f64, 0.0), None, "off the map");
    assert_eq!(zone_id(&world, -0.5, 1.0), None);
    assert_eq!(zone_id(&world, f64::NAN, 1.0), None);
}

#[test]
fn equal_priority_ties_go_to_the_first_zone() {
    // Validation forbids such overlaps; resolution still has a defined answer.
    let mut zones = world().zones().to_vec();
    let mut copy = zones[1].clone();
    copy.id = ZoneId::new("room-copy");
    zones.push(copy);
    let got = resolve_zone(&zones, 7.5, 1.5).map(|z| z.id.as_str());
    assert_eq!(got, Some("room"));
}

#[test]
fn tiles_off_the_map_are_blocked() {
    let world = world();
    assert!(world.tile_blocked(5, 0), "wall");
    assert!(!world.tile_blocked(0, 0));
    assert!(!world.tile_blocked(9, 7));
    for (tx, ty) in [(-1, 0), (0, -1), (10, 0), (0, 8), (i64::MAX, i64::MIN)] {
        assert!(world.tile_blocked(tx, ty), "({tx}, {ty}) is off the map");
    }
    assert_eq!(
        world.door_at(5, 3).map(|d| d.id.as_str()),
        Some("room-door")
    );
    assert!(world.door_at(5, 2).is_none() && world.door_at(-5, 3).is_none());
}

#[test]
fn doors_admit_only_their_roles() {
    let world = world();
    let locked = Err(Blocked::DoorLocked {
        door: DoorId::new("room-door"),
        tx: 5,
        ty: 3,
    });
    assert_eq!(world.can_stand(5.5, 3.5, ADMIN), Ok(()));
    assert_eq!(
        world.can_stand(5.5, 3.5, &[Role::Guest, Role::Admin]),
        Ok(())
    );
    assert_eq!(world.can_stand(5.5, 3.5, MEMBER), locked);
    assert_eq!(
        world.can_stand(5.5, 3.5, &[]),
        locked,
        "no role passes no door"
    );
    assert_eq!(
        world.can_stand(5.5, 2.5, ADMIN),
        Err(Blocked::Collision { tx: 5, ty: 2 })
    );
    assert_eq!(world.can_stand(0.0, 0.0, MEMBER), Ok(()));
    assert_eq!(world.can_stand(9.99, 7.99, MEMBER), Ok(()));
}

#[test]
fn off_the_map_is_out_of_bounds() {
    let world = world();
    for (x, y) in [
        (-0.01, 1.0),
        (10.0, 1.0),
        (1.0, 8.0),
        (f64::NAN, 1.0),
        (1.0, f64::INFINITY),
    ] {
        assert_eq!(
            world.can_stand(x, y, ADMIN),
            Err(Blocked::OutOfBounds),
            "({x}, {y})"
        );
    }
    let err = world.segment_clear((1.5, 1.5), (1.5, 9.0), ADMIN);
    assert_eq!(err, Err(Blocked::OutOfBounds));
    assert_eq!(Blocked::OutOfBounds.correction_reason(), "invalid");
    assert_eq!(
        Blocked::Collision { tx: 0, ty: 0 }.correction_reason(),
        "collision"
    );
}

#[test]
fn segments_cannot_cross_walls() {
    let world = world();
    assert_eq!(
        world.segment_clear((2.5, 3.5), (8.5, 3.5), ADMIN),
        Ok(()),
        "through the door"
    );
    assert_eq!(
        world.segment_clear((8.5, 3.5), (2.5, 3.5), ADMIN),
        Ok(()),
        "and back"
    );
    let locked = Err(Blocked::DoorLocked {
        door: DoorId::new("room-door"),
        tx: 5,
        ty: 3,
    });
    assert_eq!(world.segment_clear((2.5, 3.5), (8.5, 3.5), MEMBER), locked);
    assert_eq!(world.segment_clear((8.5, 3.5), (2.5, 3.5), MEMBER), locked);
    // A short hop over the wall and a long fast move both touch the wall.
    let wall = |ty| Err(Blocked::Collision { tx: 5, ty });
    assert_eq!(world.segment_clear((4.9, 1.5), (6.1, 1.5), ADMIN), wall(1));
    assert_eq!(world.segment_clear((0.5, 0.5), (9.5, 7.5), ADMIN), wall(4));
    assert_eq!(world.segment_clear((9.5, 6.5), (0.5, 6.5), ADMIN), wall(6));
    assert_eq!(
        world.segment_clear((1.5, 1.5), (1.5, 1.5), MEMBER),
        Ok(()),
        "staying put"
    );
    assert_eq!(
        world.segment_clear((0.2, 7.9), (4.8, 0.1), MEMBER),
        Ok(()),
        "long diagonal, no wall"
    );
}

#[test]
fn diagonal_moves_cannot_slip_between_corner_walls() {
    // Walls at (1, 6) and (2, 7) meet at the corner point (2, 7).
    let world = accepted(|f| {
        set(f, &format!("/map/layers/1/tiles/{}", 6 * W + 1), json!(1));
        set(f, &format!("/map/layers/1/tiles/{}", 7 * W + 2), json!(1));
    });
    let got = world.segment_clear((1.5, 7.5), (2.5, 6.5), MEMBER);
    assert!(
        matches!(got, Err(Blocked::Collision { .. })),
        "slipped through: {got:?}"
    );
    assert_eq!(
        world.segment_clear((2.5, 5.5), (3.5, 4.5), MEMBER),
        Ok(()),
        "a free corner"
    );
}

#[test]
fn objects_and_spawn_points_are_found() {
    let world = world();
    let near = |r| -> Vec<&str> {
        world
            .objects_near(1.5, 2.0, r)
            .map(|o| o.id.as_str())
            .collect()
    };
    assert_eq!(
        near(0.5),
        ["desk-1", "chair-1"],
        "distance 0.5 counts as near"
    );
    assert!(near(0.4).is_empty());
    let desk = world.object("desk-1").expect("desk-1");
    assert_eq!(desk.linked.first().map(|id| id.as_str()), Some("chair-1"));
    assert!(world.object("lamp").is_none());
    assert_eq!(world.spawn_points().len(), 1);
    let spawn = world.open_area_spawn().position;
    assert_eq!(zone_id(&world, spawn.x, spawn.y), Some("open-area"));
    assert_eq!(
        world.door("room-door").map(|d| d.leads_to.as_str()),
        Some("room")
    );
}
