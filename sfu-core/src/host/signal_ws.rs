//! One `/signal` WebSocket connection: the join handshake with its 5 s deadline, decoding,
//! keepalive and rate limiting. Decisions are the SFU actor's; this task only moves frames.
//!
//! Generic over `Sink`/`Stream` so tests can drive it with channels.

use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval, timeout};

use super::limits::{BEFORE_SIGN_IN, Guard};
use super::sfu_actor::{OUTBOUND_QUEUE, Outbound, SfuCommand, SfuHandle};
use super::ws::{self, Ending};
use crate::rate::{RateLimiter, Verdict};
use crate::sfu::ConnId;
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
    let (out_tx, mut out_rx) = mpsc::channel(OUTBOUND_QUEUE);
    let joined = SfuCommand::Join {
        conn,
        join,
        outbound: out_tx,
    };
    if sfu.send(joined).await.is_err() {
        ws::close(&mut sink, &mut stream, 1011, "server unavailable").await;
        return;
    }

    let mut pings = interval(PING_INTERVAL);
    pings.reset();
    let mut last_heard = Instant::now();
    let mut limiter = RateLimiter::signaling();
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
                    Message::Text(text) => text,
                    Message::Close(_) => break Ending::ClosedByClient,
                    Message::Binary(_) => {
                        let reply = ErrorReply { op: op::INVALID, t: None, code: ErrorCode::Unsupported,
                            message: "binary frames are not part of the protocol".into() };
                        let _ = send(&mut sink, &ServerMessage::Error(reply)).await;
                        continue;
                    }
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                match limiter.admit(Instant::now().into_std()) {
                    Verdict::Allow => {}
                    Verdict::Drop { notify } => {
                        if notify {
                            let reply = ErrorReply { op: op::INVALID, t: None, code: ErrorCode::RateLimited,
                                message: "too many messages; this one was dropped".into() };
                            let _ = send(&mut sink, &ServerMessage::Error(reply)).await;
                        }
                        continue;
                    }
                    Verdict::Abuse => break Ending::close(4008, "rate limit abuse"),
                }
                match decode_client(text.as_str()) {
                    Ok(message) => {
                        if sfu.send(SfuCommand::Message { conn, message }).await.is_err() {
                            break Ending::close(1011, "server unavailable");
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%conn, %error, "undecodable frame");
                        if let Some(reply) = DecodeError::reply(&error) {
                            let _ = send(&mut sink, &reply).await;
                        }
                    }
                }
            }
            outbound = out_rx.recv() => match outbound {
                Some(Outbound::Message(message)) => {
                    if send(&mut sink, &message).await.is_err() { break Ending::Gone }
                }
                Some(Outbound::Close { code, reason }) => break Ending::close(code, reason),
                Some(Outbound::Dspeak(_)) => {}
                None => break Ending::close(1011, "server unavailable"),
            },
            _ = pings.tick() => {
                if last_heard.elapsed() > IDLE_TIMEOUT {
                    break Ending::close(4009, "idle timeout");
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() { break Ending::Gone }
            }
        }
    };
    // Flush what the SFU queued before the close (a 510 or 512 notice precedes its close).
    if ending != Ending::ClosedByClient {
        while let Ok(Outbound::Message(message)) = out_rx.try_recv() {
            let _ = send(&mut sink, &message).await;
        }
    }
    let _ = sfu.send(SfuCommand::Disconnected { conn }).await;
    ws::finish(&mut sink, &mut stream, ending).await;
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
