//! The receive path of one remote track: every packet to the voice engine (which buffers,
//! decodes and mixes it), or, in load tests, probes counted without decoding ([`run_probes`]).

use std::sync::Arc;

use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::probe::{self, ProbeRecorder};
use crate::voice::{Path, VoiceEngine};

/// Parses the user id out of a MediaStream id: `user-<id>` (Hearth, GoChat gen 1), `u:<id>`
/// (GoChat gen 2), or bare digits.
pub fn user_from_stream_id(stream_id: &str) -> Option<i64> {
    let digits = stream_id
        .strip_prefix("user-")
        .or_else(|| stream_id.strip_prefix("u:"))
        .unwrap_or(stream_id);
    digits.parse().ok()
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
