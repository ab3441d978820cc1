//! The send path of a `/signal` session: the voice engine's encoded voice written to this
//! connection's track (the engine encodes once for every connection), or, for load tests, a
//! [`Probe`] of voice-packet size every 20 ms in its place.

use std::sync::Arc;
use std::time::Duration;

use rtc::rtp;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;

use super::peer::OPUS_PT;
use super::probe::{self, Probe};
use crate::audio::{FrameDuration, MAX_PACKET_BYTES};
use crate::voice::VoiceEngine;

/// What the send path sends.
pub enum Uplink {
    /// The voice engine's encoded voice (shared with every other connection of this user);
    /// speaking follows the engine's talk gate, and its self mute is the client's.
    Engine(VoiceEngine),
    /// A numbered, timestamped [`Probe`] of voice-packet size every 20 ms instead of audio (load
    /// tests). The SFU forwards payloads opaquely, so probes travel exactly like voice. A probe
    /// sender always counts as speaking.
    Probe,
    /// Nothing: a listen-only client.
    Silent,
    /// A microphone track that sends nothing, as a muted member's does: in a voice world every
    /// member has one, so each peer carries an m-line per member (`hearth-bot load --muted-mics`).
    Muted,
}

/// Runs the send path until `stop` flips or the track refuses writes. Speaking changes are sent
/// on `speaking`.
pub async fn run(
    uplink: Uplink,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    speaking: mpsc::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    match uplink {
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
        }
        Uplink::Probe => {
            let _ = speaking.try_send(true);
            send_probes(&track, ssrc, stop).await;
        }
        Uplink::Silent | Uplink::Muted => {
            let _ = stop.changed().await;
        }
    }
}

/// Writes a probe every 20 ms until `stop` flips.
async fn send_probes(track: &TrackLocalStaticRTP, ssrc: u32, mut stop: watch::Receiver<bool>) {
    let frame = FrameDuration::Ms20;
    let mut payload = vec![0u8; MAX_PACKET_BYTES];
    let mut sequence: u16 = rand::random();
    let mut timestamp: u32 = rand::random();
    let mut next: u64 = 0;
    let mut ticker = tokio::time::interval(Duration::from_millis(u64::from(frame.millis())));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        timestamp = timestamp.wrapping_add(frame.samples() as u32);
        let probe = Probe {
            counter: next,
            sent_ns: probe::now_ns(),
        };
        next += 1;
        let Some(len) = probe.encode(&mut payload) else {
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
