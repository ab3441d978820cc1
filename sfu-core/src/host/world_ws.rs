//! One `/world` WebSocket connection: decoding frames and moving messages between the socket
//! and the world actor. Generic over `Sink`/`Stream` so tests can drive it with channels.

use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{Sink, Stream, StreamExt};
use tokio::sync::mpsc;

use super::limits::{BEFORE_SIGN_IN, Guard};
use super::world_actor::{OUTBOUND_QUEUE, WorldCommand, WorldHandle, WorldOutbound};
use super::ws::{self, Ending, Endpoint, Frame, Render, Step};
use crate::ids::ConnId;
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
    let (out_tx, out_rx) = mpsc::channel(OUTBOUND_QUEUE);
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
    let endpoint = World {
        conn,
        world,
        signed_in: false,
    };
    ws::run(endpoint, &mut sink, &mut stream, out_rx, &guard).await;
}

/// An open `/world` connection.
struct World {
    conn: ConnId,
    world: WorldHandle,
    /// Until the world says CONNECTED, a stranger gets a few KiB per message (and the world
    /// server closes the connection after 10 s without a CONNECT: 4001), and no pings.
    signed_in: bool,
}

impl Endpoint for World {
    type Outbound = WorldOutbound;
    const PING_INTERVAL: Duration = PING_INTERVAL;
    const IDLE_TIMEOUT: Duration = IDLE_TIMEOUT;

    async fn on_frame(&mut self, frame: Frame<'_>) -> Step {
        let text = frame.text();
        if !self.signed_in && text.len() > BEFORE_SIGN_IN {
            return Step::TooBig;
        }
        let conn = self.conn;
        let command = match decode_client(&text) {
            Ok(envelope) => WorldCommand::Message {
                conn,
                message: envelope.message,
            },
            Err(error) => WorldCommand::BadFrame { conn, error },
        };
        ws::forwarded(self.world.send(command).await)
    }

    fn render(&mut self, outbound: WorldOutbound) -> Render {
        match outbound {
            WorldOutbound::Message(message) => {
                self.signed_in |= matches!(message, ServerMessage::Connected(_));
                Render::Text(message.to_json())
            }
            WorldOutbound::Close { code, reason } => Render::Close(Ending::close(code, reason)),
        }
    }

    fn pings(&self) -> bool {
        self.signed_in
    }

    async fn closed(self) {
        let _ = self
            .world
            .send(WorldCommand::Closed { conn: self.conn })
            .await;
    }
}
