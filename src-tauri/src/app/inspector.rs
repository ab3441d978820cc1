//! The protocol inspector's log: every signaling frame the client sent or received, with a
//! readable kind and its secrets redacted, the newest [`ProtocolLog::CAPACITY`] kept within
//! [`ProtocolLog::BYTE_BUDGET`] (a hostile server's huge frames must not fill the app's memory).

use std::collections::VecDeque;
use std::time::UNIX_EPOCH;

use serde_json::Value;
use sfu_core::signal::{event, op};

use super::contract::ProtocolMessage;
use hearth_engine::inspect::{TapChannel, TappedFrame};

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// The inspector's backlog.
#[derive(Debug, Default)]
pub struct ProtocolLog {
    next_seq: u64,
    /// Each message with the size of the frame it was made from.
    entries: VecDeque<(ProtocolMessage, usize)>,
    bytes: usize,
}

impl ProtocolLog {
    /// Messages kept; older ones are dropped.
    pub const CAPACITY: usize = 2000;
    /// Frame bytes kept in all; older messages are dropped to stay under it.
    pub const BYTE_BUDGET: usize = 16 * 1024 * 1024;
    /// A frame larger than this is shown by its kind and size, not kept whole.
    pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

    /// Turns a tapped frame into a message, keeps it, and returns it.
    pub fn record(&mut self, frame: &TappedFrame) -> ProtocolMessage {
        self.next_seq += 1;
        let mut message = describe(self.next_seq, frame);
        let mut size = frame.text.len();
        if size > Self::MAX_FRAME_BYTES {
            message.payload = Value::String(format!("[{size} bytes: too large to keep]"));
            size = 64;
        }
        while self.entries.len() >= Self::CAPACITY || self.bytes + size > Self::BYTE_BUDGET {
            let Some((_, dropped)) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= dropped;
        }
        self.bytes += size;
        self.entries.push_back((message.clone(), size));
        message
    }

    /// The backlog, oldest first.
    pub fn entries(&self) -> Vec<ProtocolMessage> {
        self.entries.iter().map(|(m, _)| m.clone()).collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

/// The inspector's view of one frame.
pub fn describe(seq: u64, frame: &TappedFrame) -> ProtocolMessage {
    let mut payload =
        serde_json::from_str(&frame.text).unwrap_or_else(|_| Value::String(frame.text.clone()));
    redact(&mut payload);
    let kind = match frame.channel {
        TapChannel::World => world_kind(&payload),
        TapChannel::Signal => signal_kind(&payload),
    };
    ProtocolMessage {
        seq,
        time_ms: frame
            .at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        channel: frame.channel,
        direction: frame.direction,
        kind,
        payload,
    }
}

/// A `/world` message's `type`.
fn world_kind(payload: &Value) -> String {
    payload
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("(not JSON)")
        .to_owned()
}

/// A `/signal` frame's name: its `t` (join, offer, ...), its `op` (heartbeat), or its `event`.
fn signal_kind(payload: &Value) -> String {
    if let Some(name) = payload.get("event").and_then(Value::as_str) {
        return name.to_owned();
    }
    let t = payload.get("t").and_then(Value::as_u64);
    let named = t.and_then(|t| u16::try_from(t).ok()).and_then(|t| {
        Some(match t {
            event::JOIN => "join",
            event::OFFER => "offer",
            event::ANSWER => "answer",
            event::CANDIDATE => "candidate",
            event::LEAVE => "leave",
            event::MUTE_SELF => "mute_self",
            event::MUTE_USER => "mute_user",
            event::SERVER_MUTE => "server_mute",
            event::SERVER_DEAFEN => "server_deafen",
            event::KICK => "kick",
            event::BLOCK => "block",
            event::MOVE => "move",
            event::SPEAKING => "speaking",
            _ => return None,
        })
    });
    match (named, t, payload.get("op").and_then(Value::as_u64)) {
        (Some(name), _, _) => name.to_owned(),
        (None, Some(t), _) => format!("t {t}"),
        (None, None, Some(o)) if o == u64::from(op::HEARTBEAT) => "heartbeat".to_owned(),
        (None, None, Some(o)) => format!("op {o}"),
        _ => "(unknown)".to_owned(),
    }
}

/// Whether a key names a secret: tokens, credentials, passwords.
fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["token", "credential", "password", "secret"]
        .iter()
        .any(|word| key.contains(word))
}

/// Replaces every secret value, at any depth, by [`REDACTED`].
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if is_secret(key) && !inner.is_null() {
                    *inner = Value::String(REDACTED.to_owned());
                } else {
                    redact(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::json;

    use super::*;
    use hearth_engine::inspect::Direction;

    fn frame(channel: TapChannel, direction: Direction, text: &str) -> TappedFrame {
        TappedFrame {
            at: UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            channel,
            direction,
            text: text.to_owned(),
        }
    }

    #[test]
    fn world_messages_are_named_by_type_and_tokens_redacted() {
        let text = r#"{"type":"CONNECT","payload":{"token":"eyJ.secret","client_version":"1"},"protocol_version":"1.0"}"#;
        let message = describe(1, &frame(TapChannel::World, Direction::Out, text));
        assert_eq!(message.kind, "CONNECT");
        assert_eq!(message.time_ms, 1_700_000_000_123);
        assert_eq!(message.direction, Direction::Out);
        assert_eq!(message.payload["payload"]["token"], json!(REDACTED));
        assert_eq!(message.payload["payload"]["client_version"], json!("1"));
        assert!(
            !serde_json::to_string(&message)
                .expect("json")
                .contains("eyJ.secret")
        );
    }

    #[test]
    fn nested_secrets_are_redacted_at_any_depth() {
        let text = r#"{"type":"PROMOTE_TO_SFU","payload":{"sfu_token":"a","list":[{"credential":"b"}],"turn":{"password":"c"}}}"#;
        let message = describe(1, &frame(TapChannel::World, Direction::In, text));
        let shown = message.payload.to_string();
        for secret in ["\"a\"", "\"b\"", "\"c\""] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }

    #[test]
    fn signal_frames_are_named_by_t_op_or_event() {
        let kind = |text: &str| describe(1, &frame(TapChannel::Signal, Direction::In, text)).kind;
        assert_eq!(
            kind(r#"{"op":7,"t":500,"d":{"channel":1,"token":"x"}}"#),
            "join"
        );
        assert_eq!(kind(r#"{"op":7,"t":514,"d":{"speaking":1}}"#), "speaking");
        assert_eq!(kind(r#"{"op":7,"t":599,"d":{}}"#), "t 599");
        assert_eq!(kind(r#"{"op":2,"d":{"ts":1}}"#), "heartbeat");
        assert_eq!(kind(r#"{"event":"negotiate"}"#), "negotiate");
        assert_eq!(kind("not json"), "(unknown)");
    }

    #[test]
    fn the_log_keeps_the_newest_and_numbers_from_one() {
        let mut log = ProtocolLog::default();
        let now = SystemTime::now();
        for _ in 0..ProtocolLog::CAPACITY + 5 {
            log.record(&TappedFrame {
                at: now,
                channel: TapChannel::World,
                direction: Direction::In,
                text: "{}".into(),
            });
        }
        let entries = log.entries();
        assert_eq!(entries.len(), ProtocolLog::CAPACITY);
        assert_eq!(entries[0].seq, 6);
        assert_eq!(entries.last().map(|m| m.seq), Some(2005));
        log.clear();
        assert!(log.entries().is_empty());
    }

    #[test]
    fn huge_frames_are_not_kept_whole_and_the_log_stays_within_its_budget() {
        let mut log = ProtocolLog::default();
        let huge = format!(
            "{{\"type\":\"WORLD_STATE\",\"pad\":\"{}\"}}",
            "x".repeat(2 << 20)
        );
        let message = log.record(&frame(TapChannel::World, Direction::In, &huge));
        assert_eq!(message.kind, "WORLD_STATE", "the kind is still shown");
        assert!(
            message
                .payload
                .as_str()
                .is_some_and(|s| s.contains("too large")),
            "{:?}",
            message.payload
        );
        let big = format!(
            "{{\"type\":\"SDP_OFFER\",\"pad\":\"{}\"}}",
            "y".repeat(900 << 10)
        );
        for _ in 0..40 {
            log.record(&frame(TapChannel::World, Direction::In, &big));
        }
        assert!(
            log.bytes <= ProtocolLog::BYTE_BUDGET,
            "{} bytes kept",
            log.bytes
        );
        assert!(log.entries().len() < 40, "older big frames were dropped");
        assert_eq!(
            log.entries().last().map(|m| m.kind.as_str()),
            Some("SDP_OFFER")
        );
    }
}
