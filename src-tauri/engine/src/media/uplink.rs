//! The send path: an [`AudioSource`] read every frame period, encoded to Opus and written as
//! RTP to the local track (or, for load tests, a [`Probe`] in its place). A simple level
//! detector drives the speaking state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rtc::rtp;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;

use super::peer::OPUS_PT;
use super::probe::{self, Probe};
use crate::audio::{
    AudioSource, EncoderConfig, FrameDuration, MAX_PACKET_BYTES, OpusEncoder, analysis,
};
use crate::voice::VoiceEngine;

/// RMS (of full scale) above which a frame counts as voice.
const VOICE_RMS: f64 = 0.01;
/// How long speaking holds after the last voiced frame.
const HANGOVER: Duration = Duration::from_millis(300);

/// What the send path sends.
pub enum Uplink {
    /// A voice: `source` read every frame period and encoded with Opus.
    Voice {
        source: Box<dyn AudioSource>,
        encoder: EncoderConfig,
    },
    /// A numbered, timestamped [`Probe`] of voice-packet size every 20 ms instead of audio (load
    /// tests). The SFU forwards payloads opaquely, so probes travel exactly like voice. A probe
    /// sender always counts as speaking.
    Probe,
    /// Nothing: a listen-only client.
    Silent,
    /// A microphone track that sends nothing, as a muted member's does: in a voice world every
    /// member has one, so each peer carries an m-line per member (`hearth-bot load --muted-mics`).
    Muted,
    /// The voice engine's encoded voice (shared with every other connection of this user);
    /// speaking follows the engine's talk gate.
    Engine(VoiceEngine),
}

/// Where payloads come from, one per frame period.
enum Payloads {
    Voice {
        source: Box<dyn AudioSource>,
        encoder: OpusEncoder,
        pcm: Vec<i16>,
        ended: bool,
    },
    Probe {
        next: u64,
    },
}

impl Payloads {
    /// Reads the next frame; true when it holds voice.
    fn read(&mut self) -> bool {
        match self {
            Self::Voice {
                source, pcm, ended, ..
            } => {
                if !*ended && !source.read(pcm) {
                    *ended = true;
                }
                if *ended {
                    pcm.fill(0);
                }
                analysis::rms(pcm) > VOICE_RMS
            }
            Self::Probe { .. } => true,
        }
    }

    /// Encodes the frame read last into `out`; returns its length.
    fn encode(&mut self, out: &mut [u8]) -> Option<usize> {
        match self {
            Self::Voice { encoder, pcm, .. } => match encoder.encode(pcm, out) {
                Ok(len) => Some(len),
                Err(e) => {
                    tracing::warn!(error = %e, "Opus encode failed");
                    None
                }
            },
            Self::Probe { next } => {
                let probe = Probe {
                    counter: *next,
                    sent_ns: probe::now_ns(),
                };
                *next += 1;
                probe.encode(out)
            }
        }
    }
}

/// Runs the send path until `stop` flips or the track refuses writes. Speaking changes are sent
/// on `speaking`; while `muted` is set nothing is sent.
pub async fn run(
    uplink: Uplink,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    muted: Arc<AtomicBool>,
    speaking: mpsc::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    let (mut payloads, frame) = match uplink {
        Uplink::Voice { source, encoder } => match OpusEncoder::new(encoder) {
            Ok(opus) => (
                Payloads::Voice {
                    source,
                    encoder: opus,
                    pcm: vec![0i16; encoder.frame.samples()],
                    ended: false,
                },
                encoder.frame,
            ),
            Err(e) => {
                tracing::error!(error = %e, "cannot create the Opus encoder");
                return;
            }
        },
        Uplink::Probe => (Payloads::Probe { next: 0 }, FrameDuration::Ms20),
        Uplink::Silent | Uplink::Muted => {
            let _ = stop.changed().await;
            return;
        }
        Uplink::Engine(engine) => {
            let output = engine.add_output(track, ssrc);
            let mut voiced = engine.speaking();
            loop {
                tokio::select! {
                    changed = voiced.changed() => {
                        if changed.is_err() { break; }
                        let now = *voiced.borrow_and_update();
                        let _ = speaking.try_send(now);
                    }
                    _ = stop.changed() => break,
                }
            }
            engine.remove_output(output);
            return;
        }
    };
    let frame_samples = frame.samples();
    let mut payload = vec![0u8; MAX_PACKET_BYTES];
    let mut sequence: u16 = rand::random();
    let mut timestamp: u32 = rand::random();
    let mut ticker = tokio::time::interval(Duration::from_millis(u64::from(frame.millis())));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut voiced_until: Option<tokio::time::Instant> = None;
    let mut is_speaking = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        let has_voice = payloads.read();
        timestamp = timestamp.wrapping_add(frame_samples as u32);
        let now = tokio::time::Instant::now();
        let mute = muted.load(Ordering::Relaxed);
        if !mute && has_voice {
            voiced_until = Some(now + HANGOVER);
        }
        let voiced = !mute && voiced_until.is_some_and(|t| t > now);
        if voiced != is_speaking {
            is_speaking = voiced;
            let _ = speaking.try_send(voiced);
        }
        if mute {
            continue;
        }
        let Some(len) = payloads.encode(&mut payload) else {
            continue;
        };
        sequence = sequence.wrapping_add(1);
        let packet = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: OPUS_PT,
                sequence_number: sequence,
                timestamp,
                ssrc,
                marker: false,
                ..Default::default()
            },
            payload: bytes::Bytes::copy_from_slice(&payload[..len]),
        };
        if let Err(e) = track.write_rtp(packet).await {
            tracing::debug!(error = %e, "RTP write failed");
        }
    }
}
