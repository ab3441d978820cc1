//! One `/signal` WebSocket connection: the join handshake with its 5 s deadline, decoding,
//! keepalive and rate limiting. Decisions are the SFU actor's; this task only moves frames.
//!
//! Generic over `Sink`/`Stream` so tests can drive it with channels.

use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::limits::{BEFORE_SIGN_IN, Guard};
use super::sfu_actor::{OUTBOUND_QUEUE, Outbound, SfuCommand, SfuHandle};
use super::ws::{self, Ending, Endpoint, Frame, Render, Step};
use crate::ids::ConnId;
use crate::rate::RateLimiter;
use crate::signal::{
    ClientMessage, DecodeError, ErrorCode, ErrorReply, JoinAck, JoinErrorCode, ServerMessage,
    decode_client, op,
};

/// The join must be the first frame, within this time.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the server pings.
const PING_INTERVAL: Duration = Duration::from_secs(10);
/// A connection silent this long is dropped.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves one connection until it closes.
pub async fn serve<S, E>(socket: S, conn: ConnId, sfu: SfuHandle, guard: Guard)
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    E: std::fmt::Display,
{
    let (mut sink, mut stream) = socket.split();
    let join = match timeout(HANDSHAKE_TIMEOUT, first_text(&mut stream, &guard)).await {
        Err(_) => Err((JoinErrorCode::InvalidMessage, 4000, "join timeout")),
        Ok(Err(ending)) => {
            let ending = match ending {
                FirstFrame::Closed => Ending::ClosedByClient,
                FirstFrame::Failed(ending) => ending,
            };
            ws::finish(&mut sink, &mut stream, ending).await;
            return;
        }
        Ok(Ok(text)) if text.len() > BEFORE_SIGN_IN => {
            ws::finish(&mut sink, &mut stream, guard.refuse_too_big()).await;
            return;
        }
        Ok(Ok(text)) => match decode_client(&text) {
            Ok(ClientMessage::Join(join)) => Ok(join),
            Ok(_) => Err((JoinErrorCode::ExpectedJoin, 4001, "expected join")),
            Err(_) => Err((JoinErrorCode::InvalidMessage, 4000, "invalid message")),
        },
    };
    let join = match join {
        Ok(join) => join,
        Err((code, close, reason)) => {
            tracing::debug!(%conn, reason, "handshake failed");
            let _ = sfu.send(SfuCommand::HandshakeFailed { code }).await;
            let _ = send(&mut sink, &ServerMessage::JoinAck(JoinAck::rejected(code))).await;
            ws::close(&mut sink, &mut stream, close, reason).await;
            return;
        }
    };
    let (out_tx, out_rx) = mpsc::channel(OUTBOUND_QUEUE);
    let joined = SfuCommand::Join {
        conn,
        join,
        outbound: out_tx,
    };
    if sfu.send(joined).await.is_err() {
        ws::close(&mut sink, &mut stream, 1011, "server unavailable").await;
        return;
    }
    let endpoint = Signal {
        conn,
        sfu,
        limiter: RateLimiter::signaling(),
    };
    ws::run(endpoint, &mut sink, &mut stream, out_rx, &guard).await;
}

/// A joined `/signal` connection.
struct Signal {
    conn: ConnId,
    sfu: SfuHandle,
    limiter: RateLimiter,
}

impl Endpoint for Signal {
    type Outbound = Outbound;
    const PING_INTERVAL: Duration = PING_INTERVAL;
    const IDLE_TIMEOUT: Duration = IDLE_TIMEOUT;

    async fn on_frame(&mut self, frame: Frame<'_>) -> Step {
        let Frame::Text(text) = frame else {
            return Step::Reply(error_reply(
                ErrorCode::Unsupported,
                "binary frames are not part of the protocol",
            ));
        };
        let rate_reply = || {
            error_reply(
                ErrorCode::RateLimited,
                "too many messages; this one was dropped",
            )
        };
        if let Some(step) = ws::limit(&mut self.limiter, rate_reply) {
            return step;
        }
        match decode_client(text) {
            Ok(message) => {
                let conn = self.conn;
                ws::forwarded(
                    self.sfu
                        .send(SfuCommand::Message { conn, message })
                        .await
                        .is_ok(),
                )
            }
            Err(error) => {
                tracing::debug!(conn = %self.conn, %error, "undecodable frame");
                DecodeError::reply(&error).map_or(Step::Continue, |r| Step::Reply(r.to_json()))
            }
        }
    }

    fn render(&mut self, outbound: Outbound) -> Render {
        match outbound {
            Outbound::Message(message) => Render::Text(message.to_json()),
            Outbound::Close { code, reason } => Render::Close(Ending::close(code, reason)),
            Outbound::Dspeak(_) => Render::Skip,
        }
    }

    async fn closed(self) {
        let _ = self
            .sfu
            .send(SfuCommand::Disconnected { conn: self.conn })
            .await;
    }
}

fn error_reply(code: ErrorCode, message: &str) -> String {
    let reply = ErrorReply {
        op: op::INVALID,
        t: None,
        code,
        message: message.into(),
    };
    ServerMessage::Error(reply).to_json()
}

/// Why no first message came.
enum FirstFrame {
    /// The client closed (or went) before sending one.
    Closed,
    /// The socket failed (a message over the socket's cap, say): end like this.
    Failed(Ending),
}

async fn first_text<S, E>(stream: &mut S, guard: &Guard) -> Result<String, FirstFrame>
where
    S: Stream<Item = Result<Message, E>> + Unpin,
    E: std::fmt::Display,
{
    while let Some(frame) = stream.next().await {
        match frame {
            Ok(Message::Text(text)) => return Ok(text.to_string()),
            Ok(Message::Binary(bytes)) => return Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Ok(Message::Close(_)) => return Err(FirstFrame::Closed),
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Err(error) => return Err(FirstFrame::Failed(guard.ending_for(&error))),
        }
    }
    Err(FirstFrame::Closed)
}

async fn send<K: Sink<Message> + Unpin>(
    sink: &mut K,
    message: &ServerMessage,
) -> Result<(), K::Error> {
    sink.send(Message::Text(message.to_json().into())).await
}
