//! The SFU as a sans-IO state machine: signaling messages, UDP datagrams and time go in;
//! datagrams to send, messages for connections, closes and events come out of [`Sfu::poll_output`].
//!
//! One `Sfu` owns every peer's str0m `Rtc`, so all media shares one UDP socket. The host's actor
//! (`crate::host`) is the only thing that does I/O around it.

mod control;
mod media;
mod ortc;
#[cfg(test)]
mod ortc_tests;
mod peer;
pub mod policy;
mod route;
mod stats;
#[cfg(test)]
mod tests;
mod timers;
mod uplink;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::Candidate;
use str0m::net::DatagramSend;

pub use peer::SdpError;
pub use stats::SfuStats;

use crate::auth::SfuTokenVerifier;
use crate::clock::Now;
use crate::ids::ConnId;
use crate::ids::{ChannelId, UserId};
use crate::signal::{ClientMessage, ServerMessage};
use peer::{Peer, TrackKey};
use policy::Policies;
use route::RouteTable;
use timers::Timers;
use uplink::{Link, OrtcSide};

/// Most peers in one channel unless configured otherwise.
pub const DEFAULT_MAX_CHANNEL_PEERS: usize = 256;

/// Settings of an [`Sfu`].
pub struct SfuConfig {
    /// Addresses announced as ICE host candidates (the UDP socket, or `--public-ip`).
    pub candidates: Vec<SocketAddr>,
    /// Checks join tokens.
    pub verifier: SfuTokenVerifier,
    /// Key and issuer for the `moved=true` tokens handed out with 512; None disables minting.
    pub minting: Option<(Vec<u8>, String)>,
    /// Peers allowed in one channel before joins get `full`.
    pub max_channel_peers: usize,
    /// How long topology changes are gathered before one offer goes out.
    pub offer_coalesce: Duration,
    /// `/socket` accepts a bare user id as `auth` (`--dspeak-open`), not only SFU tokens.
    pub dspeak_open: bool,
}

impl SfuConfig {
    pub fn new(candidates: Vec<SocketAddr>, verifier: SfuTokenVerifier) -> Self {
        Self {
            candidates,
            verifier,
            minting: None,
            max_channel_peers: DEFAULT_MAX_CHANNEL_PEERS,
            offer_coalesce: Duration::from_millis(50),
            dspeak_open: false,
        }
    }
}

/// Something the SFU wants done.
#[derive(Debug)]
pub enum Output {
    /// Send this datagram from the media socket.
    Transmit {
        destination: SocketAddr,
        contents: DatagramSend,
    },
    /// Send this message on a `/signal` connection.
    Signal {
        conn: ConnId,
        message: ServerMessage,
    },
    /// Send this message on a `/socket` (dspeak) connection.
    Dspeak {
        conn: ConnId,
        message: crate::dspeak::ServerMessage,
    },
    /// Close a connection (after its queued messages) with a WebSocket close code.
    Close {
        conn: ConnId,
        code: u16,
        reason: &'static str,
    },
    /// Something happened that the host reports (logs, metrics, interop).
    Event(SfuEvent),
}

/// Presence changes on the SFU, for logs, metrics and the interop link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SfuEvent {
    Joined {
        user: UserId,
        channel: ChannelId,
    },
    Left {
        user: UserId,
        channel: ChannelId,
        reason: LeaveReason,
    },
    StartedProducing {
        user: UserId,
        channel: ChannelId,
    },
    StoppedProducing {
        user: UserId,
        channel: ChannelId,
    },
    /// Who is in a channel after a join or a leave (for `channel_presence_sync`).
    ChannelUsers {
        channel: ChannelId,
        users: Vec<UserId>,
    },
    JoinRefused {
        code: &'static str,
    },
}

/// Why a peer left its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveReason {
    Left,
    Disconnected,
    Kicked,
    Blocked,
    Moved,
    Replaced,
    MediaFailed,
    Forced,
}

impl LeaveReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Disconnected => "disconnected",
            Self::Kicked => "kicked",
            Self::Blocked => "blocked",
            Self::Moved => "moved",
            Self::Replaced => "replaced",
            Self::MediaFailed => "media_failed",
            Self::Forced => "forced",
        }
    }

    /// The WebSocket close code the peer's connection gets (documented in docs/PROTOCOL.md).
    fn close_code(self) -> u16 {
        match self {
            Self::Left | Self::Disconnected => 1000,
            Self::Kicked => 4010,
            Self::Blocked => 4011,
            Self::Moved => 4012,
            Self::Replaced => 4013,
            Self::MediaFailed => 4014,
            Self::Forced => 4015,
        }
    }
}

/// A track some peer sends us.
#[derive(Debug, Clone, Copy)]
struct TrackIn {
    user: UserId,
    kind: str0m::media::MediaKind,
    /// Whether a packet of it ever arrived. Receivers get an m-line for a track only from its
    /// first packet on: in a voice world most members never speak (muted or silent microphones
    /// send nothing), and every m-line a peer holds costs on every packet written to it (str0m
    /// walks all of a peer's streams per poll). The price is one renegotiation when a member
    /// first speaks; a join no longer renegotiates everyone.
    heard: bool,
}

/// The SFU state machine. See the module docs.
pub struct Sfu {
    config: SfuConfig,
    dtls_cert: str0m::config::DtlsCert,
    peers: HashMap<ConnId, Peer>,
    /// Connections waiting for their join to be processed, or refused.
    policies: Policies,
    /// Every track a peer sends us.
    tracks: HashMap<TrackKey, TrackIn>,
    /// Remembers which peer's `Rtc` a remote address belongs to, to skip the `accepts` scan.
    addr_owner: HashMap<SocketAddr, (ConnId, Link)>,
    /// ICE checks from addresses no peer owns yet, per IP: each is matched against every peer.
    stranger_checks: media::StrangerChecks,
    /// Where each incoming RTP stream is forwarded; rebuilt after topology changes.
    routes: RouteTable,
    /// When each peer next needs time.
    timers: Timers,
    /// Channels whose users or producers changed: dspeak clients there get presence.
    presence_changed: BTreeSet<ChannelId>,
    outputs: VecDeque<Output>,
    stats: SfuStats,
}

impl Sfu {
    /// Creates an SFU. Generates the one DTLS certificate all peers share.
    pub fn new(config: SfuConfig) -> Self {
        let provider = str0m::crypto::from_feature_flags();
        let dtls_cert = provider
            .dtls_provider
            .generate_certificate()
            .expect("the aws-lc-rs provider always generates a certificate");
        provider.install_process_default();
        Self {
            config,
            dtls_cert,
            peers: HashMap::new(),
            policies: Policies::default(),
            tracks: HashMap::new(),
            addr_owner: HashMap::new(),
            stranger_checks: media::StrangerChecks::default(),
            routes: RouteTable::default(),
            timers: Timers::default(),
            presence_changed: BTreeSet::new(),
            outputs: VecDeque::new(),
            stats: SfuStats::default(),
        }
    }

    /// Counters and gauges for `/metrics`.
    pub fn stats(&self) -> SfuStats {
        let mut stats = self.stats.clone();
        stats.peers = self.peers.len();
        let mut channels: Vec<ChannelId> = self.peers.values().map(|p| p.channel).collect();
        channels.sort_unstable();
        channels.dedup();
        stats.channels = channels.len();
        stats
    }

    /// The users in a channel, sorted (for presence sync and tests).
    pub fn channel_users(&self, channel: ChannelId) -> Vec<UserId> {
        let mut users: Vec<UserId> = self
            .peers
            .values()
            .filter(|p| p.channel == channel)
            .map(|p| p.user)
            .collect();
        users.sort_unstable();
        users
    }

    /// Every channel with at least one peer, with its users.
    pub fn active_channels(&self) -> Vec<(ChannelId, Vec<UserId>)> {
        let mut channels: Vec<ChannelId> = self.peers.values().map(|p| p.channel).collect();
        channels.sort_unstable();
        channels.dedup();
        channels
            .into_iter()
            .map(|c| (c, self.channel_users(c)))
            .collect()
    }

    /// Next thing to do, if any. Drain this after every `handle_*` call.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Sfu::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Queues `conn`'s next deadline (after anything that may have moved it earlier).
    fn schedule(&mut self, conn: ConnId) {
        if let Some(peer) = self.peers.get(&conn) {
            self.timers.schedule(conn, peer.next_deadline());
        }
    }

    /// Asks `conns` for an offer within the coalescing window.
    fn want_offers(&mut self, now: Instant, conns: Vec<ConnId>) {
        for conn in conns {
            if let Some(peer) = self.peers.get_mut(&conn) {
                peer.want_offer(now, self.config.offer_coalesce);
            }
            self.schedule(conn);
        }
    }

    /// Counts a join refused by the connection shell (timeout, not a join, not JSON).
    pub fn record_handshake_failure(&mut self, code: JoinErrorCode) {
        self.stats.count_join_failure(join_code_str(code));
        self.outputs.push_back(Output::Event(SfuEvent::JoinRefused {
            code: join_code_str(code),
        }));
    }

    /// A connection that is not joined yet sent its first frame: the join.
    pub fn handle_join(&mut self, now: Now, conn: ConnId, join: crate::signal::Join) {
        match self.admit(now, conn, &join) {
            Ok(()) => {}
            Err(code) => {
                self.stats.count_join_failure(join_code_str(code));
                self.outputs.push_back(Output::Signal {
                    conn,
                    message: ServerMessage::JoinAck(crate::signal::JoinAck::rejected(code)),
                });
                self.outputs.push_back(Output::Close {
                    conn,
                    code: join_close_code(code),
                    reason: join_code_str(code),
                });
                self.outputs.push_back(Output::Event(SfuEvent::JoinRefused {
                    code: join_code_str(code),
                }));
            }
        }
        self.drive(now.instant);
    }

    /// A joined connection sent a message.
    pub fn handle_message(&mut self, now: Now, conn: ConnId, message: ClientMessage) {
        if self.peers.contains_key(&conn) {
            self.on_message(now, conn, message);
        } else {
            tracing::debug!(%conn, "message from a connection that is not joined");
        }
        self.drive(now.instant);
    }

    /// The connection's socket closed.
    pub fn handle_disconnect(&mut self, now: Instant, conn: ConnId) {
        if self.peers.contains_key(&conn) {
            self.remove_peer(now, conn, LeaveReason::Disconnected, None);
            self.drive(now);
        }
    }

    /// Disconnects `user` from `channel` on behalf of the main server (interop
    /// `force_disconnect`): the user gets a 510 notice with `reason`. Returns whether they were there.
    ///
    /// The tokens the user holds for `channel` stop working too (those issued up to now): a
    /// user kicked or removed cannot come back with the promotion token it still has, and one
    /// who walks back in gets a fresh token.
    pub fn force_disconnect(
        &mut self,
        now: Now,
        user: UserId,
        channel: ChannelId,
        reason: &str,
    ) -> bool {
        self.policies.get_mut(channel).revoke(user, now.unix_secs());
        let Some(conn) = self.find_peer(user, channel) else {
            return false;
        };
        let notice = ServerMessage::Kicked(crate::signal::Kicked {
            user_id: user,
            reason: reason.to_owned(),
        });
        self.remove_peer(now.instant, conn, LeaveReason::Forced, Some(notice));
        self.drive(now.instant);
        true
    }

    /// Server-mutes or unmutes `user` in `channel` on behalf of the world server (a moderator's
    /// `MUTE_USER`): the same channel state and notice as a 507. Works before the user joins.
    pub fn server_mute(&mut self, now: Instant, user: UserId, channel: ChannelId, muted: bool) {
        if self.policies.get_mut(channel).set_server_muted(user, muted) {
            let notice = ServerMessage::ServerMuted(crate::signal::ServerMuted {
                user_id: user,
                muted,
            });
            self.broadcast(channel, None, &notice);
        }
        self.drive(now);
    }

    fn find_peer(&self, user: UserId, channel: ChannelId) -> Option<ConnId> {
        self.peers
            .values()
            .find(|p| p.user == user && p.channel == channel)
            .map(|p| p.conn)
    }

    fn admit(
        &mut self,
        now: Now,
        conn: ConnId,
        join: &crate::signal::Join,
    ) -> Result<(), JoinErrorCode> {
        if self.peers.contains_key(&conn) {
            return Err(JoinErrorCode::InvalidMessage);
        }
        let grant = self
            .config
            .verifier
            .verify_join(&join.token, join.channel, now.unix_secs())
            .map_err(|e| {
                tracing::debug!(%conn, error = %e, "join token refused");
                JoinErrorCode::Unauthorized
            })?;
        let rtc = self.new_rtc_with(now.instant, false);
        self.admit_grant(now, conn, join.channel, grant, rtc, None)
    }

    /// Admits a verified user with its main `Rtc` (and, for dspeak, its send side).
    fn admit_grant(
        &mut self,
        now: Now,
        conn: ConnId,
        channel: ChannelId,
        grant: crate::auth::JoinGrant,
        rtc: str0m::Rtc,
        ortc: Option<OrtcSide>,
    ) -> Result<(), JoinErrorCode> {
        if self.peers.contains_key(&conn) {
            return Err(JoinErrorCode::InvalidMessage);
        }
        if !grant.perms.allows(crate::perms::Permissions::VOICE_CONNECT) {
            return Err(JoinErrorCode::Forbidden);
        }
        if !grant.moved
            && self
                .policies
                .get(channel)
                .is_some_and(|p| p.is_blocked(grant.user))
        {
            return Err(JoinErrorCode::Blocked);
        }
        if self
            .policies
            .get(channel)
            .is_some_and(|p| p.is_revoked(grant.user, grant.issued_at))
        {
            tracing::debug!(%conn, user = grant.user.0, "revoked token refused");
            return Err(JoinErrorCode::Unauthorized);
        }
        if let Some(old) = self.find_peer(grant.user, channel) {
            let notice = ServerMessage::Kicked(crate::signal::Kicked {
                user_id: grant.user,
                reason: LeaveReason::Replaced.as_str().to_owned(),
            });
            self.remove_peer(now.instant, old, LeaveReason::Replaced, Some(notice));
        }
        if self.peers.values().filter(|p| p.channel == channel).count()
            >= self.config.max_channel_peers
        {
            return Err(JoinErrorCode::Full);
        }
        let mut peer = Peer::new(conn, grant.user, channel, grant.perms, rtc, now.instant);
        if let Some(ortc) = ortc {
            peer.set_ortc(ortc);
        }
        // Only tracks that have carried media get an m-line (see `TrackIn::heard`).
        for (key, track) in &self.tracks {
            if track.heard
                && self
                    .peers
                    .get(&key.conn)
                    .is_some_and(|p| p.channel == channel)
            {
                peer.add_track_out(*key, track.user, track.kind);
            }
        }
        tracing::debug!(%conn, user = %grant.user, %channel, moved = grant.moved, "joined");
        let welcome = if peer.ortc.is_some() {
            Output::Dspeak {
                conn,
                message: crate::dspeak::ServerMessage::Connected {
                    channel_id: channel.to_string(),
                    user_id: grant.user.to_string(),
                },
            }
        } else {
            Output::Signal {
                conn,
                message: ServerMessage::JoinAck(crate::signal::JoinAck::ok()),
            }
        };
        let signal_peer = peer.ortc.is_none();
        self.peers.insert(conn, peer);
        self.schedule(conn);
        self.presence_changed.insert(channel);
        self.outputs.push_back(welcome);
        if signal_peer {
            self.tell_who_is_speaking(conn, channel);
        }
        self.outputs.push_back(Output::Event(SfuEvent::Joined {
            user: grant.user,
            channel,
        }));
        self.outputs
            .push_back(Output::Event(SfuEvent::ChannelUsers {
                channel,
                users: self.channel_users(channel),
            }));
        Ok(())
    }

    /// A new `Rtc` with the shared certificate and the host candidates; ICE-lite for dspeak.
    fn new_rtc_with(&self, now: Instant, ice_lite: bool) -> str0m::Rtc {
        let mut rtc = str0m::Rtc::builder()
            .set_dtls_cert(self.dtls_cert.clone())
            .set_ice_lite(ice_lite)
            // RTP mode: packets are forwarded as they arrive (see `route`), never held back for
            // reordering: late audio is worse than lost audio, which receivers conceal.
            .set_rtp_mode(true)
            .build(now);
        for addr in &self.config.candidates {
            match Candidate::host(*addr, "udp") {
                Ok(c) => {
                    rtc.add_local_candidate(c);
                }
                Err(e) => tracing::warn!(%addr, error = %e, "unusable ICE candidate address"),
            }
        }
        rtc
    }

    /// Removes a peer: optional notice, then its socket closes; the others renegotiate.
    fn remove_peer(
        &mut self,
        now: Instant,
        conn: ConnId,
        reason: LeaveReason,
        notice: Option<ServerMessage>,
    ) {
        let Some(mut peer) = self.peers.remove(&conn) else {
            return;
        };
        self.routes.invalidate();
        self.timers.remove(conn);
        peer.rtc.disconnect();
        if let Some(ortc) = peer.ortc.as_mut() {
            ortc.uplink.disconnect();
        }
        self.addr_owner.retain(|_, (c, _)| *c != conn);
        let produced = !peer.tracks_in.is_empty();
        self.tracks.retain(|key, _| key.conn != conn);
        for (mid, _) in &peer.tracks_in {
            self.close_dspeak_consumers(TrackKey { conn, mid: *mid });
        }
        self.presence_changed.insert(peer.channel);
        let renegotiate = self
            .peers
            .values()
            .filter(|p| p.channel == peer.channel)
            .filter(|p| p.tracks_out.iter().any(|t| t.source.conn == conn))
            .map(|p| p.conn)
            .collect();
        self.want_offers(now, renegotiate);
        match notice {
            // A dspeak client learns why as dspeak's `force_disconnect`.
            Some(message) if peer.ortc.is_some() => {
                let reason = match message {
                    ServerMessage::Kicked(k) => k.reason,
                    _ => reason.as_str().to_owned(),
                };
                self.outputs.push_back(Output::Dspeak {
                    conn,
                    message: crate::dspeak::ServerMessage::ForceDisconnect { reason },
                });
            }
            Some(message) => self.outputs.push_back(Output::Signal { conn, message }),
            None => {}
        }
        self.outputs.push_back(Output::Close {
            conn,
            code: reason.close_code(),
            reason: reason.as_str(),
        });
        if produced {
            self.outputs
                .push_back(Output::Event(SfuEvent::StoppedProducing {
                    user: peer.user,
                    channel: peer.channel,
                }));
        }
        tracing::debug!(%conn, user = %peer.user, channel = %peer.channel, reason = reason.as_str(), "left");
        self.outputs.push_back(Output::Event(SfuEvent::Left {
            user: peer.user,
            channel: peer.channel,
            reason,
        }));
        self.outputs
            .push_back(Output::Event(SfuEvent::ChannelUsers {
                channel: peer.channel,
                users: self.channel_users(peer.channel),
            }));
    }

    /// Tells a `/signal` peer that just joined `channel` who is speaking there already: clients
    /// send speaking only on a change, so a late joiner would otherwise see them silent.
    fn tell_who_is_speaking(&mut self, conn: ConnId, channel: ChannelId) {
        let mut speaking: Vec<UserId> = self
            .peers
            .values()
            .filter(|p| p.channel == channel && p.conn != conn && p.speaking)
            .map(|p| p.user)
            .collect();
        speaking.sort_unstable();
        for user in speaking {
            self.outputs.push_back(Output::Signal {
                conn,
                message: ServerMessage::Speaking(crate::signal::UserSpeaking {
                    user_id: user,
                    speaking: true,
                }),
            });
        }
    }

    /// Queues `message` for every peer of `channel`, optionally skipping one connection.
    fn broadcast(&mut self, channel: ChannelId, except: Option<ConnId>, message: &ServerMessage) {
        let mut conns: Vec<ConnId> = self
            .peers
            .values()
            // dspeak clients have no frames for `/signal` notices.
            .filter(|p| p.channel == channel && Some(p.conn) != except && p.ortc.is_none())
            .map(|p| p.conn)
            .collect();
        conns.sort_unstable();
        for conn in conns {
            self.outputs.push_back(Output::Signal {
                conn,
                message: message.clone(),
            });
        }
    }
}

use crate::signal::JoinErrorCode;

/// WebSocket close codes after a refused join (`/signal` or `/socket`) (documented in docs/PROTOCOL.md).
fn join_close_code(code: JoinErrorCode) -> u16 {
    match code {
        JoinErrorCode::InvalidMessage => 4000,
        JoinErrorCode::ExpectedJoin => 4001,
        JoinErrorCode::Unauthorized => 4003,
        JoinErrorCode::Forbidden => 4004,
        JoinErrorCode::Blocked => 4005,
        JoinErrorCode::Full => 4006,
    }
}

/// The wire spelling of a join error code, for logs and metrics labels.
pub fn join_code_str(code: JoinErrorCode) -> &'static str {
    match code {
        JoinErrorCode::InvalidMessage => "invalid_message",
        JoinErrorCode::ExpectedJoin => "expected_join",
        JoinErrorCode::Unauthorized => "unauthorized",
        JoinErrorCode::Forbidden => "forbidden",
        JoinErrorCode::Blocked => "blocked",
        JoinErrorCode::Full => "full",
    }
}
