//! One `/world` WebSocket connection: decoding frames and moving messages between the socket
//! and the world actor. Generic over `Sink`/`Stream` so tests can drive it with channels.

use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval};

use super::limits::{BEFORE_SIGN_IN, Guard};
use super::world_actor::{OUTBOUND_QUEUE, WorldCommand, WorldHandle, WorldOutbound};
use super::ws::{self, Ending};
use crate::sfu::ConnId;
use crate::world::wire::{ServerMessage, decode_client};

/// How often the server pings (every client's WebSocket answers with a pong).
const PING_INTERVAL: Duration = Duration::from_secs(15);
/// A connection that sent nothing, not even a pong, for this long is gone: it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);

/// Serves one connection until it closes.
pub async fn serve<S, E>(
    socket: S,
    conn: ConnId,
    addr: std::net::IpAddr,
    sfu_url: Option<String>,
    world: WorldHandle,
    guard: Guard,
) where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    E: std::fmt::Display,
{
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::channel(OUTBOUND_QUEUE);
    if !world
        .send(WorldCommand::Open {
            conn,
            addr,
            sfu_url,
            outbound: out_tx,
        })
        .await
    {
        ws::close(&mut sink, &mut stream, 1011, "server unavailable").await;
        return;
    }
    // Until the world says CONNECTED, a stranger gets a few KiB per message (and the world
    // server closes the connection after 10 s without a CONNECT: 4001).
    let mut signed_in = false;
    let mut last_heard = Instant::now();
    let mut pings = interval(PING_INTERVAL);
    pings.reset();
    let ending = loop {
        tokio::select! {
            frame = stream.next() => {
                let frame = match frame {
                    Some(Ok(frame)) => frame,
                    Some(Err(error)) => break guard.ending_for(&error),
                    None => break Ending::Gone,
                };
                last_heard = Instant::now();
                let text = match frame {
                    Message::Text(text) => text.to_string(),
                    Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Message::Close(_) => break Ending::ClosedByClient,
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                if !signed_in && text.len() > BEFORE_SIGN_IN {
                    break guard.refuse_too_big();
                }
                let command = match decode_client(&text) {
                    Ok(envelope) => WorldCommand::Message { conn, message: envelope.message },
                    Err(error) => WorldCommand::BadFrame { conn, error },
                };
                if !world.send(command).await {
                    break Ending::close(1011, "server unavailable");
                }
            }
            outbound = out_rx.recv() => match outbound {
                Some(WorldOutbound::Message(message)) => {
                    signed_in |= matches!(message, ServerMessage::Connected(_));
                    // Everything already queued goes out in one flush (one TCP write with
                    // TCP_NODELAY), not one write per presence broadcast.
                    let mut batch = vec![message];
                    let mut close = None;
                    while batch.len() < 256 {
                        match out_rx.try_recv() {
                            Ok(WorldOutbound::Message(m)) => {
                                signed_in |= matches!(m, ServerMessage::Connected(_));
                                batch.push(m);
                            }
                            Ok(WorldOutbound::Close { code, reason }) => { close = Some(Ending::close(code, reason)); break }
                            Err(_) => break,
                        }
                    }
                    if send_all(&mut sink, &batch).await.is_err() { break Ending::Gone }
                    if let Some(close) = close { break close }
                }
                Some(WorldOutbound::Close { code, reason }) => break Ending::close(code, reason),
                None => break Ending::close(1011, "server unavailable"),
            },
            _ = pings.tick() => {
                if last_heard.elapsed() > IDLE_TIMEOUT {
                    break Ending::close(4009, "idle timeout");
                }
                if signed_in && sink.send(Message::Ping(Default::default())).await.is_err() {
                    break Ending::Gone;
                }
            }
        }
    };
    if ending != Ending::ClosedByClient {
        while let Ok(WorldOutbound::Message(message)) = out_rx.try_recv() {
            let _ = send(&mut sink, &message).await;
        }
    }
    let _ = world.send(WorldCommand::Closed { conn }).await;
    ws::finish(&mut sink, &mut stream, ending).await;
}

async fn send_all<K: Sink<Message> + Unpin>(
    sink: &mut K,
    messages: &[ServerMessage],
) -> Result<(), K::Error> {
    for message in messages {
        sink.feed(Message::Text(message.to_json().into())).await?;
    }
    sink.flush().await
}

async fn send<K: Sink<Message> + Unpin>(
    sink: &mut K,
    message: &ServerMessage,
) -> Result<(), K::Error> {
    sink.send(Message::Text(message.to_json().into())).await
}
