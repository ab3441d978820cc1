//! The part of [`WorldSession`] that turns news about others (presence, joins, leaves) and the
//! answers to requests into peer bookkeeping and events.

use sfu_core::world::wire::{AvatarState, Facing, ServerMessage};

use super::{Peer, State, WorldEvent, WorldSession};

impl WorldSession {
    /// Messages about others and requests' answers: bookkeeping, then an event.
    pub(super) fn handle_zone_news(&mut self, message: ServerMessage) {
        let event = match message {
            ServerMessage::PresenceBroadcast(p) => {
                if Some(&p.user_id) == self.me.as_ref() {
                    return;
                }
                if let Some(peer) = self.peers.get_mut(&p.user_id) {
                    peer.position = p.position;
                    peer.facing = p.facing;
                    peer.state = p.state;
                }
                WorldEvent::Presence {
                    user_id: p.user_id,
                    x: p.position.x,
                    y: p.position.y,
                }
            }
            ServerMessage::PeerJoined(joined) => {
                if Some(&joined.user.user_id) == self.me.as_ref() {
                    return;
                }
                let event = WorldEvent::PeerJoined {
                    user_id: joined.user.user_id.clone(),
                    display_name: joined.user.display_name.clone(),
                    x: joined.position.x,
                    y: joined.position.y,
                };
                self.peers.insert(
                    joined.user.user_id.clone(),
                    Peer {
                        user: joined.user,
                        position: joined.position,
                        facing: Facing::South,
                        state: AvatarState::Idle,
                    },
                );
                event
            }
            ServerMessage::PeerLeft(left) => {
                self.peers.remove(&left.user_id);
                WorldEvent::PeerLeft {
                    user_id: left.user_id,
                }
            }
            ServerMessage::PromoteToSfu(p) => WorldEvent::PromoteToSfu {
                zone: p.zone_id,
                channel_id: p.channel_id.map(|c| c.0),
                sfu_url: p.sfu_url,
                sfu_token: p.sfu_token,
            },
            ServerMessage::UserMuted(m) => WorldEvent::UserMuted {
                user_id: m.user_id,
                muted: m.muted,
                duration: m.duration,
            },
            ServerMessage::InteractGranted(g) => WorldEvent::InteractGranted {
                object_id: g.object_id,
                lock_id: g.lock_id,
            },
            ServerMessage::InteractDenied(d) => WorldEvent::InteractDenied {
                object_id: d.object_id,
                reason: d.reason,
            },
            ServerMessage::ObjectOccupied(o) => WorldEvent::ObjectOccupied {
                object_id: o.object_id,
                user_id: o.user_id,
            },
            ServerMessage::ObjectReleased(o) => WorldEvent::ObjectReleased {
                object_id: o.object_id,
                user_id: o.user_id,
            },
            ServerMessage::SdpOffer(s) => WorldEvent::SdpOffer {
                from: s.from,
                sdp: s.sdp,
            },
            ServerMessage::SdpAnswer(s) => WorldEvent::SdpAnswer {
                from: s.from,
                sdp: s.sdp,
            },
            ServerMessage::IceCandidate(c) => WorldEvent::IceCandidate {
                from: c.from,
                candidate: c.candidate,
            },
            ServerMessage::TurnCredentials(t) => WorldEvent::TurnCredentials {
                urls: t.urls,
                username: t.username,
                credential: t.credential,
            },
            ServerMessage::Error(e) => {
                let code = e.code;
                self.note_dismissal(&e.details);
                self.emit(WorldEvent::Error {
                    code,
                    message: e.message,
                });
                // Before the world state an error means the way in is shut (bad token, unknown
                // world, world full): fail fast rather than wait for the handshake deadline.
                if self.state != State::InWorld {
                    let code = serde_json::to_value(code)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    self.close(None, &format!("refused: {code}"));
                }
                return;
            }
            // Handled by `handle_server`.
            ServerMessage::Connected(_)
            | ServerMessage::WorldState(_)
            | ServerMessage::ZoneTransitioned(_)
            | ServerMessage::PositionCorrection(_) => return,
        };
        self.emit(event);
    }
}
