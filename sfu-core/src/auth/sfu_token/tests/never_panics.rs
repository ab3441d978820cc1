//! "Never panics" property test: `verify_join` is the entry point for untrusted input (and a
//! future fuzz target), so a seeded stream of random and mangled tokens must only ever yield
//! `Err`, never a panic or an accepted forgery.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::{CHANNEL, ISSUER, NOW, SECRET, b64, good_claims, sign, with};
use crate::auth::SfuTokenVerifier;

/// Strange but well-typed claim values, to sign into otherwise good tokens.
fn odd_value(rng: &mut StdRng) -> Value {
    let pool = [
        Value::Null,
        json!(0),
        json!(-1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1.5),
        json!(1e300),
        json!(""),
        json!("sfu"),
        json!([]),
        json!(["sfu", 1]),
        json!({}),
        json!(true),
    ];
    pool[rng.random_range(0..pool.len())].clone()
}

fn mutate(token: &str, rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    let mut bytes = token.as_bytes().to_vec();
    let pick = |rng: &mut StdRng| ALPHABET[rng.random_range(0..ALPHABET.len())];
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..bytes.len());
        match rng.random_range(0..4) {
            0 => bytes[at] = pick(rng),
            1 => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, pick(rng)),
            _ => bytes.truncate(at),
        }
        if bytes.is_empty() {
            break;
        }
    }
    String::from_utf8(bytes).expect("ASCII edits of an ASCII token stay UTF-8")
}

const CLAIMS: [&str; 9] = [
    "user_id",
    "typ",
    "aud",
    "iss",
    "exp",
    "nbf",
    "channel_id",
    "perms",
    "moved",
];

#[test]
fn arbitrary_input_never_panics() {
    let verifier = SfuTokenVerifier::new(SECRET, ISSUER);
    let good = sign(&good_claims());
    let mut rng = StdRng::seed_from_u64(0x4845_4152_5448);
    for round in 0..4000 {
        let input = match round % 4 {
            0 => (0..rng.random_range(0..120))
                .map(|_| rng.random::<char>())
                .collect(),
            1 => mutate(&good, &mut rng),
            2 => {
                let hs256 = json!({"alg": "HS256"});
                let header = if rng.random_bool(0.5) {
                    hs256
                } else {
                    odd_value(&mut rng)
                };
                let (payload, tail) = (odd_value(&mut rng), mutate(&good, &mut rng));
                format!("{}.{}.{tail}", b64(&header), b64(&payload))
            }
            _ => {
                let claim = CLAIMS[rng.random_range(0..CLAIMS.len())];
                let token = sign(&with(claim, odd_value(&mut rng)));
                // Signed, so the claim rules see the odd value; any verdict is fine, a panic is not.
                let _ = verifier.verify_join(&token, CHANNEL, NOW);
                continue;
            }
        };
        let got = verifier.verify_join(&input, CHANNEL, rng.random());
        if input.trim() != good {
            assert!(
                got.is_err(),
                "round {round}: mangled input accepted: {input:?}"
            );
        }
    }
}
