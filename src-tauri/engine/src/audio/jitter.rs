//! An adaptive jitter buffer for one remote Opus stream.
//!
//! Sans-IO: RTP packets go in with [`JitterBuffer::push`], the playout clock takes one frame at a
//! time with [`JitterBuffer::pop`], and both are told the time. The buffer decides what each
//! frame is ([`Playout`]): a packet to decode, FEC to recover a lost packet from its successor,
//! concealment, or silence. It never decodes audio itself.
//!
//! Sequence numbers and timestamps are unwrapped to `i64` relative to the newest packet, so the
//! u16 and u32 wrap-arounds are invisible past [`JitterBuffer::push`]. The RTP clock is
//! [`SAMPLE_RATE`], so timestamps count samples.
//!
//! The target delay is the 99th percentile of recent arrival deviation (transit time above the
//! fastest recent packet, see [`arrival`]) plus one frame, clamped to the configured range: a
//! clean stream plays at the minimum, a jittery one waits long enough for nearly every packet.
//! The delay grows when the buffer runs dry and re-buffers, or when it stretches (one concealed
//! frame) to wait for a missing packet while below target; it shrinks by dropping old frames
//! when it has stayed well above target for a while.

mod arrival;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use self::arrival::ArrivalJitter;
use super::{SAMPLE_RATE, SAMPLES_PER_MS};

/// Samples per packet until the stream shows otherwise (20 ms).
const DEFAULT_FRAME_SAMPLES: i64 = 960;
/// Longest audio one Opus packet can carry (120 ms); bigger timestamp steps are DTX pauses.
const MAX_FRAME_SAMPLES: i64 = 5_760;
/// Frame-length observations kept; the frame length is the smallest of them.
const FRAME_HISTORY: usize = 16;
/// Consecutive lost frames that are still concealed; a longer run becomes silence and re-buffers.
const MAX_CONCEALED_RUN: u32 = 5;
/// Frames concealed while nothing at all is buffered before playout stops and re-buffers.
const MAX_DRY_CONCEALED: u32 = 3;
/// Longest DTX pause played out as silence (1 s); a longer pause is shortened to this.
const MAX_DTX_GAP_SAMPLES: i64 = SAMPLE_RATE as i64;
/// How far above target (at least; two frames if more) the buffer may run before catching up.
const CATCH_UP_MARGIN_SAMPLES: i64 = 40 * SAMPLES_PER_MS as i64;
/// How long the buffer must stay above target + margin before old frames are dropped.
const CATCH_UP_AFTER: Duration = Duration::from_millis(500);
/// A forward sequence jump this large means the sender restarted: start over.
const MAX_SEQ_JUMP: i64 = 3_000;
/// A packet this far behind the newest is no late packet (seconds late) but a new sender.
const MAX_SEQ_BACK: i64 = 200;
/// Hard cap on stored packets, whatever the sender does.
const MAX_BUFFERED_PACKETS: usize = 512;

/// Delay bounds of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Smallest target delay, even for a perfectly clean stream.
    pub min_delay: Duration,
    /// Largest target delay, however jittery the stream (a `max_delay` below `min_delay` counts
    /// as `min_delay`). The target is never below one frame.
    pub max_delay: Duration,
}

impl Default for JitterConfig {
    /// 20 ms to 200 ms.
    fn default() -> Self {
        Self {
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        }
    }
}

/// What the playout clock should do for the next frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Decode this packet (it covers `samples` samples).
    Packet {
        /// The Opus packet.
        payload: Vec<u8>,
        /// Samples the packet covers.
        samples: usize,
    },
    /// This frame's packet was lost but the next one is here: decode the FEC in `next` for
    /// `samples`. `next` is still played normally on the following pop.
    Fec {
        /// The packet after the lost one.
        next: Vec<u8>,
        /// Samples to recover.
        samples: usize,
    },
    /// Lost with nothing to recover from: conceal `samples` with Opus PLC. Also used, without
    /// counting a loss, to stretch playout by one frame while a missing packet may still arrive
    /// and the buffer is below its target delay.
    Conceal {
        /// Samples to conceal.
        samples: usize,
    },
    /// Nothing to play (not yet started/buffering, a DTX pause, or the stream ran dry):
    /// `samples` of silence.
    Silence {
        /// Samples of silence.
        samples: usize,
    },
}

/// Counters and current delays of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets pushed, including late ones and duplicates.
    pub received: u64,
    /// Packets that arrived after their frame was played (or skipped); dropped.
    pub late: u64,
    /// Packets already in the buffer when they arrived again; dropped.
    pub duplicates: u64,
    /// Frames whose packet never came in time (recovered, concealed or skipped).
    pub lost: u64,
    /// Lost frames recovered from the next packet's FEC.
    pub recovered_fec: u64,
    /// Lost frames concealed with PLC.
    pub concealed: u64,
    /// Current target delay.
    pub target_delay_ms: u32,
    /// Audio currently buffered ahead of the playout point.
    pub buffered_ms: u32,
    /// Packets thrown away to catch up when the buffer ran too far above target.
    pub dropped: u64,
}

/// One stored packet.
#[derive(Debug, Clone)]
struct Packet {
    /// Unwrapped RTP timestamp of its first sample.
    timestamp: i64,
    payload: Vec<u8>,
}

/// Whether audio is coming out, or the buffer is filling up to its target first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Buffering,
    Playing,
}

/// An adaptive jitter buffer for one remote Opus stream; see the [module docs](self).
///
/// Invariants: every stored packet's sequence number is at or after `next_seq` (when set), and
/// `next_seq` is set whenever the state is [`State::Playing`].
#[derive(Debug)]
pub struct JitterBuffer {
    config: JitterConfig,
    state: State,
    /// Packets by unwrapped sequence number.
    packets: BTreeMap<i64, Packet>,
    /// Unwrapped sequence number of the next frame to play; `None` until the first start.
    next_seq: Option<i64>,
    /// Unwrapped timestamp of the next sample to play (meaningful once `next_seq` is set).
    play_ts: i64,
    /// Newest packet seen: (unwrapped seq, unwrapped timestamp); the unwrap reference.
    newest: Option<(i64, i64)>,
    /// Current frame length in samples: the smallest of `frame_history`.
    frame_samples: i64,
    frame_history: VecDeque<i64>,
    /// Sequence number and timestamp of the last packet pushed (unwrapped).
    last_pushed: Option<(i64, i64)>,
    arrival: ArrivalJitter,
    target_samples: i64,
    /// Consecutive frames played without their packet.
    lost_run: u32,
    /// Since when the buffer has been above target + margin.
    over_since: Option<Instant>,
    stats: JitterStats,
}

impl JitterBuffer {
    /// An empty buffer, waiting for its first packet.
    pub fn new(config: JitterConfig) -> Self {
        let mut buffer = Self {
            config,
            state: State::Buffering,
            packets: BTreeMap::new(),
            next_seq: None,
            play_ts: 0,
            newest: None,
            frame_samples: DEFAULT_FRAME_SAMPLES,
            frame_history: VecDeque::with_capacity(FRAME_HISTORY),
            last_pushed: None,
            arrival: ArrivalJitter::new(),
            target_samples: 0,
            lost_run: 0,
            over_since: None,
            stats: JitterStats::default(),
        };
        buffer.update_target();
        buffer
    }

    /// An RTP packet arrived at `now`. Handles reordering, duplicates, late packets (already
    /// played past: dropped, counted), u16 sequence and u32 timestamp wrap-around.
    pub fn push(&mut self, now: Instant, seq: u16, timestamp: u32, payload: &[u8]) {
        self.stats.received += 1;
        let (seq, timestamp) = self.unwrap(seq, timestamp);
        // Every copy counts in the arrival statistics: when a voice arrives by two paths, the
        // delay then covers the slower, which carries on alone when the faster one closes.
        self.arrival.record(now, timestamp);
        self.update_target();
        if self.packets.contains_key(&seq) {
            self.stats.duplicates += 1;
            return;
        }
        if self.next_seq.is_some_and(|next| seq < next) {
            tracing::trace!(seq, "late packet dropped");
            self.stats.late += 1;
            return;
        }
        self.learn_frame(seq, timestamp);
        self.packets.insert(
            seq,
            Packet {
                timestamp,
                payload: payload.to_vec(),
            },
        );
        if self.packets.len() > MAX_BUFFERED_PACKETS {
            self.packets.pop_first();
            self.stats.dropped += 1;
        }
    }

    /// The next frame to play, called by the playout clock whenever it needs more audio. Never
    /// blocks.
    pub fn pop(&mut self, now: Instant) -> Playout {
        let frame = self.frame_samples;
        if self.state == State::Buffering {
            match self.resume_point() {
                Some((seq, ts)) if self.end_ts().unwrap_or(ts) - ts >= self.target_samples => {
                    tracing::trace!(seq, "playout (re)started");
                    self.next_seq = Some(seq);
                    self.play_ts = ts;
                    self.state = State::Playing;
                    self.over_since = None;
                }
                _ => return silence(frame),
            }
        }
        self.catch_up(now);
        self.play_next()
    }

    /// Counters and current delays.
    pub fn stats(&self) -> JitterStats {
        JitterStats {
            target_delay_ms: samples_to_ms(self.target_samples),
            buffered_ms: samples_to_ms(self.buffered_samples()),
            ..self.stats
        }
    }

    /// Whether it is currently playing (started and not run dry).
    pub fn is_playing(&self) -> bool {
        self.state == State::Playing
    }

    /// Audio buffered ahead of the playout point.
    pub fn buffered(&self) -> Duration {
        samples_to_duration(self.buffered_samples())
    }

    /// Current target delay.
    pub fn target_delay(&self) -> Duration {
        samples_to_duration(self.target_samples)
    }

    /// Samples per frame, as learnt from the stream's timestamps (960 until known).
    pub fn frame_samples(&self) -> usize {
        usize::try_from(self.frame_samples).unwrap_or(DEFAULT_FRAME_SAMPLES as usize)
    }

    /// Unwraps `seq` and `timestamp` against the newest packet, starting over when the sender
    /// must have restarted: the sequence jumps far ahead or far back, or it goes on while the
    /// timestamps go back (a new source behind the same stream, as when an SFU forwards a
    /// re-created producer).
    fn unwrap(&mut self, seq: u16, timestamp: u32) -> (i64, i64) {
        let Some((ref_seq, ref_ts)) = self.newest else {
            return self.first(seq, timestamp);
        };
        // Two's-complement truncation gives the raw value back, also for negative references.
        let seq_ext = ref_seq + i64::from(seq.wrapping_sub(ref_seq as u16) as i16);
        let ts_ext = ref_ts + i64::from(timestamp.wrapping_sub(ref_ts as u32) as i32);
        let jumped = seq_ext - ref_seq > MAX_SEQ_JUMP || ref_seq - seq_ext > MAX_SEQ_BACK;
        let time_went_back = seq_ext > ref_seq && ts_ext < ref_ts;
        if jumped || time_went_back {
            tracing::debug!(
                seq,
                timestamp,
                "the sender restarted: restarting the jitter buffer"
            );
            self.restart();
            return self.first(seq, timestamp);
        }
        if seq_ext > ref_seq {
            self.newest = Some((seq_ext, ts_ext));
        }
        (seq_ext, ts_ext)
    }

    /// Takes `seq` and `timestamp` as the stream's first packet.
    fn first(&mut self, seq: u16, timestamp: u32) -> (i64, i64) {
        let first = (i64::from(seq), i64::from(timestamp));
        self.newest = Some(first);
        first
    }

    /// Forgets the stream (not the counters) after the sender restarted.
    fn restart(&mut self) {
        self.packets.clear();
        self.next_seq = None;
        self.state = State::Buffering;
        self.arrival.reset();
        self.lost_run = 0;
        self.over_since = None;
        self.update_target();
    }

    /// Learns the frame length from the timestamp steps to the packet's stored neighbours.
    fn learn_frame(&mut self, seq: i64, timestamp: i64) {
        // The previous packet may have been played already (a short burst of speech between DTX
        // pauses plays out at once): remember the last one pushed too.
        let last = self.last_pushed.replace((seq, timestamp));
        let before = self
            .packets
            .get(&(seq - 1))
            .map(|p| timestamp - p.timestamp)
            .or_else(|| {
                last.filter(|(s, _)| *s == seq - 1)
                    .map(|(_, t)| timestamp - t)
            });
        let after = self
            .packets
            .get(&(seq + 1))
            .map(|p| p.timestamp - timestamp);
        for delta in [before, after].into_iter().flatten() {
            if (1..=MAX_FRAME_SAMPLES).contains(&delta) {
                if self.frame_history.len() == FRAME_HISTORY {
                    self.frame_history.pop_front();
                }
                self.frame_history.push_back(delta);
            }
        }
        if let Some(&smallest) = self.frame_history.iter().min()
            && smallest != self.frame_samples
        {
            self.frame_samples = smallest;
            self.update_target();
        }
    }

    /// Target = percentile of arrival deviation + one frame, clamped to the config, at least a
    /// frame.
    fn update_target(&mut self) {
        let jitter = self.arrival.samples();
        let min = duration_to_samples(self.config.min_delay);
        let max = duration_to_samples(self.config.max_delay).max(min);
        self.target_samples = (jitter + self.frame_samples)
            .clamp(min, max)
            .max(self.frame_samples);
    }

    /// Where playout would (re)start: the next frame's sequence number and timestamp.
    fn resume_point(&self) -> Option<(i64, i64)> {
        let (&first_seq, first) = self.packets.first_key_value()?;
        match self.next_seq {
            // After an underrun, keep the position so a late packet still plays, but line the
            // clock up with the packets we have: the silence already covered any pause.
            Some(next) => Some((
                next,
                first.timestamp - (first_seq - next) * self.frame_samples,
            )),
            None => Some((first_seq, first.timestamp)),
        }
    }

    /// Timestamp just past the newest buffered packet.
    fn end_ts(&self) -> Option<i64> {
        self.packets
            .last_key_value()
            .map(|(_, p)| p.timestamp + self.frame_samples)
    }

    fn buffered_samples(&self) -> i64 {
        let start = match self.state {
            State::Playing => Some(self.play_ts),
            State::Buffering => self.resume_point().map(|(_, ts)| ts),
        };
        match (start, self.end_ts()) {
            (Some(start), Some(end)) => (end - start).max(0),
            _ => 0,
        }
    }

    /// Drops the oldest audio when the buffer has run above target + margin for a while.
    fn catch_up(&mut self, now: Instant) {
        let margin = CATCH_UP_MARGIN_SAMPLES.max(2 * self.frame_samples);
        if self.buffered_samples() <= self.target_samples + margin {
            self.over_since = None;
            return;
        }
        let since = *self.over_since.get_or_insert(now);
        if now.saturating_duration_since(since) < CATCH_UP_AFTER {
            return;
        }
        self.over_since = None;
        let Some(mut next) = self.next_seq else {
            return;
        };
        let frame = self.frame_samples;
        while self.buffered_samples() >= self.target_samples + frame {
            let excess = self.buffered_samples() - self.target_samples;
            match self.packets.get(&next) {
                // A DTX pause: shorten it rather than drop speech.
                Some(p) if p.timestamp > self.play_ts => {
                    self.play_ts += (p.timestamp - self.play_ts).min(excess);
                }
                Some(_) => {
                    if let Some(p) = self.packets.remove(&next) {
                        self.play_ts = p.timestamp + frame;
                    }
                    self.stats.dropped += 1;
                    next += 1;
                }
                None => {
                    self.stats.lost += 1;
                    self.play_ts += frame;
                    next += 1;
                }
            }
        }
        tracing::debug!(next, "jitter buffer caught up");
        self.next_seq = Some(next);
    }

    /// Plays the frame at `next_seq` (state is [`State::Playing`]).
    fn play_next(&mut self) -> Playout {
        let frame = self.frame_samples;
        let Some(next) = self.next_seq else {
            self.state = State::Buffering;
            return silence(frame);
        };
        if let Some(ts) = self.packets.get(&next).map(|p| p.timestamp) {
            if ts > self.play_ts {
                // Consecutive packets whose timestamps jump: the sender paused (DTX).
                self.play_ts = self.play_ts.max(ts - MAX_DTX_GAP_SAMPLES);
                let step = (ts - self.play_ts).min(frame);
                self.play_ts += step;
                return silence(step);
            }
            if let Some(packet) = self.packets.remove(&next) {
                self.advance(next, packet.timestamp + frame);
                self.lost_run = 0;
                return Playout::Packet {
                    payload: packet.payload,
                    samples: to_usize(frame),
                };
            }
        }
        let Some(&later) = self.packets.keys().next() else {
            if self.lost_run < MAX_DRY_CONCEALED {
                // Nothing buffered: the packet is late or lost. Stretch the voice with
                // concealment for a few frames (growing the delay) rather than cut to silence.
                self.lost_run += 1;
                return Playout::Conceal {
                    samples: to_usize(frame),
                };
            }
            tracing::trace!(next, "jitter buffer ran dry");
            self.state = State::Buffering;
            self.lost_run = 0;
            return silence(frame);
        };
        self.lost_run += 1;
        if self.lost_run > MAX_CONCEALED_RUN {
            tracing::debug!(next, later, "long loss: re-buffering");
            self.stats.lost += u64::try_from(later - next).unwrap_or(0);
            self.next_seq = Some(later);
            self.state = State::Buffering;
            self.lost_run = 0;
            return silence(frame);
        }
        if self.buffered_samples() < self.target_samples {
            // Below target: wait one frame for the missing packet, growing the delay.
            return Playout::Conceal {
                samples: to_usize(frame),
            };
        }
        self.stats.lost += 1;
        self.advance(next, self.play_ts + frame);
        if let Some(packet) = self.packets.get(&(next + 1)) {
            self.stats.recovered_fec += 1;
            Playout::Fec {
                next: packet.payload.clone(),
                samples: to_usize(frame),
            }
        } else {
            self.stats.concealed += 1;
            Playout::Conceal {
                samples: to_usize(frame),
            }
        }
    }

    fn advance(&mut self, played: i64, play_ts: i64) {
        self.next_seq = Some(played + 1);
        self.play_ts = play_ts;
    }
}

fn silence(samples: i64) -> Playout {
    Playout::Silence {
        samples: to_usize(samples),
    }
}

fn to_usize(samples: i64) -> usize {
    usize::try_from(samples).unwrap_or(0)
}

fn duration_to_samples(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros() * u128::from(SAMPLE_RATE) / 1_000_000).unwrap_or(i64::MAX)
}

fn samples_to_duration(samples: i64) -> Duration {
    let samples = u64::try_from(samples).unwrap_or(0);
    Duration::from_micros(samples * 1_000_000 / u64::from(SAMPLE_RATE))
}

fn samples_to_ms(samples: i64) -> u32 {
    u32::try_from(samples.max(0) / SAMPLES_PER_MS as i64).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
