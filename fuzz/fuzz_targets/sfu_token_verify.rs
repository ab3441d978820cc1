//! `SfuTokenVerifier::verify_join` never panics, whatever the token, and only grants what a token
//! may grant.
//!
//! Each input is tried three ways:
//! 1. as the token text itself;
//! 2. split at its first two `.` bytes into header, payload and signature, each base64url-encoded
//!    and joined with `.`, so the fuzzer works on the decoded JSON rather than on base64;
//! 3. the same header and payload, correctly signed with the verifier's secret, so the claim rules
//!    behind the signature check are reached too.

#![no_main]

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use sfu_core::auth::{JoinGrant, SfuTokenVerifier, VerifyTokenError};
use sfu_core::ids::{ChannelId, UserId};
use sfu_core::perms::Permissions;

const SECRET: &[u8] = b"fuzz-secret";
const CHANNEL: ChannelId = ChannelId(1);
const NOW_UNIX: i64 = 1_700_000_000;

// Building the verifier also installs jsonwebtoken's crypto provider, which signing needs.
static VERIFIER: LazyLock<SfuTokenVerifier> =
    LazyLock::new(|| SfuTokenVerifier::new(SECRET, "hearth"));
static SIGNING_KEY: LazyLock<EncodingKey> = LazyLock::new(|| EncodingKey::from_secret(SECRET));

fuzz_target!(|data: &[u8]| {
    let verifier = &*VERIFIER;
    check_grant(verifier.verify_join(&String::from_utf8_lossy(data), CHANNEL, NOW_UNIX));

    let mut parts = data.splitn(3, |&b| b == b'.');
    let header = URL_SAFE_NO_PAD.encode(parts.next().unwrap_or_default());
    let payload = URL_SAFE_NO_PAD.encode(parts.next().unwrap_or_default());
    let signature = URL_SAFE_NO_PAD.encode(parts.next().unwrap_or_default());
    let structured = format!("{header}.{payload}.{signature}");
    check_grant(verifier.verify_join(&structured, CHANNEL, NOW_UNIX));

    let message = format!("{header}.{payload}");
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &SIGNING_KEY, Algorithm::HS256)
        .expect("HMAC signing with a secret key cannot fail");
    let result = verifier.verify_join(&format!("{message}.{signature}"), CHANNEL, NOW_UNIX);
    assert_ne!(
        result,
        Err(VerifyTokenError::BadSignature),
        "a token signed with the verifier's own secret must not fail the signature check"
    );
    check_grant(result);
});

/// The invariants of any grant: a real user, the channel being joined, and the moved permissions
/// when the token says `moved`.
fn check_grant(result: Result<JoinGrant, VerifyTokenError>) {
    let Ok(grant) = result else {
        return;
    };
    assert_ne!(grant.user, UserId(0), "a grant must name a user: {grant:?}");
    assert_eq!(
        grant.channel, CHANNEL,
        "a grant must be for the channel being joined: {grant:?}"
    );
    assert!(
        !grant.moved || grant.perms.allows(Permissions::MOVED_GRANT),
        "a moved grant must carry the moved permissions: {grant:?}"
    );
}
