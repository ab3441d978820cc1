//! A small valid world for tests to load as is or break one field at a time.
//!
//! ```text
//!   x 0123456789        10 x 8 tiles. `#` wall, `D` door (a wall tile the door
//! y 0 .....#....        "room-door" opens for Admin only), `d` desk-1, `c` chair-1,
//!   1 .d...#....        `s` spawn-1. Zones: open-area (OpenArea, whole map),
//!   2 .c...#....        room (PrivateRoom, x 6..9 all rows).
//!   3 .....D....
//!   4 .....#....
//!   5 ..s..#....
//!   6 .....#....
//!   7 .....#....
//! ```

use serde_json::{Value, json};

use super::{World, WorldFileError, load_world};

/// Map width of [`fixture`].
pub(super) const W: usize = 10;
/// Map height of [`fixture`].
pub(super) const H: usize = 8;

/// The fixture world file as JSON, for tests to mutate.
pub(super) fn fixture() -> Value {
    let mut walls = vec![0u32; W * H];
    for y in 0..H {
        walls[y * W + 5] = 1;
    }
    json!({
        "worldId": "5f0c2a4e-7d1b-4c8e-9a3f-2b6d8e1f4a70",
        "workspaceId": "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b",
        "version": 1,
        "meta": { "name": "fixture", "createdBy": "tests" },
        "map": {
            "tileSet": "test",
            "width": W,
            "height": H,
            "layers": [
                { "id": "floor", "tiles": vec![1u32; W * H] },
                { "id": "walls", "tiles": walls, "collision": true }
            ]
        },
        "zones": [
            { "id": "open-area", "type": "OpenArea",
              "bounds": { "x": 0, "y": 0, "width": W, "height": H } },
            { "id": "room", "type": "PrivateRoom",
              "bounds": { "x": 6, "y": 0, "width": 4, "height": H } }
        ],
        "doors": [
            { "id": "room-door", "bounds": { "x": 5, "y": 3, "width": 1, "height": 1 },
              "leadsToZone": "room", "access": { "type": "knock", "allowedRoles": ["Admin"] } }
        ],
        "objects": [
            { "id": "desk-1", "type": "desk", "position": { "x": 1.5, "y": 1.5 },
              "linkedObjects": ["chair-1"],
              "interaction": { "action": "use", "requires": "chair-1" }, "occupancy": "single" },
            { "id": "chair-1", "type": "chair", "position": { "x": 1.5, "y": 2.5 },
              "linkedObjects": [], "interaction": { "action": "sit" }, "occupancy": "single" }
        ],
        "spawnPoints": [ { "id": "spawn-1", "position": { "x": 2.5, "y": 5.5 } } ]
    })
}

/// Loads `file` (pretty-printed, so line numbers are meaningful).
pub(super) fn load(file: &Value) -> Result<World, WorldFileError> {
    let text = serde_json::to_string_pretty(file).expect("a Value always serializes");
    load_world(&text)
}

/// The fixture after `edit`, which must fail to load: returns the error.
pub(super) fn rejected(edit: impl FnOnce(&mut Value)) -> WorldFileError {
    let mut file = fixture();
    edit(&mut file);
    match load(&file) {
        Ok(_) => panic!("the edited fixture must be rejected"),
        Err(err) => err,
    }
}

/// The fixture after `edit`, which must load.
pub(super) fn accepted(edit: impl FnOnce(&mut Value)) -> World {
    let mut file = fixture();
    edit(&mut file);
    load(&file).unwrap_or_else(|err| panic!("the edited fixture must load: {err}"))
}

/// `file[pointer] = value` (JSON pointer, e.g. `/zones/1/bounds/x`); the last key is added to
/// its object if absent.
pub(super) fn set(file: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = file.pointer_mut(pointer) {
        *slot = value;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer has a '/'");
    file.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("fixture has no object {parent}"))
        .insert(key.to_owned(), value);
}

/// Removes key `key` from the object at `pointer`.
pub(super) fn remove(file: &mut Value, pointer: &str, key: &str) {
    file.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove(key))
        .unwrap_or_else(|| panic!("fixture has no {pointer}/{key}"));
}

/// Appends `value` to the array at `pointer`.
pub(super) fn push(file: &mut Value, pointer: &str, value: Value) {
    file.pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .unwrap_or_else(|| panic!("fixture has no array {pointer}"))
        .push(value);
}
