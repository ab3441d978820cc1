//! Sans-IO tests of `/socket` sessions inside the SFU: auth, the request flow and every refusal.
//! Time is explicit; no sockets. Media itself is covered by the browser test (e2e).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::peer::TrackKey;
use super::*;
use crate::auth::{SfuTokenRequest, SfuTokenVerifier, mint_sfu_token};
use crate::dspeak::{self, ClientMessage, decode_client};
use crate::perms::Permissions;

const SECRET: &[u8] = b"unit-secret";
const UNIX0: i64 = 1_700_000_000_000;
const CHANNEL: i64 = 7;

struct Harness {
    sfu: Sfu,
    t0: Instant,
    outputs: Vec<Output>,
}

impl Harness {
    fn new(open: bool) -> Self {
        let addr = "127.0.0.1:5000".parse().expect("literal address");
        let mut config = SfuConfig::new(vec![addr], SfuTokenVerifier::new(SECRET, "hearth"));
        config.dspeak_open = open;
        Self {
            sfu: Sfu::new(config),
            t0: Instant::now(),
            outputs: Vec::new(),
        }
    }

    fn now(&self) -> Now {
        Now {
            instant: self.t0 + Duration::from_millis(10),
            unix_ms: UNIX0,
        }
    }

    fn collect(&mut self) {
        while let Some(o) = self.sfu.poll_output() {
            self.outputs.push(o);
        }
    }

    fn join(&mut self, conn: u64, auth: &str) {
        let join = dspeak::Join {
            auth: auth.to_owned(),
            channel: ChannelId(CHANNEL),
        };
        self.sfu.handle_dspeak_join(self.now(), ConnId(conn), join);
        self.collect();
    }

    fn send(&mut self, conn: u64, frame: &str) {
        let message: ClientMessage = decode_client(frame).expect("test frames decode");
        self.sfu
            .handle_dspeak_message(self.now(), ConnId(conn), message);
        self.collect();
    }

    /// The dspeak frames sent to `conn` so far, as JSON.
    fn take_for(&mut self, conn: u64) -> Vec<Value> {
        let mut taken = Vec::new();
        self.outputs.retain(|o| match o {
            Output::Dspeak { conn: c, message } if c.0 == conn => {
                taken.push(message.to_value());
                false
            }
            _ => true,
        });
        taken
    }

    fn last_for(&mut self, conn: u64) -> Value {
        self.take_for(conn).pop().unwrap_or(Value::Null)
    }

    fn closed(&self, conn: u64) -> Option<u16> {
        self.outputs.iter().find_map(|o| match o {
            Output::Close { conn: c, code, .. } if c.0 == conn => Some(*code),
            _ => None,
        })
    }
}

fn token(user: i64) -> String {
    let request = SfuTokenRequest {
        user: UserId(user),
        channel: ChannelId(CHANNEL),
        perms: Permissions::MOVED_GRANT,
        moved: false,
        ttl_secs: 60,
    };
    mint_sfu_token(SECRET, "hearth", &request, UNIX0 / 1000)
}

const DTLS: &str =
    r#"{"role":"client","fingerprints":[{"algorithm":"sha-256","value":"AB:CD:EF"}]}"#;

fn produce_frame(ssrc: u32) -> String {
    produce_on(0, ssrc)
}

fn produce_on(mid: u32, ssrc: u32) -> String {
    format!(
        r#"{{"type":"produce","data":{{"kind":"audio","rtpParameters":{{"mid":"{mid}","codecs":[{{"mimeType":"audio/opus","payloadType":111,"clockRate":48000,"channels":2}}],"encodings":[{{"ssrc":{ssrc}}}]}}}}}}"#
    )
}

/// A `consume` on client `conn`'s recv transport, of `producer` or of any producer.
fn consume_frame(conn: u64, producer: Option<&str>) -> String {
    let producer = producer.map_or(String::new(), |p| format!(r#""producerId":"{p}","#));
    format!(
        r#"{{"type":"consume","data":{{{producer}"transportId":"c{conn}-recv","rtpCapabilities":{{"codecs":[{{"kind":"audio","mimeType":"audio/opus","clockRate":48000,"channels":2}}]}}}}}}"#
    )
}

/// The ids of every producer the SFU knows.
fn producer_ids(h: &Harness) -> Vec<String> {
    h.sfu.tracks.keys().map(|k| ortc::producer_id(*k)).collect()
}

/// The first frame of `kind` in `frames`.
fn first_of(frames: &[Value], kind: &str) -> Value {
    frames
        .iter()
        .find(|f| f["type"] == kind)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Joins dspeak client `conn` as user `conn` with a send and a recv transport, the send one
/// connected, and drops what it was sent.
fn ready_client(h: &mut Harness, conn: u64) {
    h.join(conn, &conn.to_string());
    h.send(
        conn,
        r#"{"type":"create-transport","data":{"type":"send"}}"#,
    );
    h.send(
        conn,
        r#"{"type":"create-transport","data":{"type":"recv"}}"#,
    );
    h.send(
        conn,
        &format!(r#"{{"type":"connect-transport","data":{{"dtlsParameters":{DTLS}}}}}"#),
    );
    h.take_for(conn);
}

/// The `producerUserMap` of the newest `currentlyInChannel` in `frames`.
fn newest_producers(frames: &[Value]) -> Option<Value> {
    frames
        .iter()
        .rev()
        .find(|f| f["type"] == "currentlyInChannel")
        .map(|f| f["producerUserMap"].clone())
}

#[test]
fn a_bare_user_id_needs_dspeak_open() {
    let mut h = Harness::new(false);
    h.join(1, "42");
    let reply = h.last_for(1);
    assert_eq!(reply["type"], "error");
    assert!(
        reply["data"]
            .as_str()
            .is_some_and(|t| t.starts_with("Unauthorized: auth must be a valid SFU token")),
        "got {reply}"
    );
    assert_eq!(h.closed(1), Some(4003), "refused sockets close with 4003");

    let mut h = Harness::new(true);
    h.join(1, "42");
    assert_eq!(
        h.take_for(1)[0],
        json!({"type":"connected","data":{"channelId":"7","userId":"42",
            "message":"dspeak socket connection successful"}})
    );
    assert_eq!(h.sfu.channel_users(ChannelId(CHANNEL)), vec![UserId(42)]);
    h.join(2, "lobby");
    assert_eq!(
        h.closed(2),
        Some(4003),
        "open mode still needs a positive id"
    );
}

#[test]
fn a_signed_token_joins_and_reaches_the_interop_events() {
    let mut h = Harness::new(false);
    h.join(1, &token(5));
    let joined = h.outputs.iter().any(|o| {
        matches!(o, Output::Event(SfuEvent::Joined { user, channel })
            if *user == UserId(5) && *channel == ChannelId(CHANNEL))
    });
    assert!(joined, "a dspeak join is a join like any other for interop");
    let frames = h.take_for(1);
    assert_eq!(frames[0]["type"], "connected");
    assert_eq!(
        frames[1],
        json!({"type":"currentlyInChannel","inRoom":["5"],"producers":[],"producerUserMap":{}})
    );
    h.sfu.handle_disconnect(h.now().instant, ConnId(1));
    h.collect();
    assert!(h.sfu.channel_users(ChannelId(CHANNEL)).is_empty());
    assert!(
        h.outputs
            .iter()
            .any(|o| matches!(o, Output::Event(SfuEvent::Left { .. })))
    );
}

#[test]
fn the_request_flow_replies_in_dspeak_shapes() {
    let mut h = Harness::new(true);
    h.join(1, "1");
    h.join(2, "2");
    h.take_for(1);
    h.take_for(2);

    h.send(1, r#"{"type":"ping","requestId":9}"#);
    assert_eq!(
        h.last_for(1),
        json!({"type":"pong","timestamp":UNIX0,"requestId":9})
    );
    h.send(1, r#"{"type":"get-rtp-capabilities"}"#);
    assert_eq!(h.last_for(1)["data"]["codecs"][0]["mimeType"], "audio/opus");

    h.send(1, r#"{"type":"create-transport","data":{"type":"send"}}"#);
    let params = h.last_for(1);
    assert_eq!(params["type"], "transport-params");
    assert_eq!(params["data"]["id"], "c1-send");
    assert_eq!(params["data"]["iceParameters"]["iceLite"], true);
    assert_eq!(params["data"]["iceCandidates"][0]["port"], 5000);
    assert_eq!(params["data"]["dtlsParameters"]["role"], "server");
    assert_eq!(
        params["data"]["dtlsParameters"]["fingerprints"][0]["algorithm"],
        "sha-256"
    );

    h.send(
        1,
        &format!(r#"{{"type":"connect-transport","data":{{"dtlsParameters":{DTLS}}}}}"#),
    );
    assert_eq!(
        h.last_for(1),
        json!({"type":"transport-connected","data":{"id":"c1-send"}})
    );

    h.send(1, &produce_frame(1111));
    let frames = h.take_for(1);
    assert_eq!(
        frames[0],
        json!({"type":"producer-id","data":{"id":"c1-0","userId":"1","channelId":"7"}})
    );
    assert!(
        h.outputs
            .iter()
            .any(|o| matches!(o, Output::Event(SfuEvent::StartedProducing { .. }))),
        "a dspeak producer starts producing for interop"
    );
    // The other client learns of the producer through presence.
    let presence = h.take_for(2);
    assert!(
        presence
            .iter()
            .any(|f| f["type"] == "currentlyInChannel"
                && f["producerUserMap"] == json!({"c1-0": "1"})),
        "got {presence:?}"
    );

    // Client 2 consumes it on its recv transport (its first transport, named explicitly).
    h.send(2, r#"{"type":"create-transport","data":{"type":"recv"}}"#);
    assert_eq!(h.last_for(2)["data"]["id"], "c2-recv");
    h.send(
        2,
        r#"{"type":"consume","data":{"transportId":"c2-recv","rtpCapabilities":{"codecs":[{"kind":"audio","mimeType":"audio/opus","clockRate":48000,"channels":2}]}}}"#,
    );
    let consumer = h.last_for(2);
    assert_eq!(consumer["type"], "consumer-params");
    assert_eq!(consumer["data"]["producerId"], "c1-0");
    assert_eq!(consumer["data"]["kind"], "audio");
    assert_eq!(consumer["data"]["userId"], "1");
    assert_eq!(
        consumer["data"]["rtpParameters"]["codecs"][0]["payloadType"],
        111
    );
    assert!(consumer["data"]["rtpParameters"]["encodings"][0]["ssrc"].is_u64());

    // The producer leaves: the consumer is closed.
    h.sfu.handle_disconnect(h.now().instant, ConnId(1));
    h.collect();
    let frames = h.take_for(2);
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "producer-closed" && f["data"]["producerId"] == "c1-0"),
        "got {frames:?}"
    );
}

#[test]
fn every_failed_action_gets_a_clear_error() {
    let mut h = Harness::new(true);
    h.join(1, "1");
    h.take_for(1);
    let error = |h: &mut Harness, frame: &str| {
        h.send(1, frame);
        let reply = h.last_for(1);
        assert_eq!(
            reply["type"], "error",
            "{frame} must be refused, got {reply}"
        );
        reply["data"].as_str().unwrap_or_default().to_owned()
    };
    let connect = format!(r#"{{"type":"connect-transport","data":{{"dtlsParameters":{DTLS}}}}}"#);
    assert_eq!(error(&mut h, &connect), "Transport not found");
    assert_eq!(
        error(&mut h, &produce_frame(1)),
        "Transport not found: create a send transport first"
    );
    assert_eq!(
        error(&mut h, r#"{"type":"consume"}"#),
        "Cannot consume: no producer in this channel to consume"
    );
    assert_eq!(
        error(&mut h, r#"{"type":"consume","data":{"producerId":"c9-0"}}"#),
        "Cannot consume this producer: producer not found"
    );
    h.send(1, r#"{"type":"create-transport"}"#);
    assert_eq!(
        h.last_for(1)["data"]["id"],
        "c1-send",
        "the first transport sends"
    );
    h.send(1, r#"{"type":"create-transport"}"#);
    assert_eq!(
        h.last_for(1)["data"]["id"],
        "c1-recv",
        "the second receives"
    );
    assert_eq!(
        error(&mut h, r#"{"type":"create-transport"}"#),
        "Failed to create transport: this client already has a recv transport"
    );
    assert_eq!(
        error(
            &mut h,
            r#"{"type":"connect-transport","data":{"transportId":"nope","dtlsParameters":{"fingerprints":[]}}}"#
        ),
        "Transport not found"
    );
    assert_eq!(
        error(
            &mut h,
            r#"{"type":"connect-transport","data":{"dtlsParameters":{"fingerprints":[{"algorithm":"sha-256","value":"zz"}]}}}"#
        ),
        "Failed to connect transport: dtlsParameters has no usable sha-256 fingerprint"
    );
    let video = r#"{"type":"produce","data":{"kind":"video","rtpParameters":{"codecs":[]}}}"#;
    assert_eq!(
        error(&mut h, video),
        "Failed to produce media: kind \"video\" is not supported (audio only)"
    );
    let no_ssrc = r#"{"type":"produce","data":{"kind":"audio","rtpParameters":{"codecs":[{"mimeType":"audio/opus","payloadType":111,"clockRate":48000}]}}}"#;
    assert_eq!(
        error(&mut h, no_ssrc),
        "Failed to produce media: rtpParameters.encodings[0].ssrc is missing"
    );
    let pcmu = r#"{"type":"produce","data":{"kind":"audio","rtpParameters":{"codecs":[{"mimeType":"audio/PCMU","payloadType":0,"clockRate":8000}],"encodings":[{"ssrc":1}]}}}"#;
    assert_eq!(
        error(&mut h, pcmu),
        "Failed to produce media: codec audio/PCMU is not supported (audio/opus only)"
    );
    h.send(1, &produce_frame(77));
    assert_eq!(h.take_for(1)[0]["type"], "producer-id");
    assert_eq!(
        error(&mut h, r#"{"type":"consume","data":{"producerId":"c1-0"}}"#),
        "Cannot consume this producer: it is your own"
    );
    assert_eq!(
        error(
            &mut h,
            r#"{"type":"client-rtp-capabilities","data":{"codecs":[]}}"#
        ),
        "Invalid RTP capabilities format: no audio/opus codec"
    );
}

#[test]
fn signal_peers_never_get_dspeak_frames_and_vice_versa() {
    let mut h = Harness::new(true);
    h.join(1, "1");
    let signal_join = crate::signal::Join {
        channel: ChannelId(CHANNEL),
        token: token(2),
    };
    h.sfu.handle_join(h.now(), ConnId(2), signal_join);
    h.collect();
    for o in &h.outputs {
        match o {
            Output::Dspeak { conn, .. } => assert_eq!(conn.0, 1, "dspeak frame to a /signal peer"),
            Output::Signal { conn, .. } => assert_eq!(conn.0, 2, "/signal frame to a dspeak peer"),
            _ => {}
        }
    }
    assert_eq!(
        h.sfu.channel_users(ChannelId(CHANNEL)),
        vec![UserId(1), UserId(2)],
        "one room holds both kinds of client"
    );
}

#[test]
fn a_new_produce_replaces_the_previous_producer() {
    let mut h = Harness::new(true);
    ready_client(&mut h, 1);
    ready_client(&mut h, 2);
    let signal_join = crate::signal::Join {
        channel: ChannelId(CHANNEL),
        token: token(3),
    };
    h.sfu.handle_join(h.now(), ConnId(3), signal_join);
    h.collect();

    h.send(1, &produce_on(0, 100));
    assert_eq!(
        first_of(&h.take_for(1), "producer-id")["data"]["id"],
        "c1-0"
    );
    h.send(2, &consume_frame(2, None));
    assert_eq!(h.last_for(2)["data"]["producerId"], "c1-0");

    // dspeak's client closes its producer locally and produces again on a new m-line.
    h.send(1, &produce_on(1, 101));
    let frames = h.take_for(1);
    assert_eq!(
        frames[0],
        json!({"type":"producer-id","data":{"id":"c1-1","userId":"1","channelId":"7"}}),
        "a second produce is accepted"
    );
    assert_eq!(
        newest_producers(&frames),
        Some(json!({"c1-1": "1"})),
        "only the new producer is listed"
    );
    let frames = h.take_for(2);
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "producer-closed" && f["data"]["producerId"] == "c1-0"),
        "the consumer of the replaced producer is closed, got {frames:?}"
    );
    // Its first packet gives the /signal peer an m-line for it.
    let new_producer = TrackKey {
        conn: ConnId(1),
        mid: "1".into(),
    };
    h.sfu.mark_heard(h.now().instant, new_producer);
    let signal_sources: Vec<String> = h.sfu.peers[&ConnId(3)]
        .tracks_out
        .iter()
        .map(|t| ortc::producer_id(t.source))
        .collect();
    assert!(
        signal_sources.contains(&"c1-1".to_owned()),
        "the /signal peer is offered the new producer, has {signal_sources:?}"
    );
    assert!(
        !h.sfu.tracks.contains_key(&TrackKey {
            conn: ConnId(1),
            mid: "0".into()
        }),
        "the replaced producer is gone"
    );

    // Unmute on the same m-line with a new SSRC: the producer keeps its id.
    h.send(1, &produce_on(1, 102));
    assert_eq!(
        first_of(&h.take_for(1), "producer-id")["data"]["id"],
        "c1-1"
    );
    assert_eq!(
        producer_ids(&h),
        vec!["c1-1".to_owned()],
        "one producer per client"
    );
}

#[test]
fn a_listen_only_client_is_never_announced_as_producing() {
    let mut h = Harness::new(true);
    ready_client(&mut h, 1);
    ready_client(&mut h, 2);
    h.send(1, &produce_frame(100));
    h.take_for(2);
    // Client 2 consumes: its recv transport declares m-line "0", which str0m reports as a
    // sendrecv MediaAdded once the transport connects. That is not a producer.
    h.send(2, &consume_frame(2, None));
    let consumer = h.last_for(2);
    assert_eq!(consumer["data"]["producerId"], "c1-0");
    h.take_for(1);
    let added = str0m::media::MediaAdded {
        mid: "0".into(),
        kind: str0m::media::MediaKind::Audio,
        direction: str0m::media::Direction::SendRecv,
        simulcast: None,
    };
    let now = h.now().instant;
    h.sfu
        .on_rtc_event(now, ConnId(2), str0m::Event::MediaAdded(added));
    h.sfu.drive(now);
    h.collect();
    let frames = h.take_for(1);
    assert!(
        frames
            .iter()
            .filter(|f| f["type"] == "currentlyInChannel")
            .all(|f| f["producerUserMap"] == json!({"c1-0": "1"})),
        "only client 1 produces, got {frames:?}"
    );
    assert_eq!(
        producer_ids(&h),
        vec!["c1-0".to_owned()],
        "client 2 has no producer"
    );
    assert!(
        !h.outputs.iter().any(|o| matches!(o,
            Output::Event(SfuEvent::StartedProducing { user, .. }) if *user == UserId(2))),
        "a listen-only client never starts producing for interop"
    );
}

#[test]
fn consuming_a_producer_again_makes_another_consumer() {
    let mut h = Harness::new(true);
    ready_client(&mut h, 1);
    ready_client(&mut h, 2);
    h.send(1, &produce_frame(100));
    let consume = consume_frame(2, Some("c1-0"));
    h.send(2, &consume);
    let first = h.last_for(2);
    h.send(2, &consume);
    let second = h.last_for(2);
    assert_eq!(second["type"], "consumer-params", "got {second}");
    assert_eq!(second["data"]["producerId"], "c1-0");
    assert_ne!(
        first["data"]["id"], second["data"]["id"],
        "the second consume is a consumer of its own"
    );
    h.sfu.handle_disconnect(h.now().instant, ConnId(1));
    h.collect();
    let closed = h
        .take_for(2)
        .into_iter()
        .filter(|f| f["type"] == "producer-closed")
        .count();
    assert_eq!(closed, 2, "both consumers close with their producer");
}
