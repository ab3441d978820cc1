//! One hostile client for `hearth-bot world-load --flood N`: it signs in like anyone, then sends
//! N `PRESENCE_UPDATE`s as fast as its socket takes them. What the host did about it is
//! reported here; the load report beside it says what the other users noticed.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use sfu_core::world::wire::{
    AvatarState, ClientMessage, Connect, Facing, JoinWorld, Position, PresenceUpdate, WorldId,
};
use tokio_tungstenite::tungstenite::Message;

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

/// Signs in to `world_url` with `token` and floods. Errors only when it cannot sign in.
pub async fn run(
    world_url: String,
    token: String,
    world_id: WorldId,
    messages: u64,
) -> anyhow::Result<FloodOutcome> {
    let (ws, _) = tokio_tungstenite::connect_async(world_url.as_str())
        .await
        .context("the flooder connecting")?;
    let (mut sink, mut stream) = ws.split();
    let connect = ClientMessage::Connect(Connect {
        token,
        client_version: "1.0.0".into(),
    });
    sink.send(Message::Text(connect.to_json().into())).await?;
    sink.send(Message::Text(
        ClientMessage::JoinWorld(JoinWorld { world_id })
            .to_json()
            .into(),
    ))
    .await?;
    tokio::time::timeout(SIGN_IN_TIMEOUT, async {
        while let Some(frame) = stream.next().await {
            if let Ok(Message::Text(text)) = frame
                && text.contains("\"WORLD_STATE\"")
            {
                return Ok(());
            }
        }
        anyhow::bail!("the flooder's socket ended before WORLD_STATE")
    })
    .await
    .context("the flooder signing in")??;

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
    let update = ClientMessage::PresenceUpdate(PresenceUpdate {
        position: Position { x: 5.0, y: 5.0 },
        facing: Facing::South,
        state: AvatarState::Idle,
        zone_id: None,
    })
    .to_json();
    let started = Instant::now();
    let mut sent = 0;
    while sent < messages {
        if sink
            .feed(Message::Text(update.clone().into()))
            .await
            .is_err()
        {
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
    Ok(FloodOutcome {
        messages,
        sent,
        seconds,
        closed_with,
    })
}
