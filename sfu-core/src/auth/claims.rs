//! The registered-claim rules (`typ`, `aud`, `iss`, `exp`, `nbf`) shared by the SFU, world and
//! interop tokens, so each token kind only states its own claims.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::VerifyTokenError;
use super::jwt::Audience;
use super::sfu_token::TIME_LEEWAY_SECS;

/// The registered claims every Hearth token carries, as far as the checks below need them.
#[derive(Deserialize)]
struct Registered {
    typ: String,
    aud: Audience,
    iss: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
}

/// What one token kind requires of the registered claims.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRules {
    /// The `typ` the token must carry.
    pub(crate) typ: &'static str,
    /// The audience `aud` must contain.
    pub(crate) audience: &'static str,
    /// The issuer `iss` must equal.
    pub(crate) issuer: String,
}

impl ClaimRules {
    /// Checks a signature-checked `payload` and decodes it as the token kind's claims `T`.
    ///
    /// Order: the presence of `typ`, `aud`, `iss`, `exp`, then their values (`exp` and `nbf` with
    /// [`TIME_LEEWAY_SECS`]), and only then the presence of the kind's own `required` claims
    /// (each with the error its absence gets) and the decoding of `T`. Checking the registered
    /// claims first means a token of another kind is refused as [`VerifyTokenError::WrongType`]
    /// rather than for lacking some claim of ours.
    ///
    /// # Errors
    /// The first failed check; a present claim of the wrong JSON type is
    /// [`VerifyTokenError::Malformed`].
    pub(crate) fn check<T: DeserializeOwned>(
        &self,
        payload: Map<String, Value>,
        required: &[(&str, VerifyTokenError)],
        now_unix: i64,
    ) -> Result<T, VerifyTokenError> {
        let registered = [
            ("typ", VerifyTokenError::WrongType),
            ("aud", VerifyTokenError::WrongAudience),
            ("iss", VerifyTokenError::WrongIssuer),
            ("exp", VerifyTokenError::MissingExpiry),
        ];
        let payload = Value::Object(payload);
        require(&payload, &registered)?;
        let claims = Registered::deserialize(&payload).map_err(|_| VerifyTokenError::Malformed)?;
        if claims.typ != self.typ {
            return Err(VerifyTokenError::WrongType);
        }
        if !claims.aud.contains(self.audience) {
            return Err(VerifyTokenError::WrongAudience);
        }
        if claims.iss != self.issuer {
            return Err(VerifyTokenError::WrongIssuer);
        }
        // Saturating: exp and nbf come from the token and may sit at the ends of i64.
        if claims.exp.saturating_add(TIME_LEEWAY_SECS) < now_unix {
            return Err(VerifyTokenError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf.saturating_sub(TIME_LEEWAY_SECS) > now_unix)
        {
            return Err(VerifyTokenError::NotYetValid);
        }
        require(&payload, required)?;
        T::deserialize(payload).map_err(|_| VerifyTokenError::Malformed)
    }
}

/// Fails with the paired error for the first claim in `claims` that is absent or `null`.
fn require(payload: &Value, claims: &[(&str, VerifyTokenError)]) -> Result<(), VerifyTokenError> {
    match claims
        .iter()
        .find(|(name, _)| matches!(payload.get(*name), None | Some(Value::Null)))
    {
        Some((_, missing)) => Err(*missing),
        None => Ok(()),
    }
}
