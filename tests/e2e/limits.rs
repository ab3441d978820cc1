//! Limits on every WebSocket door, tried from outside as an attacker would: messages padded with
//! JSON whitespace, before and after signing in, on `/world`, `/signal` and `/socket`. Each is
//! refused with 1009 ("message too big") and counted in `/metrics`, while two users on the same
//! host keep talking and a third keeps walking.

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use hearth_e2e::world::WorldClient;
use hearth_e2e::{Bot, MEMBER, get_text, host, signal_url, since, token, tone_power};
use sfu_core::roles::Role;
use sfu_core::world::wire::ServerMessage;
use tokio_tungstenite::tungstenite::Message;

const CHANNEL: i64 = 7;
const WAIT: Duration = Duration::from_secs(5);

/// A JSON message of about `size` bytes: `{"type":"<kind>"` then whitespace.
fn padded(kind: &str, size: usize) -> String {
    let head = format!("{{\"type\":\"{kind}\"");
    format!(
        "{head}{}}}",
        " ".repeat(size.saturating_sub(head.len() + 1))
    )
}

/// Sends `text` on a fresh socket to `url` and returns the close code the server ends with
/// (None when the connection broke without a Close: the server stopped reading a message it
/// would not buffer and the client's write failed first).
async fn close_code_after(url: &str, text: String) -> anyhow::Result<Option<u16>> {
    let (ws, _) = tokio_tungstenite::connect_async(url).await?;
    let (mut sink, mut stream) = ws.split();
    let writer = tokio::spawn(async move { sink.send(Message::Text(text.into())).await });
    let code = loop {
        match tokio::time::timeout(WAIT, stream.next())
            .await
            .with_context(|| format!("{url}: no close within {WAIT:?}"))?
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break None,
        }
    };
    writer.abort();
    Ok(code)
}

/// `hearth_refused_total` for `endpoint`.
async fn refused(host: &sfu_core::host::RunningHost, endpoint: &str) -> anyhow::Result<u64> {
    let metrics = get_text(host.http_addr, "/metrics").await?;
    let line = format!("hearth_refused_total{{endpoint=\"{endpoint}\",limit=\"message_size\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("no {line} in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_refused_on_every_door_while_users_carry_on() -> anyhow::Result<()> {
    let host = host().await?;
    let mut ada = Bot::join(&host, 1, CHANNEL, MEMBER, Some(440.0)).await?;
    let mut bo = Bot::join(&host, 2, CHANNEL, MEMBER, Some(660.0)).await?;
    hearth_e2e::wait_hearing(&ada, 2, 660.0, 1.0).await?;
    hearth_e2e::wait_hearing(&bo, 1, 440.0, 1.0).await?;
    let mut walker = WorldClient::join(&host, "walker", &[Role::Member]).await?;
    let mut watcher = WorldClient::join(&host, "watcher", &[Role::Member]).await?;
    let marks = (ada.heard_len(2), bo.heard_len(1));

    let world = format!("ws://{}/world", host.http_addr);
    let signal = signal_url(&host);
    let socket = format!(
        "ws://{}/socket?auth={}&channelId={CHANNEL}",
        host.http_addr,
        token(9, CHANNEL, MEMBER)
    );
    // Before signing in, a stranger gets a few KiB: an 8 KiB CONNECT is refused.
    assert_eq!(
        close_code_after(&world, padded("CONNECT", 8 * 1024)).await?,
        Some(1009)
    );
    assert_eq!(
        close_code_after(&signal, padded("join", 8 * 1024)).await?,
        Some(1009)
    );
    // Over the socket's cap (after sign-in too): 1 MiB is never buffered.
    for url in [&world, &signal, &socket] {
        let code = close_code_after(url, padded("ping", 1024 * 1024)).await?;
        assert!(
            code.is_none_or(|c| c == 1009),
            "{url}: a 1 MiB message ends the connection with 1009, got {code:?}"
        );
    }
    assert!(
        refused(&host, "world").await? >= 2,
        "both /world refusals counted"
    );
    assert!(
        refused(&host, "signal").await? >= 2,
        "both /signal refusals counted"
    );
    assert!(
        refused(&host, "socket").await? >= 1,
        "the /socket refusal counted"
    );

    // A signed-in user over the /world cap is closed too, and only that user.
    let mut big = WorldClient::join(&host, "big", &[Role::Member]).await?;
    big.send_text(&padded("PRESENCE_UPDATE", 128 * 1024))
        .await?;
    let code = big.expect_close().await?;
    assert!(code.is_none_or(|c| c == 1009), "got {code:?}");

    // Meanwhile the others carried on: the watcher sees the walker walk, the bots still talk.
    walker.walk(29.0, 22.5).await?;
    let walker_id = walker.id();
    watcher
        .expect(
            "the walker's presence",
            |m| matches!(m, ServerMessage::PresenceBroadcast(p) if p.user_id == walker_id),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (bot, remote, hz, mark) in [(&ada, 2, 660.0, marks.0), (&bo, 1, 440.0, marks.1)] {
        let heard = since(bot, remote, mark);
        if tone_power(&heard, hz) < 0.01 {
            bail!(
                "user {} stopped hearing user {remote} during the attack",
                bot.user
            );
        }
    }
    ada.leave().await;
    bo.leave().await;
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_endpoints_need_an_operator_token() -> anyhow::Result<()> {
    let host = host().await?;
    let interop = sfu_core::auth::mint_interop_token(
        hearth_e2e::SECRET,
        hearth_e2e::ISSUER,
        "sfu",
        60,
        hearth_e2e::unix_now(),
    );
    for path in ["/api/sfu/channels", "/api/interop/presence"] {
        for bearer in [None, Some("not-a-token"), Some(interop.as_str())] {
            let response = hearth_e2e::get_with(host.http_addr, path, bearer).await?;
            assert!(
                response.starts_with("HTTP/1.1 401"),
                "{path} with {bearer:?}: {response}"
            );
        }
        let body = hearth_e2e::get_operator_json(host.http_addr, path).await?;
        assert!(
            body["channels"].is_array() || body["channels"].is_object(),
            "{path}: {body}"
        );
    }
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_world_socket_that_never_signs_in_is_closed_after_the_deadline() -> anyhow::Result<()> {
    let host = host().await?;
    let started = std::time::Instant::now();
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/world", host.http_addr)).await?;
    // The world server's CONNECT deadline.
    let deadline = Duration::from_secs(10);
    let code = loop {
        match tokio::time::timeout(deadline + WAIT, ws.next())
            .await
            .context("the server never closed the silent socket")?
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(e)) => bail!("the socket broke instead of closing: {e}"),
            None => bail!("the socket ended without a Close"),
        }
    };
    assert_eq!(code, Some(4001), "a connect timeout");
    assert!(started.elapsed() >= deadline, "not before the deadline");
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_holds_a_bounded_number_of_connections_and_others_get_in() -> anyhow::Result<()>
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = host().await?;
    // A stranger at 127.0.0.2 opens connections that send half a request line and stall.
    let stranger: std::net::SocketAddr = "127.0.0.2:0".parse()?;
    let mut held = Vec::new();
    for _ in 0..64 {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(stranger)?;
        let mut tcp = socket.connect(host.http_addr).await?;
        tcp.write_all(b"GET /healthz HT").await?;
        held.push(tcp);
    }
    // The next one from that address is closed at once, before any byte is read.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(stranger)?;
    let mut refused = socket.connect(host.http_addr).await?;
    let _ = refused.write_all(b"GET /healthz HTTP/1.1\r\n\r\n").await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(WAIT, refused.read_to_end(&mut answer)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the 65th connection from one address is closed without an answer: {read:?} {answer:?}"
    );
    // Everyone else still gets in: a world user signs in.
    WorldClient::join(&host, "neighbour", &[Role::Member]).await?;
    let metrics = get_text(host.http_addr, "/metrics").await?;
    assert!(
        metrics.contains("hearth_refused_total{endpoint=\"http\",limit=\"connections\"} 1\n"),
        "{metrics}"
    );
    drop(held);
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_world_token_for_another_workspace_does_not_sign_in() -> anyhow::Result<()> {
    let host = host().await?;
    let user = uuid::Uuid::new_v4();
    let request = sfu_core::auth::WorldTokenRequest {
        user_id: user,
        workspace_id: uuid::Uuid::new_v4(),
        roles: vec![Role::Admin],
        display_name: "stranger".into(),
        avatar_id: "fox".into(),
        ttl_secs: 600,
    };
    let token = sfu_core::auth::mint_world_token(
        hearth_e2e::SECRET,
        hearth_e2e::ISSUER,
        &request,
        hearth_e2e::unix_now(),
    );
    let refused = WorldClient::join_with(&host, user, "stranger", token).await;
    let error = refused
        .err()
        .context("a token for another workspace signed in")?;
    assert!(format!("{error:#}").contains("workspace"), "{error:#}");
    // The right workspace still signs in.
    WorldClient::join(&host, "member", &[Role::Member]).await?;
    host.shutdown().await;
    Ok(())
}
