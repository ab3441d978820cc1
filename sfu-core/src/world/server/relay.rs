//! The P2P relay: offers, answers and candidates pass between users of the same zone only,
//! with `from` set by the server; `ICE_FAILED` hands out TURN credentials.

use uuid::Uuid;

use super::convert::wire_user_id;
use super::{WorldServer, detail};
use crate::auth::turn_credentials;
use crate::clock::Now;
use crate::world::wire::{
    self, ErrorCode, IceFromPeer, SdpFromPeer, ServerMessage, TurnCredentials,
};

impl WorldServer {
    /// The target of a relayed message if it is in `user`'s zone; otherwise the refusal is sent.
    fn relay_target(&mut self, user: Uuid, to: &wire::WorldUserId) -> Option<Uuid> {
        let member = self.members.get(&user)?;
        let conn = member.conn;
        let target = Uuid::parse_str(to.as_str())
            .ok()
            .filter(|t| self.members.contains_key(t));
        match target {
            None => {
                self.error(
                    conn,
                    ErrorCode::InvalidRequest,
                    "no such user in the world",
                    detail("to", to.as_str()),
                );
                None
            }
            Some(t) if t == user => {
                self.error(
                    conn,
                    ErrorCode::InvalidRequest,
                    "cannot relay to yourself",
                    detail("to", to.as_str()),
                );
                None
            }
            Some(t) if self.members.get(&t).map(|m| &m.zone) != Some(&member.zone) => {
                self.error(
                    conn,
                    ErrorCode::PermissionDenied,
                    "signaling is relayed only within your zone",
                    detail("to", to.as_str()),
                );
                None
            }
            Some(t) => Some(t),
        }
    }

    pub(super) fn relay_sdp(&mut self, user: Uuid, message: wire::SdpToPeer, offer: bool) {
        let Some(target) = self.relay_target(user, &message.to) else {
            return;
        };
        let relayed = SdpFromPeer {
            from: wire_user_id(user),
            sdp: message.sdp,
        };
        let relayed = if offer {
            ServerMessage::SdpOffer(relayed)
        } else {
            ServerMessage::SdpAnswer(relayed)
        };
        self.send_to_user(target, relayed);
    }

    pub(super) fn relay_candidate(&mut self, user: Uuid, message: wire::IceToPeer) {
        let Some(target) = self.relay_target(user, &message.to) else {
            return;
        };
        let relayed = ServerMessage::IceCandidate(IceFromPeer {
            from: wire_user_id(user),
            candidate: message.candidate,
        });
        self.send_to_user(target, relayed);
    }

    /// A direct connection to `peer_id` failed: TURN credentials for this user, and the zone
    /// counts it towards the 30% TURN promotion threshold.
    pub(super) fn on_ice_failed(&mut self, now: Now, user: Uuid, failed: wire::IceFailed) {
        let Some(member) = self.members.get_mut(&user) else {
            return;
        };
        member.used_turn = true;
        let (conn, zone) = (member.conn, member.zone.clone());
        self.zones
            .entry(zone.clone())
            .or_default()
            .turn_users
            .insert(user);
        match &self.config.turn {
            Some(turn) => {
                let credentials = turn_credentials(
                    &turn.secret,
                    &user.to_string(),
                    now.unix_secs(),
                    turn.ttl_secs,
                );
                let message = ServerMessage::TurnCredentials(TurnCredentials {
                    urls: turn.urls.clone(),
                    username: credentials.username,
                    credential: credentials.credential,
                });
                self.send(conn, message);
            }
            None => self.error(
                conn,
                ErrorCode::ServerError,
                "this host has no TURN server configured (--turn-url, --turn-secret)",
                detail("peer_id", failed.peer_id.as_str()),
            ),
        }
        self.maybe_promote(now, &zone);
    }
}
