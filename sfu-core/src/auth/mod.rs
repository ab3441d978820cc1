//! Token checks (SPEC sections 2, 5 and 6): HS256 JWTs signed with the host secret, and TURN
//! credentials.
//!
//! [`SfuTokenVerifier`] decides whether a `/signal` join may proceed and what it grants,
//! [`WorldTokenVerifier`] who connects to `/world`, and [`InteropTokenVerifier`] which SFU opens
//! `/dspeak/interop`. They are sans-IO (the caller passes the current time) and never panic on
//! arbitrary input, so they can sit behind fuzz targets. [`mint_sfu_token`],
//! [`mint_world_token`], [`mint_interop_token`] and the lower-level [`mint_hs256`] issue tokens
//! for `hearth-host token`, the world server, the interop dialler and tests.
//! [`turn_credentials`] issues coturn REST-style TURN credentials (`ICE_FAILED` replies).
//!
//! Only HS256 is ever accepted: the algorithm is checked before the signature, so `alg: none`,
//! the other HMAC sizes and public-key algorithms (the RS256-with-the-secret-as-key confusion)
//! are refused whatever their signature says.

mod claims;
mod interop_token;
mod jwt;
mod secret;
mod sfu_token;
mod turn;
mod world_token;

pub use interop_token::{
    INTEROP_AUDIENCE, INTEROP_TOKEN_TYPE, InteropClaims, InteropGrant, InteropTokenVerifier,
    OPERATOR_TOKEN_TYPE, mint_interop_token, mint_operator_token,
};
pub use jwt::{Audience, MintTokenError, mint_hs256};
pub use secret::{MIN_SECRET_BYTES, WeakSecret, check_secret};
pub use sfu_token::{
    JoinGrant, SFU_AUDIENCE, SFU_TOKEN_TYPE, SfuClaims, SfuTokenRequest, SfuTokenVerifier,
    TIME_LEEWAY_SECS, mint_sfu_token,
};
pub use turn::{TurnCredentials, turn_credentials, verify_turn_credentials};
pub use world_token::{
    WORLD_AUDIENCE, WORLD_TOKEN_TYPE, WorldClaims, WorldGrant, WorldTokenRequest,
    WorldTokenVerifier, mint_world_token,
};

/// Why a token was refused. Each variant names the first check that failed; the client only
/// ever sees [`VerifyTokenError::join_error_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyTokenError {
    /// Not a compact JWS: not three dot-separated base64url parts, too long, a header or payload
    /// that is not a JSON object, or a claim of the wrong JSON type (e.g. `exp: "soon"`).
    #[error("malformed token")]
    Malformed,
    /// The header's `alg` is anything but `HS256` (`none`, `HS512`, `RS256`, ...), or missing.
    #[error("unsupported token algorithm")]
    UnsupportedAlgorithm,
    /// The HS256 signature does not match the header and payload under our secret.
    #[error("bad token signature")]
    BadSignature,
    /// The `typ` claim is missing or is not the token type expected here (e.g. a world token).
    #[error("wrong token type")]
    WrongType,
    /// The `aud` claim is missing or does not contain the expected audience.
    #[error("wrong token audience")]
    WrongAudience,
    /// The `iss` claim is missing or differs from the configured issuer.
    #[error("wrong token issuer")]
    WrongIssuer,
    /// The token has no `exp` claim; tokens must be short-lived.
    #[error("token has no expiry")]
    MissingExpiry,
    /// `exp` lies in the past by more than the allowed leeway.
    #[error("token expired")]
    Expired,
    /// `nbf` lies in the future by more than the allowed leeway.
    #[error("token not valid yet")]
    NotYetValid,
    /// The `user_id` claim is missing, zero (SFU token) or the nil UUID (world token).
    #[error("token names no user")]
    MissingUser,
    /// The token is bound to a channel other than the one being joined.
    #[error("token is for another channel")]
    WrongChannel,
    /// A world token's `user_id` is not a UUID string.
    #[error("token user id is not a UUID")]
    BadUserId,
    /// A world token's `workspace_id` is missing or not a UUID string.
    #[error("token workspace id is missing or not a UUID")]
    BadWorkspaceId,
    /// A world token's `roles` names something other than `Admin`, `Editor`, `Member`, `Guest`.
    #[error("token names an unknown role")]
    UnknownRole,
    /// An interop token's `sub` (the SFU's name) is missing or blank.
    #[error("token names no SFU")]
    MissingSubject,
}

impl VerifyTokenError {
    /// The `/signal` join error code (SPEC section 4) the client gets for this refusal.
    ///
    /// Always `unauthorized`: telling an attacker *which* check failed helps nobody else.
    pub fn join_error_code(&self) -> &'static str {
        "unauthorized"
    }
}
