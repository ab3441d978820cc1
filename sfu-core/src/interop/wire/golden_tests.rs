//! Golden tests: every JSON example of seed 000 decodes to the expected message, and encoding
//! that message gives the same JSON back (compared as JSON values, so key order and whitespace
//! do not matter; the exact text is pinned separately).
//!
//! The seed's examples are templates: `"event": "join" | "leave" | ...` lists the allowed values
//! and `USER_ID`, `CHANNEL_ID`, `USER_ID1`, ... are placeholders. Each test below fills them in
//! with every allowed value in turn and with valid decimal ids ([`USER`], [`USER2`], [`CHANNEL`]).

use super::fixtures::{CHANNEL, USER, USER2, parse};
use super::*;
use crate::ids::{ChannelId, UserId};

fn golden_sfu_to_main(seed_text: &str, want: SfuToMain) {
    let got = decode_sfu_to_main(seed_text).unwrap_or_else(|e| panic!("{e}: {seed_text}"));
    assert_eq!(got, want, "decoding the seed example {seed_text}");
    assert_eq!(
        parse(&got.to_json()),
        parse(seed_text),
        "encoding must give the seed example back"
    );
}

fn golden_main_to_sfu(seed_text: &str, want: MainToSfu) {
    let got = decode_main_to_sfu(seed_text).unwrap_or_else(|e| panic!("{e}: {seed_text}"));
    assert_eq!(got, want, "decoding the seed example {seed_text}");
    assert_eq!(
        parse(&got.to_json()),
        parse(seed_text),
        "encoding must give the seed example back"
    );
}

#[test]
fn media_presence_example_with_every_event() {
    // Seed 000 section 1; `"join" | "leave" | "start_produce" | "stop_produce"` filled with each
    // value, `USER_ID` and `CHANNEL_ID` with decimal ids.
    let events = [
        ("join", PresenceEvent::Join),
        ("leave", PresenceEvent::Leave),
        ("start_produce", PresenceEvent::StartProduce),
        ("stop_produce", PresenceEvent::StopProduce),
    ];
    for (name, event) in events {
        let seed_text = format!(
            r#"{{
  "type": "media_presence",
  "event": "{name}",
  "userId": "2230469276416868352",
  "channelId": "1234567890123456789",
  "timestamp": "2025-08-12T12:34:56.789Z"
}}"#
        );
        let want = MediaPresence {
            event,
            user_id: UserId(USER),
            channel_id: ChannelId(CHANNEL),
            timestamp: "2025-08-12T12:34:56.789Z".to_owned(),
        };
        assert_eq!(
            MediaPresence::at(event, UserId(USER), ChannelId(CHANNEL), 1_755_002_096_789),
            want,
            "the seed's timestamp is 1755002096789 ms"
        );
        golden_sfu_to_main(&seed_text, SfuToMain::MediaPresence(want));
    }
}

#[test]
fn channel_presence_sync_example() {
    // Seed 000 section 2; `CHANNEL_ID`, `USER_ID1` and `USER_ID2` filled with decimal ids.
    let seed_text = r#"{
  "type": "channel_presence_sync",
  "channelId": "1234567890123456789",
  "userIds": ["2230469276416868352", "2230469276416868353"]
}"#;
    golden_sfu_to_main(
        seed_text,
        SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
            channel_id: ChannelId(CHANNEL),
            user_ids: vec![UserId(USER), UserId(USER2)],
        }),
    );
}

#[test]
fn sfu_status_example_with_every_status() {
    // Seed 000 section 3; `"ok" | "error"` filled with each value.
    for (name, status) in [("ok", Status::Ok), ("error", Status::Error)] {
        let seed_text = format!(
            r#"{{
  "type": "sfu_status",
  "status": "{name}",
  "details": "Description of the error or status"
}}"#
        );
        golden_sfu_to_main(
            &seed_text,
            SfuToMain::SfuStatus(SfuStatus {
                status,
                details: "Description of the error or status".to_owned(),
            }),
        );
    }
}

#[test]
fn force_disconnect_example() {
    // Seed 000 section 4; `USER_ID` and `CHANNEL_ID` filled with decimal ids.
    let seed_text = r#"{
  "type": "force_disconnect",
  "userId": "2230469276416868352",
  "channelId": "1234567890123456789",
  "reason": "banned"
}"#;
    golden_main_to_sfu(
        seed_text,
        MainToSfu::ForceDisconnect(ForceDisconnect {
            user_id: UserId(USER),
            channel_id: ChannelId(CHANNEL),
            reason: "banned".to_owned(),
        }),
    );
}

#[test]
fn error_examples_travel_both_ways() {
    // Seed 000 "Example Error Response", and the two replies of "Error Handling & Flows".
    let examples = [
        r#"{
  "type": "error",
  "data": "Malformed JSON in message"
}"#,
        r#"{ "type": "error", "data": "Invalid message format: missing type" }"#,
        r#"{ "type": "error", "data": "Unknown message type: ..." }"#,
    ];
    for seed_text in examples {
        let want = InteropError::new(
            parse(seed_text)["data"]
                .as_str()
                .expect("the examples have a string `data`"),
        );
        for got in [
            decode_sfu_to_main(seed_text).map(|m| m.to_json()),
            decode_main_to_sfu(seed_text).map(|m| m.to_json()),
        ] {
            assert_eq!(
                got,
                Err(InteropDecodeError::PeerError(want.clone())),
                "an error message is reported as PeerError: {seed_text}"
            );
        }
        assert_eq!(parse(&want.to_json()), parse(seed_text), "{seed_text}");
    }
}

#[test]
fn exact_text_is_compact_with_type_first() {
    let presence = SfuToMain::MediaPresence(MediaPresence::at(
        PresenceEvent::StartProduce,
        UserId(USER),
        ChannelId(CHANNEL),
        1_755_002_096_789,
    ));
    assert_eq!(
        presence.to_json(),
        r#"{"type":"media_presence","event":"start_produce","userId":"2230469276416868352","channelId":"1234567890123456789","timestamp":"2025-08-12T12:34:56.789Z"}"#
    );
    let sync = SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
        channel_id: ChannelId(7),
        user_ids: vec![UserId(1), UserId(-2)],
    });
    assert_eq!(
        sync.to_json(),
        r#"{"type":"channel_presence_sync","channelId":"7","userIds":["1","-2"]}"#
    );
    let status = SfuToMain::SfuStatus(SfuStatus {
        status: Status::Ok,
        details: "fine".to_owned(),
    });
    assert_eq!(
        status.to_json(),
        r#"{"type":"sfu_status","status":"ok","details":"fine"}"#
    );
    let kick = MainToSfu::ForceDisconnect(ForceDisconnect {
        user_id: UserId(5),
        channel_id: ChannelId(6),
        reason: "kicked".to_owned(),
    });
    assert_eq!(
        kick.to_json(),
        r#"{"type":"force_disconnect","userId":"5","channelId":"6","reason":"kicked"}"#
    );
    let mute = MainToSfu::ServerMute(ServerMute {
        user_id: UserId(5),
        channel_id: ChannelId(6),
        muted: true,
    });
    assert_eq!(
        mute.to_json(),
        r#"{"type":"server_mute","userId":"5","channelId":"6","muted":true}"#
    );
    let moved = MainToSfu::MoveUser(MoveUser {
        user_id: UserId(5),
        channel_id: ChannelId(6),
        to_channel_id: ChannelId(8),
    });
    assert_eq!(
        moved.to_json(),
        r#"{"type":"move_user","userId":"5","channelId":"6","toChannelId":"8"}"#
    );
    assert_eq!(
        InteropError::new("Unknown message type: foo").to_json(),
        r#"{"type":"error","data":"Unknown message type: foo"}"#
    );
}
