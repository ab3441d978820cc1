//! The send side's last step: every encoded frame written as RTP to every connection that
//! carries this user's voice (P2P peers, the SFU). During a switch from P2P to the SFU both carry
//! it; that overlap is what makes the switch gapless.

use std::sync::{Arc, Mutex, PoisonError};

use rtc::rtp;
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;

use super::capture::EncodedFrame;
use crate::media::peer::OPUS_PT;

/// Identifies one registered output, for removing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputId(u64);

struct Output {
    id: OutputId,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
}

/// The connections this user's voice goes to.
#[derive(Default)]
pub struct Outputs {
    list: Mutex<Vec<Output>>,
    next: std::sync::atomic::AtomicU64,
}

impl Outputs {
    /// Starts sending to `track` (whose encoding uses `ssrc`).
    pub fn add(&self, track: Arc<TrackLocalStaticRTP>, ssrc: u32) -> OutputId {
        let id = OutputId(self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        self.lock().push(Output { id, track, ssrc });
        id
    }

    /// Stops sending to an output.
    pub fn remove(&self, id: OutputId) {
        self.lock().retain(|o| o.id != id);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn snapshot(&self) -> Vec<(Arc<TrackLocalStaticRTP>, u32)> {
        self.lock()
            .iter()
            .map(|o| (o.track.clone(), o.ssrc))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Output>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes frames to the outputs until the capture thread stops.
pub async fn run(outputs: Arc<Outputs>, mut frames: mpsc::Receiver<EncodedFrame>) {
    let mut sequence: u16 = rand::random();
    while let Some(frame) = frames.recv().await {
        sequence = sequence.wrapping_add(1);
        for (track, ssrc) in outputs.snapshot() {
            let packet = rtp::Packet {
                header: rtp::header::Header {
                    version: 2,
                    payload_type: OPUS_PT,
                    sequence_number: sequence,
                    timestamp: frame.timestamp,
                    ssrc,
                    ..Default::default()
                },
                payload: frame.payload.clone(),
            };
            if let Err(e) = track.write_rtp(packet).await {
                tracing::trace!(error = %e, "RTP write failed");
            }
        }
    }
}
