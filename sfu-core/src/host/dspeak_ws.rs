//! One `/socket` (dspeak) WebSocket connection: the query check, decoding, keepalive and rate
//! limiting. Decisions are the SFU actor's; this task only moves frames.
//!
//! Generic over `Sink`/`Stream` so tests can drive it with channels.

use std::time::Duration;

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;

use super::limits::Guard;
use super::sfu_actor::{OUTBOUND_QUEUE, Outbound, SfuCommand, SfuHandle};
use super::ws::{self, Ending, Endpoint, Frame, Render, Step};
use crate::dspeak::{Join, ServerMessage, decode_client};
use crate::ids::ChannelId;
use crate::ids::ConnId;
use crate::rate::RateLimiter;

/// How often the server pings.
const PING_INTERVAL: Duration = Duration::from_secs(10);
/// A connection silent this long is dropped (dspeak clients ping every 15 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the query of `GET /socket` is refused; `Display` is the error frame's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// dspeak's own text for a missing `auth` or `channelId`.
    #[error("Missing auth or channelId in query params")]
    Missing,
    /// `channelId` is not a decimal int64 (Hearth channels are int64, SPEC section 2).
    #[error("Invalid channelId: {0:?} is not a decimal integer")]
    BadChannel(String),
}

/// Reads `auth` and `channelId` from the query parameters.
pub fn join_from_query(auth: Option<&str>, channel_id: Option<&str>) -> Result<Join, QueryError> {
    let (Some(auth), Some(channel)) = (auth, channel_id) else {
        return Err(QueryError::Missing);
    };
    if auth.is_empty() || channel.is_empty() {
        return Err(QueryError::Missing);
    }
    let channel = channel
        .trim()
        .parse::<i64>()
        .map_err(|_| QueryError::BadChannel(channel.to_owned()))?;
    Ok(Join {
        auth: auth
            .trim()
            .strip_prefix("Bearer ")
            .unwrap_or(auth.trim())
            .to_owned(),
        channel: ChannelId(channel),
    })
}

/// Serves one connection until it closes.
pub async fn serve<S, E>(
    socket: S,
    conn: ConnId,
    join: Result<Join, QueryError>,
    sfu: SfuHandle,
    guard: Guard,
) where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin,
    E: std::fmt::Display,
{
    let (mut sink, mut stream) = socket.split();
    let join = match join {
        Ok(join) => join,
        Err(error) => {
            tracing::debug!(%conn, %error, "dspeak query refused");
            let _ = send(&mut sink, &ServerMessage::Error(error.to_string())).await;
            ws::close(&mut sink, &mut stream, 4000, "invalid query").await;
            return;
        }
    };
    let (out_tx, out_rx) = mpsc::channel(OUTBOUND_QUEUE);
    let joined = SfuCommand::DspeakJoin {
        conn,
        join,
        outbound: out_tx,
    };
    if sfu.send(joined).await.is_err() {
        ws::close(&mut sink, &mut stream, 1011, "server unavailable").await;
        return;
    }
    let endpoint = Dspeak {
        conn,
        sfu,
        limiter: RateLimiter::signaling(),
    };
    ws::run(endpoint, &mut sink, &mut stream, out_rx, &guard).await;
}

/// A joined `/socket` connection.
struct Dspeak {
    conn: ConnId,
    sfu: SfuHandle,
    limiter: RateLimiter,
}

impl Endpoint for Dspeak {
    type Outbound = Outbound;
    const PING_INTERVAL: Duration = PING_INTERVAL;
    const IDLE_TIMEOUT: Duration = IDLE_TIMEOUT;

    async fn on_frame(&mut self, frame: Frame<'_>) -> Step {
        let rate_reply =
            || ServerMessage::Error("Too many messages; this one was dropped".into()).to_json();
        if let Some(step) = ws::limit(&mut self.limiter, rate_reply) {
            return step;
        }
        match decode_client(&frame.text()) {
            Ok(message) => {
                let conn = self.conn;
                ws::forwarded(
                    self.sfu
                        .send(SfuCommand::DspeakMessage { conn, message })
                        .await
                        .is_ok(),
                )
            }
            Err(error) => {
                tracing::debug!(conn = %self.conn, %error, "undecodable dspeak frame");
                Step::Reply(ServerMessage::Error(error.to_string()).to_json())
            }
        }
    }

    fn render(&mut self, outbound: Outbound) -> Render {
        match outbound {
            Outbound::Dspeak(message) => Render::Text(message.to_json()),
            Outbound::Close { code, reason } => Render::Close(Ending::close(code, reason)),
            Outbound::Message(_) => Render::Skip,
        }
    }

    async fn closed(self) {
        let _ = self
            .sfu
            .send(SfuCommand::Disconnected { conn: self.conn })
            .await;
    }
}

async fn send<K: Sink<Message> + Unpin>(
    sink: &mut K,
    message: &ServerMessage,
) -> Result<(), K::Error> {
    sink.send(Message::Text(message.to_json().into())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_needs_auth_and_a_decimal_channel() {
        let join = join_from_query(Some("42"), Some("7")).expect("valid query");
        assert_eq!(join.channel, ChannelId(7));
        assert_eq!(join.auth, "42");
        assert_eq!(join_from_query(None, Some("7")), Err(QueryError::Missing));
        assert_eq!(join_from_query(Some("42"), None), Err(QueryError::Missing));
        assert_eq!(
            join_from_query(Some(""), Some("7")),
            Err(QueryError::Missing)
        );
        assert_eq!(
            join_from_query(Some("42"), Some("lobby")).map_err(|e| e.to_string()),
            Err("Invalid channelId: \"lobby\" is not a decimal integer".to_owned())
        );
        assert_eq!(
            join_from_query(Some("Bearer abc"), Some("7")).map(|j| j.auth),
            Ok("abc".to_owned()),
            "a Bearer prefix is stripped like /signal's"
        );
    }
}
