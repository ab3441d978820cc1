//! Golden JSON of every `/socket` frame, and every error path of the decoder.

use serde_json::{Value, json};

use super::ortc::{self, DtlsFingerprint, DtlsParameters, IceCandidate, IceParameters};
use super::*;

fn value(text: &str) -> Value {
    serde_json::from_str(text).expect("golden JSON parses")
}

#[test]
fn seed_errors_have_the_seed_text() {
    let cases = [
        ("not json", "Malformed JSON in message"),
        ("[1,2]", "Malformed JSON in message"),
        (r#"{"data":{}}"#, "Invalid message format: missing type"),
        (r#"{"type":7}"#, "Invalid message format: missing type"),
        (r#"{"type":"fly"}"#, "Unknown message type: fly"),
        (
            r#"{"type":"connect-transport"}"#,
            "Invalid connect-transport data: missing data",
        ),
        (
            r#"{"type":"produce","data":{"kind":"audio"}}"#,
            "Invalid produce data: missing field `rtpParameters`",
        ),
        (
            r#"{"type":"client-rtp-capabilities","data":{}}"#,
            "Invalid client-rtp-capabilities data: missing field `codecs`",
        ),
    ];
    for (frame, want) in cases {
        let got = decode_client(frame).expect_err("bad frame").to_string();
        assert_eq!(got, want, "error text for {frame}");
        let reply = ServerMessage::Error(got).to_value();
        assert_eq!(reply, json!({"type": "error", "data": want}));
    }
}

#[test]
fn seed_client_messages_decode() {
    assert_eq!(
        decode_client(r#"{"type":"ping","requestId":3}"#),
        Ok(ClientMessage::Ping {
            request_id: Some(json!(3))
        })
    );
    assert_eq!(
        decode_client(r#"{"type":"create-transport"}"#),
        Ok(ClientMessage::CreateTransport(CreateTransport {
            direction: None
        }))
    );
    assert_eq!(
        decode_client(r#"{"type":"create-transport","data":{"type":"recv"}}"#),
        Ok(ClientMessage::CreateTransport(CreateTransport {
            direction: Some(Direction::Recv)
        }))
    );
    let connect = r#"{"type":"connect-transport","data":{"dtlsParameters":{"role":"client",
        "fingerprints":[{"algorithm":"sha-256","value":"AB:CD"}]},"transportId":"c1-send"}}"#;
    let ClientMessage::ConnectTransport(c) = decode_client(connect).expect("decodes") else {
        panic!("not a connect-transport");
    };
    assert_eq!(c.transport_id.as_deref(), Some("c1-send"));
    assert_eq!(
        c.dtls_parameters.fingerprints[0]
            .to_str0m()
            .map(|f| f.bytes),
        Some(vec![0xAB, 0xCD])
    );
    // mediasoup-client's sending parameters for Chromium's microphone (trimmed).
    let produce = r#"{"type":"produce","data":{"kind":"audio","rtpParameters":{"mid":"0",
        "codecs":[{"mimeType":"audio/opus","payloadType":111,"clockRate":48000,"channels":2,
        "parameters":{"minptime":10,"useinbandfec":1},"rtcpFeedback":[{"type":"transport-cc",
        "parameter":""}]}],"headerExtensions":[{"uri":"urn:ietf:params:rtp-hdrext:sdes:mid",
        "id":4,"encrypt":false,"parameters":{}}],"encodings":[{"ssrc":1234,"dtx":false}],
        "rtcp":{"cname":"x","reducedSize":true}}}}"#;
    let ClientMessage::Produce(p) = decode_client(produce).expect("decodes") else {
        panic!("not a produce");
    };
    assert_eq!(p.kind, "audio");
    assert_eq!(p.rtp_parameters.encodings[0].ssrc, Some(1234));
    assert_eq!(p.rtp_parameters.codecs[0].payload_type, 111);
    let consume = r#"{"type":"consume","data":{"rtpCapabilities":{"codecs":[{"kind":"audio",
        "mimeType":"audio/opus","clockRate":48000,"channels":2}]}}}"#;
    let ClientMessage::Consume(c) = decode_client(consume).expect("decodes") else {
        panic!("not a consume");
    };
    assert!(c.rtp_capabilities.is_some_and(|caps| caps.has_opus()));
    assert_eq!(
        decode_client(r#"{"type":"consume"}"#),
        Ok(ClientMessage::Consume(Consume::default()))
    );
    for (frame, want) in [
        (r#"{"type":"pong"}"#, ClientMessage::Pong),
        (r#"{"type":"resume"}"#, ClientMessage::Resume),
        (r#"{"type":"pause","data":{}}"#, ClientMessage::Pause),
    ] {
        assert_eq!(decode_client(frame), Ok(want), "{frame}");
    }
}

#[test]
fn server_messages_match_their_golden_json() {
    let transport = TransportParams {
        id: "c1-send".into(),
        ice_parameters: IceParameters {
            username_fragment: "uf".into(),
            password: "pw".into(),
            ice_lite: true,
        },
        ice_candidates: vec![IceCandidate {
            foundation: "udpcandidate0".into(),
            priority: 2130706431,
            ip: "127.0.0.1".into(),
            address: "127.0.0.1".into(),
            port: 40000,
            protocol: "udp".into(),
            kind: "host".into(),
        }],
        dtls_parameters: DtlsParameters {
            role: Some("server".into()),
            fingerprints: vec![DtlsFingerprint {
                algorithm: "sha-256".into(),
                value: "AB:CD".into(),
            }],
        },
    };
    let mut presence = Presence {
        in_room: vec!["1".into(), "2".into()],
        producers: vec!["c1-0".into()],
        ..Presence::default()
    };
    presence.producer_user_map.insert("c1-0".into(), "1".into());
    let consumer = ConsumerParams {
        id: "c2-consumer-0".into(),
        producer_id: "c1-0".into(),
        kind: "audio".into(),
        rtp_parameters: ortc::consumer_rtp_parameters("0", 99, "user-1"),
        user_id: "1".into(),
    };
    let cases = [
        (
            ServerMessage::Connected {
                channel_id: "7".into(),
                user_id: "1".into(),
            },
            r#"{"type":"connected","data":{"channelId":"7","userId":"1",
                "message":"dspeak socket connection successful"}}"#,
        ),
        (
            ServerMessage::Pong {
                timestamp: 1700000000000,
                request_id: None,
            },
            r#"{"type":"pong","timestamp":1700000000000,"requestId":null}"#,
        ),
        (
            ServerMessage::RtpCapabilitiesAck {
                request_id: Some(json!("r1")),
            },
            r#"{"type":"rtp-capabilities-ack","requestId":"r1"}"#,
        ),
        (
            ServerMessage::CurrentlyInChannel(presence.clone()),
            r#"{"type":"currentlyInChannel","inRoom":["1","2"],"producers":["c1-0"],
                "producerUserMap":{"c1-0":"1"}}"#,
        ),
        (
            ServerMessage::AvailableProducers(presence),
            r#"{"type":"available-producers","data":{"producers":["c1-0"],
                "producerUserMap":{"c1-0":"1"}}}"#,
        ),
        (
            ServerMessage::TransportParams(transport),
            r#"{"type":"transport-params","data":{"id":"c1-send",
                "iceParameters":{"usernameFragment":"uf","password":"pw","iceLite":true},
                "iceCandidates":[{"foundation":"udpcandidate0","priority":2130706431,
                  "ip":"127.0.0.1","address":"127.0.0.1","port":40000,"protocol":"udp",
                  "type":"host"}],
                "dtlsParameters":{"role":"server",
                  "fingerprints":[{"algorithm":"sha-256","value":"AB:CD"}]}}}"#,
        ),
        (
            ServerMessage::TransportConnected {
                id: "c1-recv".into(),
            },
            r#"{"type":"transport-connected","data":{"id":"c1-recv"}}"#,
        ),
        (
            ServerMessage::ProducerId {
                id: "c1-0".into(),
                user_id: "1".into(),
                channel_id: "7".into(),
            },
            r#"{"type":"producer-id","data":{"id":"c1-0","userId":"1","channelId":"7"}}"#,
        ),
        (
            ServerMessage::ConsumerParams(consumer),
            r#"{"type":"consumer-params","data":{"id":"c2-consumer-0","producerId":"c1-0",
                "kind":"audio","userId":"1","rtpParameters":{"mid":"0",
                "codecs":[{"mimeType":"audio/opus","payloadType":111,"clockRate":48000,
                  "channels":2,"parameters":{"minptime":10,"useinbandfec":1},"rtcpFeedback":[]}],
                "headerExtensions":[
                  {"uri":"urn:ietf:params:rtp-hdrext:ssrc-audio-level","id":1,"encrypt":false,"parameters":{}},
                  {"uri":"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time","id":2,"encrypt":false,"parameters":{}},
                  {"uri":"urn:ietf:params:rtp-hdrext:sdes:mid","id":4,"encrypt":false,"parameters":{}}],
                "encodings":[{"ssrc":99}],"rtcp":{"cname":"user-1","reducedSize":true}}}}"#,
        ),
        (
            ServerMessage::ProducerClosed {
                producer_id: "c1-0".into(),
                consumer_id: "c2-consumer-0".into(),
            },
            r#"{"type":"producer-closed","data":{"producerId":"c1-0","consumerId":"c2-consumer-0"}}"#,
        ),
        (ServerMessage::Resumed, r#"{"type":"resumed"}"#),
        (ServerMessage::Paused, r#"{"type":"paused"}"#),
        (
            ServerMessage::TransportClosed {
                id: "c1-send".into(),
            },
            r#"{"type":"transport-closed","data":{"id":"c1-send"}}"#,
        ),
        (
            ServerMessage::ForceDisconnect {
                reason: "kicked".into(),
            },
            r#"{"type":"force_disconnect","reason":"kicked"}"#,
        ),
        (
            ServerMessage::Error("Transport not found".into()),
            r#"{"type":"error","data":"Transport not found"}"#,
        ),
    ];
    for (message, golden) in cases {
        assert_eq!(
            message.to_value(),
            value(golden),
            "golden JSON of {message:?}"
        );
    }
    let caps = ServerMessage::RtpCapabilities {
        capabilities: ortc::router_rtp_capabilities(),
        request_id: None,
    }
    .to_value();
    assert_eq!(caps["type"], "rtp-capabilities");
    assert_eq!(caps["data"]["codecs"][0]["mimeType"], "audio/opus");
    assert_eq!(caps["data"]["codecs"][0]["preferredPayloadType"], 111);
}

#[test]
fn decoding_never_panics_on_truncations_of_valid_frames() {
    let frame = r#"{"type":"produce","data":{"kind":"audio","rtpParameters":{"codecs":[{"mimeType":"audio/opus","payloadType":111,"clockRate":48000}],"encodings":[{"ssrc":1}]}}}"#;
    for end in 0..frame.len() {
        let _ = decode_client(&frame[..end]);
    }
    assert!(decode_client(frame).is_ok());
}
