//! The shared connection loop driven through channels (the test endpoint's timers are short).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, Stream};
use tokio::sync::mpsc;

use super::*;
use crate::host::limits::{Endpoint as Door, Guard, Refusals, TOO_BIG};

/// An endpoint that forwards nothing: frames are kept, `"big"` is over its limit, `"bye"` ends.
struct Probe {
    frames: Vec<String>,
    closed: Arc<AtomicBool>,
}

enum Out {
    Text(&'static str),
    Other,
    Close,
}

impl Endpoint for Probe {
    type Outbound = Out;
    const PING_INTERVAL: Duration = Duration::from_millis(100);
    const IDLE_TIMEOUT: Duration = Duration::from_millis(250);

    async fn on_frame(&mut self, frame: Frame<'_>) -> Step {
        let text = frame.text().into_owned();
        let step = match text.as_str() {
            "big" => Step::TooBig,
            "bye" => Step::End(Ending::close(4321, "bye")),
            "ask" => Step::Reply("answer".into()),
            _ => Step::Continue,
        };
        self.frames.push(text);
        step
    }

    fn render(&mut self, outbound: Out) -> Render {
        match outbound {
            Out::Text(text) => Render::Text(text.into()),
            Out::Other => Render::Skip,
            Out::Close => Render::Close(Ending::close(4012, "moved")),
        }
    }

    async fn closed(self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

struct Rig {
    client_tx: mpsc::UnboundedSender<Result<Message, String>>,
    wire: mpsc::UnboundedReceiver<Message>,
    actor_tx: mpsc::Sender<Out>,
    closed: Arc<AtomicBool>,
    refusals: Arc<Refusals>,
    task: tokio::task::JoinHandle<()>,
}

fn socket(
    client: mpsc::UnboundedReceiver<Result<Message, String>>,
    wire: mpsc::UnboundedSender<Message>,
) -> (
    impl Sink<Message> + Unpin,
    impl Stream<Item = Result<Message, String>> + Unpin,
) {
    let sink = Box::pin(futures_util::sink::unfold(
        wire,
        |wire, message: Message| async move {
            wire.send(message).map_err(|_| "gone")?;
            Ok::<_, &str>(wire)
        },
    ));
    let stream = Box::pin(futures_util::stream::unfold(client, |mut rx| async move {
        rx.recv().await.map(|frame| (frame, rx))
    }));
    (sink, stream)
}

fn start() -> Rig {
    let (client_tx, client_rx) = mpsc::unbounded_channel();
    let (wire_tx, wire) = mpsc::unbounded_channel();
    let (actor_tx, actor_rx) = mpsc::channel(64);
    let closed = Arc::new(AtomicBool::new(false));
    let refusals = Arc::new(Refusals::default());
    let guard = Guard {
        endpoint: Door::World,
        refusals: refusals.clone(),
    };
    let probe = Probe {
        frames: Vec::new(),
        closed: closed.clone(),
    };
    let task = tokio::spawn(async move {
        let (mut sink, mut stream) = socket(client_rx, wire_tx);
        run(probe, &mut sink, &mut stream, actor_rx, &guard).await;
    });
    Rig {
        client_tx,
        wire,
        actor_tx,
        closed,
        refusals,
        task,
    }
}

fn texts(wire: &mut mpsc::UnboundedReceiver<Message>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(message) = wire.try_recv() {
        out.push(match message {
            Message::Text(text) => text.to_string(),
            Message::Close(Some(CloseFrame { code, reason })) => format!("close {code} {reason}"),
            other => format!("{other:?}"),
        });
    }
    out
}

#[tokio::test]
async fn what_the_actor_queued_goes_out_in_order_and_its_close_ends_the_connection() {
    let mut rig = start();
    for out in [Out::Text("a"), Out::Other, Out::Text("b"), Out::Close] {
        rig.actor_tx.send(out).await.expect("loop running");
    }
    // The client answers the server's Close.
    tokio::time::sleep(Duration::from_millis(10)).await;
    rig.client_tx
        .send(Ok(Message::Close(None)))
        .expect("loop running");
    rig.task.await.expect("loop ends");
    assert_eq!(texts(&mut rig.wire), ["a", "b", "close 4012 moved"]);
    assert!(rig.closed.load(Ordering::SeqCst), "the actor is told");
}

#[tokio::test]
async fn a_frame_over_the_limit_closes_with_1009_and_is_counted() {
    let mut rig = start();
    rig.client_tx
        .send(Ok(Message::Text("ask".into())))
        .expect("loop running");
    rig.client_tx
        .send(Ok(Message::Text("big".into())))
        .expect("loop running");
    tokio::time::sleep(Duration::from_millis(50)).await;
    rig.client_tx
        .send(Ok(Message::Close(None)))
        .expect("the server waits for the answer to its Close");
    rig.task.await.expect("loop ends");
    assert_eq!(
        texts(&mut rig.wire),
        [
            "answer".to_owned(),
            format!("close {TOO_BIG} message too big")
        ]
    );
    assert_eq!(rig.refusals.too_big(Door::World), 1);
}

#[tokio::test]
async fn a_silent_client_is_pinged_then_closed_as_idle() {
    let mut rig = start();
    rig.task
        .await
        .expect("closed as idle (after waiting 2 s for an answer)");
    let sent = texts(&mut rig.wire);
    assert!(sent.len() >= 2, "pings, then the close: {sent:?}");
    assert!(
        sent[..sent.len() - 1].iter().all(|m| m.starts_with("Ping")),
        "{sent:?}"
    );
    assert_eq!(
        sent.last().map(String::as_str),
        Some("close 4009 idle timeout")
    );
    assert!(rig.closed.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_clients_close_is_answered_and_nothing_queued_after_it_is_sent() {
    let mut rig = start();
    rig.client_tx
        .send(Ok(Message::Close(None)))
        .expect("loop running");
    rig.task.await.expect("loop ends");
    assert!(rig.closed.load(Ordering::SeqCst));
    assert!(
        rig.actor_tx.send(Out::Text("late")).await.is_err(),
        "the connection's queue is gone"
    );
    assert!(
        texts(&mut rig.wire).is_empty(),
        "the echo is the sink's job"
    );
}
