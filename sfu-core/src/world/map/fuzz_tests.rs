//! "Never panics": mutated demo files, broken as text and as JSON, through [`load_world`].

use serde_json::{Value, json};

use super::{DEMO_WORLD_JSON, World, load_world};

use crate::mutation::XorShift;

/// Fragments spliced into the text.
const TOKENS: [&str; 12] = [
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "\\",
    "-1",
    "null",
    "1e999",
    "\"zones\":",
];

/// One to four byte-level edits: bit flip, cut, truncation, spliced token or random byte.
fn mutate_text(rng: &mut XorShift, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 if at < bytes.len() => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 => bytes.truncate(at),
            3 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            _ => bytes.insert(at, (rng.next() & 0xFF) as u8),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Values a mutated JSON leaf may take: edge numbers, other ids, wrong types.
fn odd_value(rng: &mut XorShift) -> Value {
    let choices = [
        json!(0),
        json!(-1),
        json!(1),
        json!(47),
        json!(48),
        json!(u32::MAX),
        json!(u64::MAX),
        json!(0.5),
        json!(-0.0),
        json!(1e300),
        json!("open-area"),
        json!("private-room"),
        json!("chair-1"),
        json!("desk-1"),
        json!("Admin"),
        json!(""),
        json!(null),
        json!(true),
        json!([]),
        json!({}),
    ];
    choices[rng.below(choices.len())].clone()
}

/// Replaces, removes or duplicates one random node of `value`, at most `depth` levels down.
fn mutate_value(rng: &mut XorShift, value: &mut Value, depth: usize) {
    match value {
        Value::Object(map) if depth > 0 && !map.is_empty() => {
            let Some(key) = map.keys().nth(rng.below(map.len())).cloned() else {
                return;
            };
            if rng.below(6) == 0 {
                map.remove(&key);
            } else if let Some(child) = map.get_mut(&key) {
                mutate_value(rng, child, depth - 1);
            }
        }
        Value::Array(items) if depth > 0 && !items.is_empty() => {
            let i = rng.below(items.len());
            if rng.below(6) == 0 {
                let copy = items[i].clone();
                items.push(copy);
            } else {
                mutate_value(rng, &mut items[i], depth - 1);
            }
        }
        _ => *value = odd_value(rng),
    }
}

#[test]
fn loading_mutated_demo_text_never_panics() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut rejected = 0;
    for _ in 0..1500 {
        let text = mutate_text(&mut rng, DEMO_WORLD_JSON);
        if let Err(err) = load_world(&text) {
            rejected += 1;
            assert!(!err.to_string().is_empty());
        }
    }
    assert!(
        rejected > 1000,
        "mutations should mostly break the file ({rejected})"
    );
}

#[test]
fn loading_mutated_demo_json_never_panics() {
    let mut rng = XorShift(0x0DDB_A11C_AFE5_EED5);
    let demo: Value = serde_json::from_str(DEMO_WORLD_JSON).expect("demo.json is JSON");
    let (mut loaded, mut rejected) = (0, 0);
    for _ in 0..1500 {
        let mut file = demo.clone();
        for _ in 0..=rng.below(3) {
            let depth = rng.below(7);
            mutate_value(&mut rng, &mut file, depth);
        }
        let text = serde_json::to_string_pretty(&file).expect("a Value serializes");
        match load_world(&text) {
            Ok(world) => {
                loaded += 1;
                // Whatever loaded must answer geometry questions without panicking.
                let p = world.open_area_spawn().position;
                let _ = world.segment_clear((p.x, p.y), (0.5, 0.5), &[]);
                let _ = world.zone_at(p.x, p.y);
            }
            Err(err) => {
                rejected += 1;
                assert!(!err.to_string().is_empty());
            }
        }
    }
    assert!(
        loaded > 0 && rejected > 0,
        "loaded {loaded}, rejected {rejected}"
    );
}

#[test]
fn pathological_inputs_are_rejected_cleanly() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(load_world(&deep).is_err());
    let deep_zones = format!("{{\"zones\": {}", "{\"a\":".repeat(5_000));
    assert!(load_world(&deep_zones).is_err());
    assert!(load_world("\u{feff}{}").is_err());
    assert_eq!(
        World::demo(),
        World::demo(),
        "the demo loads the same every time"
    );
}
