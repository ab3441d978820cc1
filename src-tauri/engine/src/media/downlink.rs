//! The receive path of one remote track: RTP in sequence order, Opus decode with FEC or
//! concealment for lost packets, PCM out to that user's [`AudioSink`]. Load tests read probes
//! instead ([`run_probes`]).

use std::sync::Arc;

use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::probe::{self, ProbeRecorder};
use crate::audio::{AudioSink, OpusDecoder};
use crate::voice::{Path, VoiceEngine};

/// The longest run of lost packets concealed; a longer gap is treated as a pause.
const MAX_CONCEALED: u16 = 5;

/// Parses the user id out of a MediaStream id: `user-<id>` (Hearth, GoChat gen 1), `u:<id>`
/// (GoChat gen 2), or bare digits.
pub fn user_from_stream_id(stream_id: &str) -> Option<i64> {
    let digits = stream_id
        .strip_prefix("user-")
        .or_else(|| stream_id.strip_prefix("u:"))
        .unwrap_or(stream_id);
    digits.parse().ok()
}

/// Decodes `track` into `sink` until the track ends. Returns the frames decoded.
pub async fn run(track: Arc<dyn TrackRemote>, mut sink: Box<dyn AudioSink>) -> u64 {
    let mut decoder = match OpusDecoder::new() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "cannot create the Opus decoder");
            return 0;
        }
    };
    let mut pcm = vec![0i16; 5760];
    let mut last: Option<(u16, u32)> = None;
    let mut frames = 0u64;
    while let Some(event) = track.poll().await {
        let TrackRemoteEvent::OnRtpPacket(packet) = event else {
            continue;
        };
        if packet.payload.is_empty() {
            continue;
        }
        let seq = packet.header.sequence_number;
        let ts = packet.header.timestamp;
        if let Some((last_seq, last_ts)) = last {
            let ahead = seq.wrapping_sub(last_seq);
            if ahead == 0 || ahead > u16::MAX / 2 {
                continue; // duplicate or late: already played past it
            }
            let lost = ahead - 1;
            if (1..=MAX_CONCEALED).contains(&lost) {
                let per_frame = (ts.wrapping_sub(last_ts) / u32::from(ahead)) as usize;
                let per_frame = per_frame.clamp(120, 5760) / 120 * 120;
                for i in 0..lost {
                    // The packet right after the gap carries FEC for the last lost frame.
                    let out = &mut pcm[..per_frame];
                    let recovered = if i + 1 == lost {
                        decoder.decode_fec(&packet.payload, out)
                    } else {
                        decoder.conceal(out)
                    };
                    if let Ok(n) = recovered {
                        sink.write(&pcm[..n]);
                    }
                }
            }
        }
        last = Some((seq, ts));
        match decoder.decode(&packet.payload, &mut pcm) {
            Ok(n) => {
                sink.write(&pcm[..n]);
                frames += 1;
            }
            Err(e) => tracing::debug!(error = %e, "Opus decode failed"),
        }
    }
    if let Err(e) = sink.finish() {
        tracing::warn!(error = %e, "finishing the audio sink failed");
    }
    frames
}

/// Feeds every packet of `track` (user `user`'s voice arriving on `path`) to the voice engine,
/// which buffers, decodes and mixes it, until the track ends.
pub async fn run_into(track: Arc<dyn TrackRemote>, user: i64, path: Path, engine: VoiceEngine) {
    while let Some(event) = track.poll().await {
        if let TrackRemoteEvent::OnRtpPacket(packet) = event
            && !packet.payload.is_empty()
        {
            engine.push_packet(
                user,
                path,
                packet.header.sequence_number,
                packet.header.timestamp,
                &packet.payload,
            );
        }
    }
    engine.end_stream(user, path);
}

/// Feeds every probe on `track` (sent by user `sender`) to `recorder` until the track ends,
/// without decoding anything. Returns the probes recorded.
pub async fn run_probes(
    track: Arc<dyn TrackRemote>,
    sender: i64,
    recorder: Arc<ProbeRecorder>,
) -> u64 {
    let mut probes = 0u64;
    while let Some(event) = track.poll().await {
        if let TrackRemoteEvent::OnRtpPacket(packet) = event
            && recorder.record(sender, &packet.payload, probe::now_ns())
        {
            probes += 1;
        }
    }
    probes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_of_every_sfu_generation() {
        assert_eq!(
            user_from_stream_id("user-2230469276416868352"),
            Some(2230469276416868352)
        );
        assert_eq!(user_from_stream_id("u:42"), Some(42));
        assert_eq!(user_from_stream_id("42"), Some(42));
        assert_eq!(user_from_stream_id("hearth"), None);
    }
}
