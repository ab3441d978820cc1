//! Test support for the "never panics" runs of every decoder: a tiny deterministic PRNG and a
//! mutator of valid frames, so the runs need no extra crate and are repeatable.

/// xorshift64.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// JSON fragments every mutation run splices in; each protocol adds its own keys.
pub(crate) const JSON_TOKENS: [&[u8]; 15] = [
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"\\",
    b"-",
    b"null",
    b"true",
    b"1.5",
    b"1e999",
    b"18446744073709551616",
    "\u{1F50A}".as_bytes(),
];

/// Applies one to four random edits to `frame` (bit flip, cut, truncation, a spliced token from
/// [`JSON_TOKENS`] or `extra`, or a random byte) and returns the result as (lossy) UTF-8 text.
pub(crate) fn mutate(rng: &mut XorShift, frame: &str, extra: &[&[u8]]) -> String {
    let mut bytes = frame.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 if at < bytes.len() => {
                let end = (at + 1 + rng.below(8)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 => bytes.truncate(at),
            3 => {
                let pick = rng.below(JSON_TOKENS.len() + extra.len());
                let token = JSON_TOKENS
                    .get(pick)
                    .copied()
                    .unwrap_or_else(|| extra[pick - JSON_TOKENS.len()]);
                bytes.splice(at..at, token.iter().copied());
            }
            _ => {
                let byte = (rng.next() & 0xFF) as u8;
                bytes.insert(at, byte);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs 5000 mutations of `frames` through `decode`: whatever decodes must survive `encode` and a
/// second decode unchanged; whatever fails goes to `on_reject` (which checks the error's reply).
/// Asserts the mutations were neither too mild nor too harsh to mean anything.
pub(crate) fn run_round_trips<M, E>(
    seed: u64,
    frames: &[String],
    extra: &[&[u8]],
    decode: impl Fn(&str) -> Result<M, E>,
    encode: impl Fn(&M) -> String,
    mut on_reject: impl FnMut(&E, &str),
) where
    M: PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
{
    let mut rng = XorShift(seed);
    let (mut decoded, mut rejected) = (0u32, 0u32);
    for _ in 0..5000 {
        let frame = &frames[rng.below(frames.len())];
        let text = mutate(&mut rng, frame, extra);
        match decode(&text) {
            Ok(message) => {
                decoded += 1;
                let again = decode(&encode(&message))
                    .unwrap_or_else(|e| panic!("re-encoding {text} gave a bad frame: {e}"));
                assert_eq!(again, message, "round trip of {text}");
            }
            Err(err) => {
                rejected += 1;
                on_reject(&err, &text);
            }
        }
    }
    assert!(
        decoded > 100 && rejected > 100,
        "mutations too mild or too harsh: {decoded} ok, {rejected} rejected"
    );
}
