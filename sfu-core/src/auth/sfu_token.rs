//! The SFU join token (SPEC section 2, seed 002), compatible with GoChat's API-issued tokens.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::VerifyTokenError;
use super::claims::ClaimRules;
use super::jwt::{Audience, Hs256Key, mint_hs256};
use crate::ids::{ChannelId, UserId};
use crate::perms::Permissions;

#[cfg(test)]
mod tests;

/// The `typ` claim every SFU token carries.
pub const SFU_TOKEN_TYPE: &str = "sfu";
/// The audience an SFU token must name.
pub const SFU_AUDIENCE: &str = "sfu";
/// Clock skew tolerated on `exp` (and `nbf`), in seconds.
pub const TIME_LEEWAY_SECS: i64 = 2;

/// The claims of an SFU token as they travel in the JWT payload.
///
/// This is the wire form: deserializing it only checks JSON types. [`SfuTokenVerifier`] applies
/// the rules and turns a good token into a [`JoinGrant`]. Unknown claims are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfuClaims {
    /// The user the token is for; must be non-zero.
    pub user_id: i64,
    /// Token type; must be [`SFU_TOKEN_TYPE`].
    pub typ: String,
    /// Audience; must contain [`SFU_AUDIENCE`]. Minted as `["sfu"]`.
    pub aud: Audience,
    /// Issuer; must equal the verifier's configured issuer.
    pub iss: String,
    /// Expiry, unix seconds; required.
    pub exp: i64,
    /// Issue time, unix seconds; informational only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not-before time, unix seconds; checked when present (RFC 7519 section 4.1.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The only channel the token may join; absent or 0 means any channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    /// Permission bitmask (SPEC section 3); 0 when absent.
    #[serde(default)]
    pub perms: i64,
    /// Issued for a move (`t:512`): lets the user in despite a block and grants
    /// [`Permissions::MOVED_GRANT`] for the session.
    #[serde(default)]
    pub moved: bool,
}

/// What a verified SFU token lets its holder do in the channel being joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinGrant {
    /// The user joining.
    pub user: UserId,
    /// The channel being joined (the join's `channel`, which the token allows).
    pub channel: ChannelId,
    /// The token's permissions, plus [`Permissions::MOVED_GRANT`] when `moved`.
    pub perms: Permissions,
    /// The user arrives through a move: the channel's block list does not apply to them.
    pub moved: bool,
    /// When the token was issued (`iat`, unix seconds), when it says.
    pub issued_at: Option<i64>,
}

/// Checks SFU tokens signed with the host secret (SPEC section 2).
///
/// Sans-IO: the caller passes the current time, nothing here reads a clock or logs.
#[derive(Debug, Clone)]
pub struct SfuTokenVerifier {
    key: Hs256Key,
    rules: ClaimRules,
}

impl SfuTokenVerifier {
    /// A verifier for tokens signed with `secret` (HS256) and issued by `issuer`.
    pub fn new(secret: &[u8], issuer: impl Into<String>) -> Self {
        Self {
            key: Hs256Key::new(secret),
            rules: ClaimRules {
                typ: SFU_TOKEN_TYPE,
                audience: SFU_AUDIENCE,
                issuer: issuer.into(),
            },
        }
    }

    /// Decides whether `token` (optionally prefixed `Bearer `) may join `channel` at unix time
    /// `now_unix`, and with which permissions.
    ///
    /// # Errors
    /// The first failed check as a [`VerifyTokenError`]: the form, the algorithm (HS256 only),
    /// the signature, then `typ`, `aud`, `iss`, `exp` (with [`TIME_LEEWAY_SECS`]), `nbf`,
    /// `user_id` and `channel_id`. Never panics, whatever `token` holds.
    pub fn verify_join(
        &self,
        token: &str,
        channel: ChannelId,
        now_unix: i64,
    ) -> Result<JoinGrant, VerifyTokenError> {
        let claims = self.check_claims(self.key.verify(token)?, now_unix)?;
        if let Some(bound) = claims.channel_id
            && bound != 0
            && bound != channel.0
        {
            return Err(VerifyTokenError::WrongChannel);
        }
        let perms = Permissions::from_bits(claims.perms);
        Ok(JoinGrant {
            user: UserId(claims.user_id),
            channel,
            perms: if claims.moved {
                perms | Permissions::MOVED_GRANT
            } else {
                perms
            },
            moved: claims.moved,
            issued_at: claims.iat,
        })
    }

    /// Applies every claim rule except the channel binding to a signature-checked payload.
    fn check_claims(
        &self,
        payload: Map<String, Value>,
        now_unix: i64,
    ) -> Result<SfuClaims, VerifyTokenError> {
        let required = [("user_id", VerifyTokenError::MissingUser)];
        let claims: SfuClaims = self.rules.check(payload, &required, now_unix)?;
        if claims.user_id == 0 {
            return Err(VerifyTokenError::MissingUser);
        }
        Ok(claims)
    }
}

/// What to put into a freshly minted SFU token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SfuTokenRequest {
    /// The user the token is for (non-zero, or the token will be refused).
    pub user: UserId,
    /// The channel the token is bound to; `ChannelId(0)` lets it join any channel.
    pub channel: ChannelId,
    /// The permissions it carries.
    pub perms: Permissions,
    /// Marks a token handed out by a move (`t:512`).
    pub moved: bool,
    /// Lifetime in seconds from the issue time.
    pub ttl_secs: u64,
}

impl SfuTokenRequest {
    /// The claims a token for this request carries when `issuer` mints it at `now_unix`:
    /// `typ: "sfu"`, `aud: ["sfu"]`, `iat` now and `exp` now plus the TTL (saturating).
    pub fn claims(&self, issuer: &str, now_unix: i64) -> SfuClaims {
        let ttl = i64::try_from(self.ttl_secs).unwrap_or(i64::MAX);
        SfuClaims {
            user_id: self.user.0,
            typ: SFU_TOKEN_TYPE.to_owned(),
            aud: Audience::Many(vec![SFU_AUDIENCE.to_owned()]),
            iss: issuer.to_owned(),
            exp: now_unix.saturating_add(ttl),
            iat: Some(now_unix),
            nbf: None,
            channel_id: Some(self.channel.0),
            perms: self.perms.bits(),
            moved: self.moved,
        }
    }
}

/// Mints an HS256 SFU token for `request`, issued by `issuer` at unix time `now_unix`
/// (used by `hearth-host token sfu`, the move event, the world server and tests).
pub fn mint_sfu_token(
    secret: &[u8],
    issuer: &str,
    request: &SfuTokenRequest,
    now_unix: i64,
) -> String {
    mint_hs256(secret, &request.claims(issuer, now_unix))
        .expect("SfuClaims holds only strings, integers and booleans, which always encode")
}
