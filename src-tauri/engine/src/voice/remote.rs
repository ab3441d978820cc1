//! One remote user as the listener hears them: one jitter buffer and Opus decoder, fed by every
//! network path (P2P, SFU) the voice arrives on.
//!
//! The sender encodes each frame once and sends it on every connection with the same sequence
//! number and RTP timestamp (the SFU keeps both), so during a switch from P2P to the SFU the same
//! frame arrives twice and the second copy is dropped as a duplicate. Whichever path delivers a
//! frame first, it plays; when P2P closes, the SFU's copies are already in the buffer. The switch
//! cannot open a gap however slowly one path starts: gapless by construction. Late copies from
//! the slower path still count in the arrival statistics, so the buffer's delay covers it.

use std::collections::VecDeque;
use std::time::Instant;

use serde::Serialize;

use crate::audio::{JitterBuffer, JitterConfig, JitterStats, OpusDecoder, Playout};

/// Longest Opus frame: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5_760;
/// A path with no packets for this long is dropped.
const STREAM_IDLE: std::time::Duration = std::time::Duration::from_secs(2);
/// A path counts as delivering while its newest packet is at most this much older than the
/// newest packet of any path.
const PATH_FRESH: std::time::Duration = std::time::Duration::from_millis(100);

/// The network path a remote voice arrives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// A direct (or TURN-relayed) peer connection.
    P2p,
    /// The zone's SFU.
    Sfu,
}

/// The voice's packets, from every path, turned into PCM.
struct Stream {
    jitter: JitterBuffer,
    decoder: Option<OpusDecoder>,
    /// Decoded audio not yet played.
    pcm: VecDeque<i16>,
    scratch: Vec<i16>,
}

/// One path the voice arrives on.
#[derive(Debug, Clone, Copy)]
struct PathState {
    path: Path,
    /// The track ended: the path goes (its frames are already in the shared buffer).
    ended: bool,
    /// When its last packet arrived.
    last_packet: Instant,
}

impl Stream {
    fn new(config: JitterConfig) -> Self {
        let decoder = match OpusDecoder::new() {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::error!(error = %e, "cannot create an Opus decoder; this stream stays silent");
                None
            }
        };
        Self {
            jitter: JitterBuffer::new(config),
            decoder,
            pcm: VecDeque::with_capacity(MAX_FRAME * 2),
            scratch: vec![0; MAX_FRAME],
        }
    }

    /// Decodes until at least `want` samples are ready.
    fn fill(&mut self, now: Instant, want: usize) {
        while self.pcm.len() < want {
            let (result, samples) = match (self.jitter.pop(now), self.decoder.as_mut()) {
                (Playout::Packet { payload, samples }, Some(d)) => {
                    (d.decode(&payload, &mut self.scratch), samples)
                }
                (Playout::Fec { next, samples }, Some(d)) => {
                    let n = samples.clamp(120, MAX_FRAME);
                    (d.decode_fec(&next, &mut self.scratch[..n]), samples)
                }
                (Playout::Conceal { samples }, Some(d)) => {
                    let n = samples.clamp(120, MAX_FRAME);
                    (d.conceal(&mut self.scratch[..n]), samples)
                }
                (Playout::Silence { samples }, _) => (Ok(0), samples),
                (
                    Playout::Packet { samples, .. }
                    | Playout::Fec { samples, .. }
                    | Playout::Conceal { samples },
                    None,
                ) => (Ok(0), samples),
            };
            match result {
                Ok(n) if n > 0 => self.pcm.extend(&self.scratch[..n]),
                Ok(_) => self.pcm.extend(std::iter::repeat_n(0, samples.max(1))),
                Err(e) => {
                    tracing::debug!(error = %e, "Opus decode failed; playing silence");
                    self.pcm.extend(std::iter::repeat_n(0, samples.max(1)));
                }
            }
        }
    }

    /// Moves the next `out.len()` samples into `out` (call [`Stream::fill`] first).
    fn take(&mut self, out: &mut [i16]) {
        let n = out.len().min(self.pcm.len());
        for (o, s) in out.iter_mut().zip(self.pcm.drain(..n)) {
            *o = s;
        }
    }
}

/// What a remote user's voice looks like now, for the UI and tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteStatus {
    /// The path being heard, if any is playing.
    pub heard: Option<Path>,
    /// Paths with a live stream.
    pub paths: Vec<Path>,
}

/// A remote user's voice.
pub struct RemoteVoice {
    config: JitterConfig,
    stream: Stream,
    /// The paths delivering it, P2P first.
    paths: Vec<PathState>,
    /// When the newest packet of any path arrived.
    newest_packet: Option<Instant>,
    heard: Option<Path>,
}

impl RemoteVoice {
    pub fn new(config: JitterConfig) -> Self {
        Self {
            config,
            stream: Stream::new(config),
            paths: Vec::with_capacity(2),
            newest_packet: None,
            heard: None,
        }
    }

    /// A packet of this user's voice arrived on `path`.
    pub fn push(&mut self, now: Instant, path: Path, seq: u16, timestamp: u32, payload: &[u8]) {
        if self.paths.is_empty() && !self.stream.jitter.is_playing() {
            // The voice comes back after it went: start afresh (a new decoder too).
            self.stream = Stream::new(self.config);
        }
        match self.paths.binary_search_by_key(&path, |p| p.path) {
            Ok(i) => {
                self.paths[i].ended = false;
                self.paths[i].last_packet = now;
            }
            Err(i) => self.paths.insert(
                i,
                PathState {
                    path,
                    ended: false,
                    last_packet: now,
                },
            ),
        }
        self.newest_packet = Some(self.newest_packet.map_or(now, |t| t.max(now)));
        self.stream.jitter.push(now, seq, timestamp, payload);
    }

    /// The track on `path` ended.
    pub fn end(&mut self, path: Path) {
        for p in &mut self.paths {
            if p.path == path {
                p.ended = true;
            }
        }
    }

    /// Whether the voice is playing and `path` is delivering it.
    pub fn is_playing(&self, path: Path) -> bool {
        self.stream.jitter.is_playing()
            && self
                .paths
                .iter()
                .any(|p| p.path == path && self.is_fresh(p))
    }

    fn is_fresh(&self, path: &PathState) -> bool {
        self.newest_packet
            .is_some_and(|newest| newest.saturating_duration_since(path.last_packet) <= PATH_FRESH)
    }

    /// Whether no path is left and nothing plays.
    pub fn is_gone(&self) -> bool {
        self.paths.is_empty() && !self.stream.jitter.is_playing()
    }

    pub fn status(&self) -> RemoteStatus {
        RemoteStatus {
            heard: self.heard,
            paths: self.paths.iter().map(|p| p.path).collect(),
        }
    }

    /// Jitter statistics of the voice, if `path` delivers it (one buffer serves every path).
    pub fn stats(&self, path: Path) -> Option<JitterStats> {
        self.paths
            .iter()
            .any(|p| p.path == path)
            .then(|| self.stream.jitter.stats())
    }

    /// Plays the next `out.len()` samples of this voice into `out`; false when nothing is
    /// playing (then `out` is silence).
    pub fn play(&mut self, now: Instant, out: &mut [i16]) -> bool {
        self.stream.fill(now, out.len());
        out.fill(0);
        self.stream.take(out);
        // An ended path goes at once (its frames are in the buffer); a quiet one after a while
        // (the sender left or was muted; it starts afresh if it comes back).
        self.paths
            .retain(|p| !p.ended && now.saturating_duration_since(p.last_packet) <= STREAM_IDLE);
        // The SFU is named while it delivers: it is where the zone is going.
        self.heard = if self.stream.jitter.is_playing() {
            self.paths
                .iter()
                .rev()
                .find(|p| self.is_fresh(p))
                .map(|p| p.path)
        } else {
            None
        };
        self.heard.is_some()
    }
}

#[cfg(test)]
#[path = "remote_tests.rs"]
mod tests;
