//! Bad input, as seed 000 "Error Handling & Flows" and SPEC section 5 say: the decode error, and
//! the exact error reply (or none).

use super::fixtures::parse;
use super::*;

/// Decodes `text` in both directions; both must fail alike. Returns the error.
fn reject(text: &str) -> InteropDecodeError {
    let from_sfu = decode_sfu_to_main(text).expect_err(text);
    let from_main = decode_main_to_sfu(text).expect_err(text);
    assert_eq!(from_sfu, from_main, "both decoders must agree on {text}");
    from_sfu
}

/// The `data` of the reply to `err`, checking the reply is a valid seed 000 error message.
fn reply_data(err: &InteropDecodeError) -> Option<String> {
    let reply = err.reply()?;
    let frame = parse(&reply.to_json());
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["data"], reply.data.as_str(), "{frame}");
    Some(reply.data)
}

/// Decodes `text` (a main -> SFU frame) and returns the reason of its `InvalidFields` error.
fn invalid_to_sfu(text: &str) -> String {
    match decode_main_to_sfu(text) {
        Err(InteropDecodeError::InvalidFields { reason, .. }) => reason,
        other => panic!("expected InvalidFields for {text}, got {other:?}"),
    }
}

/// Decodes `text` (an SFU -> main frame) and returns the reason of its `InvalidFields` error.
fn invalid_to_main(text: &str) -> String {
    match decode_sfu_to_main(text) {
        Err(InteropDecodeError::InvalidFields { reason, .. }) => reason,
        other => panic!("expected InvalidFields for {text}, got {other:?}"),
    }
}

#[test]
fn not_json_is_ignored_without_reply() {
    for text in [
        "",
        "   ",
        "hello",
        "{",
        r#"{"type":"sfu_status""#,
        "{type: 'x'}",
        "[1,]",
    ] {
        let err = reject(text);
        assert!(
            matches!(err, InteropDecodeError::NotJson { .. }),
            "{text:?} gave {err:?}"
        );
        assert_eq!(reply_data(&err), None, "seed 000: log and ignore {text:?}");
    }
}

#[test]
fn missing_type_gets_the_seed_reply() {
    let texts = [
        r#"{}"#,
        r#"{"userId":"1","channelId":"2","reason":"banned"}"#,
        r#"{"type":null,"data":"x"}"#,
        r#"{"type":""}"#,
        r#"{"type":5}"#,
        r#"{"type":["force_disconnect"]}"#,
        r#"{"Type":"sfu_status"}"#,
        // JSON but not an object: there is no `type` to read either.
        r#"["force_disconnect"]"#,
        r#""force_disconnect""#,
        "null",
        "42",
    ];
    for text in texts {
        let err = reject(text);
        assert_eq!(err, InteropDecodeError::MissingType, "{text}");
        assert_eq!(
            reply_data(&err).as_deref(),
            Some("Invalid message format: missing type"),
            "exact seed 000 reply for {text}"
        );
    }
}

#[test]
fn unknown_type_gets_the_seed_reply() {
    let err = reject(r#"{"type":"foo","userId":"1"}"#);
    assert_eq!(err, InteropDecodeError::UnknownType("foo".to_owned()));
    assert_eq!(
        reply_data(&err).as_deref(),
        Some("Unknown message type: foo")
    );
    assert_eq!(
        reject(r#"{"type":"Media_Presence"}"#),
        InteropDecodeError::UnknownType("Media_Presence".to_owned()),
        "type names are case-sensitive"
    );
}

#[test]
fn the_other_directions_types_are_unknown() {
    for message in fixtures::all_main_to_sfu() {
        let err = decode_sfu_to_main(&message.to_json()).expect_err("wrong direction");
        assert_eq!(
            reply_data(&err),
            Some(format!("Unknown message type: {}", message.type_name()))
        );
    }
    for message in fixtures::all_sfu_to_main() {
        let err = decode_main_to_sfu(&message.to_json()).expect_err("wrong direction");
        assert_eq!(
            reply_data(&err),
            Some(format!("Unknown message type: {}", message.type_name()))
        );
    }
}

#[test]
fn long_unknown_types_are_cut_in_the_reply() {
    let name = "x".repeat(10_000);
    let err = reject(&format!(r#"{{"type":"{name}"}}"#));
    let data = reply_data(&err).expect("unknown types get a reply");
    assert_eq!(data, format!("Unknown message type: {}...", "x".repeat(64)));
}

#[test]
fn missing_fields_are_named() {
    let reason = invalid_to_sfu(r#"{"type":"force_disconnect","channelId":"2","reason":"x"}"#);
    assert_eq!(reason, "missing field `userId`");
    let err = decode_main_to_sfu(r#"{"type":"force_disconnect","userId":"1","channelId":"2"}"#)
        .expect_err("no reason");
    assert_eq!(
        reply_data(&err).as_deref(),
        Some("Invalid message format: missing field `reason`")
    );
    assert_eq!(
        invalid_to_main(r#"{"type":"media_presence","event":"join","userId":"1","channelId":"2"}"#),
        "missing field `timestamp`"
    );
    assert_eq!(
        invalid_to_main(r#"{"type":"channel_presence_sync","channelId":"2","userIds":null}"#),
        "missing field `userIds`",
        "null counts as missing"
    );
    assert_eq!(
        invalid_to_main(r#"{"type":"sfu_status","status":"ok"}"#),
        "missing field `details`"
    );
    assert_eq!(
        invalid_to_sfu(r#"{"type":"move_user","userId":"1","channelId":"2"}"#),
        "missing field `toChannelId`"
    );
    assert_eq!(
        invalid_to_sfu(r#"{"type":"server_mute","userId":"1","channelId":"2"}"#),
        "missing field `muted`"
    );
}

#[test]
fn bad_field_types_are_named() {
    let cases_to_sfu = [
        (
            r#"{"type":"server_mute","userId":"1","channelId":"2","muted":"yes"}"#,
            "`muted`",
        ),
        (
            r#"{"type":"server_mute","userId":"1","channelId":"2","muted":1}"#,
            "`muted`",
        ),
        (
            r#"{"type":"force_disconnect","userId":true,"channelId":"2","reason":"x"}"#,
            "`userId`",
        ),
        (
            r#"{"type":"force_disconnect","userId":"12x","channelId":"2","reason":"x"}"#,
            "`userId`",
        ),
        (
            r#"{"type":"force_disconnect","userId":"1","channelId":1.5,"reason":"x"}"#,
            "`channelId`",
        ),
        (
            r#"{"type":"force_disconnect","userId":"1","channelId":"2","reason":7}"#,
            "`reason`",
        ),
        (
            r#"{"type":"move_user","userId":"1","channelId":"2","toChannelId":{}}"#,
            "`toChannelId`",
        ),
        (
            r#"{"type":"move_user","userId":"1","channelId":"2","toChannelId":"9223372036854775808"}"#,
            "`toChannelId`",
        ),
    ];
    for (text, field) in cases_to_sfu {
        let reason = invalid_to_sfu(text);
        assert!(
            reason.starts_with(&format!("field {field}: ")),
            "{text} gave {reason}"
        );
    }
    let cases_to_main = [
        (
            r#"{"type":"media_presence","event":"joined","userId":"1","channelId":"2","timestamp":"t"}"#,
            "`event`",
        ),
        (
            r#"{"type":"media_presence","event":1,"userId":"1","channelId":"2","timestamp":"t"}"#,
            "`event`",
        ),
        (
            r#"{"type":"media_presence","event":"join","userId":"1","channelId":"2","timestamp":0}"#,
            "`timestamp`",
        ),
        (
            r#"{"type":"channel_presence_sync","channelId":"2","userIds":"1,2"}"#,
            "`userIds`",
        ),
        (
            r#"{"type":"channel_presence_sync","channelId":"2","userIds":["1","x"]}"#,
            "`userIds`",
        ),
        (
            r#"{"type":"channel_presence_sync","channelId":"2","userIds":[null]}"#,
            "`userIds`",
        ),
        (
            r#"{"type":"sfu_status","status":"OK","details":""}"#,
            "`status`",
        ),
        (
            r#"{"type":"sfu_status","status":"ok","details":["a"]}"#,
            "`details`",
        ),
    ];
    for (text, field) in cases_to_main {
        let reason = invalid_to_main(text);
        assert!(
            reason.starts_with(&format!("field {field}: ")),
            "{text} gave {reason}"
        );
    }
    let err =
        decode_main_to_sfu(r#"{"type":"server_mute","userId":"1","channelId":"2","muted":"yes"}"#)
            .expect_err("muted is a boolean");
    assert_eq!(
        reply_data(&err).as_deref(),
        Some(
            r#"Invalid message format: field `muted`: invalid type: string "yes", expected a boolean"#
        )
    );
}

#[test]
fn dspeaks_extra_events_are_invalid() {
    // dspeak's code also sends `staged-leave` and `rejoin`; seed 000 and the SPEC do not.
    for event in ["staged-leave", "rejoin", "staged_leave", "JOIN"] {
        let text = format!(
            r#"{{"type":"media_presence","event":"{event}","userId":"1","channelId":"2","timestamp":"t"}}"#
        );
        let err = decode_sfu_to_main(&text).expect_err(&text);
        let data = reply_data(&err).unwrap_or_else(|| panic!("{text} deserves a reply"));
        assert!(
            data.starts_with("Invalid message format: field `event`: unknown variant"),
            "{text} gave {data}"
        );
    }
}

#[test]
fn long_field_errors_are_cut() {
    let junk = "y".repeat(10_000);
    let text = format!(r#"{{"type":"server_mute","userId":"1","channelId":"2","muted":"{junk}"}}"#);
    let reason = invalid_to_sfu(&text);
    assert!(reason.chars().count() <= 203, "{} characters", reason.len());
    assert!(reason.ends_with("..."), "{reason}");
}

#[test]
fn errors_are_never_answered() {
    // A well-formed error is logged, not answered; a malformed one is not answered either, or
    // two peers could bounce errors forever.
    for text in [
        r#"{"type":"error","data":"boom"}"#,
        r#"{"type":"error"}"#,
        r#"{"type":"error","data":null}"#,
        r#"{"type":"error","data":{"code":1}}"#,
    ] {
        let err = reject(text);
        assert_eq!(reply_data(&err), None, "{text} gave {err:?}");
    }
    assert_eq!(
        reject(r#"{"type":"error","data":"boom","extra":1}"#),
        InteropDecodeError::PeerError(InteropError::new("boom"))
    );
    assert!(matches!(
        reject(r#"{"type":"error","data":5}"#),
        InteropDecodeError::InvalidFields { message_type, .. } if message_type == "error"
    ));
}

#[test]
fn decode_errors_display_for_logs() {
    assert_eq!(
        InteropDecodeError::UnknownType("foo".to_owned()).to_string(),
        r#"unknown message type "foo""#
    );
    assert_eq!(
        InteropDecodeError::PeerError(InteropError::new("boom")).to_string(),
        "the peer reported an error: boom"
    );
}
