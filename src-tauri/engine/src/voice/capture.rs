//! The capture thread: a source read one frame at a time, cleaned (echo cancellation against
//! what the playout thread played, noise suppression, gain control), the talk gate (self mute,
//! push-to-talk, voice activity), Opus, and the encoded frames handed to the fan-out task.
//!
//! A device source is paced by its device ([`AudioSource::paced`]); a synthetic one by this
//! thread's own frame clock.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use super::controls::Controls;
use crate::audio::processing::{ApmProcessor, PROCESSING_FRAME, VoiceProcessor};
use crate::audio::{
    AudioSource, EncoderConfig, MAX_PACKET_BYTES, OpusEncoder, VadConfig, VoiceGate,
};

/// Opus packets this short are DTX frames (silence): not worth a packet on the wire.
const DTX_PACKET_BYTES: usize = 2;

/// One encoded frame of this user's voice.
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    /// The Opus packet.
    pub payload: Bytes,
    /// RTP timestamp (48 kHz) of its first sample; advances during pauses too.
    pub timestamp: u32,
    /// When the frame's audio was read from the source.
    pub captured_at: Instant,
}

/// Everything the capture thread needs.
pub struct Capture {
    pub source: Box<dyn AudioSource>,
    pub encoder: EncoderConfig,
    pub vad: VadConfig,
    pub controls: Arc<Controls>,
    pub frames: mpsc::Sender<EncodedFrame>,
    pub speaking: watch::Sender<bool>,
    /// What the playout thread sent to the output device: the echo reference.
    pub far_end: rtrb::Consumer<i16>,
}

impl Capture {
    /// Runs until `controls` says stop. Call on a dedicated thread.
    pub fn run(mut self) {
        let mut encoder = match OpusEncoder::new(self.encoder) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "cannot create the Opus encoder; nothing will be sent");
                return;
            }
        };
        let frame = self.encoder.frame;
        let period = Duration::from_millis(u64::from(frame.millis()));
        let mut pcm = vec![0i16; frame.samples()];
        let mut packet = vec![0u8; MAX_PACKET_BYTES];
        let mut gate = VoiceGate::new(self.vad);
        let mut processor = ApmProcessor::new(self.controls.processing());
        let mut far = vec![0i16; PROCESSING_FRAME];
        let mut timestamp: u32 = rand::random();
        let mut ended = false;
        let paced = self.source.paced();
        let mut next = Instant::now();
        while !self.controls.stopped() {
            if !paced {
                next += period;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else if now - next > period * 5 {
                    next = now; // far behind (suspended): do not burst
                }
            }
            if !ended && !self.source.read(&mut pcm) {
                ended = true;
            }
            if ended {
                pcm.fill(0);
            }
            processor.configure(self.controls.processing());
            while let Ok(chunk) = self.far_end.read_chunk(PROCESSING_FRAME) {
                let (a, b) = chunk.as_slices();
                far[..a.len()].copy_from_slice(a);
                far[a.len()..].copy_from_slice(b);
                chunk.commit_all();
                processor.render(&far);
            }
            processor.capture(&mut pcm);
            let now = Instant::now();
            let decision = gate.process(
                now,
                &pcm,
                self.controls.talk_mode(),
                self.controls.push_to_talk.load(Ordering::Relaxed),
                self.controls.muted(),
            );
            self.controls.set_input_level(decision.level);
            self.speaking.send_if_modified(|s| {
                let changed = *s != decision.speaking;
                *s = decision.speaking;
                changed
            });
            let ts = timestamp;
            timestamp = timestamp.wrapping_add(pcm.len() as u32);
            if !decision.transmit {
                continue;
            }
            let len = match encoder.encode(&pcm, &mut packet) {
                Ok(len) => len,
                Err(e) => {
                    tracing::warn!(error = %e, "Opus encode failed");
                    continue;
                }
            };
            if len <= DTX_PACKET_BYTES {
                continue;
            }
            let frame = EncodedFrame {
                payload: Bytes::copy_from_slice(&packet[..len]),
                timestamp: ts,
                captured_at: now,
            };
            if self.frames.try_send(frame).is_err() {
                self.controls.count_dropped_frame();
            }
        }
    }
}
