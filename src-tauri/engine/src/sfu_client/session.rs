//! The client side of `/signal` as a sans-IO state machine: server messages and time go in;
//! frames to send, SDP work for the peer connection and events for the user come out.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use sfu_core::ids::ChannelId;
use sfu_core::signal::{ClientMessage, Heartbeat, IceCandidate, Join, ServerMessage, Speaking};

use crate::events::EngineEvent;

/// How often the client sends a heartbeat.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

/// Something the session wants its shell to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this frame on the WebSocket.
    Send(ClientMessage),
    /// Apply the SFU's offer, then send our answer.
    ApplyOffer(String),
    /// Apply the SFU's answer to our offer.
    ApplyAnswer(String),
    /// Add a trickled remote candidate.
    AddCandidate(IceCandidate),
    /// Report to the user.
    Emit(EngineEvent),
    /// The session is over: close the socket and the peer connection.
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitingAck,
    Joined,
    Closed,
}

/// One `/signal` session, from join to leave.
pub struct SfuSession {
    state: State,
    actions: VecDeque<Action>,
    offers_seen: u32,
    next_heartbeat: Instant,
    next_nonce: u64,
    pings: HashMap<u64, Instant>,
    /// Whether the user speaks now, and what the SFU was last told.
    speaking: bool,
    speaking_told: bool,
}

impl SfuSession {
    /// Starts a session: the join is the first action.
    pub fn new(now: Instant, channel: ChannelId, token: String) -> Self {
        let mut actions = VecDeque::new();
        actions.push_back(Action::Send(ClientMessage::Join(Join { channel, token })));
        Self {
            state: State::AwaitingAck,
            actions,
            offers_seen: 0,
            next_heartbeat: now + HEARTBEAT_INTERVAL,
            next_nonce: 1,
            pings: HashMap::new(),
            speaking: false,
            speaking_told: false,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`SfuSession::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (self.state == State::Joined).then_some(self.next_heartbeat)
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state != State::Joined || now < self.next_heartbeat {
            return;
        }
        self.next_heartbeat = now + HEARTBEAT_INTERVAL;
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        self.pings.insert(nonce, now);
        self.pings
            .retain(|_, sent| now.duration_since(*sent) < Duration::from_secs(60));
        self.actions
            .push_back(Action::Send(ClientMessage::Heartbeat(Heartbeat {
                nonce: Some(nonce.into()),
                ts: None,
            })));
    }

    /// A request from the user (mute, moderation, ...), sent once joined.
    pub fn request(&mut self, message: ClientMessage) {
        if self.state == State::Joined {
            self.actions.push_back(Action::Send(message));
        }
    }

    /// The local voice activity changed; tells the SFU only on a change.
    /// A change before the join is acknowledged is sent right after it.
    pub fn set_speaking(&mut self, speaking: bool) {
        self.speaking = speaking;
        self.tell_speaking();
    }

    fn tell_speaking(&mut self) {
        if self.state == State::Joined && self.speaking != self.speaking_told {
            self.speaking_told = self.speaking;
            let speaking = self.speaking;
            self.actions
                .push_back(Action::Send(ClientMessage::Speaking(Speaking { speaking })));
        }
    }

    /// Leaves cleanly: 504, then close.
    pub fn leave(&mut self) {
        if self.state == State::Joined {
            self.actions.push_back(Action::Send(ClientMessage::Leave));
        }
        self.close("left");
    }

    /// The socket closed under us.
    pub fn handle_closed(&mut self, reason: &str) {
        self.close(reason);
    }

    fn close(&mut self, reason: &str) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.emit(EngineEvent::Left {
            reason: reason.to_owned(),
        });
        self.actions.push_back(Action::Close);
    }

    fn emit(&mut self, event: EngineEvent) {
        self.actions.push_back(Action::Emit(event));
    }

    pub fn handle_server(&mut self, now: Instant, message: ServerMessage) {
        if self.state == State::Closed {
            return;
        }
        match message {
            ServerMessage::JoinAck(ack) => match ack.error {
                None => {
                    self.state = State::Joined;
                    self.next_heartbeat = now + HEARTBEAT_INTERVAL;
                    self.emit(EngineEvent::Joined { channel: 0 });
                    self.tell_speaking();
                }
                Some(code) => {
                    let code = sfu_core::sfu::join_code_str(code).to_owned();
                    self.emit(EngineEvent::JoinRefused { code: code.clone() });
                    self.close(&format!("join refused: {code}"));
                }
            },
            ServerMessage::Offer(offer) => {
                self.emit(EngineEvent::Offer {
                    renegotiation: self.offers_seen > 0,
                });
                self.offers_seen += 1;
                self.actions.push_back(Action::ApplyOffer(offer.sdp));
            }
            ServerMessage::Answer(answer) => {
                self.actions.push_back(Action::ApplyAnswer(answer.sdp))
            }
            ServerMessage::Candidate(candidate) => {
                self.actions.push_back(Action::AddCandidate(candidate))
            }
            ServerMessage::SelfMuted(m) => self.emit(EngineEvent::Muted {
                user_id: m.user_id.0,
                muted: m.muted,
            }),
            ServerMessage::ServerMuted(m) => self.emit(EngineEvent::ServerMuted {
                user_id: m.user_id.0,
                muted: m.muted,
            }),
            ServerMessage::Deafened(d) => self.emit(EngineEvent::Deafened {
                user_id: d.user_id.0,
                deafened: d.deafened,
            }),
            ServerMessage::Kicked(k) => {
                self.emit(EngineEvent::Kicked {
                    reason: k.reason.clone(),
                });
                self.close(&k.reason);
            }
            ServerMessage::Moved(m) => {
                self.emit(EngineEvent::Moved {
                    channel: m.channel.0,
                    has_token: m.sfu_token.is_some(),
                });
                self.close("moved");
            }
            ServerMessage::Speaking(s) => self.emit(EngineEvent::Speaking {
                user_id: s.user_id.0,
                speaking: s.speaking,
            }),
            ServerMessage::Pong(pong) => {
                let sent = pong
                    .nonce
                    .as_ref()
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|n| self.pings.remove(&n));
                if let Some(sent) = sent {
                    let rtt_ms =
                        u64::try_from(now.duration_since(sent).as_millis()).unwrap_or(u64::MAX);
                    self.emit(EngineEvent::Pong { rtt_ms });
                }
            }
            ServerMessage::Error(e) => self.emit(EngineEvent::ServerError {
                op: e.op,
                t: e.t,
                code: serde_json::to_value(e.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                message: e.message,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfu_core::ids::UserId;
    use sfu_core::signal::{JoinAck, JoinErrorCode, Kicked, Pong, SessionDescription};

    fn drain(session: &mut SfuSession) -> Vec<Action> {
        std::iter::from_fn(|| session.poll_action()).collect()
    }

    #[test]
    fn join_then_offer_then_heartbeat() {
        let t0 = Instant::now();
        let mut s = SfuSession::new(t0, ChannelId(7), "tok".into());
        let first = drain(&mut s);
        assert!(
            matches!(&first[..], [Action::Send(ClientMessage::Join(j))] if j.channel == ChannelId(7))
        );
        assert_eq!(s.poll_timeout(), None, "no heartbeat before the ack");

        s.handle_server(t0, ServerMessage::JoinAck(JoinAck::ok()));
        s.handle_server(t0, ServerMessage::Offer(SessionDescription::new("v=0")));
        let actions = drain(&mut s);
        assert!(actions.contains(&Action::ApplyOffer("v=0".into())));
        assert!(actions.contains(&Action::Emit(EngineEvent::Offer {
            renegotiation: false
        })));

        let due = s.poll_timeout().expect("heartbeat timer once joined");
        s.handle_timeout(due);
        let actions = drain(&mut s);
        assert!(
            matches!(&actions[..], [Action::Send(ClientMessage::Heartbeat(_))]),
            "{actions:?}"
        );
        s.handle_server(
            due + Duration::from_millis(12),
            ServerMessage::Pong(Pong {
                server_ts: 1,
                nonce: Some(1.into()),
                ts: None,
            }),
        );
        assert_eq!(
            drain(&mut s),
            vec![Action::Emit(EngineEvent::Pong { rtt_ms: 12 })]
        );
    }

    #[test]
    fn refused_join_and_kick_close_the_session() {
        let t0 = Instant::now();
        let mut s = SfuSession::new(t0, ChannelId(1), "tok".into());
        drain(&mut s);
        s.handle_server(
            t0,
            ServerMessage::JoinAck(JoinAck::rejected(JoinErrorCode::Blocked)),
        );
        let actions = drain(&mut s);
        assert_eq!(actions.last(), Some(&Action::Close));
        assert!(actions.contains(&Action::Emit(EngineEvent::JoinRefused {
            code: "blocked".into()
        })));
        assert!(s.is_closed());

        let mut s = SfuSession::new(t0, ChannelId(1), "tok".into());
        s.handle_server(t0, ServerMessage::JoinAck(JoinAck::ok()));
        drain(&mut s);
        s.handle_server(
            t0,
            ServerMessage::Kicked(Kicked {
                user_id: UserId(1),
                reason: "kicked".into(),
            }),
        );
        let actions = drain(&mut s);
        assert_eq!(
            actions.last(),
            Some(&Action::Close),
            "a kick ends the session"
        );
    }

    #[test]
    fn speaking_before_the_ack_is_sent_after_it() {
        let t0 = Instant::now();
        let mut s = SfuSession::new(t0, ChannelId(1), "tok".into());
        drain(&mut s);
        s.set_speaking(true);
        assert!(drain(&mut s).is_empty(), "nothing goes out before the ack");
        s.handle_server(t0, ServerMessage::JoinAck(JoinAck::ok()));
        let sent = drain(&mut s);
        assert!(
            sent.contains(&Action::Send(ClientMessage::Speaking(Speaking {
                speaking: true
            }))),
            "the pending speaking state follows the ack: {sent:?}"
        );
    }

    #[test]
    fn speaking_is_sent_only_on_change() {
        let t0 = Instant::now();
        let mut s = SfuSession::new(t0, ChannelId(1), "tok".into());
        s.handle_server(t0, ServerMessage::JoinAck(JoinAck::ok()));
        drain(&mut s);
        s.set_speaking(true);
        s.set_speaking(true);
        s.set_speaking(false);
        let sent: Vec<_> = drain(&mut s);
        assert_eq!(sent.len(), 2, "{sent:?}");
    }
}
