//! The bundled demo world keeps the promises the rest of Hearth relies on.
//!
//! ```text
//! 48 x 32 tiles, walls (#) all around and:
//!   meeting-room  MeetingRoom  (2,2) 14x10, walled, open doorway at (8..9, 11)
//!   private-room  PrivateRoom  (34,2) 12x10, walled, door "private-room-door" at (39..40, 11)
//!                              in the wall, Admin and Editor only
//!   team-area     TeamArea     (4,16) 20x12, open plan: desk-1..4 and computer-1..2, each with
//!                              chair-1..6 on the tile below
//!   open-area     OpenArea     (0,0) 48x32, spawn-1..4 around (28..30, 22..24)
//! ```

use std::collections::{HashSet, VecDeque};

use super::{Blocked, DoorId, InteractionAction, Occupancy, World, ZoneType};
use crate::roles::Role;

/// Tiles reachable from `start` by 4-neighbour steps between tile centres a user with `roles`
/// may take.
fn reachable(world: &World, start: (i64, i64), roles: &[Role]) -> HashSet<(i64, i64)> {
    let centre = |(tx, ty): (i64, i64)| (tx as f64 + 0.5, ty as f64 + 0.5);
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some((tx, ty)) = queue.pop_front() {
        for next in [(tx + 1, ty), (tx - 1, ty), (tx, ty + 1), (tx, ty - 1)] {
            if !seen.contains(&next)
                && world
                    .segment_clear(centre((tx, ty)), centre(next), roles)
                    .is_ok()
            {
                seen.insert(next);
                queue.push_back(next);
            }
        }
    }
    seen
}

fn spawn_tile(world: &World) -> (i64, i64) {
    let p = world.open_area_spawn().position;
    (p.x.floor() as i64, p.y.floor() as i64)
}

#[test]
fn the_demo_has_the_expected_zones() {
    let world = World::demo();
    assert_eq!((world.map().width(), world.map().height()), (48, 32));
    let zones: Vec<(&str, ZoneType)> = world
        .zones()
        .iter()
        .map(|z| (z.id.as_str(), z.zone_type))
        .collect();
    assert_eq!(
        zones,
        [
            ("open-area", ZoneType::OpenArea),
            ("team-area", ZoneType::TeamArea),
            ("meeting-room", ZoneType::MeetingRoom),
            ("private-room", ZoneType::PrivateRoom),
        ]
    );
    let open = world.zone("open-area").expect("open-area");
    assert_eq!(
        (open.bounds.width, open.bounds.height),
        (48, 32),
        "covers the whole map"
    );
    let layers: Vec<(&str, bool)> = world
        .map()
        .layers()
        .iter()
        .map(|l| (l.id.as_str(), l.collision))
        .collect();
    assert_eq!(layers, [("floor", false), ("walls", true)]);
}

#[test]
fn spawn_points_resolve_to_the_open_area() {
    let world = World::demo();
    assert!(world.spawn_points().len() >= 2);
    for spawn in world.spawn_points() {
        let (x, y) = (spawn.position.x, spawn.position.y);
        assert_eq!(
            world.zone_at(x, y).map(|z| z.id.as_str()),
            Some("open-area"),
            "{}",
            spawn.id
        );
        assert_eq!(
            world.can_stand(x, y, &[Role::Guest]),
            Ok(()),
            "{}",
            spawn.id
        );
    }
}

#[test]
fn the_team_area_fits_ten_avatars_reachable_from_spawn() {
    let world = World::demo();
    let from_spawn = reachable(&world, spawn_tile(&world), &[Role::Guest]);
    let team_tiles = from_spawn
        .iter()
        .filter(|&&(tx, ty)| {
            let zone = world.zone_at(tx as f64 + 0.5, ty as f64 + 0.5);
            zone.map(|z| z.id.as_str()) == Some("team-area")
        })
        .count();
    assert!(
        team_tiles >= 10,
        "only {team_tiles} standable team-area tiles"
    );
    let team = world.zone("team-area").expect("team-area");
    assert!(world.zone_capacity(team) >= 10);
}

#[test]
fn the_meeting_room_is_walled_with_an_open_doorway() {
    let world = World::demo();
    let inside = (8.5, 6.5);
    assert_eq!(
        world.zone_at(inside.0, inside.1).map(|z| z.id.as_str()),
        Some("meeting-room")
    );
    assert_eq!(
        world.segment_clear((8.5, 13.5), inside, &[Role::Guest]),
        Ok(()),
        "doorway"
    );
    let through_wall = world.segment_clear((4.5, 13.5), (4.5, 6.5), &[Role::Admin]);
    assert_eq!(through_wall, Err(Blocked::Collision { tx: 4, ty: 11 }));
    let guests = reachable(&world, spawn_tile(&world), &[Role::Guest]);
    assert!(guests.contains(&(8, 6)), "guests reach the meeting room");
}

#[test]
fn the_private_room_opens_only_through_its_door_for_admin_and_editor() {
    let world = World::demo();
    let interior = (40, 6);
    assert_eq!(
        world.zone_at(40.5, 6.5).map(|z| z.id.as_str()),
        Some("private-room")
    );
    for roles in [&[Role::Admin][..], &[Role::Editor]] {
        assert!(
            reachable(&world, spawn_tile(&world), roles).contains(&interior),
            "{roles:?}"
        );
    }
    for roles in [&[Role::Member][..], &[Role::Guest], &[]] {
        let tiles = reachable(&world, spawn_tile(&world), roles);
        let entered: Vec<_> = (tiles.iter())
            .filter(|&&(tx, ty)| {
                let zone = world.zone_at(tx as f64 + 0.5, ty as f64 + 0.5);
                zone.map(|z| z.zone_type) == Some(ZoneType::PrivateRoom)
            })
            .collect();
        assert!(
            entered.is_empty(),
            "{roles:?} got into the private room at {entered:?}"
        );
    }
    let locked = Err(Blocked::DoorLocked {
        door: DoorId::new("private-room-door"),
        tx: 39,
        ty: 11,
    });
    assert_eq!(
        world.segment_clear((39.5, 13.5), (39.5, 6.5), &[Role::Admin]),
        Ok(())
    );
    assert_eq!(
        world.segment_clear((39.5, 13.5), (39.5, 6.5), &[Role::Member]),
        locked
    );
    let wall = world.segment_clear((36.5, 13.5), (36.5, 6.5), &[Role::Admin]);
    assert_eq!(
        wall,
        Err(Blocked::Collision { tx: 36, ty: 11 }),
        "only the door opens"
    );
    let door = world.door("private-room-door").expect("door");
    assert_eq!(door.leads_to.as_str(), "private-room");
    assert_eq!(door.allowed_roles, [Role::Admin, Role::Editor]);
}

#[test]
fn desks_need_their_chairs() {
    let world = World::demo();
    let desks: Vec<_> = (world.objects().iter())
        .filter(|o| matches!(o.object_type.as_str(), "desk" | "computer"))
        .collect();
    assert!(desks.len() >= 4, "only {} desks", desks.len());
    for desk in desks {
        let at = world.zone_at(desk.position.x, desk.position.y);
        assert_eq!(at.map(|z| z.id.as_str()), Some("team-area"), "{}", desk.id);
        assert_eq!(desk.occupancy, Occupancy::Single, "{}", desk.id);
        let interaction = desk.interaction.as_ref().expect("desks are interactive");
        assert_eq!(interaction.action, InteractionAction::Use, "{}", desk.id);
        let chair_id = interaction
            .requires
            .as_ref()
            .expect("a desk requires its chair");
        assert!(
            desk.linked.contains(chair_id),
            "{} links its chair",
            desk.id
        );
        let chair = world.object(chair_id.as_str()).expect("the chair exists");
        assert_eq!(chair.object_type, "chair");
        assert_eq!(chair.occupancy, Occupancy::Single, "{}", chair.id);
        let sit = chair.interaction.as_ref().map(|i| i.action);
        assert_eq!(sit, Some(InteractionAction::Sit), "{}", chair.id);
        let at = world.zone_at(chair.position.x, chair.position.y);
        assert_eq!(at.map(|z| z.id.as_str()), Some("team-area"), "{}", chair.id);
    }
}
