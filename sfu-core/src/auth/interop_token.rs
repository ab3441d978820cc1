//! The interop token (SPEC section 5): an SFU dialling `/dspeak/interop` presents it as
//! `Authorization: Bearer <JWT>`; the main server refuses the link without it. An operator token
//! has the same shape with its own `typ` and audience: it opens the operator-only endpoints
//! (`/api/sfu/channels`, `/api/interop/presence`), and neither kind opens the other's door.

use serde::{Deserialize, Serialize};

use super::VerifyTokenError;
use super::claims::ClaimRules;
use super::jwt::{Audience, Hs256Key, mint_hs256};

/// The `typ` claim every interop token carries.
pub const INTEROP_TOKEN_TYPE: &str = "interop";
/// The audience an interop token must name.
pub const INTEROP_AUDIENCE: &str = "interop";
/// The `typ` claim, and the audience, of an operator token.
pub const OPERATOR_TOKEN_TYPE: &str = "operator";

/// The claims of an interop token as they travel in the JWT payload (the wire form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteropClaims {
    /// The name of the SFU dialling in; required and not empty.
    pub sub: String,
    /// Token type; must be [`INTEROP_TOKEN_TYPE`].
    pub typ: String,
    /// Audience; must contain [`INTEROP_AUDIENCE`]. Minted as `"interop"`.
    pub aud: Audience,
    /// Issuer; must equal the verifier's configured issuer.
    pub iss: String,
    /// Expiry, unix seconds; required.
    pub exp: i64,
    /// Issue time, unix seconds; informational only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not-before time, unix seconds; checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// What a verified interop token says about the SFU presenting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteropGrant {
    /// The SFU's name (the `sub` claim); never empty.
    pub sfu_name: String,
}

/// Checks interop tokens signed with the host secret (SPEC section 5).
///
/// Sans-IO: the caller passes the current time, nothing here reads a clock or logs.
#[derive(Debug, Clone)]
pub struct InteropTokenVerifier {
    key: Hs256Key,
    rules: ClaimRules,
}

impl InteropTokenVerifier {
    /// A verifier for tokens signed with `secret` (HS256) and issued by `issuer`.
    pub fn new(secret: &[u8], issuer: impl Into<String>) -> Self {
        Self::of_type(secret, issuer, INTEROP_TOKEN_TYPE, INTEROP_AUDIENCE)
    }

    /// A verifier for operator tokens (same shape; `typ` and `aud` are `"operator"`); the
    /// grant's name is the operator's.
    pub fn for_operators(secret: &[u8], issuer: impl Into<String>) -> Self {
        Self::of_type(secret, issuer, OPERATOR_TOKEN_TYPE, OPERATOR_TOKEN_TYPE)
    }

    fn of_type(
        secret: &[u8],
        issuer: impl Into<String>,
        typ: &'static str,
        audience: &'static str,
    ) -> Self {
        Self {
            key: Hs256Key::new(secret),
            rules: ClaimRules {
                typ,
                audience,
                issuer: issuer.into(),
            },
        }
    }

    /// Decides whether `token` (optionally prefixed `Bearer `, as it arrives in the
    /// `Authorization` header) lets an SFU open the interop link at unix time `now_unix`.
    ///
    /// # Errors
    /// The first failed check as a [`VerifyTokenError`]: the form, the algorithm (HS256 only),
    /// the signature, then `typ`, `aud`, `iss`, `exp` (with
    /// [`TIME_LEEWAY_SECS`](super::TIME_LEEWAY_SECS)), `nbf`, and `sub`
    /// ([`VerifyTokenError::MissingSubject`]). SFU and world tokens fail on `typ`. Never panics,
    /// whatever `token` holds.
    pub fn verify(&self, token: &str, now_unix: i64) -> Result<InteropGrant, VerifyTokenError> {
        let payload = self.key.verify(token)?;
        let required = [("sub", VerifyTokenError::MissingSubject)];
        let claims: InteropClaims = self.rules.check(payload, &required, now_unix)?;
        if claims.sub.trim().is_empty() {
            return Err(VerifyTokenError::MissingSubject);
        }
        Ok(InteropGrant {
            sfu_name: claims.sub,
        })
    }
}

/// Mints an HS256 interop token naming the SFU `sfu_name`, issued by `issuer` at unix time
/// `now_unix` and valid for `ttl_secs` (used by the SFU's interop dialler, `hearth-host token
/// interop` and tests).
pub fn mint_interop_token(
    secret: &[u8],
    issuer: &str,
    sfu_name: &str,
    ttl_secs: u64,
    now_unix: i64,
) -> String {
    mint_of_type(
        (INTEROP_TOKEN_TYPE, INTEROP_AUDIENCE),
        secret,
        issuer,
        sfu_name,
        ttl_secs,
        now_unix,
    )
}

/// Mints an HS256 operator token for `operator` (`hearth-host token operator`, tests).
pub fn mint_operator_token(
    secret: &[u8],
    issuer: &str,
    operator: &str,
    ttl_secs: u64,
    now_unix: i64,
) -> String {
    mint_of_type(
        (OPERATOR_TOKEN_TYPE, OPERATOR_TOKEN_TYPE),
        secret,
        issuer,
        operator,
        ttl_secs,
        now_unix,
    )
}

fn mint_of_type(
    (typ, audience): (&str, &str),
    secret: &[u8],
    issuer: &str,
    subject: &str,
    ttl_secs: u64,
    now_unix: i64,
) -> String {
    let ttl = i64::try_from(ttl_secs).unwrap_or(i64::MAX);
    let claims = InteropClaims {
        sub: subject.to_owned(),
        typ: typ.to_owned(),
        aud: Audience::One(audience.to_owned()),
        iss: issuer.to_owned(),
        exp: now_unix.saturating_add(ttl),
        iat: Some(now_unix),
        nbf: None,
    };
    mint_hs256(secret, &claims)
        .expect("InteropClaims holds only strings and integers, which always encode")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::{SfuTokenRequest, SfuTokenVerifier, mint_sfu_token};
    use crate::ids::{ChannelId, UserId};
    use crate::perms::Permissions;

    const SECRET: &[u8] = b"hearth-test-secret-0123456789abcdef";
    const ISSUER: &str = "hearth";
    const NOW: i64 = 1_700_000_000;

    fn verify(token: &str) -> Result<InteropGrant, VerifyTokenError> {
        InteropTokenVerifier::new(SECRET, ISSUER).verify(token, NOW)
    }

    fn good_claims() -> serde_json::Value {
        json!({"sub": "sfu-eu-1", "typ": "interop", "aud": "interop", "iss": ISSUER, "exp": NOW + 60})
    }

    fn signed_with(claim: &str, value: serde_json::Value) -> String {
        let mut claims = good_claims();
        claims[claim] = value;
        mint_hs256(SECRET, &claims).expect("JSON claims always encode")
    }

    fn grant(name: &str) -> Result<InteropGrant, VerifyTokenError> {
        Ok(InteropGrant {
            sfu_name: name.to_owned(),
        })
    }

    #[test]
    fn minted_token_is_accepted_as_bearer_and_names_the_sfu() {
        let token = mint_interop_token(SECRET, ISSUER, "sfu-eu-1", 60, NOW);
        assert_eq!(verify(&token), grant("sfu-eu-1"), "a minted token");
        let header = format!("Bearer {token}");
        assert_eq!(
            verify(&header),
            grant("sfu-eu-1"),
            "as an Authorization value"
        );
        let late = InteropTokenVerifier::new(SECRET, ISSUER).verify(&token, NOW + 63);
        assert_eq!(
            late,
            Err(VerifyTokenError::Expired),
            "the TTL bounds the token"
        );
        let array_aud = signed_with("aud", json!(["sfu", "interop"]));
        assert_eq!(verify(&array_aud), grant("sfu-eu-1"), "aud as an array");
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let foreign = mint_interop_token(b"another-secret", ISSUER, "sfu-eu-1", 60, NOW);
        assert_eq!(
            verify(&foreign),
            Err(VerifyTokenError::BadSignature),
            "other secret"
        );
        let other_issuer = InteropTokenVerifier::new(SECRET, "elsewhere")
            .verify(&mint_interop_token(SECRET, ISSUER, "x", 60, NOW), NOW);
        assert_eq!(
            other_issuer,
            Err(VerifyTokenError::WrongIssuer),
            "other issuer"
        );
        let cases = [
            ("typ", json!("sfu"), VerifyTokenError::WrongType),
            ("aud", json!("sfu"), VerifyTokenError::WrongAudience),
            ("exp", json!(NOW - 3), VerifyTokenError::Expired),
            ("exp", json!(null), VerifyTokenError::MissingExpiry),
            ("sub", json!(null), VerifyTokenError::MissingSubject),
            ("sub", json!(" "), VerifyTokenError::MissingSubject),
            ("sub", json!(5), VerifyTokenError::Malformed),
        ];
        for (claim, value, want) in cases {
            let token = signed_with(claim, value.clone());
            assert_eq!(verify(&token), Err(want), "{claim} = {value}");
        }
    }

    #[test]
    fn sfu_and_interop_tokens_do_not_pass_for_each_other() {
        let request = SfuTokenRequest {
            user: UserId(7),
            channel: ChannelId(0),
            perms: Permissions::ADMINISTRATOR,
            moved: false,
            ttl_secs: 60,
        };
        let sfu = mint_sfu_token(SECRET, ISSUER, &request, NOW);
        assert_eq!(
            verify(&sfu),
            Err(VerifyTokenError::WrongType),
            "an SFU token must not open the interop link"
        );
        let interop = mint_interop_token(SECRET, ISSUER, "sfu-eu-1", 60, NOW);
        let joined = SfuTokenVerifier::new(SECRET, ISSUER).verify_join(&interop, ChannelId(1), NOW);
        assert!(
            joined.is_err(),
            "an interop token must not join a channel, got {joined:?}"
        );
    }
}

#[cfg(test)]
mod operator_tests {
    use super::*;

    const SECRET: &[u8] = b"hearth-test-secret-0123456789abcdef";

    #[test]
    fn an_operator_token_opens_only_the_operator_door() {
        let operator = mint_operator_token(SECRET, "hearth", "ops", 60, 1_000);
        let interop = mint_interop_token(SECRET, "hearth", "sfu-1", 60, 1_000);
        let operators = InteropTokenVerifier::for_operators(SECRET, "hearth");
        let links = InteropTokenVerifier::new(SECRET, "hearth");
        assert_eq!(
            operators.verify(&operator, 1_000).map(|g| g.sfu_name),
            Ok("ops".to_owned())
        );
        assert!(
            operators.verify(&interop, 1_000).is_err(),
            "an SFU is no operator"
        );
        assert!(
            links.verify(&operator, 1_000).is_err(),
            "an operator is no SFU"
        );
        assert!(operators.verify(&operator, 2_000).is_err(), "it expires");
    }
}
