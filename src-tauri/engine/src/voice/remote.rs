//! One remote user as the listener hears them: a stream per network path (P2P, SFU), each with
//! its own jitter buffer and Opus decoder, and the choice of which path is heard.
//!
//! During a switch from P2P to the SFU the same voice arrives twice. Both streams keep playing
//! out in step, so the one not heard stays warm, and the listener hears the SFU stream as soon as
//! it is playing: make before break, without doubling the voice.

use std::collections::VecDeque;
use std::time::Instant;

use serde::Serialize;

use crate::audio::{JitterBuffer, JitterConfig, JitterStats, OpusDecoder, Playout};

/// Longest Opus frame: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5_760;
/// A stream with no packets for this long is dropped.
const STREAM_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

/// The network path a remote voice arrives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// A direct (or TURN-relayed) peer connection.
    P2p,
    /// The zone's SFU.
    Sfu,
}

/// One path's packets turned into PCM.
struct Stream {
    jitter: JitterBuffer,
    decoder: Option<OpusDecoder>,
    /// Decoded audio not yet played.
    pcm: VecDeque<i16>,
    scratch: Vec<i16>,
    /// The track ended: drop the stream once it has played out.
    ended: bool,
    /// When the last packet arrived.
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
            ended: false,
            last_packet: Instant::now(),
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
    /// At most one stream per path, P2P first.
    streams: Vec<(Path, Stream)>,
    heard: Option<Path>,
}

impl RemoteVoice {
    pub fn new(config: JitterConfig) -> Self {
        Self {
            config,
            streams: Vec::with_capacity(2),
            heard: None,
        }
    }

    /// A packet of this user's voice arrived on `path`.
    pub fn push(&mut self, now: Instant, path: Path, seq: u16, timestamp: u32, payload: &[u8]) {
        // Kept sorted by path, P2P first.
        let i = match self.streams.binary_search_by_key(&path, |(p, _)| *p) {
            Ok(i) => i,
            Err(i) => {
                self.streams.insert(i, (path, Stream::new(self.config)));
                i
            }
        };
        let stream = &mut self.streams[i].1;
        stream.ended = false;
        stream.last_packet = now;
        stream.jitter.push(now, seq, timestamp, payload);
    }

    /// The track on `path` ended; its stream goes once it has nothing left to play.
    pub fn end(&mut self, path: Path) {
        for (p, s) in &mut self.streams {
            if *p == path {
                s.ended = true;
            }
        }
    }

    /// Whether the stream on `path` is playing (buffered and not run dry).
    pub fn is_playing(&self, path: Path) -> bool {
        self.streams
            .iter()
            .any(|(p, s)| *p == path && s.jitter.is_playing())
    }

    /// Whether no stream is left.
    pub fn is_gone(&self) -> bool {
        self.streams.is_empty()
    }

    pub fn status(&self) -> RemoteStatus {
        RemoteStatus {
            heard: self.heard,
            paths: self.streams.iter().map(|(p, _)| *p).collect(),
        }
    }

    /// Jitter statistics of the stream on `path`.
    pub fn stats(&self, path: Path) -> Option<JitterStats> {
        self.streams
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, s)| s.jitter.stats())
    }

    /// Plays the next `out.len()` samples of this voice into `out`; false when nothing is
    /// playing (then `out` is silence). Every stream advances, heard or not.
    pub fn play(&mut self, now: Instant, out: &mut [i16]) -> bool {
        // Decode before choosing, so a stream that starts playing in this period is heard from
        // its first sample instead of losing it.
        for (_, stream) in &mut self.streams {
            stream.fill(now, out.len());
        }
        // The SFU wins once it plays: it is where the zone is going.
        self.heard = self
            .streams
            .iter()
            .rev()
            .find(|(_, s)| s.jitter.is_playing())
            .map(|(p, _)| *p);
        out.fill(0);
        for (path, stream) in &mut self.streams {
            if Some(*path) == self.heard {
                stream.take(out);
            } else {
                let n = out.len().min(stream.pcm.len());
                stream.pcm.drain(..n);
            }
        }
        // A stream goes when its track ended, or when nothing came for a while (the sender left
        // or was muted; a new stream starts if it comes back), once it has played out.
        self.streams.retain(|(_, s)| {
            let idle = now.saturating_duration_since(s.last_packet) > STREAM_IDLE;
            s.jitter.is_playing() || !(s.ended || idle)
        });
        self.heard.is_some()
    }
}

#[cfg(test)]
#[path = "remote_tests.rs"]
mod tests;
