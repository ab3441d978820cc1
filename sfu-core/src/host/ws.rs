//! What every WebSocket connection shell (`/world`, `/signal`, `/socket`) does the same way: the
//! connection loop ([`run`]: frames in, the actor's messages out in batches, pings, the idle
//! timeout, the caps) and the closing handshake of RFC 6455 section 5.5.1 in both directions. An
//! endpoint says only what is its own ([`Endpoint`]): what a client's frame means and what the
//! actor's messages look like on the wire; its handshake runs before the loop.
//!
//! A client's Close is answered with a Close (tungstenite queues the echo when it reads the frame;
//! it only goes out when the sink is flushed). A close the server starts sends its code and
//! reason, then waits a moment for the client's answering Close so the client sees a clean close
//! (`wasClean: true` in a browser) instead of a dropped connection (1006).

use std::future::Future;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, interval};

use super::limits::Guard;
use crate::rate::{RateLimiter, Verdict};

/// Most queued outbound messages written before one flush (one TCP write with `TCP_NODELAY`).
const MAX_BATCH: usize = 256;

/// How long a server-side close waits for the client's answering Close before dropping the socket.
pub const CLOSE_ANSWER_WAIT: Duration = Duration::from_secs(2);

/// How a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The client sent a Close: answer it.
    ClosedByClient,
    /// The server closes with this code and reason.
    Close { code: u16, reason: &'static str },
    /// The socket is gone (reset, or a send failed): nothing can be said.
    Gone,
}

impl Ending {
    /// The server closes with `code` and `reason`.
    pub fn close(code: u16, reason: &'static str) -> Self {
        Self::Close { code, reason }
    }
}

/// Ends the connection as `ending` says. Never waits longer than [`CLOSE_ANSWER_WAIT`].
pub async fn finish<K, S, E>(sink: &mut K, stream: &mut S, ending: Ending)
where
    K: Sink<Message> + Unpin,
    S: Stream<Item = Result<Message, E>> + Unpin,
{
    match ending {
        // Flushing sends the echo tungstenite queued when it read the client's Close.
        Ending::ClosedByClient => {
            let _ = sink.close().await;
        }
        Ending::Close { code, reason } => {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            if sink.send(Message::Close(Some(frame))).await.is_err() {
                return;
            }
            let answered = async {
                while let Some(Ok(frame)) = stream.next().await {
                    if matches!(frame, Message::Close(_)) {
                        return;
                    }
                }
            };
            let _ = tokio::time::timeout(CLOSE_ANSWER_WAIT, answered).await;
        }
        Ending::Gone => {}
    }
}

/// Sends a Close with `code` and `reason` and waits for the answer: [`finish`] for the early
/// refusals of a shell that has not split its loop yet.
pub async fn close<K, S, E>(sink: &mut K, stream: &mut S, code: u16, reason: &'static str)
where
    K: Sink<Message> + Unpin,
    S: Stream<Item = Result<Message, E>> + Unpin,
{
    finish(sink, stream, Ending::close(code, reason)).await;
}

/// A frame from the client, as an endpoint sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

impl<'a> Frame<'a> {
    /// The frame as text; a binary frame read as (lossy) UTF-8, as dspeak's clients expect.
    pub fn text(self) -> std::borrow::Cow<'a, str> {
        match self {
            Frame::Text(text) => text.into(),
            Frame::Binary(bytes) => String::from_utf8_lossy(bytes),
        }
    }
}

/// What the loop does after a client's frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing more (the frame went to the actor, or was dropped).
    Continue,
    /// Send this text frame back (an error reply).
    Reply(String),
    /// The frame is over a limit of this endpoint: close with 1009 (counted).
    TooBig,
    /// End the connection so.
    End(Ending),
}

/// What one message from the actor becomes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Render {
    Text(String),
    /// Not for this kind of connection.
    Skip,
    /// Close the connection (after what was rendered before it).
    Close(Ending),
}

/// One kind of WebSocket endpoint, as [`run`] sees it.
pub trait Endpoint {
    /// What the actor sends a connection.
    type Outbound;
    /// How often the server pings.
    const PING_INTERVAL: Duration;
    /// A connection that sent nothing, not even a pong, this long is closed (4009).
    const IDLE_TIMEOUT: Duration;

    /// A client's frame (never a ping, pong or close: the loop handles those).
    fn on_frame(&mut self, frame: Frame<'_>) -> impl Future<Output = Step> + Send;
    /// One of the actor's messages, for the wire.
    fn render(&mut self, outbound: Self::Outbound) -> Render;
    /// Whether the server pings now.
    fn pings(&self) -> bool {
        true
    }
    /// The connection ended: tell the actor.
    fn closed(self) -> impl Future<Output = ()> + Send;
}

/// Serves a connection whose handshake is done until it ends, then closes it as it ended.
pub async fn run<P, K, S, E>(
    mut endpoint: P,
    sink: &mut K,
    stream: &mut S,
    mut outbound: mpsc::Receiver<P::Outbound>,
    guard: &Guard,
) where
    P: Endpoint,
    K: Sink<Message> + Unpin,
    S: Stream<Item = Result<Message, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut pings = interval(P::PING_INTERVAL);
    pings.reset();
    let mut last_heard = Instant::now();
    let ending = loop {
        tokio::select! {
            frame = stream.next() => {
                let frame = match frame {
                    Some(Ok(frame)) => frame,
                    Some(Err(error)) => break guard.ending_for(&error),
                    None => break Ending::Gone,
                };
                last_heard = Instant::now();
                let step = match &frame {
                    Message::Text(text) => endpoint.on_frame(Frame::Text(text.as_str())).await,
                    Message::Binary(bytes) => endpoint.on_frame(Frame::Binary(bytes)).await,
                    Message::Close(_) => break Ending::ClosedByClient,
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                match step {
                    Step::Continue => {}
                    Step::Reply(text) => {
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            break Ending::Gone;
                        }
                    }
                    Step::TooBig => break guard.refuse_too_big(),
                    Step::End(ending) => break ending,
                }
            }
            first = outbound.recv() => {
                let Some(first) = first else {
                    break Ending::close(1011, "server unavailable");
                };
                match send_batch(&mut endpoint, sink, first, &mut outbound).await {
                    Ok(None) => {}
                    Ok(Some(ending)) => break ending,
                    Err(()) => break Ending::Gone,
                }
            }
            _ = pings.tick() => {
                if last_heard.elapsed() > P::IDLE_TIMEOUT {
                    break Ending::close(4009, "idle timeout");
                }
                if endpoint.pings() && sink.send(Message::Ping(Default::default())).await.is_err() {
                    break Ending::Gone;
                }
            }
        }
    };
    // What the actor queued before a close it asked for (a kick's notice precedes its close).
    if ending != Ending::ClosedByClient {
        while let Ok(message) = outbound.try_recv() {
            if let Render::Text(text) = endpoint.render(message)
                && sink.send(Message::Text(text.into())).await.is_err()
            {
                break;
            }
        }
    }
    endpoint.closed().await;
    finish(sink, stream, ending).await;
}

/// Writes `first` and whatever else is queued (up to [`MAX_BATCH`]) with one flush. Returns the
/// ending when one of them closes the connection; `Err` when the socket is gone.
async fn send_batch<P, K>(
    endpoint: &mut P,
    sink: &mut K,
    first: P::Outbound,
    outbound: &mut mpsc::Receiver<P::Outbound>,
) -> Result<Option<Ending>, ()>
where
    P: Endpoint,
    K: Sink<Message> + Unpin,
{
    let mut next = Some(first);
    let mut written = 0;
    let mut ending = None;
    while let Some(message) = next.take() {
        match endpoint.render(message) {
            Render::Text(text) => {
                sink.feed(Message::Text(text.into()))
                    .await
                    .map_err(|_| ())?;
                written += 1;
            }
            Render::Skip => {}
            Render::Close(close) => {
                ending = Some(close);
                break;
            }
        }
        if written < MAX_BATCH {
            next = outbound.try_recv().ok();
        }
    }
    sink.flush().await.map_err(|_| ())?;
    Ok(ending)
}

/// The step after handing a frame to the actor: on, or the end when the actor is gone.
pub fn forwarded(delivered: bool) -> Step {
    if delivered {
        Step::Continue
    } else {
        Step::End(Ending::close(1011, "server unavailable"))
    }
}

/// Rate limiting of a client's frames, shared by the endpoints that limit: the step for a frame
/// over the budget (a dropped frame gets `reply` now and then; abuse closes with 4008), or
/// `None` when the frame is admitted.
pub fn limit(limiter: &mut RateLimiter, reply: impl FnOnce() -> String) -> Option<Step> {
    match limiter.admit(Instant::now().into_std()) {
        Verdict::Allow => None,
        Verdict::Drop { notify: true } => Some(Step::Reply(reply())),
        Verdict::Drop { notify: false } => Some(Step::Continue),
        Verdict::Abuse => Some(Step::End(Ending::close(4008, "rate limit abuse"))),
    }
}

#[cfg(test)]
#[path = "ws_tests.rs"]
mod tests;
