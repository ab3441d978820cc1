//! What every WebSocket connection shell (`/world`, `/signal`, `/socket`) does the same way:
//! the closing handshake of RFC 6455 section 5.5.1 in both directions.
//!
//! A client's Close is answered with a Close (tungstenite queues the echo when it reads the frame;
//! it only goes out when the sink is flushed). A close the server starts sends its code and
//! reason, then waits a moment for the client's answering Close so the client sees a clean close
//! (`wasClean: true` in a browser) instead of a dropped connection (1006).

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};

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
