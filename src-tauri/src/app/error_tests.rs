//! Commands fail with the code the UI switches on, and serialize as `{code, message}`.

use std::net::{IpAddr, Ipv4Addr};

use super::contract::ModerationAction;
use super::core::{App, AppOptions};
use super::error::{AppError, AppErrorCode};

/// An app with no settings file and no audio: what the command tests drive.
pub(super) fn app() -> App {
    App::new(AppOptions {
        synthetic_voice: None,
        host_port: 0,
        bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        settings_path: None,
        open_link: None,
    })
    .0
}

fn code<T: std::fmt::Debug>(result: Result<T, AppError>) -> AppErrorCode {
    result.expect_err("the command fails").code
}

#[tokio::test]
async fn joining_with_a_bad_server_or_name_names_the_field() {
    let app = app();
    assert_eq!(
        code(app.join("ftp://x", "Ada").await),
        AppErrorCode::InvalidServer
    );
    assert_eq!(
        code(app.join("127.0.0.1:9", "Ada").await),
        AppErrorCode::InvalidServer,
        "an address without an invite cannot be joined"
    );
    assert_eq!(
        code(app.join("hearth://127.0.0.1:9/join/x", "  ").await),
        AppErrorCode::InvalidName
    );
}

#[tokio::test]
async fn an_unreachable_host_is_a_failed_join() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let error = app()
        .join("hearth://127.0.0.1:9/join/x", "Ada")
        .await
        .expect_err("nobody listens");
    assert_eq!(error.code, AppErrorCode::JoinFailed);
    assert!(!error.message.is_empty());
}

#[test]
fn commands_that_need_a_world_or_a_peer_say_so() {
    let app = app();
    let kick = ModerationAction::Kick {
        user_id: "u".into(),
        reason: None,
    };
    assert_eq!(code(app.moderate(kick)), AppErrorCode::NotInWorld);
    assert_eq!(
        code(app.set_user_volume("nobody", 1.0)),
        AppErrorCode::UnknownUser
    );
    assert_eq!(
        code(app.set_user_muted("nobody", true)),
        AppErrorCode::UnknownUser
    );
}

#[test]
fn an_error_reaches_the_ui_as_code_and_message() {
    let error = AppError::new(AppErrorCode::InvalidServer, "Enter a server address.");
    assert_eq!(
        serde_json::to_value(&error).expect("serializes"),
        serde_json::json!({"code": "invalid_server", "message": "Enter a server address."})
    );
}
