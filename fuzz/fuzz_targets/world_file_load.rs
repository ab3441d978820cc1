//! `world::map::load_world` never panics, whatever it accepts survives a round trip through
//! `WorldFile::from(&World)` and `serde_json` (loading the written file gives an equal `World`),
//! and the geometry queries of a loaded world (`zone_at`, `can_stand`, `segment_clear`) never
//! panic, whatever the coordinates, and agree with each other: a zone contains the point it is
//! found at, a standable point is finite and on the map, and a clear segment passes no point where
//! a user cannot stand.
//!
//! The input is the world file's text, optionally followed by a NUL byte and bytes from which
//! extra query coordinates are taken (JSON never contains a raw NUL, so the file part is
//! unaffected). Without a NUL, the coordinates come from the whole input. Every world is also
//! queried at fixed awkward coordinates: NaN, the infinities, -0, negatives, the map's edges,
//! values past `i64` and `f64::MAX`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sfu_core::roles::Role;
use sfu_core::world::map::{Blocked, World, WorldFile, load_world};

/// Coordinates every loaded world is queried at (the map's edges are added per world).
const SPECIAL: [f64; 14] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    -1e-300,
    -1.0,
    0.5,
    3.999_999_999_999_999_6,
    f64::MIN_POSITIVE,
    4_294_967_296.5,
    9_223_372_036_854_775_807.0,
    -9_223_372_036_854_775_808.0,
    1e300,
    f64::MAX,
];

/// At most this many `f64` bit patterns and this many small coordinates are read from the input's
/// tail, to keep each run cheap.
const TAIL_WIDE: usize = 4;
const TAIL_NEAR: usize = 8;

/// Segments are checked between at most this many points, each to the next few.
const MAX_POINTS: usize = 24;
const SEGMENTS_PER_POINT: usize = 6;
/// A clear segment is checked at this many evenly spaced points (minus its ends).
const SAMPLES_PER_SEGMENT: usize = 16;

fuzz_target!(|data: &[u8]| {
    let (file_bytes, tail) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, data),
    };
    let text = String::from_utf8_lossy(file_bytes);
    let Ok(world) = load_world(&text) else {
        return;
    };

    let file = WorldFile::from(&world);
    let json = serde_json::to_string(&file).expect("a WorldFile always serializes");
    let again = match load_world(&json) {
        Ok(again) => again,
        Err(e) => panic!("a loaded world writes back as {json}, which does not load: {e}"),
    };
    assert_eq!(
        again, world,
        "loading the written-back world {json} must give the same world"
    );

    query_geometry(&world, tail);
});

/// Calls `zone_at`, `can_stand` and `segment_clear` on the special coordinates, the map's edges,
/// the world's own objects and spawn points, and coordinates read from `tail`, checking the cheap
/// invariants that hold by construction.
fn query_geometry(world: &World, tail: &[u8]) {
    let (w, h) = map_size(world);
    let mut coords: Vec<f64> = SPECIAL.to_vec();
    coords.extend([w, h, w - 0.5, h - 0.5, w.next_down(), h.next_down()]);
    coords.extend(tail_coords(tail, w.max(h)));

    let role_sets: [&[Role]; 3] = [&[], &[Role::Admin], &Role::ALL];

    // Every coordinate on both axes: point queries only (they are O(zones + doors)).
    for &x in &coords {
        for &y in &coords {
            check_point(world, x, y, &role_sets);
        }
    }

    // Segments between a bounded set of points: the world's spawn points and objects (free tiles,
    // so the traversal actually runs), then pairs of consecutive coordinates.
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(MAX_POINTS);
    points.extend(
        world
            .spawn_points()
            .iter()
            .take(4)
            .map(|s| (s.position.x, s.position.y)),
    );
    points.extend(
        world
            .objects()
            .iter()
            .take(4)
            .map(|o| (o.position.x, o.position.y)),
    );
    // The tail's coordinates come last in `coords`, so pair from the end: input-driven first.
    points.extend(coords.rchunks_exact(2).map(|c| (c[0], c[1])));
    points.truncate(MAX_POINTS);
    for (i, &from) in points.iter().enumerate() {
        for &to in points.iter().skip(i).take(SEGMENTS_PER_POINT) {
            for roles in role_sets {
                check_segment(world, from, to, roles);
                check_segment(world, to, from, roles);
            }
        }
    }
}

/// The map's width and height, in tiles.
fn map_size(world: &World) -> (f64, f64) {
    let map = world.map();
    (f64::from(map.width()), f64::from(map.height()))
}

fn check_point(world: &World, x: f64, y: f64, role_sets: &[&[Role]]) {
    let finite = x.is_finite() && y.is_finite();
    if let Some(zone) = world.zone_at(x, y) {
        assert!(
            finite,
            "zone_at({x}, {y}) found {zone:?} for a non-finite point"
        );
        assert!(
            zone.bounds.contains_point(x, y),
            "zone_at({x}, {y}) gave {zone:?}, which does not contain the point"
        );
    }
    for &roles in role_sets {
        let stand = world.can_stand(x, y, roles);
        if stand.is_ok() {
            assert!(finite, "can_stand({x}, {y}) accepted a non-finite point");
            let (w, h) = map_size(world);
            assert!(
                (0.0..w).contains(&x) && (0.0..h).contains(&y),
                "can_stand({x}, {y}) accepted a point off the {w}x{h} map"
            );
        }
        if !finite {
            assert_eq!(
                stand,
                Err(Blocked::OutOfBounds),
                "can_stand({x}, {y}) on a non-finite point"
            );
        }
    }
}

fn check_segment(world: &World, from: (f64, f64), to: (f64, f64), roles: &[Role]) {
    let clear = world.segment_clear(from, to, roles);
    if clear.is_ok() {
        assert!(
            world.can_stand(from.0, from.1, roles).is_ok()
                && world.can_stand(to.0, to.1, roles).is_ok(),
            "segment_clear({from:?}, {to:?}, {roles:?}) is clear but an end point is not standable"
        );
        // No clear segment jumps over a wall: every point along it is standable. Points within
        // rounding of a tile border are skipped, since which tile they fall in is then a matter
        // of rounding rather than of the traversal.
        for k in 1..SAMPLES_PER_SEGMENT {
            let t = k as f64 / SAMPLES_PER_SEGMENT as f64;
            let (x, y) = (from.0 + t * (to.0 - from.0), from.1 + t * (to.1 - from.1));
            if near_border(x) || near_border(y) {
                continue;
            }
            if let Err(blocked) = world.can_stand(x, y, roles) {
                panic!(
                    "segment_clear({from:?}, {to:?}, {roles:?}) is clear but passes ({x}, {y}), \
                     where a user cannot stand: {blocked:?}"
                );
            }
        }
    }
    if from == to {
        assert_eq!(
            clear,
            world.can_stand(from.0, from.1, roles),
            "a segment from {from:?} to itself must be exactly its end point"
        );
    }
}

/// Is `v` within rounding of a tile border (an integer)?
fn near_border(v: f64) -> bool {
    (v - v.round()).abs() <= 1e-9 * v.abs().max(1.0)
}

/// Coordinates read from the input's tail: eight bytes as an `f64` bit pattern (NaN payloads,
/// subnormals, huge values...), and each byte as a coordinate in quarter tiles wrapped into
/// `[-1, size + 1)`, so both the wild and the on-map cases (including exact tile corners) are
/// reached whatever the map's size.
fn tail_coords(tail: &[u8], size: f64) -> impl Iterator<Item = f64> + '_ {
    let wide = tail
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("chunks_exact(8) gives 8 bytes")));
    let near = tail
        .iter()
        .rev()
        .map(move |&b| (f64::from(b) / 4.0) % (size + 2.0) - 1.0);
    wide.take(TAIL_WIDE).chain(near.take(TAIL_NEAR))
}
