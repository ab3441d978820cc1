//! The WebSocket closing handshake (RFC 6455 section 5.5.1) on every endpoint: a client's Close
//! is answered with a Close carrying its code, and a server-side close carries a code and a
//! reason and ends cleanly. Browsers report `wasClean: false` (1006) otherwise.

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use hearth_e2e::{MEMBER, host, token};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

/// The Close frame the server sends next (skipping data frames), and whether the TCP connection
/// then ends cleanly.
async fn next_close(ws: &mut Socket) -> anyhow::Result<Option<CloseFrame>> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .context("waiting for a Close frame")?
        {
            Some(Ok(Message::Close(frame))) => return Ok(frame),
            Some(Ok(_)) => {}
            Some(Err(e)) => bail!("the connection broke instead of closing: {e}"),
            None => bail!("the connection ended without a Close frame"),
        }
    }
}

/// Sends a Close with 1000 and expects the server to answer with a Close of its own.
async fn client_closes(url: &str, first: Option<String>) -> anyhow::Result<()> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    if let Some(text) = first {
        ws.send(Message::Text(text.into())).await?;
        // Let the server act on the first frame before the close.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "leaving".into(),
    })))
    .await?;
    let answer = next_close(&mut ws)
        .await
        .with_context(|| format!("{url} must answer a client's Close"))?;
    assert_eq!(
        answer.map(|f| f.code),
        Some(CloseCode::Normal),
        "{url} echoes the client's close code"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_a_client_close() -> anyhow::Result<()> {
    let host = host().await?;
    let addr = host.http_addr;
    client_closes(&format!("ws://{addr}/world"), None).await?;
    client_closes(&format!("ws://{addr}/signal"), None).await?;
    let join = json!({"op": 7, "t": 500, "d": {"channel": 5, "token": token(1, 5, MEMBER)}});
    client_closes(&format!("ws://{addr}/signal"), Some(join.to_string())).await?;
    let socket = format!(
        "ws://{addr}/socket?auth={}&channelId=5",
        token(2, 5, MEMBER)
    );
    client_closes(&socket, None).await?;
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_side_close_has_a_code_and_a_reason_and_ends_cleanly() -> anyhow::Result<()> {
    let host = host().await?;
    let addr = host.http_addr;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/signal")).await?;
    let join = json!({"op": 7, "t": 500, "d": {"channel": 5, "token": "not-a-token"}});
    ws.send(Message::Text(join.to_string().into())).await?;
    let close = next_close(&mut ws)
        .await?
        .context("a refused join closes with a code")?;
    assert_eq!(
        u16::from(close.code),
        4003,
        "unauthorized joins close with 4003"
    );
    assert!(!close.reason.is_empty(), "the close says why");
    // Reading on sends our answering Close; the server then ends the connection.
    let end = tokio::time::timeout(WAIT, ws.next())
        .await
        .context("the server must end the connection after the handshake")?;
    assert!(
        matches!(end, None | Some(Err(_))),
        "nothing follows a completed close, got {end:?}"
    );

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/socket")).await?;
    let close = next_close(&mut ws)
        .await?
        .context("a /socket without auth closes with a code")?;
    assert_eq!(u16::from(close.code), 4000);
    assert_eq!(close.reason.as_str(), "invalid query");
    host.shutdown().await;
    Ok(())
}
