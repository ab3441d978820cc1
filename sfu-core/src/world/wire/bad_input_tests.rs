//! Malformed frames: each is rejected with the right [`WireError`], and its `ERROR` reply names
//! the problem.

use serde_json::{Value, json};

use super::fixtures::parse;
use super::*;

/// Decodes `text` as a client frame, expects an error, and returns it with the `ERROR` reply's
/// payload as JSON.
fn reject(text: &str) -> (WireError, Value) {
    let err = match decode_client(text) {
        Ok(got) => panic!("{text} must be rejected, decoded as {got:?}"),
        Err(err) => err,
    };
    let reply = err.to_error();
    assert_eq!(reply.name(), "ERROR");
    let frame = parse(&reply.to_json());
    assert_eq!(frame["payload"]["code"], "INVALID_REQUEST", "{text}");
    assert_eq!(frame["payload"]["message"], err.to_string(), "{text}");
    assert_eq!(frame["protocol_version"], 1);
    (err, frame["payload"]["details"].clone())
}

/// Expects `text` to be rejected as an invalid payload at `field`; returns the reason.
fn reject_field(text: &str, field: &str) -> String {
    let (err, details) = reject(text);
    let WireError::InvalidPayload {
        field: got, reason, ..
    } = &err
    else {
        panic!("{text}: expected InvalidPayload, got {err:?}");
    };
    assert_eq!(got.as_deref(), Some(field), "{text}: {reason}");
    assert!(
        reason.contains(field),
        "reason must name the field: {reason}"
    );
    assert_eq!(details["field"], field, "{text}");
    assert_eq!(details["problem"], "invalid_payload");
    reason.clone()
}

#[test]
fn not_json() {
    for text in ["", "{", "CONNECT", "{\"type\":\"CONNECT\",}", "\u{0}"] {
        let (err, details) = reject(text);
        assert!(
            matches!(err, WireError::NotJson { .. }),
            "{text:?}: {err:?}"
        );
        assert_eq!(details, json!({"problem": "not_json"}));
    }
}

#[test]
fn not_an_object() {
    for (text, got) in [
        ("[]", "an array"),
        (r#"[{"type":"CONNECT"}]"#, "an array"),
        (r#""CONNECT""#, "a string"),
        ("42", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
    ] {
        let (err, details) = reject(text);
        assert_eq!(err, WireError::NotAnObject { got }, "{text}");
        assert_eq!(details, json!({"problem": "not_an_object"}));
    }
}

#[test]
fn missing_type() {
    for text in [
        "{}",
        r#"{"payload":{"world_id":"w"}}"#,
        r#"{"type":null,"payload":{}}"#,
        r#"{"type":7,"payload":{}}"#,
        r#"{"type":["CONNECT"]}"#,
    ] {
        let (err, details) = reject(text);
        assert_eq!(err, WireError::MissingType, "{text}");
        assert_eq!(details["field"], "type");
    }
}

#[test]
fn unknown_type() {
    for name in ["FOO", "connect", "CONNECTED", "WORLD_STATE", ""] {
        let text = format!(r#"{{"type":"{name}","payload":{{}}}}"#);
        let (err, details) = reject(&text);
        assert_eq!(err, WireError::UnknownType(name.to_owned()), "{text}");
        assert_eq!(details, json!({"problem": "unknown_type", "type": name}));
    }
    let long = "X".repeat(10_000);
    let (err, _) = reject(&format!(r#"{{"type":"{long}"}}"#));
    let WireError::UnknownType(name) = err else {
        panic!("expected UnknownType, got {err:?}");
    };
    assert!(
        name.len() < 100,
        "a long type is cut, got {} bytes",
        name.len()
    );
}

#[test]
fn missing_or_malformed_payload() {
    let (err, details) = reject(r#"{"type":"CONNECT"}"#);
    assert!(
        matches!(&err, WireError::InvalidPayload { message_type, .. } if message_type == "CONNECT")
    );
    assert_eq!(details["field"], "payload", "{err}");
    assert!(err.to_string().contains("missing field `payload`"), "{err}");

    for payload in ["null", "[]", r#"["jwt","1.0.0"]"#, "\"jwt\"", "3"] {
        let text = format!(r#"{{"type":"CONNECT","payload":{payload}}}"#);
        let (err, details) = reject(&text);
        let WireError::InvalidPayload { field, reason, .. } = &err else {
            panic!("{text}: expected InvalidPayload, got {err:?}");
        };
        assert_eq!(field, &None, "{text}: the payload as a whole is wrong");
        assert!(
            reason.contains("expected struct Connect"),
            "{text}: {reason}"
        );
        assert_eq!(details["field"], "payload");
    }
}

#[test]
fn wrong_field_types_name_the_field() {
    let cases = [
        (
            r#"{"type":"MOVE_INTENT","payload":{"position":{"x":"a","y":1},"timestamp":1}}"#,
            "position.x",
        ),
        (
            r#"{"type":"MOVE_INTENT","payload":{"position":{"x":1,"y":null},"timestamp":1}}"#,
            "position.y",
        ),
        (
            r#"{"type":"MOVE_INTENT","payload":{"position":[1,2],"timestamp":1}}"#,
            "position",
        ),
        (
            r#"{"type":"MOVE_INTENT","payload":{"position":{"x":1,"y":2},"timestamp":-1}}"#,
            "timestamp",
        ),
        (
            r#"{"type":"MOVE_INTENT","payload":{"position":{"x":1,"y":2},"timestamp":1.5}}"#,
            "timestamp",
        ),
        (
            r#"{"type":"CONNECT","payload":{"token":5,"client_version":"1"}}"#,
            "token",
        ),
        (
            r#"{"type":"JOIN_WORLD","payload":{"world_id":{"id":"w"}}}"#,
            "world_id",
        ),
        (
            r#"{"type":"PRESENCE_UPDATE","payload":{"position":{"x":1,"y":2},"facing":"up","state":"idle"}}"#,
            "facing",
        ),
        (
            r#"{"type":"PRESENCE_UPDATE","payload":{"position":{"x":1,"y":2},"facing":"north","state":"running"}}"#,
            "state",
        ),
        (
            r#"{"type":"PRESENCE_UPDATE","payload":{"position":{"x":1,"y":2},"facing":"north","state":"idle","zone_id":9}}"#,
            "zone_id",
        ),
        (
            r#"{"type":"INTERACT_REQUEST","payload":{"object_id":"o","action":"dance"}}"#,
            "action",
        ),
        (
            r#"{"type":"SFU_DISCONNECTED","payload":{"zone_id":"z","reason":"ERROR"}}"#,
            "reason",
        ),
        (
            r#"{"type":"MUTE_USER","payload":{"target_user_id":"u","duration":"300"}}"#,
            "duration",
        ),
        (
            r#"{"type":"MUTE_USER","payload":{"target_user_id":"u","duration":-5}}"#,
            "duration",
        ),
        (
            r#"{"type":"MUTE_USER","payload":{"target_user_id":"u","duration":1.5}}"#,
            "duration",
        ),
        (
            r#"{"type":"ERROR","payload":{"code":"OOPS","message":"m"}}"#,
            "code",
        ),
        (
            r#"{"type":"ERROR","payload":{"code":"SERVER_ERROR","details":[1]}}"#,
            "details",
        ),
    ];
    for (text, field) in cases {
        reject_field(text, field);
    }
    let reason = reject_field(cases[0].0, "position.x");
    assert!(
        reason.contains(r#"invalid type: string "a", expected f64"#),
        "{reason}"
    );
    let reason = reject_field(cases[1].0, "position.y");
    assert!(reason.contains("invalid type: null"), "{reason}");
}

#[test]
fn missing_fields_name_the_field() {
    let cases = [
        (
            r#"{"type":"CONNECT","payload":{"client_version":"1.0.0"}}"#,
            "token",
        ),
        (
            r#"{"type":"MOVE_INTENT","payload":{"position":{"x":1},"timestamp":1}}"#,
            "position.y",
        ),
        (
            r#"{"type":"ICE_CANDIDATE","payload":{"to":"u"}}"#,
            "candidate",
        ),
        (
            r#"{"type":"SDP_OFFER","payload":{"from":"u","sdp":"x"}}"#,
            "to",
        ),
    ];
    for (text, field) in cases {
        let reason = reject_field(text, field);
        assert_eq!(reason, format!("missing field `{field}`"), "{text}");
    }
}

#[test]
fn server_frames_name_nested_fields() {
    let text = r#"{"type":"WORLD_STATE","payload":{"world_id":"w","current_zone":{"zone_id":"z","zone_type":"TeamArea","world_id":"w"},"media_topology":"SFU","peers":[
        {"user":{"user_id":"a","workspace_id":"s","display_name":"A","avatar_id":"fox"},"position":{"x":1,"y":1},"facing":"north","state":"idle","zone_id":"z"},
        {"user":{"user_id":7,"workspace_id":"s","display_name":"B","avatar_id":"fox"},"position":{"x":1,"y":1},"facing":"north","state":"idle","zone_id":"z"}
    ]}}"#;
    let Err(WireError::InvalidPayload { field, reason, .. }) = decode_server(text) else {
        panic!("a numeric user_id must be rejected");
    };
    assert_eq!(field.as_deref(), Some("peers[1].user.user_id"), "{reason}");
    let bad_role = r#"{"type":"PEER_JOINED","payload":{"user":{"user_id":"a","workspace_id":"s","display_name":"A","avatar_id":"f","roles":["Member","Owner"]},"position":{"x":0,"y":0}}}"#;
    let Err(WireError::InvalidPayload { field, .. }) = decode_server(bad_role) else {
        panic!("an unknown role must be rejected");
    };
    assert_eq!(field.as_deref(), Some("user.roles[1]"));
}

#[test]
fn long_bad_values_are_cut_in_the_reason() {
    let text = format!(
        r#"{{"type":"MUTE_USER","payload":{{"target_user_id":"u","duration":"{}"}}}}"#,
        "9".repeat(100_000)
    );
    let reason = reject_field(&text, "duration");
    assert!(reason.len() < 300, "reason is {} bytes", reason.len());
}

#[test]
fn protocol_versions() {
    let frame = |version: &str| {
        format!(
            r#"{{"type":"JOIN_WORLD","payload":{{"world_id":"w"}},"protocol_version":{version}}}"#
        )
    };
    // Missing or null is version 1; so are minor versions written as a decimal or a string.
    for ok in ["null", "1", "1.0", "1.7", "\"1\"", "\"1.2\"", "\"1.2.3\""] {
        let got = decode_client(&frame(ok)).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(got.protocol_version, 1, "{ok}");
    }
    let no_version = decode_client(r#"{"type":"JOIN_WORLD","payload":{"world_id":"w"}}"#);
    assert_eq!(no_version.map(|e| e.protocol_version), Ok(1));

    for (bad, got) in [("2", 2), ("0", 0), ("2.1", 2), ("\"2.0\"", 2), ("99", 99)] {
        let (err, details) = reject(&frame(bad));
        assert_eq!(err, WireError::UnsupportedVersion { got }, "{bad}");
        assert!(
            err.closes_connection(),
            "SPEC 6: a different major version closes"
        );
        assert_eq!(
            details,
            json!({"problem": "unsupported_version", "protocol_version": got, "supported": [1]})
        );
    }
    // The version is checked before the type: a v2 client's new message types are not "unknown".
    let (err, _) = reject(r#"{"type":"V2_ONLY","protocol_version":2}"#);
    assert_eq!(err, WireError::UnsupportedVersion { got: 2 });

    for bad in [
        "-1",
        "true",
        "\"one\"",
        "\"\"",
        "[1]",
        "{\"major\":1}",
        "\"v1\"",
    ] {
        let (err, details) = reject(&frame(bad));
        assert!(
            matches!(err, WireError::InvalidVersion { .. }),
            "{bad}: {err:?}"
        );
        assert!(err.closes_connection());
        assert_eq!(details["field"], "protocol_version");
    }
    assert!(!WireError::MissingType.closes_connection());
}
