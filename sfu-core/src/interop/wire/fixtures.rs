//! Sample messages for the tests: every variant and enum value in each direction, and helpers.

use serde_json::Value;

use super::*;
use crate::ids::{ChannelId, UserId};

/// A user id above 2^53, so a lossy (f64) reading would show.
pub(super) const USER: i64 = 2_230_469_276_416_868_352;
/// A second user id.
pub(super) const USER2: i64 = 2_230_469_276_416_868_353;
/// A channel id.
pub(super) const CHANNEL: i64 = 1_234_567_890_123_456_789;
/// Another channel id.
pub(super) const CHANNEL2: i64 = 987_654_321;

/// Parses JSON text that the test knows is valid.
pub(super) fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// One message of every [`SfuToMain`] variant, with every [`PresenceEvent`] and [`Status`].
pub(super) fn all_sfu_to_main() -> Vec<SfuToMain> {
    let mut all: Vec<SfuToMain> = PresenceEvent::ALL
        .into_iter()
        .map(|event| {
            SfuToMain::MediaPresence(MediaPresence::at(
                event,
                UserId(USER),
                ChannelId(CHANNEL),
                1_755_002_096_789,
            ))
        })
        .collect();
    all.push(SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
        channel_id: ChannelId(CHANNEL),
        user_ids: vec![UserId(USER), UserId(USER2)],
    }));
    all.push(SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
        channel_id: ChannelId(CHANNEL2),
        user_ids: Vec::new(),
    }));
    all.push(SfuToMain::SfuStatus(SfuStatus {
        status: Status::Ok,
        details: "3 channels, 12 peers, 4% CPU".to_owned(),
    }));
    all.push(SfuToMain::SfuStatus(SfuStatus {
        status: Status::Error,
        details: "UDP socket closed \u{1F50A} \"quoted\"".to_owned(),
    }));
    all
}

/// One message of every [`MainToSfu`] variant, both values of `muted`.
pub(super) fn all_main_to_sfu() -> Vec<MainToSfu> {
    vec![
        MainToSfu::ForceDisconnect(ForceDisconnect {
            user_id: UserId(USER),
            channel_id: ChannelId(CHANNEL),
            reason: "banned".to_owned(),
        }),
        MainToSfu::ServerMute(ServerMute {
            user_id: UserId(USER),
            channel_id: ChannelId(CHANNEL),
            muted: true,
        }),
        MainToSfu::ServerMute(ServerMute {
            user_id: UserId(USER2),
            channel_id: ChannelId(CHANNEL2),
            muted: false,
        }),
        MainToSfu::MoveUser(MoveUser {
            user_id: UserId(USER),
            channel_id: ChannelId(CHANNEL),
            to_channel_id: ChannelId(CHANNEL2),
        }),
    ]
}
