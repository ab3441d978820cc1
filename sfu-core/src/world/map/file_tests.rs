//! Decoding a world file: JSON syntax, required fields and types, each error with its path; and
//! writing a world back.

use serde_json::json;

use super::test_support::{accepted, fixture, load, rejected, remove, set};
use super::{World, WorldFile, WorldFileErrorKind as Kind, load_world};

#[test]
fn the_fixture_loads() {
    let world = load(&fixture()).expect("fixture is valid");
    assert_eq!(world.name(), "fixture");
    assert_eq!(world.map().width(), 10);
    assert_eq!(world.zones().len(), 2);
    assert_eq!(world.doors().len(), 1);
    assert_eq!(world.objects().len(), 2);
    assert_eq!(world.open_area_spawn().id.as_str(), "spawn-1");
    assert_eq!(
        world.id().to_string(),
        "5f0c2a4e-7d1b-4c8e-9a3f-2b6d8e1f4a70"
    );
    assert_eq!(
        world.meta().extra.get("createdBy"),
        Some(&json!("tests")),
        "unknown meta keys are kept"
    );
}

#[test]
fn syntax_errors_give_line_column_and_where() {
    let text = "{\n  \"worldId\": \"x\",\n  \"map\": { \"width\": 4,, }\n}";
    let err = load_world(text).expect_err("two commas");
    let Kind::Syntax { line, column, .. } = &err.kind else {
        panic!("want a syntax error, got {err}");
    };
    assert_eq!((*line, *column), (3, 23), "{err}");
    assert_eq!(err.path(), "map");
    assert!(
        err.to_string()
            .starts_with("map: invalid JSON at line 3 column 23"),
        "{err}"
    );

    for text in [
        "",
        "[",
        "{\"worldId\": \"a\"",
        "not json",
        "{\"worldId\" \"a\"}",
    ] {
        let err = load_world(text).expect_err("not a world");
        assert!(matches!(err.kind, Kind::Syntax { .. }), "{text:?}: {err}");
    }
}

#[test]
fn missing_required_fields_are_named() {
    let cases = [
        ("", "worldId", "worldId"),
        ("/meta", "name", "meta.name"),
        ("/map", "tileSet", "map.tileSet"),
        ("/map/layers/1", "tiles", "map.layers[1].tiles"),
        ("/zones/1", "bounds", "zones[1].bounds"),
        ("/zones/1/bounds", "height", "zones[1].bounds.height"),
        (
            "/doors/0/access",
            "allowedRoles",
            "doors[0].access.allowedRoles",
        ),
        ("/objects/1", "occupancy", "objects[1].occupancy"),
        (
            "/objects/0/interaction",
            "action",
            "objects[0].interaction.action",
        ),
        ("/spawnPoints/0", "position", "spawnPoints[0].position"),
        ("", "spawnPoints", "spawnPoints"),
    ];
    for (object, key, path) in cases {
        let err = rejected(|f| remove(f, object, key));
        assert_eq!(
            (err.path(), &err.kind),
            (path, &Kind::Missing),
            "removing {object}/{key}"
        );
    }
}

#[test]
fn optional_fields_may_be_left_out() {
    let world = accepted(|f| {
        remove(f, "", "doors");
        remove(f, "", "objects");
    });
    assert!(world.doors().is_empty() && world.objects().is_empty());
    let world = accepted(|f| {
        remove(f, "/objects/1", "linkedObjects");
        remove(f, "/objects/1", "interaction");
        remove(f, "/objects/0/interaction", "requires");
    });
    let chair = world.object("chair-1").expect("chair-1");
    assert!(chair.linked.is_empty() && chair.interaction.is_none());
}

#[test]
fn wrong_types_and_unknown_values_are_named() {
    let cases = [
        (
            "/zones/1/bounds/width",
            json!("wide"),
            "zones[1].bounds.width",
        ),
        ("/zones/1/bounds/x", json!(-1), "zones[1].bounds.x"),
        ("/zones/1/bounds/y", json!(1.5), "zones[1].bounds.y"),
        ("/zones/0/type", json!("Lobby"), "zones[0].type"),
        (
            "/doors/0/access/allowedRoles/0",
            json!("Owner"),
            "doors[0].access.allowedRoles[0]",
        ),
        (
            "/map/layers/0/tiles/13",
            json!(-1),
            "map.layers[0].tiles[13]",
        ),
        (
            "/objects/1/occupancy",
            json!("shared"),
            "objects[1].occupancy",
        ),
        (
            "/objects/0/interaction/action",
            json!("dance"),
            "objects[0].interaction.action",
        ),
        ("/objects/0/position/x", json!({}), "objects[0].position.x"),
        (
            "/spawnPoints/0/position",
            json!("here"),
            "spawnPoints[0].position",
        ),
        ("/map/width", json!(null), "map.width"),
        ("/zones", json!({}), "zones"),
        ("/version", json!(-1.5), "version"),
    ];
    for (pointer, value, path) in cases {
        let mut file = fixture();
        set(&mut file, pointer, value.clone());
        let err = load(&file).expect_err(&format!("{pointer} = {value} must be rejected"));
        assert!(
            matches!(err.kind, Kind::Shape { .. }),
            "{pointer} = {value}: {err}"
        );
        assert_eq!(err.path(), path, "{pointer} = {value}: {err}");
    }
}

#[test]
fn version_is_a_string_or_a_number() {
    accepted(|f| set(f, "/version", json!("1.0.0")));
    let err = rejected(|f| set(f, "/version", json!(true)));
    assert!(
        err.to_string()
            .starts_with("version: a version string or a non-negative integer"),
        "{err}"
    );
}

#[test]
fn a_world_written_back_loads_to_the_same_world() {
    for world in [load(&fixture()).expect("fixture"), World::demo()] {
        let file = WorldFile::from(&world);
        let text = serde_json::to_string(&file).expect("serializes");
        assert_eq!(load_world(&text).expect("reloads"), world);
    }
}
