use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::auth::{VerifyTokenError, mint_hs256};

mod never_panics;

const SECRET: &[u8] = b"hearth-test-secret-0123456789abcdef";
const ISSUER: &str = "hearth";
const NOW: i64 = 1_700_000_000;
const CHANNEL: ChannelId = ChannelId(42);
const MEMBER: Permissions =
    Permissions::from_bits(Permissions::VOICE_CONNECT.bits() | Permissions::VOICE_SPEAK.bits());

fn verify(token: &str) -> Result<JoinGrant, VerifyTokenError> {
    SfuTokenVerifier::new(SECRET, ISSUER).verify_join(token, CHANNEL, NOW)
}

/// The claims of a good token, as JSON so a test can change or drop exactly one claim.
fn good_claims() -> Value {
    json!({
        "user_id": 7, "typ": "sfu", "aud": ["sfu"], "iss": ISSUER,
        "exp": NOW + 60, "iat": NOW, "channel_id": CHANNEL.0, "perms": MEMBER.bits(),
    })
}

fn with(claim: &str, value: Value) -> Value {
    let mut claims = good_claims();
    claims[claim] = value;
    claims
}

fn without(claim: &str) -> Value {
    let mut claims = good_claims();
    claims
        .as_object_mut()
        .expect("good_claims is an object")
        .remove(claim);
    claims
}

fn sign(claims: &Value) -> String {
    mint_hs256(SECRET, claims).expect("JSON claims always encode")
}

fn b64(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// A token with any header, by hand; `hs256` signs `header.payload` with HMAC-SHA256 under
/// SECRET whatever the header claims, `None` leaves the signature empty.
fn craft(header: Value, claims: &Value, hs256: bool) -> String {
    let message = format!("{}.{}", b64(&header), b64(claims));
    let signature = if hs256 {
        let key = EncodingKey::from_secret(SECRET);
        jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).expect("HMAC signs")
    } else {
        String::new()
    };
    format!("{message}.{signature}")
}

fn member_grant() -> JoinGrant {
    JoinGrant {
        user: UserId(7),
        channel: CHANNEL,
        perms: MEMBER,
        moved: false,
        issued_at: Some(NOW),
    }
}

/// Asserts the verdict on `token` for a join of CHANNEL at NOW; `what` names the case.
#[track_caller]
fn expect(token: &str, want: Result<JoinGrant, VerifyTokenError>, what: &str) {
    assert_eq!(verify(token), want, "{what}");
}

/// Asserts that a token signed with SECRET over `claims` is refused with `want`.
#[track_caller]
fn refused(claims: &Value, want: VerifyTokenError, what: &str) {
    expect(&sign(claims), Err(want), what);
}

#[test]
fn valid_token_grants_its_claims() {
    expect(
        &sign(&good_claims()),
        Ok(member_grant()),
        "a good token must join",
    );
}

#[test]
fn bearer_prefix_is_accepted() {
    let token = sign(&good_claims());
    for prefix in ["Bearer ", "bearer ", " BEARER  "] {
        expect(&format!("{prefix}{token}"), Ok(member_grant()), prefix);
    }
}

#[test]
fn aud_may_be_string_or_array_but_not_number() {
    expect(
        &sign(&with("aud", json!("sfu"))),
        Ok(member_grant()),
        "string aud",
    );
    let many = with("aud", json!(["world", "sfu"]));
    expect(&sign(&many), Ok(member_grant()), "array aud containing sfu");
    refused(
        &with("aud", json!(5)),
        VerifyTokenError::Malformed,
        "numeric aud",
    );
}

#[test]
fn signature_under_another_secret_or_tampered_payload_is_refused() {
    let forged = mint_hs256(b"not-the-secret", &good_claims()).expect("encodes");
    expect(
        &forged,
        Err(VerifyTokenError::BadSignature),
        "foreign secret",
    );

    let token = sign(&good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    let admin = b64(&with("perms", json!(Permissions::ADMINISTRATOR.bits())));
    let tampered = format!("{}.{admin}.{}", parts[0], parts[2]);
    expect(
        &tampered,
        Err(VerifyTokenError::BadSignature),
        "payload swapped",
    );
}

#[test]
fn alg_none_is_refused() {
    let unsupported = Err(VerifyTokenError::UnsupportedAlgorithm);
    let unsigned = craft(json!({"alg": "none", "typ": "JWT"}), &good_claims(), false);
    expect(&unsigned, unsupported, "alg none, empty signature");
    let none_upper = craft(json!({"alg": "None"}), &good_claims(), false);
    expect(&none_upper, unsupported, "alg None");
    let no_alg = craft(json!({"typ": "JWT"}), &good_claims(), true);
    expect(&no_alg, unsupported, "no alg at all");
}

#[test]
fn other_algorithms_are_refused_even_with_our_secret() {
    let unsupported = Err(VerifyTokenError::UnsupportedAlgorithm);
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let key = EncodingKey::from_secret(SECRET);
        let token = jsonwebtoken::encode(&Header::new(alg), &good_claims(), &key).expect("HMAC");
        expect(
            &token,
            unsupported,
            &format!("{alg:?} under the same secret"),
        );
    }
    // Key confusion: a public-key alg whose "signature" is an HMAC under the shared secret.
    for alg in ["RS256", "ES256", "EdDSA", "hs256"] {
        let token = craft(json!({"alg": alg, "typ": "JWT"}), &good_claims(), true);
        expect(&token, unsupported, alg);
    }
}

#[test]
fn wrong_or_missing_typ_aud_iss_are_refused() {
    use VerifyTokenError::{WrongAudience, WrongIssuer, WrongType};
    refused(&with("typ", json!("world")), WrongType, "world typ");
    refused(&without("typ"), WrongType, "no typ");
    refused(&with("aud", json!("world")), WrongAudience, "world aud");
    refused(
        &with("aud", json!(["world", "api"])),
        WrongAudience,
        "aud list without sfu",
    );
    refused(&with("aud", json!([])), WrongAudience, "empty aud list");
    refused(&without("aud"), WrongAudience, "no aud");
    refused(
        &with("iss", json!("someone-else")),
        WrongIssuer,
        "other iss",
    );
    refused(&without("iss"), WrongIssuer, "no iss");
}

#[test]
fn expiry_is_required_and_has_two_seconds_leeway() {
    let exp = |exp: i64| sign(&with("exp", json!(exp)));
    expect(
        &exp(NOW - 2),
        Ok(member_grant()),
        "2 s past exp is inside the leeway",
    );
    expect(
        &exp(NOW - 3),
        Err(VerifyTokenError::Expired),
        "3 s past exp is expired",
    );
    expect(
        &exp(i64::MIN),
        Err(VerifyTokenError::Expired),
        "i64::MIN must not overflow",
    );
    expect(
        &exp(i64::MAX),
        Ok(member_grant()),
        "i64::MAX must not overflow",
    );
    refused(&without("exp"), VerifyTokenError::MissingExpiry, "no exp");
    refused(
        &with("exp", Value::Null),
        VerifyTokenError::MissingExpiry,
        "null exp",
    );
    refused(
        &with("exp", json!("tomorrow")),
        VerifyTokenError::Malformed,
        "string exp",
    );
}

#[test]
fn not_before_is_honoured_with_leeway() {
    let nbf = |nbf: i64| sign(&with("nbf", json!(nbf)));
    expect(
        &nbf(NOW + 2),
        Ok(member_grant()),
        "nbf 2 s ahead is inside the leeway",
    );
    expect(
        &nbf(NOW + 3),
        Err(VerifyTokenError::NotYetValid),
        "nbf 3 s ahead",
    );
    expect(
        &nbf(i64::MIN),
        Ok(member_grant()),
        "i64::MIN must not overflow",
    );
}

#[test]
fn channel_binding() {
    refused(
        &with("channel_id", json!(43)),
        VerifyTokenError::WrongChannel,
        "other channel",
    );
    let verifier = SfuTokenVerifier::new(SECRET, ISSUER);
    for claims in [with("channel_id", json!(0)), without("channel_id")] {
        let token = sign(&claims);
        for channel in [ChannelId(1), CHANNEL, ChannelId(i64::MAX)] {
            let grant = verifier
                .verify_join(&token, channel, NOW)
                .map(|g| g.channel);
            assert_eq!(
                grant,
                Ok(channel),
                "unbound token must join channel {channel}"
            );
        }
    }
}

#[test]
fn user_id_is_required_and_non_zero() {
    refused(
        &without("user_id"),
        VerifyTokenError::MissingUser,
        "no user_id",
    );
    refused(
        &with("user_id", json!(0)),
        VerifyTokenError::MissingUser,
        "user_id 0",
    );
    refused(
        &with("user_id", json!("7")),
        VerifyTokenError::Malformed,
        "user_id as string",
    );
}

#[test]
fn garbage_is_malformed() {
    let payload = b64(&good_claims());
    let cases = [
        String::new(),
        "a.b".to_owned(),
        "a.b.c".to_owned(),
        "..".to_owned(),
        "Bearer ".to_owned(),
        "!!!.@@@.###".to_owned(),
        "not a token at all".to_owned(),
        format!("{payload}.{payload}"),
        format!("{}.{payload}.x.y", b64(&json!({"alg": "HS256"}))),
        format!("{}.{payload}.", b64(&json!(["HS256"]))),
        "x".repeat(100_000),
    ];
    for input in cases {
        let shown: String = input.chars().take(40).collect();
        expect(
            &input,
            Err(VerifyTokenError::Malformed),
            &format!("input {shown:?}"),
        );
    }
}

#[test]
fn moved_grants_connect_speak_video() {
    let none = verify(&sign(&with("perms", json!(0)))).map(|g| g.perms);
    assert_eq!(none, Ok(Permissions::NONE), "no perms without moved");

    let moved = with("moved", json!(true));
    let grant = verify(&sign(&moved)).expect("moved token must verify");
    assert!(grant.moved, "grant must say the user was moved");
    let want = MEMBER | Permissions::MOVED_GRANT;
    assert_eq!(
        grant.perms, want,
        "moved adds Connect, Speak and Video to the token perms"
    );

    let mut bare = moved;
    bare.as_object_mut().expect("object").remove("perms");
    let grant = verify(&sign(&bare)).expect("perms are optional");
    assert_eq!(
        grant.perms,
        Permissions::MOVED_GRANT,
        "moved alone grants Connect/Speak/Video"
    );
}

#[test]
fn minted_token_has_the_wire_shape_and_verifies() {
    let request = SfuTokenRequest {
        user: UserId(9),
        channel: CHANNEL,
        perms: Permissions::VOICE_CONNECT,
        moved: true,
        ttl_secs: 60,
    };
    let token = mint_sfu_token(SECRET, ISSUER, &request, NOW);
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON payload");
    let want = json!({
        "user_id": 9, "typ": "sfu", "aud": ["sfu"], "iss": ISSUER, "exp": NOW + 60, "iat": NOW,
        "channel_id": 42, "perms": 1_048_576, "moved": true,
    });
    assert_eq!(claims, want, "minted claims must match SPEC section 2");

    let grant = verify(&token).expect("a minted token must verify");
    let perms = Permissions::VOICE_CONNECT | Permissions::MOVED_GRANT;
    let want = JoinGrant {
        user: UserId(9),
        channel: CHANNEL,
        perms,
        moved: true,
        issued_at: Some(NOW),
    };
    assert_eq!(grant, want, "grant from a minted token");
    let late = SfuTokenVerifier::new(SECRET, ISSUER).verify_join(&token, CHANNEL, NOW + 63);
    assert_eq!(
        late,
        Err(VerifyTokenError::Expired),
        "the TTL must bound the token's life"
    );
}

#[test]
fn every_refusal_is_unauthorized_on_the_wire() {
    for err in [VerifyTokenError::Malformed, VerifyTokenError::WrongChannel] {
        assert_eq!(err.join_error_code(), "unauthorized", "{err:?}");
    }
}
