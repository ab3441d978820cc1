//! A tap on the signaling sockets: every text frame of `/world` and `/signal`, both directions,
//! handed to whoever debugs the flow (the app's protocol inspector). Recording never blocks the
//! session: when the reader falls behind, frames are dropped and counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde::Serialize;
use tokio::sync::mpsc;

/// Which socket a frame crossed (`"world"` or `"signal"` to the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TapChannel {
    World,
    Signal,
}

/// Which way it went (`"in"` or `"out"` to the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

/// One frame as it crossed the socket.
#[derive(Debug, Clone)]
pub struct TappedFrame {
    pub at: SystemTime,
    pub channel: TapChannel,
    pub direction: Direction,
    pub text: String,
}

/// The sending end of a tap; cheap to clone.
#[derive(Clone)]
pub struct ProtocolTap {
    frames: mpsc::Sender<TappedFrame>,
    dropped: Arc<AtomicU64>,
}

impl ProtocolTap {
    /// A tap and the receiver of its frames (up to `depth` waiting).
    pub fn new(depth: usize) -> (Self, mpsc::Receiver<TappedFrame>) {
        let (frames, rx) = mpsc::channel(depth);
        let tap = Self {
            frames,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        (tap, rx)
    }

    /// Records one frame, or counts it as dropped when the reader is behind.
    pub fn record(&self, channel: TapChannel, direction: Direction, text: &str) {
        let frame = TappedFrame {
            at: SystemTime::now(),
            channel,
            direction,
            text: text.to_owned(),
        };
        if self.frames.try_send(frame).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Frames dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Records `text` on `tap`, when there is one.
pub fn record(tap: Option<&ProtocolTap>, channel: TapChannel, direction: Direction, text: &str) {
    if let Some(tap) = tap {
        tap.record(channel, direction, text);
    }
}
