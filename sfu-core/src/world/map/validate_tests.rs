//! Every rule a well-formed world file must follow, each failure with the path at fault.

use serde_json::json;

use super::test_support::{accepted, fixture, load, push, rejected, set};
use super::{WorldFileErrorKind as Kind, ZoneType};

#[test]
fn ids_must_be_uuids() {
    let err = rejected(|f| set(f, "/worldId", json!("acme-backend-world")));
    assert_eq!(err.path(), "worldId");
    assert_eq!(err.kind, Kind::NotUuid("acme-backend-world".into()));
    let err = rejected(|f| set(f, "/workspaceId", json!("")));
    assert_eq!(err.path(), "workspaceId");
}

#[test]
fn map_sizes_and_tile_counts_must_agree() {
    let err = rejected(|f| set(f, "/map/width", json!(0)));
    assert_eq!(
        (err.path(), &err.kind),
        ("map.width", &Kind::NotPositive("0".into()))
    );
    let err = rejected(|f| set(f, "/map/layers", json!([])));
    assert_eq!((err.path(), &err.kind), ("map.layers", &Kind::NoLayer));
    let err = rejected(|f| {
        let tiles = f
            .pointer_mut("/map/layers/1/tiles")
            .and_then(|t| t.as_array_mut());
        tiles.expect("walls tiles").pop();
    });
    assert_eq!(err.path(), "map.layers[1].tiles");
    assert_eq!(err.kind, Kind::TileCount { got: 79, want: 80 });
    let err = rejected(|f| set(f, "/map/height", json!(4_000_000_000u32)));
    assert!(
        matches!(
            err.kind,
            Kind::TileCount {
                want: 40_000_000_000,
                ..
            }
        ),
        "{err}"
    );
    let err = rejected(|f| set(f, "/map/layers/1/id", json!("floor")));
    assert_eq!(err.path(), "map.layers[1].id");
}

#[test]
fn rectangles_must_be_positive_and_inside_the_map() {
    let err = rejected(|f| set(f, "/zones/1/bounds/x", json!(8)));
    assert_eq!(
        err.to_string(),
        "zones[1].bounds: extends past the map (x 8 + width 4 > map width 10)"
    );
    let err = rejected(|f| set(f, "/zones/1/bounds/height", json!(9)));
    assert_eq!(
        err.to_string(),
        "zones[1].bounds: extends past the map (y 0 + height 9 > map height 8)"
    );
    let err = rejected(|f| set(f, "/zones/1/bounds/width", json!(0)));
    assert_eq!(
        (err.path(), &err.kind),
        ("zones[1].bounds.width", &Kind::NotPositive("0".into()))
    );
    let err = rejected(|f| set(f, "/doors/0/bounds/y", json!(u32::MAX)));
    assert!(matches!(err.kind, Kind::OutsideMap(_)), "{err}");
    assert_eq!(err.path(), "doors[0].bounds");
    let err = rejected(|f| set(f, "/doors/0/bounds/height", json!(0)));
    assert_eq!(err.path(), "doors[0].bounds.height");
}

#[test]
fn duplicate_ids_are_rejected_in_every_list() {
    let zone = json!({ "id": "room", "type": "MeetingRoom",
                       "bounds": { "x": 0, "y": 0, "width": 2, "height": 2 } });
    let err = rejected(|f| push(f, "/zones", zone));
    assert_eq!(err.path(), "zones[2].id");
    assert_eq!(
        err.kind,
        Kind::DuplicateId {
            id: "room".into(),
            first: "zones[1].id".into()
        }
    );
    let err = rejected(|f| {
        let door = f.pointer("/doors/0").cloned().expect("door");
        push(f, "/doors", door);
    });
    assert_eq!(err.path(), "doors[1].id");
    let err = rejected(|f| set(f, "/objects/1/id", json!("desk-1")));
    assert_eq!(err.path(), "objects[1].id");
    let err = rejected(|f| {
        push(
            f,
            "/spawnPoints",
            json!({ "id": "spawn-1", "position": { "x": 0.5, "y": 0.5 } }),
        )
    });
    assert_eq!(err.path(), "spawnPoints[1].id");
}

#[test]
fn references_must_resolve() {
    let err = rejected(|f| set(f, "/doors/0/leadsToZone", json!("attic")));
    assert_eq!(err.path(), "doors[0].leadsToZone");
    assert_eq!(
        err.kind,
        Kind::UnknownReference {
            what: "zone",
            id: "attic".into()
        }
    );
    let err = rejected(|f| set(f, "/objects/0/linkedObjects/0", json!("chair-9")));
    assert_eq!(err.path(), "objects[0].linkedObjects[0]");
    assert_eq!(
        err.kind,
        Kind::UnknownReference {
            what: "object",
            id: "chair-9".into()
        }
    );
    let err = rejected(|f| push(f, "/objects/1/linkedObjects", json!("chair-1")));
    assert_eq!(err.path(), "objects[1].linkedObjects[0]");
    assert_eq!(err.kind, Kind::SelfReference("chair-1".into()));
    let err = rejected(|f| set(f, "/objects/0/interaction/requires", json!("lamp")));
    assert_eq!(err.path(), "objects[0].interaction.requires");
    let err = rejected(|f| set(f, "/objects/0/interaction/requires", json!("desk-1")));
    assert_eq!(err.kind, Kind::SelfReference("desk-1".into()));
}

#[test]
fn objects_and_spawn_points_need_a_free_tile_on_the_map() {
    let err = rejected(|f| set(f, "/objects/0/position/x", json!(10.0)));
    assert_eq!(
        err.to_string(),
        "objects[0].position: x 10 is outside the map (0 <= x < 10)"
    );
    let err = rejected(|f| set(f, "/objects/1/position/y", json!(-0.25)));
    assert_eq!(err.path(), "objects[1].position");
    let err = rejected(|f| set(f, "/objects/0/position", json!({ "x": 5.5, "y": 0.5 })));
    assert_eq!(err.kind, Kind::OnBlockedTile { tx: 5, ty: 0 });
    let err = rejected(|f| set(f, "/spawnPoints/0/position", json!({ "x": 5.0, "y": 7.9 })));
    assert_eq!(
        (err.path(), &err.kind),
        (
            "spawnPoints[0].position",
            &Kind::OnBlockedTile { tx: 5, ty: 7 }
        )
    );
    let err = rejected(|f| set(f, "/spawnPoints/0/position/y", json!(8)));
    assert!(matches!(err.kind, Kind::OutsideMap(_)), "{err}");
}

#[test]
fn spawn_points_must_exist_and_lie_in_an_open_area() {
    let err = rejected(|f| set(f, "/spawnPoints", json!([])));
    assert_eq!(
        (err.path(), &err.kind),
        ("spawnPoints", &Kind::NoSpawnPoint)
    );
    let err = rejected(|f| set(f, "/spawnPoints/0/position", json!({ "x": 7.5, "y": 1.5 })));
    assert_eq!(err.path(), "spawnPoints[0].position");
    assert_eq!(
        err.kind,
        Kind::SpawnNotInOpenArea {
            zone: "room".into(),
            zone_type: "PrivateRoom".into()
        }
    );
    let err = rejected(|f| set(f, "/zones/0/bounds/height", json!(5)));
    assert!(
        matches!(&err.kind, Kind::SpawnNotInOpenArea { zone_type, .. } if zone_type == "no zone"),
        "{err}"
    );
}

#[test]
fn equal_priority_zones_must_not_overlap() {
    let second_open = json!({ "id": "plaza", "type": "OpenArea",
                              "bounds": { "x": 2, "y": 2, "width": 2, "height": 2 } });
    let err = rejected(|f| push(f, "/zones", second_open));
    assert_eq!(err.path(), "zones[2].bounds");
    assert_eq!(
        err.kind,
        Kind::ZoneOverlap {
            other: "zones[0]".into(),
            other_id: "open-area".into()
        }
    );
    let err = rejected(|f| {
        let booth = json!({ "id": "booth", "type": "PrivateRoom",
                            "bounds": { "x": 9, "y": 7, "width": 1, "height": 1 } });
        push(f, "/zones", booth);
    });
    assert!(
        matches!(&err.kind, Kind::ZoneOverlap { other_id, .. } if other_id == "room"),
        "{err}"
    );
    // Touching is not overlapping; different priorities may overlap (the priority rule decides).
    accepted(|f| {
        let next_door = json!({ "id": "booth", "type": "PrivateRoom",
                                "bounds": { "x": 0, "y": 0, "width": 6, "height": 1 } });
        push(f, "/zones", next_door);
        let meeting = json!({ "id": "meet", "type": "MeetingRoom",
                              "bounds": { "x": 4, "y": 4, "width": 6, "height": 4 } });
        push(f, "/zones", meeting);
    });
}

#[test]
fn doors_must_sit_in_a_wall() {
    let err = rejected(|f| set(f, "/doors/0/bounds/x", json!(2)));
    assert_eq!(
        (err.path(), &err.kind),
        ("doors[0].bounds", &Kind::DoorNotInWall)
    );
    accepted(|f| set(f, "/doors/0/bounds/width", json!(3)));
}

#[test]
fn capacities_default_by_type_and_may_be_overridden() {
    let world = load(&fixture()).expect("fixture");
    let capacities: Vec<u32> = world
        .zones()
        .iter()
        .map(|z| world.zone_capacity(z))
        .collect();
    assert_eq!(capacities, [50, 8], "OpenArea and PrivateRoom defaults");
    assert_eq!(ZoneType::TeamArea.default_capacity(), 25);
    assert_eq!(ZoneType::MeetingRoom.default_capacity(), 16);

    let world = accepted(|f| {
        set(
            f,
            "/zones/1/overrides",
            json!({ "capacity": 3, "video": "off" }),
        )
    });
    let room = world.zone("room").expect("room");
    assert_eq!(world.zone_capacity(room), 3);
    let overrides = room.overrides.as_ref().expect("overrides kept");
    assert_eq!(
        overrides.get("video"),
        Some(&json!("off")),
        "other keys kept as JSON"
    );

    for bad in [
        json!(0),
        json!(-3),
        json!(2.5),
        json!("ten"),
        json!(5_000_000_000u64),
        json!(null),
    ] {
        let err = rejected(|f| set(f, "/zones/1/overrides", json!({ "capacity": bad.clone() })));
        assert_eq!(err.path(), "zones[1].overrides.capacity", "capacity {bad}");
        assert_eq!(err.kind, Kind::NotPositive(bad.to_string()));
    }
}
