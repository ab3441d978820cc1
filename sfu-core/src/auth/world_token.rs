//! The world token (SPEC section 2, seed 004 `CONNECT.token`): who connects to `/world`, in which
//! workspace, with which roles.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::VerifyTokenError;
use super::claims::ClaimRules;
use super::jwt::{Audience, Hs256Key, mint_hs256};
use crate::roles::Role;

#[cfg(test)]
mod tests;

/// The `typ` claim every world token carries.
pub const WORLD_TOKEN_TYPE: &str = "world";
/// The audience a world token must name.
pub const WORLD_AUDIENCE: &str = "world";

/// The claims of a world token as they travel in the JWT payload.
///
/// This is the wire form: deserializing it only checks JSON types, so ids are strings and roles
/// are names. [`WorldTokenVerifier`] applies the rules and turns a good token into a
/// [`WorldGrant`]. Unknown claims are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldClaims {
    /// The user, a UUID string; required and not the nil UUID.
    pub user_id: String,
    /// The workspace the user belongs to, a UUID string; required.
    pub workspace_id: String,
    /// Role names, each one of `Admin`, `Editor`, `Member`, `Guest`. Absent or empty means
    /// Guest.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The name other users see; empty when absent (the world server picks a fallback).
    #[serde(default)]
    pub display_name: String,
    /// The avatar to draw; empty when absent.
    #[serde(default)]
    pub avatar_id: String,
    /// Token type; must be [`WORLD_TOKEN_TYPE`].
    pub typ: String,
    /// Audience; must contain [`WORLD_AUDIENCE`]. Minted as `"world"`.
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
}

/// Who a verified world token says its holder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldGrant {
    /// The user; never the nil UUID.
    pub user_id: Uuid,
    /// The user's workspace.
    pub workspace_id: Uuid,
    /// The user's roles, in token order without repeats; never empty (`[Guest]` when the token
    /// named none).
    pub roles: Vec<Role>,
    /// The name other users see; may be empty.
    pub display_name: String,
    /// The avatar to draw; may be empty.
    pub avatar_id: String,
}

/// Checks world tokens signed with the host secret (SPEC section 2).
///
/// Sans-IO: the caller passes the current time, nothing here reads a clock or logs.
#[derive(Debug, Clone)]
pub struct WorldTokenVerifier {
    key: Hs256Key,
    rules: ClaimRules,
}

impl WorldTokenVerifier {
    /// A verifier for tokens signed with `secret` (HS256) and issued by `issuer`.
    pub fn new(secret: &[u8], issuer: impl Into<String>) -> Self {
        Self {
            key: Hs256Key::new(secret),
            rules: ClaimRules {
                typ: WORLD_TOKEN_TYPE,
                audience: WORLD_AUDIENCE,
                issuer: issuer.into(),
            },
        }
    }

    /// Decides who `token` (optionally prefixed `Bearer `) is at unix time `now_unix`.
    ///
    /// # Errors
    /// The first failed check as a [`VerifyTokenError`]: the form, the algorithm (HS256 only),
    /// the signature, then `typ`, `aud`, `iss`, `exp` (with
    /// [`TIME_LEEWAY_SECS`](super::TIME_LEEWAY_SECS)), `nbf`, then `user_id`
    /// ([`VerifyTokenError::MissingUser`] when absent or nil, [`VerifyTokenError::BadUserId`]
    /// when not a UUID), `workspace_id` ([`VerifyTokenError::BadWorkspaceId`]) and `roles`
    /// ([`VerifyTokenError::UnknownRole`]). Never panics, whatever `token` holds.
    pub fn verify(&self, token: &str, now_unix: i64) -> Result<WorldGrant, VerifyTokenError> {
        let payload = self.key.verify(token)?;
        self.check_claims(payload, now_unix)?.try_into()
    }

    /// Applies the claim rules to a signature-checked payload.
    fn check_claims(
        &self,
        payload: Map<String, Value>,
        now_unix: i64,
    ) -> Result<WorldClaims, VerifyTokenError> {
        let required = [
            ("user_id", VerifyTokenError::MissingUser),
            ("workspace_id", VerifyTokenError::BadWorkspaceId),
        ];
        self.rules.check(payload, &required, now_unix)
    }
}

/// The identity rules: UUID ids, a non-nil user, known role names.
impl TryFrom<WorldClaims> for WorldGrant {
    type Error = VerifyTokenError;

    fn try_from(claims: WorldClaims) -> Result<Self, Self::Error> {
        let user_id = Uuid::try_parse(&claims.user_id).map_err(|_| VerifyTokenError::BadUserId)?;
        if user_id.is_nil() {
            return Err(VerifyTokenError::MissingUser);
        }
        let workspace_id =
            Uuid::try_parse(&claims.workspace_id).map_err(|_| VerifyTokenError::BadWorkspaceId)?;
        let mut roles = Vec::with_capacity(claims.roles.len());
        for name in &claims.roles {
            let role: Role = name.parse().map_err(|_| VerifyTokenError::UnknownRole)?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            roles.push(Role::Guest);
        }
        Ok(WorldGrant {
            user_id,
            workspace_id,
            roles,
            display_name: claims.display_name,
            avatar_id: claims.avatar_id,
        })
    }
}

/// What to put into a freshly minted world token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldTokenRequest {
    /// The user the token is for (not nil, or the token will be refused).
    pub user_id: Uuid,
    /// The user's workspace.
    pub workspace_id: Uuid,
    /// The user's roles; empty means Guest.
    pub roles: Vec<Role>,
    /// The name other users see.
    pub display_name: String,
    /// The avatar to draw.
    pub avatar_id: String,
    /// Lifetime in seconds from the issue time.
    pub ttl_secs: u64,
}

impl WorldTokenRequest {
    /// The claims a token for this request carries when `issuer` mints it at `now_unix`:
    /// hyphenated UUIDs, `typ: "world"`, `aud: "world"`, `iat` now and `exp` now plus the TTL
    /// (saturating).
    pub fn claims(&self, issuer: &str, now_unix: i64) -> WorldClaims {
        let ttl = i64::try_from(self.ttl_secs).unwrap_or(i64::MAX);
        WorldClaims {
            user_id: self.user_id.hyphenated().to_string(),
            workspace_id: self.workspace_id.hyphenated().to_string(),
            roles: self.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            display_name: self.display_name.clone(),
            avatar_id: self.avatar_id.clone(),
            typ: WORLD_TOKEN_TYPE.to_owned(),
            aud: Audience::One(WORLD_AUDIENCE.to_owned()),
            iss: issuer.to_owned(),
            exp: now_unix.saturating_add(ttl),
            iat: Some(now_unix),
            nbf: None,
        }
    }
}

/// Mints an HS256 world token for `request`, issued by `issuer` at unix time `now_unix`
/// (used by `hearth-host token world`, the LAN invite flow and tests).
pub fn mint_world_token(
    secret: &[u8],
    issuer: &str,
    request: &WorldTokenRequest,
    now_unix: i64,
) -> String {
    mint_hs256(secret, &request.claims(issuer, now_unix))
        .expect("WorldClaims holds only strings, string lists and integers, which always encode")
}
