//! Round trips of every variant in both directions, and the two id spellings.

use super::fixtures::{CHANNEL, USER, USER2, all_main_to_sfu, all_sfu_to_main, parse};
use super::*;
use crate::ids::{ChannelId, UserId};

#[test]
fn every_sfu_to_main_variant_round_trips() {
    let all = all_sfu_to_main();
    assert_eq!(all.len(), 8, "4 events, 2 syncs, 2 statuses");
    for message in all {
        let text = message.to_json();
        assert_eq!(
            parse(&text)["type"],
            message.type_name(),
            "type_name() must match the wire `type`"
        );
        let again = decode_sfu_to_main(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(again, message, "round trip of {text}");
    }
}

#[test]
fn every_main_to_sfu_variant_round_trips() {
    for message in all_main_to_sfu() {
        let text = message.to_json();
        assert_eq!(
            parse(&text)["type"],
            message.type_name(),
            "type_name() must match the wire `type`"
        );
        let again = decode_main_to_sfu(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(again, message, "round trip of {text}");
    }
}

#[test]
fn interop_error_round_trips_both_ways() {
    for data in ["", "Unknown message type: x", "\u{1F50A} \"quoted\"\n"] {
        let error = InteropError::new(data);
        let text = error.to_json();
        let want = InteropDecodeError::PeerError(error.clone());
        assert_eq!(decode_sfu_to_main(&text).expect_err(&text), want);
        assert_eq!(decode_main_to_sfu(&text).expect_err(&text), want);
    }
}

#[test]
fn ids_are_written_as_decimal_strings() {
    for message in all_sfu_to_main() {
        let frame = parse(&message.to_json());
        for key in ["userId", "channelId"] {
            if let Some(id) = frame.get(key) {
                assert!(id.is_string(), "{key} must be a string in {frame}");
            }
        }
        if let Some(ids) = frame.get("userIds") {
            let ids = ids.as_array().expect("userIds is an array");
            assert!(ids.iter().all(|id| id.is_string()), "{frame}");
        }
    }
    for message in all_main_to_sfu() {
        let frame = parse(&message.to_json());
        for key in ["userId", "channelId", "toChannelId"] {
            if let Some(id) = frame.get(key) {
                assert!(id.is_string(), "{key} must be a string in {frame}");
            }
        }
    }
}

#[test]
fn ids_are_read_from_numbers_and_strings() {
    let as_strings = format!(
        r#"{{"type":"media_presence","event":"join","userId":"{USER}","channelId":"{CHANNEL}","timestamp":"t"}}"#
    );
    let as_numbers = format!(
        r#"{{"type":"media_presence","event":"join","userId":{USER},"channelId":{CHANNEL},"timestamp":"t"}}"#
    );
    let a = decode_sfu_to_main(&as_strings).expect("ids as strings");
    let b = decode_sfu_to_main(&as_numbers).expect("ids as numbers");
    assert_eq!(a, b, "both spellings must give the same message");

    let mixed = format!(
        r#"{{"type":"channel_presence_sync","channelId":{CHANNEL},"userIds":["{USER}",{USER2}]}}"#
    );
    assert_eq!(
        decode_sfu_to_main(&mixed),
        Ok(SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
            channel_id: ChannelId(CHANNEL),
            user_ids: vec![UserId(USER), UserId(USER2)],
        })),
        "a list may mix numbers and strings"
    );

    let moved = r#"{"type":"move_user","userId":1,"channelId":"2","toChannelId":3}"#;
    assert_eq!(
        decode_main_to_sfu(moved),
        Ok(MainToSfu::MoveUser(MoveUser {
            user_id: UserId(1),
            channel_id: ChannelId(2),
            to_channel_id: ChannelId(3),
        }))
    );
}

#[test]
fn extreme_ids_round_trip() {
    for id in [i64::MIN, -1, 0, i64::MAX] {
        let message = MainToSfu::ForceDisconnect(ForceDisconnect {
            user_id: UserId(id),
            channel_id: ChannelId(id),
            reason: String::new(),
        });
        let text = message.to_json();
        assert_eq!(decode_main_to_sfu(&text), Ok(message), "{text}");
    }
}

#[test]
fn unknown_fields_are_ignored() {
    let text = r#"{"type":"server_mute","userId":"1","channelId":"2","muted":false,"by":"admin","x":{"y":[1]}}"#;
    assert_eq!(
        decode_main_to_sfu(text),
        Ok(MainToSfu::ServerMute(ServerMute {
            user_id: UserId(1),
            channel_id: ChannelId(2),
            muted: false,
        })),
        "additive fields must not break older peers"
    );
}

#[test]
fn timestamp_is_kept_as_received() {
    // Decoding does not check the format: the main server may log or forward it as it is.
    let text = r#"{"type":"media_presence","event":"leave","userId":"1","channelId":"2","timestamp":"2025-08-12 12:34:56+02:00"}"#;
    let Ok(SfuToMain::MediaPresence(presence)) = decode_sfu_to_main(text) else {
        panic!("expected media_presence from {text}");
    };
    assert_eq!(presence.timestamp, "2025-08-12 12:34:56+02:00");
}
