//! The send path: an [`AudioSource`] read every frame period, encoded to Opus and written as
//! RTP to the local track. A simple level detector drives the speaking state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rtc::rtp;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;

use super::peer::OPUS_PT;
use crate::audio::{AudioSource, EncoderConfig, MAX_PACKET_BYTES, OpusEncoder, analysis};

/// RMS (of full scale) above which a frame counts as voice.
const VOICE_RMS: f64 = 0.01;
/// How long speaking holds after the last voiced frame.
const HANGOVER: Duration = Duration::from_millis(300);

/// Settings of the send path.
pub struct UplinkConfig {
    pub encoder: EncoderConfig,
}

/// Runs the send path until `stop` flips or the track refuses writes. Speaking changes are sent
/// on `speaking`; while `muted` is set nothing is sent.
pub async fn run(
    mut source: Box<dyn AudioSource>,
    config: UplinkConfig,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    muted: Arc<AtomicBool>,
    speaking: mpsc::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    let mut encoder = match OpusEncoder::new(config.encoder) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the Opus encoder");
            return;
        }
    };
    let frame_samples = config.encoder.frame.samples();
    let mut pcm = vec![0i16; frame_samples];
    let mut payload = vec![0u8; MAX_PACKET_BYTES];
    let mut sequence: u16 = rand::random();
    let mut timestamp: u32 = rand::random();
    let mut ticker = tokio::time::interval(Duration::from_millis(u64::from(
        config.encoder.frame.millis(),
    )));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut voiced_until: Option<tokio::time::Instant> = None;
    let mut is_speaking = false;
    let mut ended = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        if !ended && !source.read(&mut pcm) {
            ended = true;
        }
        if ended {
            pcm.fill(0);
        }
        timestamp = timestamp.wrapping_add(frame_samples as u32);
        let now = tokio::time::Instant::now();
        let mute = muted.load(Ordering::Relaxed);
        if !mute && analysis::rms(&pcm) > VOICE_RMS {
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
        let len = match encoder.encode(&pcm, &mut payload) {
            Ok(len) => len,
            Err(e) => {
                tracing::warn!(error = %e, "Opus encode failed");
                continue;
            }
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
