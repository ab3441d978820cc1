//! The SFU's end of the interop link as a sans-IO state machine: it turns SFU events into
//! interop messages, queues them (bounded) while the link is down, redials with backoff and
//! jitter, and after every (re)connect sends its status, what it queued, and a full presence
//! sync so the main server converges.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::ids::{ChannelId, UserId};
use crate::sfu::SfuEvent;

use super::wire::{
    ChannelPresenceSync, MainToSfu, MediaPresence, PresenceEvent, SfuStatus, SfuToMain, Status,
    decode_main_to_sfu, iso8601_utc,
};

/// First redial delay; doubles per failure up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often `sfu_status` goes out while the link is up.
pub const STATUS_PERIOD: Duration = Duration::from_secs(10);

/// What the link wants its shell to do.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkOutput {
    /// Open the WebSocket to the main server now.
    Dial,
    /// Send this text frame.
    Send(String),
    /// Carry out a request from the main server.
    Apply(MainToSfu),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `failures` counts consecutive failed dials.
    Down {
        retry_at: Instant,
        failures: u32,
    },
    Dialing {
        failures: u32,
    },
    Up {
        status_due: Instant,
    },
}

/// Counters for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub connected: bool,
    pub sent: u64,
    pub queued: usize,
    /// Events dropped because the queue was full while the link was down.
    pub dropped: u64,
    pub reconnects: u64,
}

/// See the module docs.
pub struct InteropLink {
    state: State,
    queue: VecDeque<SfuToMain>,
    capacity: usize,
    /// Channels the main server has heard of, so a reconnect can also clear emptied ones.
    announced: BTreeSet<ChannelId>,
    rng: u64,
    outputs: VecDeque<LinkOutput>,
    stats: LinkStats,
}

impl InteropLink {
    /// A link that dials at once. `seed` drives the backoff jitter (tests pass a fixed one).
    pub fn new(now: Instant, capacity: usize, seed: u64) -> Self {
        Self {
            state: State::Down {
                retry_at: now,
                failures: 0,
            },
            queue: VecDeque::new(),
            capacity,
            announced: BTreeSet::new(),
            rng: seed | 1,
            outputs: VecDeque::new(),
            stats: LinkStats::default(),
        }
    }

    pub fn stats(&self) -> LinkStats {
        LinkStats {
            connected: matches!(self.state, State::Up { .. }),
            queued: self.queue.len(),
            ..self.stats
        }
    }

    pub fn poll_output(&mut self) -> Option<LinkOutput> {
        self.outputs.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Down { retry_at, .. } => Some(retry_at),
            State::Dialing { .. } => None,
            State::Up { status_due } => Some(status_due),
        }
    }

    /// Time passed: redial when due; send the periodic status when due.
    pub fn handle_timeout(&mut self, now: Instant, details: impl FnOnce() -> String) {
        match self.state {
            State::Down { retry_at, failures } if retry_at <= now => {
                self.state = State::Dialing { failures };
                self.outputs.push_back(LinkOutput::Dial);
            }
            State::Up { status_due } if status_due <= now => {
                self.state = State::Up {
                    status_due: now + STATUS_PERIOD,
                };
                self.send(&SfuToMain::SfuStatus(SfuStatus {
                    status: Status::Ok,
                    details: details(),
                }));
            }
            _ => {}
        }
    }

    /// The WebSocket opened: status, then what was queued, then a full presence sync of
    /// `active` channels (and empty syncs for announced channels that emptied meanwhile).
    pub fn handle_connected(
        &mut self,
        now: Instant,
        active: &[(ChannelId, Vec<UserId>)],
        details: String,
    ) {
        if !matches!(self.state, State::Dialing { .. }) {
            return;
        }
        self.stats.reconnects += 1;
        self.state = State::Up {
            status_due: now + STATUS_PERIOD,
        };
        self.send(&SfuToMain::SfuStatus(SfuStatus {
            status: Status::Ok,
            details,
        }));
        while let Some(message) = self.queue.pop_front() {
            self.send(&message);
        }
        let mut channels = self.announced.clone();
        channels.extend(active.iter().map(|(c, _)| *c));
        for channel in channels {
            let users = active
                .iter()
                .find(|(c, _)| *c == channel)
                .map(|(_, u)| u.clone())
                .unwrap_or_default();
            self.send(&sync(channel, users));
        }
        self.announced = active.iter().map(|(c, _)| *c).collect();
    }

    /// The dial failed or the socket closed: wait, with exponential backoff and jitter.
    pub fn handle_disconnected(&mut self, now: Instant) {
        // A link that was up starts again at 1 s; each failed dial doubles the wait.
        let failures = match self.state {
            State::Up { .. } => 0,
            State::Down { failures, .. } | State::Dialing { failures } => failures + 1,
        };
        let base = FIRST_BACKOFF
            .saturating_mul(1 << failures.min(5))
            .min(MAX_BACKOFF);
        // Jitter: 50% to 100% of the base, so many SFUs do not redial in step.
        let jitter = 0.5 + 0.5 * (self.next_random() as f64 / u64::MAX as f64);
        self.state = State::Down {
            retry_at: now + base.mul_f64(jitter),
            failures,
        };
    }

    /// A text frame from the main server. Unparseable JSON is ignored (seed 000); a missing or
    /// unknown type gets the seed's error reply.
    pub fn handle_message(&mut self, text: &str) {
        match decode_main_to_sfu(text) {
            Ok(message) => self.outputs.push_back(LinkOutput::Apply(message)),
            Err(error) => {
                tracing::warn!(%error, "bad interop message from the main server");
                if let Some(reply) = error.reply() {
                    self.outputs.push_back(LinkOutput::Send(reply.to_json()));
                }
            }
        }
    }

    /// An SFU event: presence for the main server, sent now or queued.
    pub fn handle_event(&mut self, unix_ms: i64, event: &SfuEvent) {
        let (event_kind, user, channel) = match event {
            SfuEvent::Joined { user, channel, .. } => (PresenceEvent::Join, *user, *channel),
            SfuEvent::Left { user, channel, .. } => (PresenceEvent::Leave, *user, *channel),
            SfuEvent::StartedProducing { user, channel } => {
                (PresenceEvent::StartProduce, *user, *channel)
            }
            SfuEvent::StoppedProducing { user, channel } => {
                (PresenceEvent::StopProduce, *user, *channel)
            }
            SfuEvent::ChannelUsers { channel, users } => {
                self.announced.insert(*channel);
                self.emit(sync(*channel, users.clone()));
                return;
            }
            SfuEvent::JoinRefused { .. } => return,
        };
        self.announced.insert(channel);
        self.emit(SfuToMain::MediaPresence(MediaPresence {
            event: event_kind,
            user_id: user,
            channel_id: channel,
            timestamp: iso8601_utc(unix_ms),
        }));
    }

    fn emit(&mut self, message: SfuToMain) {
        if matches!(self.state, State::Up { .. }) {
            self.send(&message);
            return;
        }
        if self.queue.len() >= self.capacity {
            // The oldest goes: the full sync after reconnecting restores what it said.
            self.queue.pop_front();
            self.stats.dropped += 1;
        }
        self.queue.push_back(message);
    }

    fn send(&mut self, message: &SfuToMain) {
        self.stats.sent += 1;
        self.outputs.push_back(LinkOutput::Send(message.to_json()));
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: jitter needs no cryptographic quality.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

fn sync(channel: ChannelId, user_ids: Vec<UserId>) -> SfuToMain {
    SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
        channel_id: channel,
        user_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sfu::LeaveReason;

    fn joined(user: i64, channel: i64) -> SfuEvent {
        SfuEvent::Joined {
            user: UserId(user),
            channel: ChannelId(channel),
        }
    }

    fn drain(link: &mut InteropLink) -> Vec<LinkOutput> {
        std::iter::from_fn(|| link.poll_output()).collect()
    }

    fn types(outputs: &[LinkOutput]) -> Vec<String> {
        outputs
            .iter()
            .filter_map(|o| match o {
                LinkOutput::Send(text) => {
                    serde_json::from_str::<serde_json::Value>(text)
                        .ok()
                        .map(|v| {
                            format!(
                                "{}:{}",
                                v["type"].as_str().unwrap_or(""),
                                v["event"].as_str().unwrap_or("")
                            )
                        })
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn events_while_down_are_queued_then_sent_after_status_and_before_a_full_sync() {
        let t0 = Instant::now();
        let mut link = InteropLink::new(t0, 100, 7);
        link.handle_timeout(t0, String::new);
        assert_eq!(drain(&mut link), vec![LinkOutput::Dial], "dials at once");
        link.handle_event(0, &joined(1, 9));
        link.handle_event(
            0,
            &SfuEvent::Left {
                user: UserId(1),
                channel: ChannelId(9),
                reason: LeaveReason::Left,
            },
        );
        assert!(
            drain(&mut link).is_empty(),
            "nothing is sent before the link is up"
        );
        assert_eq!(link.stats().queued, 2);
        link.handle_connected(t0, &[(ChannelId(4), vec![UserId(2)])], "ok".into());
        let sent = types(&drain(&mut link));
        assert_eq!(
            sent,
            vec![
                "sfu_status:".to_owned(),
                "media_presence:join".to_owned(),
                "media_presence:leave".to_owned(),
                "channel_presence_sync:".to_owned(),
                "channel_presence_sync:".to_owned(),
            ],
            "status, the queue in order, then a sync of every channel ever announced (the emptied 9 too)"
        );
        link.handle_event(0, &joined(3, 4));
        assert_eq!(
            types(&drain(&mut link)),
            vec!["media_presence:join".to_owned()],
            "sent at once while up"
        );
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_it() {
        let t0 = Instant::now();
        let mut link = InteropLink::new(t0, 2, 7);
        for user in 1..=3 {
            link.handle_event(0, &joined(user, 1));
        }
        assert_eq!(link.stats().dropped, 1);
        assert_eq!(link.stats().queued, 2);
    }

    #[test]
    fn redials_back_off_from_one_second_to_thirty_with_jitter() {
        let t0 = Instant::now();
        let mut link = InteropLink::new(t0, 10, 99);
        let mut now = t0;
        let mut delays = Vec::new();
        for _ in 0..8 {
            link.handle_timeout(now, String::new);
            assert_eq!(drain(&mut link), vec![LinkOutput::Dial]);
            link.handle_disconnected(now);
            let next = link.poll_timeout().expect("a redial is scheduled");
            delays.push(next - now);
            now = next;
        }
        let bases = [2, 4, 8, 16, 30, 30, 30, 30];
        for (delay, base) in delays.iter().zip(bases) {
            let base = Duration::from_secs(base);
            assert!(
                *delay >= base / 2 && *delay <= base,
                "delay {delay:?} outside [{:?}, {base:?}]",
                base / 2
            );
        }
        link.handle_timeout(now, String::new);
        drain(&mut link);
        link.handle_connected(now, &[], String::new());
        drain(&mut link);
        link.handle_disconnected(now);
        let after_success = link.poll_timeout().expect("scheduled") - now;
        assert!(
            after_success <= Duration::from_secs(1),
            "a drop after a good link starts again at 1 s"
        );
    }

    #[test]
    fn status_goes_out_every_ten_seconds_and_bad_input_gets_the_seed_replies() {
        let t0 = Instant::now();
        let mut link = InteropLink::new(t0, 10, 1);
        link.handle_timeout(t0, String::new);
        drain(&mut link);
        link.handle_connected(t0, &[], "peers=0".into());
        drain(&mut link);
        assert_eq!(link.poll_timeout(), Some(t0 + STATUS_PERIOD));
        link.handle_timeout(t0 + STATUS_PERIOD, || "peers=3".into());
        assert_eq!(types(&drain(&mut link)), vec!["sfu_status:".to_owned()]);
        link.handle_message("{not json");
        assert!(drain(&mut link).is_empty(), "unparseable JSON is ignored");
        link.handle_message(r#"{"userId":"1"}"#);
        assert_eq!(
            drain(&mut link),
            vec![LinkOutput::Send(
                r#"{"type":"error","data":"Invalid message format: missing type"}"#.into()
            )]
        );
        link.handle_message(
            r#"{"type":"force_disconnect","userId":"5","channelId":"6","reason":"banned"}"#,
        );
        assert!(
            matches!(&drain(&mut link)[..], [LinkOutput::Apply(MainToSfu::ForceDisconnect(f))] if f.reason == "banned")
        );
    }
}
