use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::auth::{
    InteropTokenVerifier, SfuTokenRequest, SfuTokenVerifier, mint_interop_token, mint_sfu_token,
};
use crate::ids::{ChannelId, UserId};
use crate::perms::Permissions;

const SECRET: &[u8] = b"hearth-test-secret-0123456789abcdef";
const ISSUER: &str = "hearth";
const NOW: i64 = 1_700_000_000;
const USER: &str = "0b5f3c2e-8d4a-4f6b-9e21-7c3d5a1b2f40";
const WORKSPACE: &str = "6f1d2c3b-4a59-4e8f-8d7c-1b2a3c4d5e6f";

fn verify(token: &str) -> Result<WorldGrant, VerifyTokenError> {
    WorldTokenVerifier::new(SECRET, ISSUER).verify(token, NOW)
}

/// The claims of a good token, as JSON so a test can change or drop exactly one claim.
fn good_claims() -> Value {
    json!({
        "user_id": USER, "workspace_id": WORKSPACE, "roles": ["Editor", "Member"],
        "display_name": "Ada", "avatar_id": "fox-3", "typ": "world", "aud": "world",
        "iss": ISSUER, "exp": NOW + 60, "iat": NOW,
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

fn uuid(s: &str) -> Uuid {
    Uuid::try_parse(s).expect("test UUIDs are valid")
}

fn editor_grant() -> WorldGrant {
    WorldGrant {
        user_id: uuid(USER),
        workspace_id: uuid(WORKSPACE),
        roles: vec![Role::Editor, Role::Member],
        display_name: "Ada".to_owned(),
        avatar_id: "fox-3".to_owned(),
    }
}

/// Asserts that a token signed with SECRET over `claims` is refused with `want`.
#[track_caller]
fn refused(claims: &Value, want: VerifyTokenError, what: &str) {
    assert_eq!(verify(&sign(claims)), Err(want), "{what}");
}

#[test]
fn valid_token_grants_its_claims() {
    let token = sign(&good_claims());
    assert_eq!(verify(&token), Ok(editor_grant()), "a good token");
    let bearer = format!("Bearer {token}");
    assert_eq!(verify(&bearer), Ok(editor_grant()), "with a Bearer prefix");
    let many = with("aud", json!(["sfu", "world"]));
    assert_eq!(verify(&sign(&many)), Ok(editor_grant()), "aud as an array");
}

#[test]
fn forged_signatures_are_refused() {
    let forged = mint_hs256(b"not-the-secret", &good_claims()).expect("encodes");
    assert_eq!(
        verify(&forged),
        Err(VerifyTokenError::BadSignature),
        "foreign secret"
    );

    let token = sign(&good_claims());
    let parts: Vec<&str> = token.split('.').collect();
    let admin = b64(&with("roles", json!(["Admin"])));
    let tampered = format!("{}.{admin}.{}", parts[0], parts[2]);
    assert_eq!(
        verify(&tampered),
        Err(VerifyTokenError::BadSignature),
        "roles raised to Admin after signing"
    );
}

#[test]
fn algorithms_other_than_hs256_are_refused() {
    let unsupported = Err(VerifyTokenError::UnsupportedAlgorithm);
    let payload = b64(&good_claims());
    let none = format!("{}.{payload}.", b64(&json!({"alg": "none", "typ": "JWT"})));
    assert_eq!(verify(&none), unsupported, "alg none");
    let key = EncodingKey::from_secret(SECRET);
    let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &good_claims(), &key)
        .expect("HMAC signs");
    assert_eq!(verify(&hs512), unsupported, "HS512 under our secret");
}

#[test]
fn wrong_or_missing_typ_aud_iss_are_refused() {
    use VerifyTokenError::{WrongAudience, WrongIssuer, WrongType};
    refused(&with("typ", json!("sfu")), WrongType, "sfu typ");
    refused(&without("typ"), WrongType, "no typ");
    refused(&with("aud", json!("sfu")), WrongAudience, "sfu aud");
    refused(&with("aud", json!([])), WrongAudience, "empty aud list");
    refused(&without("aud"), WrongAudience, "no aud");
    refused(&with("iss", json!("elsewhere")), WrongIssuer, "other iss");
    refused(&without("iss"), WrongIssuer, "no iss");
    refused(
        &with("aud", json!(5)),
        VerifyTokenError::Malformed,
        "numeric aud",
    );
}

#[test]
fn expiry_is_required_and_has_two_seconds_leeway() {
    let exp = |exp: i64| verify(&sign(&with("exp", json!(exp))));
    assert_eq!(
        exp(NOW - 2),
        Ok(editor_grant()),
        "2 s past exp is inside the leeway"
    );
    assert_eq!(exp(NOW - 3), Err(VerifyTokenError::Expired), "3 s past exp");
    assert_eq!(
        exp(i64::MIN),
        Err(VerifyTokenError::Expired),
        "i64::MIN must not overflow"
    );
    refused(&without("exp"), VerifyTokenError::MissingExpiry, "no exp");
    refused(
        &with("exp", Value::Null),
        VerifyTokenError::MissingExpiry,
        "null exp",
    );
    refused(
        &with("exp", json!("soon")),
        VerifyTokenError::Malformed,
        "string exp",
    );
    refused(
        &with("nbf", json!(NOW + 3)),
        VerifyTokenError::NotYetValid,
        "nbf ahead",
    );
}

#[test]
fn user_and_workspace_must_be_uuids() {
    use VerifyTokenError::{BadUserId, BadWorkspaceId, Malformed, MissingUser};
    refused(
        &with("user_id", json!("7")),
        BadUserId,
        "numeric string user",
    );
    refused(
        &with("user_id", json!("not-a-uuid")),
        BadUserId,
        "word user",
    );
    refused(&with("user_id", json!("")), BadUserId, "empty user");
    refused(&with("user_id", json!(7)), Malformed, "JSON number user");
    refused(&without("user_id"), MissingUser, "no user");
    let nil = "00000000-0000-0000-0000-000000000000";
    refused(&with("user_id", json!(nil)), MissingUser, "nil user");
    refused(
        &with("workspace_id", json!("w1")),
        BadWorkspaceId,
        "word workspace",
    );
    refused(&without("workspace_id"), BadWorkspaceId, "no workspace");

    let simple = USER.replace('-', "");
    let got = verify(&sign(&with("user_id", json!(simple)))).map(|g| g.user_id);
    assert_eq!(
        got,
        Ok(uuid(USER)),
        "the unhyphenated form is the same UUID"
    );
}

#[test]
fn roles_must_be_known_and_none_means_guest() {
    use VerifyTokenError::{Malformed, UnknownRole};
    refused(
        &with("roles", json!(["Member", "Owner"])),
        UnknownRole,
        "Owner",
    );
    refused(
        &with("roles", json!(["admin"])),
        UnknownRole,
        "names are case-sensitive",
    );
    refused(
        &with("roles", json!("Admin")),
        Malformed,
        "roles as a string",
    );
    refused(&with("roles", json!([1])), Malformed, "role as a number");

    let roles = |claims: Value| verify(&sign(&claims)).map(|g| g.roles);
    assert_eq!(
        roles(with("roles", json!([]))),
        Ok(vec![Role::Guest]),
        "empty is Guest"
    );
    assert_eq!(
        roles(without("roles")),
        Ok(vec![Role::Guest]),
        "absent is Guest"
    );
    let repeated = with("roles", json!(["Admin", "Guest", "Admin"]));
    assert_eq!(
        roles(repeated),
        Ok(vec![Role::Admin, Role::Guest]),
        "repeats are dropped, order kept"
    );
}

#[test]
fn name_and_avatar_are_optional() {
    let mut claims = without("display_name");
    claims.as_object_mut().expect("object").remove("avatar_id");
    let grant = verify(&sign(&claims)).expect("name and avatar are optional");
    assert_eq!(
        (grant.display_name.as_str(), grant.avatar_id.as_str()),
        ("", ""),
        "absent name and avatar are empty"
    );
}

#[test]
fn minted_token_has_the_wire_shape_and_verifies() {
    let request = WorldTokenRequest {
        user_id: uuid(USER),
        workspace_id: uuid(WORKSPACE),
        roles: vec![Role::Admin, Role::Member],
        display_name: "Grace".to_owned(),
        avatar_id: "owl".to_owned(),
        ttl_secs: 60,
    };
    let token = mint_world_token(SECRET, ISSUER, &request, NOW);
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON payload");
    let want = json!({
        "user_id": USER, "workspace_id": WORKSPACE, "roles": ["Admin", "Member"],
        "display_name": "Grace", "avatar_id": "owl", "typ": "world", "aud": "world",
        "iss": ISSUER, "exp": NOW + 60, "iat": NOW,
    });
    assert_eq!(claims, want, "minted claims must match SPEC section 2");

    let want = WorldGrant {
        user_id: request.user_id,
        workspace_id: request.workspace_id,
        roles: request.roles.clone(),
        display_name: request.display_name.clone(),
        avatar_id: request.avatar_id.clone(),
    };
    assert_eq!(verify(&token), Ok(want), "grant from a minted token");
    let late = WorldTokenVerifier::new(SECRET, ISSUER).verify(&token, NOW + 63);
    assert_eq!(
        late,
        Err(VerifyTokenError::Expired),
        "the TTL bounds the token"
    );
}

#[test]
fn tokens_of_other_kinds_do_not_pass_for_world_tokens() {
    let request = SfuTokenRequest {
        user: UserId(7),
        channel: ChannelId(0),
        perms: Permissions::ADMINISTRATOR,
        moved: false,
        ttl_secs: 60,
    };
    let sfu = mint_sfu_token(SECRET, ISSUER, &request, NOW);
    assert_eq!(verify(&sfu), Err(VerifyTokenError::WrongType), "SFU token");
    let interop = mint_interop_token(SECRET, ISSUER, "sfu-1", 60, NOW);
    assert_eq!(
        verify(&interop),
        Err(VerifyTokenError::WrongType),
        "interop token"
    );

    let world = sign(&good_claims());
    let joined = SfuTokenVerifier::new(SECRET, ISSUER).verify_join(&world, ChannelId(1), NOW);
    assert!(
        joined.is_err(),
        "a world token must not join the SFU, got {joined:?}"
    );
    let linked = InteropTokenVerifier::new(SECRET, ISSUER).verify(&world, NOW);
    assert_eq!(
        linked,
        Err(VerifyTokenError::WrongType),
        "a world token must not open the interop link"
    );
}

#[test]
fn mangled_tokens_never_panic_or_pass() {
    let token = sign(&good_claims());
    let verifier = WorldTokenVerifier::new(SECRET, ISSUER);
    // Every single-byte truncation and substitution of a good token: deterministic, no RNG.
    for at in 0..token.len() {
        let truncated = &token[..at];
        assert!(
            verifier.verify(truncated, NOW).is_err(),
            "prefix of {at} bytes"
        );
        for replacement in ["A", "_", ".", "é"] {
            let mut mangled = token.clone();
            mangled.replace_range(at..at + 1, replacement);
            if mangled != token {
                // A substitution in the last base64url char may leave the decoded bytes equal.
                let got = verifier.verify(&mangled, NOW);
                assert!(
                    got.is_err() || got == Ok(editor_grant()),
                    "byte {at} -> {replacement:?} gave {got:?}"
                );
            }
        }
    }
}
