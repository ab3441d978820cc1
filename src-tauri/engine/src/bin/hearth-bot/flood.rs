//! One hostile client for `hearth-bot world-load --flood N` (N `PRESENCE_UPDATE`s on `/world`)
//! and `hearth-bot load --flood N` (N heartbeats on `/signal`): it signs in like anyone, then
//! sends N messages as fast as its socket takes them. What the host did about it is reported
//! here; the load report beside it says what the other users noticed.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use sfu_core::ids::ChannelId;
use sfu_core::signal::{self, Heartbeat, Join};
use sfu_core::world::wire::{
    AvatarState, ClientMessage, Connect, Facing, JoinWorld, Position, PresenceUpdate, WorldId,
};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Bound on the flooder's sign-in.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages written between two flushes.
const BATCH: u64 = 64;

/// What became of the flood.
#[derive(Debug, Clone, Serialize)]
pub struct FloodOutcome {
    /// Messages it meant to send.
    pub messages: u64,
    /// Messages the socket took before it failed or the flood ended.
    pub sent: u64,
    /// From the first message to the last one sent, seconds.
    pub seconds: f64,
    /// The close code the host ended it with, if it did.
    pub closed_with: Option<u16>,
}

/// Signs in to `world_url` with `token` and floods it with presence updates. Errors only when
/// it cannot sign in.
pub async fn world(
    world_url: String,
    token: String,
    world_id: WorldId,
    messages: u64,
) -> anyhow::Result<FloodOutcome> {
    let connect = ClientMessage::Connect(Connect {
        token,
        client_version: "1.0.0".into(),
    });
    let join = ClientMessage::JoinWorld(JoinWorld { world_id });
    let socket = sign_in(
        &world_url,
        &[connect.to_json(), join.to_json()],
        "\"WORLD_STATE\"",
    )
    .await?;
    let update = ClientMessage::PresenceUpdate(PresenceUpdate {
        position: Position { x: 5.0, y: 5.0 },
        facing: Facing::South,
        state: AvatarState::Idle,
        zone_id: None,
    });
    Ok(blast(socket, update.to_json(), messages).await)
}

/// Joins `channel` on `signal_url` with `token` and floods it with heartbeats. Errors only when
/// it cannot join.
pub async fn signal(
    signal_url: String,
    token: String,
    channel: ChannelId,
    messages: u64,
) -> anyhow::Result<FloodOutcome> {
    let join = signal::ClientMessage::Join(Join { channel, token });
    let socket = sign_in(&signal_url, &[join.to_json()], "\"ok\":true").await?;
    let heartbeat = signal::ClientMessage::Heartbeat(Heartbeat {
        nonce: None,
        ts: None,
    });
    Ok(blast(socket, heartbeat.to_json(), messages).await)
}

/// Opens `url`, sends `hello`, and waits for a text frame containing `welcome`.
async fn sign_in(url: &str, hello: &[String], welcome: &str) -> anyhow::Result<Socket> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .context("the flooder connecting")?;
    for text in hello {
        ws.send(Message::Text(text.clone().into())).await?;
    }
    tokio::time::timeout(SIGN_IN_TIMEOUT, async {
        while let Some(frame) = ws.next().await {
            if let Ok(Message::Text(text)) = frame
                && text.contains(welcome)
            {
                return Ok(());
            }
        }
        anyhow::bail!("the flooder's socket ended before it was let in")
    })
    .await
    .context("the flooder signing in (is the room full?)")??;
    Ok(ws)
}

/// Writes `text` `messages` times as fast as the socket takes it; reads how the host closes it.
async fn blast(socket: Socket, text: String, messages: u64) -> FloodOutcome {
    let (mut sink, mut stream) = socket.split();
    // Whatever the host answers, and how it closes, is read beside the flood.
    let closes = tokio::spawn(async move {
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    });
    let started = Instant::now();
    let mut sent = 0;
    while sent < messages {
        if sink.feed(Message::Text(text.clone().into())).await.is_err() {
            break;
        }
        sent += 1;
        if sent % BATCH == 0 && sink.flush().await.is_err() {
            break;
        }
    }
    let _ = sink.flush().await;
    let seconds = started.elapsed().as_secs_f64();
    let _ = sink.close().await;
    let closed_with = tokio::time::timeout(Duration::from_secs(5), closes)
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    FloodOutcome {
        messages,
        sent,
        seconds,
        closed_with,
    }
}
