//! `POST /api/session`: the LAN invite flow. An invite code and a display name get a world
//! token, so a guest joins with nothing but the invite.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use crate::auth::{WorldTokenRequest, mint_world_token};
use crate::roles::Role;

/// Settings of the invite flow.
#[derive(Debug, Clone)]
pub struct InviteConfig {
    pub code: String,
    pub secret: Vec<u8>,
    pub issuer: String,
    pub world_id: String,
    pub workspace_id: Uuid,
    /// Lifetime of the tokens handed out.
    pub ttl_secs: u64,
}

#[derive(Debug, Deserialize)]
pub struct SessionRequest {
    pub invite: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SessionResponse {
    pub world_url: String,
    pub token: String,
    pub world_id: String,
    pub user_id: String,
}

#[derive(Debug, Serialize)]
struct ApiError {
    error: &'static str,
    message: String,
}

fn refuse(status: StatusCode, error: &'static str, message: impl Into<String>) -> Response {
    (
        status,
        Json(ApiError {
            error,
            message: message.into(),
        }),
    )
        .into_response()
}

/// Longest display name accepted, in characters.
const MAX_NAME: usize = 32;

pub(super) async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<SessionRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let invite: Arc<InviteConfig> = state.invite.clone();
    if !state.invite_attempts.try_attempt(peer.ip()).await {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many wrong invite codes; wait a minute",
        );
    }
    let Ok(Json(request)) = body else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected JSON {invite, display_name}",
        );
    };
    if !same_secret(request.invite.trim(), &invite.code) {
        return refuse(
            StatusCode::FORBIDDEN,
            "invalid_invite",
            "that invite code is not valid for this room",
        );
    }
    state.invite_attempts.succeeded(peer.ip()).await;
    let name = request.display_name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_display_name",
            format!("a display name has 1 to {MAX_NAME} printable characters"),
        );
    }
    let user = Uuid::new_v4();
    let token_request = WorldTokenRequest {
        user_id: user,
        workspace_id: invite.workspace_id,
        roles: vec![Role::Member],
        display_name: name.to_owned(),
        avatar_id: String::new(),
        ttl_secs: invite.ttl_secs,
    };
    let now = super::sfu_actor::now().unix_secs();
    let token = mint_world_token(&invite.secret, &invite.issuer, &token_request, now);
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:7800");
    Json(SessionResponse {
        world_url: format!("{}://{host}/world", super::ws_scheme(&headers)),
        token,
        world_id: invite.world_id.clone(),
        user_id: user.to_string(),
    })
    .into_response()
}

/// Compares an offered invite code with the room's in time that does not depend on where they
/// differ (a guesser learns nothing from how fast a wrong code is refused).
fn same_secret(offered: &str, code: &str) -> bool {
    let (a, b) = (offered.as_bytes(), code.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn only_the_same_code_is_the_same_secret() {
        assert!(same_secret("party-42", "party-42"));
        assert!(!same_secret("party-41", "party-42"));
        assert!(!same_secret("party-4", "party-42"));
        assert!(!same_secret("", "party-42"));
    }
}
