//! The HS256 layer shared by every Hearth token (SFU now, world and interop later): the compact
//! form, the algorithm pin, the signature, and minting. Claim rules live with each token kind.

use std::collections::HashSet;
use std::sync::Once;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::VerifyTokenError;

/// Longest token we look at. Real ones are a few hundred bytes; the cap bounds the work an
/// unauthenticated peer can make us do before the signature check.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The authorization scheme that may precede a token (RFC 6750), matched case-insensitively.
const BEARER: &str = "Bearer ";

/// The `aud` claim: RFC 7519 section 4.1.3 allows a single string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "sfu"`
    One(String),
    /// `"aud": ["sfu", ...]`
    Many(Vec<String>),
}

impl Audience {
    /// True when `audience` is the token's audience or one of them.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Self::One(one) => one == audience,
            Self::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// Why [`mint_hs256`] could not issue a token.
#[derive(Debug, thiserror::Error)]
pub enum MintTokenError {
    /// The claims did not serialize to JSON (e.g. a map with non-string keys).
    #[error("token claims could not be encoded")]
    Encode(#[source] jsonwebtoken::errors::Error),
}

/// Signs `claims` as a compact HS256 JWT with the header `{"typ":"JWT","alg":"HS256"}`.
///
/// The claims are written as given: token kinds build their own claim structs and call this.
///
/// # Errors
/// [`MintTokenError::Encode`] when `claims` does not serialize to JSON; HMAC signing itself
/// cannot fail.
pub fn mint_hs256(secret: &[u8], claims: &impl Serialize) -> Result<String, MintTokenError> {
    ensure_crypto_provider();
    let key = EncodingKey::from_secret(secret);
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(MintTokenError::Encode)
}

/// An HS256 verification key plus the one jsonwebtoken setup every Hearth token uses.
#[derive(Debug, Clone)]
pub(crate) struct Hs256Key {
    key: DecodingKey,
    validation: Validation,
}

impl Hs256Key {
    /// A key for tokens signed with `secret`.
    pub(crate) fn new(secret: &[u8]) -> Self {
        ensure_crypto_provider();
        let mut validation = Validation::new(Algorithm::HS256);
        // Claim rules are the caller's: jsonwebtoken's exp/nbf checks read the system clock
        // (we are sans-IO and take `now` as an argument) and its aud/iss checks cannot tell
        // a missing claim from a wrong one.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        Self {
            key: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Checks the compact form, the algorithm and the signature of `token` (surrounding
    /// whitespace and a `Bearer ` prefix are allowed) and returns the payload as a JSON object.
    /// The claims themselves are not looked at.
    ///
    /// # Errors
    /// [`VerifyTokenError::Malformed`], [`VerifyTokenError::UnsupportedAlgorithm`] or
    /// [`VerifyTokenError::BadSignature`]. Never panics, whatever `token` holds.
    pub(crate) fn verify(&self, token: &str) -> Result<Map<String, Value>, VerifyTokenError> {
        let token = strip_bearer(token);
        if token.len() > MAX_TOKEN_LEN {
            return Err(VerifyTokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyTokenError::Malformed);
        };
        check_algorithm(header)?;
        jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => VerifyTokenError::BadSignature,
                ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidAlgorithmName
                | ErrorKind::UnsupportedAlgorithm => VerifyTokenError::UnsupportedAlgorithm,
                _ => VerifyTokenError::Malformed,
            })
    }
}

/// Removes surrounding whitespace and an optional `Bearer ` prefix in any letter case, as a
/// token arrives in an `Authorization` header.
pub(crate) fn strip_bearer(token: &str) -> &str {
    let token = token.trim();
    match token.split_at_checked(BEARER.len()) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case(BEARER) => rest.trim_start(),
        _ => token,
    }
}

/// Pins the algorithm by reading the JOSE header ourselves, before jsonwebtoken parses it:
/// its header type cannot represent `alg: none`, which would come back as a mere JSON error.
fn check_algorithm(encoded_header: &str) -> Result<(), VerifyTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded_header)
        .map_err(|_| VerifyTokenError::Malformed)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| VerifyTokenError::Malformed)?;
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => Ok(()),
        _ => Err(VerifyTokenError::UnsupportedAlgorithm),
    }
}

/// Selects aws-lc-rs as jsonwebtoken's process-wide crypto provider.
///
/// jsonwebtoken derives the provider from its crate features, and if feature unification ever
/// turns on `rust_crypto` next to `aws_lc_rs` it panics on first use; installing ours explicitly
/// keeps verification panic-free. If a provider is already installed, that one stays.
fn ensure_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err only means a provider is already in place, which is fine.
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn minted_token_verifies_and_keeps_claims() {
        let claims = json!({"sub": "x", "n": 5});
        let token = mint_hs256(b"k", &claims).expect("a JSON object always encodes");
        let got = Hs256Key::new(b"k")
            .verify(&token)
            .expect("own token must verify");
        assert_eq!(
            Value::Object(got),
            claims,
            "claims must round-trip unchanged"
        );
        assert_eq!(
            Hs256Key::new(b"other").verify(&token),
            Err(VerifyTokenError::BadSignature),
            "a token must not verify under another secret"
        );
    }

    #[test]
    fn minting_unserializable_claims_is_an_error() {
        let claims = std::collections::HashMap::from([((1, 2), 3)]);
        assert!(
            mint_hs256(b"k", &claims).is_err(),
            "non-string map keys cannot be JSON claims"
        );
    }

    #[test]
    fn bearer_prefix_is_stripped_in_any_case() {
        for input in [
            "Bearer a.b.c",
            "bearer a.b.c",
            "BEARER   a.b.c",
            "  a.b.c \n",
        ] {
            assert_eq!(strip_bearer(input), "a.b.c", "input {input:?}");
        }
        assert_eq!(
            strip_bearer("Bearera.b.c"),
            "Bearera.b.c",
            "the space is part of the scheme"
        );
        assert_eq!(
            strip_bearer("Bearerä x"),
            "Bearerä x",
            "byte 7 inside a char must not panic"
        );
    }

    #[test]
    fn audience_accepts_string_and_array() {
        let one: Audience = serde_json::from_value(json!("sfu")).expect("string aud");
        let many: Audience = serde_json::from_value(json!(["api", "sfu"])).expect("array aud");
        assert!(
            one.contains("sfu") && many.contains("sfu"),
            "both forms contain sfu"
        );
        assert!(!many.contains("world"), "world is not in [api, sfu]");
        assert!(
            serde_json::from_value::<Audience>(json!(5)).is_err(),
            "a number is no aud"
        );
    }
}
