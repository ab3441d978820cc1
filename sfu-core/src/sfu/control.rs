//! What each `/signal` request does once a peer has joined: negotiation, mutes, moderation,
//! speaking and heartbeats. Every refusal is an error reply on the request's `op`/`t`.

use std::time::Instant;

use str0m::Candidate;

use super::{ConnId, LeaveReason, Now, Output, Sfu};
use crate::auth::{SfuTokenRequest, mint_sfu_token};
use crate::ids::UserId;
use crate::perms::Permissions;
use crate::signal::{
    ClientMessage, Deafened, ErrorCode, ErrorReply, Kicked, Moved, Pong, SelfMuted, ServerMessage,
    ServerMuted, SessionDescription, UserSpeaking,
};

/// Lifetime of the `moved=true` token handed out with a 512.
const MOVED_TOKEN_TTL_SECS: u64 = 120;

/// A refused request: the error reply's code and message.
type Refusal = (ErrorCode, String);

impl Sfu {
    pub(super) fn on_message(&mut self, now: Now, conn: ConnId, message: ClientMessage) {
        tracing::trace!(%conn, message = message.name(), "request");
        if let Err((code, text)) = self.apply(now, conn, &message) {
            tracing::debug!(%conn, message = message.name(), ?code, %text, "request refused");
            self.reply(
                conn,
                ServerMessage::Error(ErrorReply::to(&message, code, text)),
            );
        }
    }

    fn apply(&mut self, now: Now, conn: ConnId, message: &ClientMessage) -> Result<(), Refusal> {
        let t = now.instant;
        match message {
            ClientMessage::Join(_) => Err((ErrorCode::InvalidMessage, "already joined".into())),
            ClientMessage::Offer(offer) => {
                let peer = self.peer_mut(conn)?;
                let answer = peer
                    .accept_offer(&offer.sdp, t)
                    .map_err(|e| (ErrorCode::InvalidMessage, e.to_string()))?;
                peer.rtc_timeout = t;
                self.routes.invalidate();
                self.reply(conn, ServerMessage::Answer(SessionDescription::new(answer)));
                Ok(())
            }
            ClientMessage::Answer(answer) => {
                tracing::trace!(%conn, sdp = %answer.sdp, "answer");
                let peer = self.peer_mut(conn)?;
                let outcome = peer
                    .accept_answer(&answer.sdp, t)
                    .map_err(|e| (ErrorCode::InvalidMessage, e.to_string()))?;
                peer.rtc_timeout = t;
                self.routes.invalidate();
                for (mid, kind) in outcome.sending {
                    self.add_track_in(conn, mid, kind);
                }
                // A new subscriber of a video track needs a keyframe to start decoding.
                for source in outcome.opened_video {
                    if let Some(sender) = self.peers.get_mut(&source.conn) {
                        sender.request_keyframe(source.mid, t);
                    }
                }
                Ok(())
            }
            ClientMessage::Candidate(candidate) => {
                let line = candidate.candidate.trim();
                let line = line.strip_prefix("a=").unwrap_or(line);
                if line.is_empty() {
                    return Ok(()); // end of candidates
                }
                match Candidate::from_sdp_string(line) {
                    Ok(c) => {
                        let peer = self.peer_mut(conn)?;
                        if peer.remote_candidates >= super::peer::MAX_REMOTE_CANDIDATES {
                            return Err((
                                ErrorCode::RateLimited,
                                format!(
                                    "at most {} ICE candidates per connection",
                                    super::peer::MAX_REMOTE_CANDIDATES
                                ),
                            ));
                        }
                        peer.remote_candidates += 1;
                        peer.rtc.add_remote_candidate(c);
                        peer.rtc_timeout = t;
                        Ok(())
                    }
                    // mDNS host names (`*.local`) cannot be resolved here; ICE still finds the
                    // peer through its connectivity checks (peer-reflexive candidates).
                    Err(_) if line.contains(".local ") => Ok(()),
                    Err(e) => Err((ErrorCode::InvalidMessage, format!("bad candidate: {e}"))),
                }
            }
            ClientMessage::Leave => {
                self.remove_peer(t, conn, LeaveReason::Left, None);
                Ok(())
            }
            ClientMessage::MuteSelf(m) => self.mute_self(conn, m.muted),
            ClientMessage::MuteUser(m) => {
                let peer = self.peer_mut(conn)?;
                if m.muted {
                    peer.local_mutes.insert(m.user);
                } else {
                    peer.local_mutes.remove(&m.user);
                }
                Ok(())
            }
            ClientMessage::ServerMute(m) => {
                let channel = self.require(conn, Permissions::VOICE_MUTE_MEMBERS, "MuteMembers")?;
                self.require_present(m.user, channel)?;
                self.policies
                    .get_mut(channel)
                    .set_server_muted(m.user, m.muted);
                let notice = ServerMessage::ServerMuted(ServerMuted {
                    user_id: m.user,
                    muted: m.muted,
                });
                self.broadcast(channel, None, &notice);
                Ok(())
            }
            ClientMessage::ServerDeafen(m) => {
                let channel =
                    self.require(conn, Permissions::VOICE_DEAFEN_MEMBERS, "DeafenMembers")?;
                self.require_present(m.user, channel)?;
                self.policies
                    .get_mut(channel)
                    .set_deafened(m.user, m.deafened);
                let notice = ServerMessage::Deafened(Deafened {
                    user_id: m.user,
                    deafened: m.deafened,
                });
                self.broadcast(channel, None, &notice);
                Ok(())
            }
            ClientMessage::Kick(m) => {
                let channel = self.require(conn, Permissions::VOICE_MOVE_MEMBERS, "MoveMembers")?;
                let target = self.require_present(m.user, channel)?;
                self.expel(t, target, m.user, LeaveReason::Kicked);
                Ok(())
            }
            ClientMessage::Block(m) => {
                let channel = self.require(conn, Permissions::VOICE_MOVE_MEMBERS, "MoveMembers")?;
                self.policies.get_mut(channel).set_blocked(m.user, m.block);
                if let (true, Some(target)) = (m.block, self.find_peer(m.user, channel)) {
                    self.expel(t, target, m.user, LeaveReason::Blocked);
                }
                Ok(())
            }
            ClientMessage::Move(m) => {
                let channel = self.require(conn, Permissions::VOICE_MOVE_MEMBERS, "MoveMembers")?;
                let mover = self.peer_mut(conn)?;
                if mover.user == m.user {
                    return Err((
                        ErrorCode::PermissionDenied,
                        "a user cannot move itself; leave and join the other channel".into(),
                    ));
                }
                // Moving someone into a channel needs MoveMembers there too, and a token names one
                // channel: only Administrator holds the permission in every channel.
                if m.channel != channel && !mover.perms.allows(Permissions::ADMINISTRATOR) {
                    return Err((
                        ErrorCode::PermissionDenied,
                        format!(
                            "moving to channel {} needs MoveMembers there (Administrator)",
                            m.channel.0
                        ),
                    ));
                }
                self.require_present(m.user, channel)?;
                self.move_user(now, m.user, channel, m.channel);
                Ok(())
            }
            ClientMessage::Speaking(s) => {
                let peer = self.peer_mut(conn)?;
                // The first explicit event is always relayed: level detection may already have
                // called this user speaking, but from now on the client's own state is the truth.
                let first_explicit = !peer.speaking_is_explicit;
                peer.speaking_is_explicit = true;
                if first_explicit || peer.speaking != s.speaking {
                    peer.speaking = s.speaking;
                    let (user, channel) = (peer.user, peer.channel);
                    let notice = ServerMessage::Speaking(UserSpeaking {
                        user_id: user,
                        speaking: s.speaking,
                    });
                    self.broadcast(channel, Some(conn), &notice);
                }
                Ok(())
            }
            ClientMessage::Heartbeat(h) => {
                let pong = ServerMessage::Pong(Pong {
                    server_ts: now.unix_ms,
                    nonce: h.nonce.clone(),
                    ts: h.ts.clone(),
                });
                self.reply(conn, pong);
                Ok(())
            }
            ClientMessage::Negotiate => {
                self.peer_mut(conn)?;
                self.want_offers(t, vec![conn]);
                Ok(())
            }
        }
    }

    fn mute_self(&mut self, conn: ConnId, muted: bool) -> Result<(), Refusal> {
        let peer = self.peer_mut(conn)?;
        if !muted && !peer.perms.allows(Permissions::VOICE_SPEAK) {
            return Err((
                ErrorCode::PermissionDenied,
                "unmuting needs the Speak permission".into(),
            ));
        }
        if peer.self_muted == muted {
            return Ok(());
        }
        peer.self_muted = muted;
        let (user, channel) = (peer.user, peer.channel);
        let notice = ServerMessage::SelfMuted(SelfMuted {
            user_id: user,
            muted,
        });
        self.broadcast(channel, Some(conn), &notice);
        Ok(())
    }

    /// Moves `user` from `channel` to `to`: it gets a 512 with a `moved=true` token for `to`
    /// (when the host can mint one) and is disconnected. Returns whether it was there. The
    /// token grants what `moved=true` grants (Connect, Speak, Video) and nothing the user held
    /// in `channel`: a moderator moved elsewhere is no moderator there.
    pub fn move_user(
        &mut self,
        now: Now,
        user: UserId,
        channel: crate::ids::ChannelId,
        to: crate::ids::ChannelId,
    ) -> bool {
        let Some(target) = self.find_peer(user, channel) else {
            return false;
        };
        let perms = Permissions::NONE;
        let sfu_token = self.config.minting.as_ref().map(|(secret, issuer)| {
            let request = SfuTokenRequest {
                user,
                channel: to,
                perms,
                moved: true,
                ttl_secs: MOVED_TOKEN_TTL_SECS,
            };
            mint_sfu_token(secret, issuer, &request, now.unix_secs())
        });
        let notice = ServerMessage::Moved(Moved {
            channel: to,
            sfu_token,
        });
        self.remove_peer(now.instant, target, LeaveReason::Moved, Some(notice));
        self.drive(now.instant);
        true
    }

    /// Sends the target its 510 notice with `reason`, then removes it.
    fn expel(&mut self, now: Instant, target: ConnId, user: UserId, reason: LeaveReason) {
        let notice = ServerMessage::Kicked(Kicked {
            user_id: user,
            reason: reason.as_str().to_owned(),
        });
        self.remove_peer(now, target, reason, Some(notice));
    }

    fn reply(&mut self, conn: ConnId, message: ServerMessage) {
        self.outputs.push_back(Output::Signal { conn, message });
    }

    fn peer_mut(&mut self, conn: ConnId) -> Result<&mut super::peer::Peer, Refusal> {
        self.peers
            .get_mut(&conn)
            .ok_or_else(|| (ErrorCode::NotFound, "not joined".into()))
    }

    /// Checks the caller's permission; returns its channel.
    fn require(
        &self,
        conn: ConnId,
        perm: Permissions,
        name: &str,
    ) -> Result<crate::ids::ChannelId, Refusal> {
        let peer = self
            .peers
            .get(&conn)
            .ok_or_else(|| (ErrorCode::NotFound, "not joined".into()))?;
        if !peer.perms.allows(perm) {
            return Err((
                ErrorCode::PermissionDenied,
                format!("needs the {name} permission"),
            ));
        }
        Ok(peer.channel)
    }

    /// Finds the target user's connection in the channel.
    fn require_present(
        &self,
        user: UserId,
        channel: crate::ids::ChannelId,
    ) -> Result<ConnId, Refusal> {
        self.find_peer(user, channel).ok_or_else(|| {
            (
                ErrorCode::NotFound,
                format!("user {user} is not in channel {channel}"),
            )
        })
    }
}
