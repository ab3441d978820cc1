//! `WorldTokenVerifier::verify` and `InteropTokenVerifier::verify` never panic, whatever the
//! token, and only grant what a token may grant.
//!
//! Each input is tried three ways, against both verifiers:
//! 1. as the token text itself;
//! 2. split at its first two `.` bytes into header, payload and signature, each base64url-encoded
//!    and joined with `.`, so the fuzzer works on the decoded JSON rather than on base64;
//! 3. the same header and payload, correctly signed with the verifiers' secret, so the claim rules
//!    behind the signature check are reached too.

#![no_main]

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use sfu_core::auth::{
    InteropGrant, InteropTokenVerifier, VerifyTokenError, WorldGrant, WorldTokenVerifier,
};

const SECRET: &[u8] = b"fuzz-secret";
const ISSUER: &str = "hearth";
const NOW_UNIX: i64 = 1_700_000_000;

// Building a verifier also installs jsonwebtoken's crypto provider, which signing needs.
static WORLD: LazyLock<WorldTokenVerifier> =
    LazyLock::new(|| WorldTokenVerifier::new(SECRET, ISSUER));
static INTEROP: LazyLock<InteropTokenVerifier> =
    LazyLock::new(|| InteropTokenVerifier::new(SECRET, ISSUER));
static SIGNING_KEY: LazyLock<EncodingKey> = LazyLock::new(|| EncodingKey::from_secret(SECRET));

fuzz_target!(|data: &[u8]| {
    let (world, interop) = (&*WORLD, &*INTEROP);
    let raw = String::from_utf8_lossy(data);
    check_world(world.verify(&raw, NOW_UNIX));
    check_interop(interop.verify(&raw, NOW_UNIX));

    let mut parts = data.splitn(3, |&b| b == b'.');
    let header = URL_SAFE_NO_PAD.encode(parts.next().unwrap_or_default());
    let payload = URL_SAFE_NO_PAD.encode(parts.next().unwrap_or_default());
    let signature = URL_SAFE_NO_PAD.encode(parts.next().unwrap_or_default());
    let structured = format!("{header}.{payload}.{signature}");
    check_world(world.verify(&structured, NOW_UNIX));
    check_interop(interop.verify(&structured, NOW_UNIX));

    let message = format!("{header}.{payload}");
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &SIGNING_KEY, Algorithm::HS256)
        .expect("HMAC signing with a secret key cannot fail");
    let signed = format!("{message}.{signature}");
    let world_result = world.verify(&signed, NOW_UNIX);
    assert_ne!(
        world_result,
        Err(VerifyTokenError::BadSignature),
        "a token signed with the verifier's own secret must not fail the signature check"
    );
    check_world(world_result);
    let interop_result = interop.verify(&signed, NOW_UNIX);
    assert_ne!(
        interop_result,
        Err(VerifyTokenError::BadSignature),
        "a token signed with the verifier's own secret must not fail the signature check"
    );
    check_interop(interop_result);
});

/// The invariants of any world grant: a real user, at least one role, no role twice.
fn check_world(result: Result<WorldGrant, VerifyTokenError>) {
    let Ok(grant) = result else {
        return;
    };
    assert!(
        !grant.user_id.is_nil(),
        "a grant must name a user: {grant:?}"
    );
    assert!(
        !grant.roles.is_empty(),
        "a grant must carry a role: {grant:?}"
    );
    for (i, role) in grant.roles.iter().enumerate() {
        assert!(
            !grant.roles[..i].contains(role),
            "a grant must not repeat a role: {grant:?}"
        );
    }
}

/// The invariant of any interop grant: it names an SFU.
fn check_interop(result: Result<InteropGrant, VerifyTokenError>) {
    let Ok(grant) = result else {
        return;
    };
    assert!(
        !grant.sfu_name.trim().is_empty(),
        "an interop grant must name an SFU: {grant:?}"
    );
}
