//! Round trips of every variant in both directions, Hearth's extensions, and number formats.

use std::collections::BTreeSet;

use serde_json::json;

use super::fixtures::{all_client_messages, all_server_messages, parse, user};
use super::*;
use crate::ids::ChannelId;

#[test]
fn every_client_message_round_trips() {
    let messages = all_client_messages();
    let names: BTreeSet<_> = messages.iter().map(ClientMessage::name).collect();
    assert_eq!(names.len(), 17, "the fixtures must cover every client type");
    for msg in messages {
        let text = msg.to_json();
        let frame = parse(&text);
        assert_eq!(frame["type"], msg.name(), "name() is the wire type: {text}");
        assert_eq!(
            frame["protocol_version"], 1,
            "client frames carry the version"
        );
        assert!(frame["payload"].is_object(), "{text}");
        let back = decode_client(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back.message, msg, "round trip of {text}");
    }
}

#[test]
fn every_server_message_round_trips() {
    let messages = all_server_messages();
    let names: BTreeSet<_> = messages.iter().map(ServerMessage::name).collect();
    assert_eq!(names.len(), 18, "the fixtures must cover every server type");
    for msg in messages {
        let text = msg.to_json();
        let frame = parse(&text);
        assert_eq!(frame["type"], msg.name(), "name() is the wire type: {text}");
        assert_eq!(frame["protocol_version"], 1, "SPEC 6: every server message");
        let back = decode_server(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, msg, "round trip of {text}");
    }
}

#[test]
fn directions_do_not_mix() {
    // Types that exist only in the other direction are unknown, not misread.
    for msg in all_server_messages() {
        let shared = matches!(
            msg.name(),
            "SDP_OFFER" | "SDP_ANSWER" | "ICE_CANDIDATE" | "ERROR"
        );
        match decode_client(&msg.to_json()) {
            Err(WireError::UnknownType(name)) => assert!(!shared, "{name} exists both ways"),
            // Relayed SDP/ICE have `from` where the client writes `to`.
            Err(WireError::InvalidPayload { .. }) => assert!(shared, "{}", msg.name()),
            Ok(m) => assert_eq!(m.message.name(), "ERROR", "only ERROR has one shape"),
            Err(e) => panic!("{}: {e}", msg.name()),
        }
    }
}

#[test]
fn serde_alone_writes_type_and_payload() {
    let msg = ServerMessage::PeerLeft(PeerLeft {
        user_id: WorldUserId::new("u1"),
    });
    let value = serde_json::to_value(&msg).expect("serializes");
    assert_eq!(
        value,
        json!({"type": "PEER_LEFT", "payload": {"user_id": "u1"}})
    );
    let text = msg.to_json();
    assert_eq!(
        text, r#"{"type":"PEER_LEFT","payload":{"user_id":"u1"},"protocol_version":1}"#,
        "field order: type, payload, protocol_version"
    );
}

#[test]
fn positions_write_integral_values_as_integers() {
    let cases = [
        (Position::new(18.0, 26.0), json!({"x": 18, "y": 26})),
        (Position::new(18.5, -3.0), json!({"x": 18.5, "y": -3})),
        (Position::new(-0.0, 0.25), json!({"x": 0, "y": 0.25})),
        (Position::new(1e20, 2.0), json!({"x": 1e20, "y": 2})),
    ];
    for (position, want) in cases {
        let text = serde_json::to_string(&position).expect("serializes");
        assert_eq!(parse(&text), want, "{position:?} written as {text}");
        let back: Position = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, position, "{text}");
    }
    assert_eq!(
        serde_json::to_string(&Position::new(18.0, 26.0)).expect("serializes"),
        r#"{"x":18,"y":26}"#
    );
}

#[test]
fn extension_object_released_and_user_muted() {
    let released = r#"{"type":"OBJECT_RELEASED","payload":{"object_id":"desk-1","user_id":"u1"},"protocol_version":1}"#;
    let want = ServerMessage::ObjectReleased(ObjectReleased {
        object_id: ObjectId::new("desk-1"),
        user_id: WorldUserId::new("u1"),
    });
    assert_eq!(decode_server(released), Ok(want.clone()));
    assert_eq!(parse(&want.to_json()), parse(released));

    let muted = r#"{"type":"USER_MUTED","payload":{"user_id":"u1","muted":true,"duration":300,"by":"admin"},"protocol_version":1}"#;
    let want = ServerMessage::UserMuted(UserMuted {
        user_id: WorldUserId::new("u1"),
        muted: true,
        duration: Some(300),
        by: Some(WorldUserId::new("admin")),
    });
    assert_eq!(decode_server(muted), Ok(want.clone()));
    assert_eq!(parse(&want.to_json()), parse(muted));

    // An unmute (expiry): `duration` and `by` are omitted, and `null` reads as absent.
    let unmuted = UserMuted {
        user_id: WorldUserId::new("u1"),
        muted: false,
        duration: None,
        by: None,
    };
    let msg = ServerMessage::UserMuted(unmuted);
    assert_eq!(
        parse(&msg.to_json()),
        json!({"type": "USER_MUTED", "payload": {"user_id": "u1", "muted": false}, "protocol_version": 1})
    );
    let nulls = r#"{"type":"USER_MUTED","payload":{"user_id":"u1","muted":false,"duration":null,"by":null}}"#;
    assert_eq!(decode_server(nulls), Ok(msg));
}

#[test]
fn extension_fields_roles_world_channel_extensions() {
    let connected = ServerMessage::Connected(Connected {
        user: User {
            roles: vec![Role::Admin, Role::Editor, Role::Member, Role::Guest],
            ..user("u1")
        },
        server_version: "0.3.1".to_owned(),
        extensions: vec!["OBJECT_RELEASED".to_owned()],
    });
    let frame = parse(&connected.to_json());
    assert_eq!(
        frame["payload"]["user"]["roles"],
        json!(["Admin", "Editor", "Member", "Guest"])
    );
    assert_eq!(frame["payload"]["extensions"], json!(["OBJECT_RELEASED"]));

    // WORLD_STATE.world: carried as any JSON, omitted when absent.
    let Some(ServerMessage::WorldState(mut state)) = all_server_messages()
        .into_iter()
        .find(|m| m.name() == "WORLD_STATE")
    else {
        panic!("fixtures have a WORLD_STATE");
    };
    assert_eq!(
        parse(&ServerMessage::WorldState(state.clone()).to_json())["payload"]["world"]["worldId"],
        "world-1"
    );
    state.world = None;
    let frame = parse(&ServerMessage::WorldState(state).to_json());
    assert!(
        frame["payload"].get("world").is_none(),
        "world omitted when None"
    );

    // PROMOTE_TO_SFU.channel_id: an int64 written as a number, also read from a decimal string.
    for channel in ["2230469276416868352", "\"2230469276416868352\""] {
        let text = format!(
            r#"{{"type":"PROMOTE_TO_SFU","payload":{{"sfu_url":"ws://h/signal","sfu_token":"t","zone_id":"z","channel_id":{channel}}}}}"#
        );
        let Ok(ServerMessage::PromoteToSfu(promote)) = decode_server(&text) else {
            panic!("{text} must decode");
        };
        assert_eq!(
            promote.channel_id,
            Some(ChannelId(2_230_469_276_416_868_352))
        );
        let frame = parse(&ServerMessage::PromoteToSfu(promote).to_json());
        assert_eq!(
            frame["payload"]["channel_id"],
            json!(2_230_469_276_416_868_352_i64)
        );
    }
}

#[test]
fn unknown_fields_are_ignored() {
    let text = r#"{"type":"JOIN_WORLD","payload":{"world_id":"w","future":[1,{"a":2}]},"protocol_version":1,"trace_id":"x"}"#;
    let got = decode_client(text).expect("extra fields are ignored");
    assert_eq!(
        got.message,
        ClientMessage::JoinWorld(JoinWorld {
            world_id: WorldId::new("w")
        })
    );
}

#[test]
fn error_details_default_to_an_empty_object() {
    for payload in [
        r#"{"code":"RATE_LIMITED"}"#,
        r#"{"code":"RATE_LIMITED","message":"m","details":null}"#,
    ] {
        let text = format!(r#"{{"type":"ERROR","payload":{payload}}}"#);
        let Ok(ServerMessage::Error(err)) = decode_server(&text) else {
            panic!("{text} must decode");
        };
        assert!(err.details.is_empty(), "{text}");
        let frame = parse(&ServerMessage::Error(err).to_json());
        assert_eq!(
            frame["payload"]["details"],
            json!({}),
            "details always written"
        );
    }
}
