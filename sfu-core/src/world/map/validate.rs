//! `TryFrom<WorldFile> for World`: every rule a world file must follow, each failure naming the
//! field at fault. Checks run in file order (ids, map, zones, doors, objects, spawn points) and
//! the first failure is returned.

use std::collections::{HashMap, HashSet};

use super::error::{WorldFileError, WorldFileErrorKind as Kind};
use super::file::{
    DoorFile, MapFile, ObjectFile, PositionFile, RectFile, SpawnPointFile, WorldFile, ZoneFile,
};
use super::geometry::resolve_zone;
use super::{
    Door, DoorId, Interaction, Layer, ObjectId, Position, SpawnPoint, SpawnPointId, TileMap,
    TileRect, WorkspaceId, World, WorldId, WorldObject, Zone, ZoneId, ZoneType,
};

type Result<T> = std::result::Result<T, WorldFileError>;

fn fail<T>(path: impl Into<String>, kind: Kind) -> Result<T> {
    Err(WorldFileError::new(path, kind))
}

impl TryFrom<WorldFile> for World {
    type Error = WorldFileError;

    fn try_from(file: WorldFile) -> Result<World> {
        let Some(id) = WorldId::parse(&file.world_id) else {
            return fail("worldId", Kind::NotUuid(file.world_id));
        };
        let Some(workspace) = WorkspaceId::parse(&file.workspace_id) else {
            return fail("workspaceId", Kind::NotUuid(file.workspace_id));
        };
        let map = tile_map(file.map)?;
        let zones = zones(&file.zones, &map)?;
        let doors = doors(&file.doors, &map, &zones)?;
        let objects = objects(&file.objects, &map)?;
        let spawn_points = spawn_points(&file.spawn_points, &map, &zones)?;
        Ok(World {
            id,
            workspace,
            version: file.version,
            meta: file.meta,
            map,
            zones,
            doors,
            objects,
            spawn_points,
        })
    }
}

/// Fails on the first id used twice; `path(i)` is the path of item `i`'s id.
fn unique_ids<'a>(
    ids: impl Iterator<Item = &'a str>,
    path: impl Fn(usize) -> String,
) -> Result<HashSet<&'a str>> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        if let Some(&j) = first.get(id) {
            let kind = Kind::DuplicateId {
                id: id.to_owned(),
                first: path(j),
            };
            return fail(path(i), kind);
        }
        first.insert(id, i);
    }
    Ok(first.into_keys().collect())
}

fn tile_map(file: MapFile) -> Result<TileMap> {
    for (field, value) in [("map.width", file.width), ("map.height", file.height)] {
        if value == 0 {
            return fail(field, Kind::NotPositive("0".into()));
        }
    }
    if file.layers.is_empty() {
        return fail("map.layers", Kind::NoLayer);
    }
    unique_ids(file.layers.iter().map(|l| l.id.as_str()), |i| {
        format!("map.layers[{i}].id")
    })?;
    let want = u64::from(file.width) * u64::from(file.height);
    for (i, layer) in file.layers.iter().enumerate() {
        if layer.tiles.len() as u64 != want {
            let kind = Kind::TileCount {
                got: layer.tiles.len(),
                want,
            };
            return fail(format!("map.layers[{i}].tiles"), kind);
        }
    }
    // Every layer holds `want` tiles, so `want` fits in memory and in usize.
    let mut blocked = vec![false; layer_len(want)];
    for layer in file.layers.iter().filter(|l| l.collision) {
        for (cell, &tile) in blocked.iter_mut().zip(&layer.tiles) {
            *cell |= tile != 0;
        }
    }
    let layers = (file.layers.into_iter())
        .map(|l| Layer {
            id: l.id,
            tiles: l.tiles,
            collision: l.collision,
        })
        .collect();
    Ok(TileMap {
        tile_set: file.tile_set,
        width: file.width,
        height: file.height,
        layers,
        blocked,
    })
}

fn layer_len(want: u64) -> usize {
    usize::try_from(want).unwrap_or(usize::MAX)
}

/// A rectangle with positive sizes, inside the map.
fn rect(path: &str, r: RectFile, map: &TileMap) -> Result<TileRect> {
    for (field, size) in [("width", r.width), ("height", r.height)] {
        if size == 0 {
            return fail(format!("{path}.{field}"), Kind::NotPositive("0".into()));
        }
    }
    let axes = [
        ("x", r.x, "width", r.width, map.width),
        ("y", r.y, "height", r.height, map.height),
    ];
    for (start_name, start, size_name, size, limit) in axes {
        if u64::from(start) + u64::from(size) > u64::from(limit) {
            let why = format!(
                "extends past the map ({start_name} {start} + {size_name} {size} > map \
                 {size_name} {limit})"
            );
            return fail(path, Kind::OutsideMap(why));
        }
    }
    Ok(TileRect {
        x: r.x,
        y: r.y,
        width: r.width,
        height: r.height,
    })
}

/// A position inside the map, on a tile no collision layer blocks.
fn free_position(path: &str, p: PositionFile, map: &TileMap) -> Result<Position> {
    for (axis, value, limit) in [("x", p.x, map.width), ("y", p.y, map.height)] {
        if !(value >= 0.0 && value < f64::from(limit)) {
            let why = format!("{axis} {value} is outside the map (0 <= {axis} < {limit})");
            return fail(path, Kind::OutsideMap(why));
        }
    }
    // In range and non-negative, so the floors fit in u32.
    let (tx, ty) = (p.x.floor() as u32, p.y.floor() as u32);
    if map.is_blocked(tx, ty) {
        return fail(path, Kind::OnBlockedTile { tx, ty });
    }
    Ok(Position { x: p.x, y: p.y })
}

fn zones(files: &[ZoneFile], map: &TileMap) -> Result<Vec<Zone>> {
    unique_ids(files.iter().map(|z| z.id.as_str()), |i| {
        format!("zones[{i}].id")
    })?;
    let mut zones: Vec<Zone> = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let bounds = rect(&format!("zones[{i}].bounds"), file.bounds, map)?;
        let capacity = match file.overrides.as_ref().and_then(|o| o.get("capacity")) {
            None => file.zone_type.default_capacity(),
            Some(value) => match value.as_u64().and_then(|c| u32::try_from(c).ok()) {
                Some(c) if c > 0 => c,
                _ => {
                    let path = format!("zones[{i}].overrides.capacity");
                    return fail(path, Kind::NotPositive(value.to_string()));
                }
            },
        };
        // Overlapping zones of different types are fine: the priority rule picks one. Equal
        // priorities would leave the answer to file order, which the SPEC does not allow.
        let clash = zones.iter().enumerate().find(|(_, other)| {
            other.zone_type.priority() == file.zone_type.priority()
                && intersects(other.bounds, bounds)
        });
        if let Some((j, other)) = clash {
            let kind = Kind::ZoneOverlap {
                other: format!("zones[{j}]"),
                other_id: other.id.to_string(),
            };
            return fail(format!("zones[{i}].bounds"), kind);
        }
        zones.push(Zone {
            id: ZoneId::new(&file.id),
            zone_type: file.zone_type,
            bounds,
            capacity,
            overrides: file.overrides.clone(),
        });
    }
    Ok(zones)
}

fn intersects(a: TileRect, b: TileRect) -> bool {
    let overlap = |a0: u32, al: u32, b0: u32, bl: u32| {
        u64::from(a0) < u64::from(b0) + u64::from(bl)
            && u64::from(b0) < u64::from(a0) + u64::from(al)
    };
    overlap(a.x, a.width, b.x, b.width) && overlap(a.y, a.height, b.y, b.height)
}

fn doors(files: &[DoorFile], map: &TileMap, zones: &[Zone]) -> Result<Vec<Door>> {
    unique_ids(files.iter().map(|d| d.id.as_str()), |i| {
        format!("doors[{i}].id")
    })?;
    let mut doors = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let bounds = rect(&format!("doors[{i}].bounds"), file.bounds, map)?;
        if !zones.iter().any(|z| z.id.as_str() == file.leads_to_zone) {
            let kind = Kind::UnknownReference {
                what: "zone",
                id: file.leads_to_zone.clone(),
            };
            return fail(format!("doors[{i}].leadsToZone"), kind);
        }
        let in_wall = (bounds.y..bounds.y + bounds.height)
            .any(|ty| (bounds.x..bounds.x + bounds.width).any(|tx| map.is_blocked(tx, ty)));
        if !in_wall {
            return fail(format!("doors[{i}].bounds"), Kind::DoorNotInWall);
        }
        doors.push(Door {
            id: DoorId::new(&file.id),
            bounds,
            leads_to: ZoneId::new(&file.leads_to_zone),
            access_type: file.access.access_type.clone(),
            allowed_roles: file.access.allowed_roles.clone(),
        });
    }
    Ok(doors)
}

fn objects(files: &[ObjectFile], map: &TileMap) -> Result<Vec<WorldObject>> {
    let ids = unique_ids(files.iter().map(|o| o.id.as_str()), |i| {
        format!("objects[{i}].id")
    })?;
    let reference = |path: String, own: &str, target: &str| -> Result<ObjectId> {
        if target == own {
            return fail(path, Kind::SelfReference(own.to_owned()));
        }
        if !ids.contains(target) {
            let kind = Kind::UnknownReference {
                what: "object",
                id: target.to_owned(),
            };
            return fail(path, kind);
        }
        Ok(ObjectId::new(target))
    };
    let mut objects = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let position = free_position(&format!("objects[{i}].position"), file.position, map)?;
        let linked = (file.linked_objects.iter().enumerate())
            .map(|(k, target)| {
                reference(format!("objects[{i}].linkedObjects[{k}]"), &file.id, target)
            })
            .collect::<Result<Vec<_>>>()?;
        let interaction = match &file.interaction {
            None => None,
            Some(interaction) => Some(Interaction {
                action: interaction.action,
                requires: match &interaction.requires {
                    None => None,
                    Some(target) => {
                        let path = format!("objects[{i}].interaction.requires");
                        Some(reference(path, &file.id, target)?)
                    }
                },
            }),
        };
        objects.push(WorldObject {
            id: ObjectId::new(&file.id),
            object_type: file.object_type.clone(),
            position,
            linked,
            interaction,
            occupancy: file.occupancy,
        });
    }
    Ok(objects)
}

fn spawn_points(
    files: &[SpawnPointFile],
    map: &TileMap,
    zones: &[Zone],
) -> Result<Vec<SpawnPoint>> {
    if files.is_empty() {
        return fail("spawnPoints", Kind::NoSpawnPoint);
    }
    unique_ids(files.iter().map(|s| s.id.as_str()), |i| {
        format!("spawnPoints[{i}].id")
    })?;
    let mut points = Vec::with_capacity(files.len());
    for (i, file) in files.iter().enumerate() {
        let path = format!("spawnPoints[{i}].position");
        let position = free_position(&path, file.position, map)?;
        let zone = resolve_zone(zones, position.x, position.y);
        if zone.map(|z| z.zone_type) != Some(ZoneType::OpenArea) {
            let kind = Kind::SpawnNotInOpenArea {
                zone: zone.map_or_else(String::new, |z| z.id.to_string()),
                zone_type: zone.map_or("no zone", |z| z.zone_type.as_str()).to_owned(),
            };
            return fail(path, kind);
        }
        points.push(SpawnPoint {
            id: SpawnPointId::new(&file.id),
            position,
        });
    }
    Ok(points)
}
