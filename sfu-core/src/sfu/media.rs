//! Media plumbing of the [`Sfu`]: feeding datagrams and time into each peer's `Rtc`, draining
//! their outputs, and forwarding what one peer sends to the others of its channel.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::media::{MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite, Ssrc};
use str0m::{Event, IceConnectionState, Input};

use super::TrackIn;
use super::ortc;
use super::peer::TrackKey;
use super::policy::{self, Receiver, Sender};
use super::route::{Route, Routes};
use super::uplink::Link;
use super::{ConnId, LeaveReason, Output, Sfu, SfuEvent};
use crate::perms::Permissions;
use crate::signal::{ServerMessage, UserSpeaking};

/// Tracks one peer may send: a microphone and a camera, with room for a re-created one each.
pub const MAX_TRACKS_IN: usize = 4;

/// ICE checks one IP may send from addresses no peer owns, per second: a client checks a few
/// candidate pairs a few times; a flood is cut here instead of being matched against every peer.
/// The host's own machine (loopback: the hosting app, local tools and benchmarks) is not capped.
pub const STRANGER_CHECKS_PER_SECOND: u32 = 50;

/// Counts ICE checks from unknown addresses per IP, in one-second windows.
#[derive(Debug, Default)]
pub struct StrangerChecks {
    windows: std::collections::HashMap<std::net::IpAddr, (Instant, u32)>,
}

impl StrangerChecks {
    /// Whether one more check from `ip` may be looked at now.
    pub fn admit(&mut self, now: Instant, ip: std::net::IpAddr) -> bool {
        if ip.is_loopback() {
            return true;
        }
        if self.windows.len() > 4096 {
            // Many strangers: forget the finished windows rather than grow.
            self.windows.retain(|_, (start, _)| {
                now.saturating_duration_since(*start) < Duration::from_secs(1)
            });
        }
        let (start, count) = self.windows.entry(ip).or_insert((now, 0));
        if now.saturating_duration_since(*start) >= Duration::from_secs(1) {
            *start = now;
            *count = 0;
        }
        *count += 1;
        *count <= STRANGER_CHECKS_PER_SECOND
    }
}

/// RFC 6464 level (-dBov) above which a sender counts as speaking when it sends no speaking events.
const SPEAKING_LEVEL_DBOV: i8 = -50;
/// Due timeouts run inside one drain of an `Rtc` at most (a bound, in case one keeps asking).
const INLINE_TIMEOUTS: u32 = 2;

impl Sfu {
    /// A datagram arrived on the media socket.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) {
        self.handle_datagrams(now, [(source, destination, contents)]);
    }

    /// Datagrams arrived together (one read burst): each goes to its peer and what it carries is
    /// forwarded at once, but each receiver is drained only once for the whole burst, so the
    /// per-poll cost of an `Rtc` is shared by every packet written to it meanwhile.
    pub fn handle_datagrams<'a>(
        &mut self,
        now: Instant,
        datagrams: impl IntoIterator<Item = (SocketAddr, SocketAddr, &'a [u8])>,
    ) {
        let mut receivers = Vec::new();
        for (source, destination, contents) in datagrams {
            let Some(conn) = self.input_datagram(now, source, destination, contents) else {
                continue;
            };
            // str0m holds one incoming packet at a time: drain the sender after each datagram.
            receivers.extend(self.step(now, vec![conn]));
        }
        self.drive_from(now, receivers);
    }

    /// Hands a datagram to the `Rtc` it belongs to; returns that peer, or None when it belongs
    /// to nobody (or its peer failed and was removed).
    fn input_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> Option<ConnId> {
        let contents_raw = contents;
        let Ok(contents) = contents.try_into() else {
            tracing::trace!(%source, "datagram of no known kind");
            return None;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination,
                contents,
            },
        );
        let cached = self
            .addr_owner
            .get(&source)
            .copied()
            .filter(|(c, link)| self.peers.get(c).is_some_and(|p| p.accepts(*link, &input)));
        // Only an ICE check (STUN: first byte 0..=3, RFC 7983) may come from an address no peer
        // owns yet; anything else from a stranger is dropped without asking every peer.
        let stun = contents_raw.first().is_some_and(|b| *b <= 3);
        if cached.is_none() && (!stun || !self.stranger_checks.admit(now, source.ip())) {
            tracing::trace!(%source, stun, "datagram from an unknown address dropped");
            self.stats.stranger_datagrams += 1;
            return None;
        }
        let owner = cached.or_else(|| {
            self.peers.values().find_map(|p| {
                [Link::Main, Link::Uplink]
                    .into_iter()
                    .find(|link| p.accepts(*link, &input))
                    .map(|link| (p.conn, link))
            })
        });
        let Some((conn, link)) = owner else {
            tracing::trace!(%source, "datagram for no peer");
            return None;
        };
        self.addr_owner.insert(source, (conn, link));
        let failed = self
            .peers
            .get_mut(&conn)
            .is_some_and(|peer| !ortc::peer_input(peer, link, input, contents_raw));
        if failed {
            self.remove_peer(now, conn, LeaveReason::MediaFailed, None);
            self.drive(now);
            return None;
        }
        Some(conn)
    }

    /// Time passed: run the timers of every peer that is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = self.timers.due(now);
        let mut failed = Vec::new();
        let mut quiet = Vec::new();
        for conn in &due {
            let Some(peer) = self.peers.get_mut(conn) else {
                continue;
            };
            if peer.rtc_timeout <= now && peer.rtc.handle_input(Input::Timeout(now)).is_err() {
                failed.push(peer.conn);
            }
            if let Some(ortc) = peer.ortc.as_mut().filter(|o| o.uplink_timeout <= now)
                && ortc.uplink.handle_input(Input::Timeout(now)).is_err()
            {
                failed.push(peer.conn);
            }
            if peer.speaking_deadline().is_some_and(|d| d <= now) {
                peer.speaking = false;
                peer.last_loud = None;
                quiet.push((peer.channel, peer.conn, peer.user));
            }
        }
        failed.dedup();
        for (channel, conn, user) in quiet {
            let message = ServerMessage::Speaking(UserSpeaking {
                user_id: user,
                speaking: false,
            });
            self.broadcast(channel, Some(conn), &message);
        }
        for conn in failed {
            self.remove_peer(now, conn, LeaveReason::MediaFailed, None);
        }
        // Every due peer is drained, which schedules its next deadline.
        self.drive_from(now, due);
    }

    /// Makes due offers and drains every peer's `Rtc` until all wait for input or time,
    /// forwarding media between peers as it comes out.
    pub(super) fn drive(&mut self, now: Instant) {
        let all = self.peers.keys().copied().collect();
        self.drive_from(now, all);
    }

    /// Like [`Sfu::drive`], draining only `conns` and the peers their output touches: the hot
    /// path for a datagram, which concerns one peer and the receivers of what it forwards.
    fn drive_from(&mut self, now: Instant, mut conns: Vec<ConnId>) {
        conns.extend(self.make_due_offers(now));
        while !conns.is_empty() {
            conns.sort_unstable();
            conns.dedup();
            conns = self.step(now, conns);
            conns.extend(self.make_due_offers(now));
        }
        self.flush_dspeak_presence();
    }

    /// Drains `conns`' `Rtc`s once, acting on what comes out; returns the peers that must be
    /// drained next (the receivers of forwarded packets, a sender asked for a keyframe).
    fn step(&mut self, now: Instant, conns: Vec<ConnId>) -> Vec<ConnId> {
        let mut media = Vec::new();
        let mut events = Vec::new();
        let mut failed = Vec::new();
        for conn in conns {
            let Some(peer) = self.peers.get_mut(&conn) else {
                continue;
            };
            let mut uplink = peer
                .ortc
                .as_mut()
                .map(|o| (&mut o.uplink, &mut o.uplink_timeout));
            let links =
                std::iter::once((&mut peer.rtc, &mut peer.rtc_timeout)).chain(uplink.take());
            for (rtc, rtc_timeout) in links {
                let mut inline_timeouts = 0;
                loop {
                    match rtc.poll_output() {
                        // str0m sends what was written after its next timeout (its pacer takes
                        // a snapshot of the queues there): run a timeout that is already due
                        // here rather than through the host's timer, which would add ~1 ms.
                        Ok(str0m::Output::Timeout(t))
                            if t <= now && inline_timeouts < INLINE_TIMEOUTS =>
                        {
                            inline_timeouts += 1;
                            if rtc.handle_input(Input::Timeout(now)).is_err() {
                                failed.push(conn);
                                break;
                            }
                        }
                        Ok(str0m::Output::Timeout(t)) => {
                            *rtc_timeout = t;
                            break;
                        }
                        Ok(str0m::Output::Transmit(t)) => {
                            self.outputs.push_back(Output::Transmit {
                                destination: t.destination,
                                contents: t.contents,
                            })
                        }
                        Ok(str0m::Output::Event(Event::RtpPacket(packet))) => {
                            media.push((conn, packet))
                        }
                        Ok(str0m::Output::Event(event)) => events.push((conn, event)),
                        Err(e) => {
                            tracing::debug!(%conn, error = %e, "peer media failed");
                            failed.push(conn);
                            break;
                        }
                    }
                }
            }
            self.schedule(conn);
        }
        failed.dedup();
        for conn in failed {
            self.remove_peer(now, conn, LeaveReason::MediaFailed, None);
        }
        let mut next = Vec::new();
        for (conn, event) in events {
            next.extend(self.on_rtc_event(now, conn, event));
        }
        for (conn, packet) in media {
            next.extend(self.forward(now, conn, &packet));
        }
        next
    }

    /// Sends every offer that is due; returns the peers that got one.
    fn make_due_offers(&mut self, now: Instant) -> Vec<ConnId> {
        if self
            .peers
            .values()
            .all(|p| p.offer_due().is_none_or(|due| due > now))
        {
            return Vec::new();
        }
        // An offer stops m-lines: nothing may be written to them from here on.
        self.routes.invalidate();
        let mut offered = Vec::new();
        let tracks = &self.tracks;
        for peer in self.peers.values_mut() {
            if let Some(sdp) = peer.make_offer(now, |key| tracks.contains_key(key)) {
                tracing::debug!(conn = %peer.conn, "offer");
                tracing::trace!(conn = %peer.conn, %sdp, "offer sdp");
                self.outputs.push_back(Output::Signal {
                    conn: peer.conn,
                    message: ServerMessage::Offer(crate::signal::SessionDescription::new(sdp)),
                });
                offered.push(peer.conn);
            }
        }
        offered
    }

    /// Acts on an `Rtc` event; returns a peer whose `Rtc` it wrote to (a keyframe request).
    pub(super) fn on_rtc_event(
        &mut self,
        now: Instant,
        conn: ConnId,
        event: Event,
    ) -> Option<ConnId> {
        // A dspeak client's producers exist from its `produce` only: the m-lines its consumers
        // declare on the recv transport are not tracks it sends.
        let dspeak = self.peers.get(&conn).is_some_and(|p| p.ortc.is_some());
        match event {
            Event::MediaAdded(_) | Event::MediaChanged(_) if dspeak => {}
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.remove_peer(now, conn, LeaveReason::MediaFailed, None);
            }
            Event::MediaAdded(added) if added.direction.is_receiving() => {
                self.add_track_in(conn, added.mid, added.kind);
            }
            Event::MediaChanged(changed) => {
                let kind = self
                    .peers
                    .get(&conn)
                    .and_then(|p| p.rtc.media(changed.mid))
                    .map(|m| m.kind())?;
                if changed.direction.is_receiving() {
                    self.add_track_in(conn, changed.mid, kind);
                } else {
                    self.remove_track_in(now, conn, changed.mid);
                }
            }
            Event::KeyframeRequest(req) => {
                let source = self
                    .peers
                    .get(&conn)
                    .and_then(|p| p.track_out_on(req.mid))
                    .map(|t| t.source);
                if let Some(source) = source {
                    self.request_keyframe(now, source);
                    return Some(source.conn);
                }
            }
            Event::Connected => tracing::debug!(%conn, "media connected"),
            _ => {}
        }
        None
    }

    fn request_keyframe(&mut self, now: Instant, source: TrackKey) {
        if let Some(sender) = self.peers.get_mut(&source.conn) {
            sender.request_keyframe(source.mid, now);
        }
    }

    /// Registers a track the peer sends, and offers it to the rest of its channel.
    pub(super) fn add_track_in(&mut self, conn: ConnId, mid: Mid, kind: MediaKind) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        if peer.tracks_in.iter().any(|(m, _)| *m == mid) {
            return;
        }
        // What a peer sends reaches everyone in its channel: only the kinds its permissions
        // allow, and a handful of tracks (each one renegotiates every other peer).
        let allowed = match kind {
            MediaKind::Audio => Permissions::VOICE_SPEAK,
            MediaKind::Video => Permissions::VOICE_VIDEO,
        };
        if !peer.perms.allows(allowed) || peer.tracks_in.len() >= MAX_TRACKS_IN {
            tracing::debug!(%conn, %mid, ?kind, tracks = peer.tracks_in.len(), "track refused");
            self.stats.tracks_refused += 1;
            return;
        }
        let first = peer.tracks_in.is_empty();
        peer.tracks_in.push((mid, kind));
        self.routes.invalidate();
        let (user, channel) = (peer.user, peer.channel);
        let key = TrackKey { conn, mid };
        self.tracks.insert(
            key,
            TrackIn {
                user,
                kind,
                heard: false,
            },
        );
        self.presence_changed.insert(channel);
        tracing::debug!(%conn, %user, %mid, ?kind, "producing");
        if first {
            self.outputs
                .push_back(Output::Event(SfuEvent::StartedProducing { user, channel }));
        }
    }

    /// A track's first packet arrived: from now on every other peer in its channel gets an
    /// m-line for it (see `TrackIn::heard`).
    pub(super) fn mark_heard(&mut self, now: Instant, source: TrackKey) {
        let Some(track) = self.tracks.get_mut(&source).filter(|t| !t.heard) else {
            return;
        };
        track.heard = true;
        let (user, kind) = (track.user, track.kind);
        let Some(channel) = self.peers.get(&source.conn).map(|p| p.channel) else {
            return;
        };
        let mut receivers = Vec::new();
        for other in self
            .peers
            .values_mut()
            .filter(|p| p.channel == channel && p.conn != source.conn)
        {
            other.add_track_out(source, user, kind);
            receivers.push(other.conn);
        }
        self.want_offers(now, receivers);
    }

    pub(super) fn remove_track_in(&mut self, now: Instant, conn: ConnId, mid: Mid) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        let before = peer.tracks_in.len();
        peer.tracks_in.retain(|(m, _)| *m != mid);
        if peer.tracks_in.len() == before {
            return;
        }
        let (user, channel, last) = (peer.user, peer.channel, peer.tracks_in.is_empty());
        self.routes.invalidate();
        self.tracks.remove(&TrackKey { conn, mid });
        self.close_dspeak_consumers(TrackKey { conn, mid });
        self.presence_changed.insert(channel);
        let receivers = self
            .peers
            .values()
            .filter(|p| p.channel == channel)
            .filter(|p| {
                p.tracks_out
                    .iter()
                    .any(|t| t.source.conn == conn && t.source.mid == mid)
            })
            .map(|p| p.conn)
            .collect();
        self.want_offers(now, receivers);
        if last {
            self.outputs
                .push_back(Output::Event(SfuEvent::StoppedProducing { user, channel }));
        }
    }

    /// Forwards one RTP packet from `conn` to every peer of its channel that should get it.
    /// Returns the peers written to, which must be polled.
    fn forward(&mut self, now: Instant, conn: ConnId, packet: &RtpPacket) -> Vec<ConnId> {
        let ssrc = packet.header.ssrc;
        let pt = packet.header.payload_type;
        if self.routes.get(conn, ssrc).is_none_or(|r| r.pt != pt) {
            match self.build_routes(now, conn, ssrc, pt) {
                Some(routes) => self.routes.insert(conn, ssrc, routes),
                None => return Vec::new(),
            }
        }
        let Some(source) = self.peers.get_mut(&conn) else {
            return Vec::new();
        };
        let Some(kind) = self.routes.get(conn, ssrc).map(|r| r.kind) else {
            return Vec::new();
        };
        let levels = &packet.header.ext_vals;
        let speaking_change = if kind == MediaKind::Audio {
            source.observe_audio_level(now, levels.audio_level)
        } else {
            None
        };
        let sender = Sender {
            user: source.user,
            perms: source.perms,
            self_muted: source.self_muted,
        };
        let channel = source.channel;
        if let Some(speaking) = speaking_change {
            let message = ServerMessage::Speaking(UserSpeaking {
                user_id: sender.user,
                speaking,
            });
            self.broadcast(channel, Some(conn), &message);
            self.schedule(conn); // its speaking hangover is a deadline now
        }
        // Only what the receiver needs: never the sender's mid or rid, which would misroute.
        let ext_vals = ExtensionValues {
            audio_level: levels.audio_level,
            voice_activity: levels.voice_activity,
            video_orientation: levels.video_orientation,
            ..ExtensionValues::default()
        };
        let clock_hz = if kind == MediaKind::Audio {
            48_000
        } else {
            90_000
        };
        let policy = self.policies.get(channel);
        let Some(routes) = self.routes.get(conn, ssrc) else {
            return Vec::new();
        };
        let mut written = Vec::with_capacity(routes.routes.len());
        for route in &routes.routes {
            let Some(receiver) = self.peers.get_mut(&route.receiver) else {
                continue;
            };
            let rx = Receiver {
                user: receiver.user,
                local_mutes: &receiver.local_mutes,
            };
            if !policy::forwards(policy, sender, kind, rx) {
                continue;
            }
            let Some((seq_no, time)) = receiver.rewrites.entry(route.tx_ssrc).or_default().map(
                ssrc,
                packet.seq_no,
                packet.header.timestamp,
                packet.timestamp,
                clock_hz,
            ) else {
                continue;
            };
            let mut api = receiver.rtc.direct_api();
            let Some(stream) = api.stream_tx(&route.tx_ssrc) else {
                continue;
            };
            let write = RtpWrite::new(
                route.pt,
                seq_no,
                time,
                packet.timestamp,
                packet.payload.clone(),
            )
            .marker(packet.header.marker)
            .ext_vals(ext_vals.clone())
            // Only video has a resend buffer (RTX); Opus conceals losses instead.
            .nackable(kind == MediaKind::Video);
            stream.write_rtp(write);
            self.stats.packets_forwarded += 1;
            self.stats.bytes_forwarded += packet.payload.len() as u64;
            written.push(route.receiver);
        }
        written
    }

    /// Works out where `conn`'s stream `ssrc` goes: the receivers of its track with an open
    /// m-line, their send streams and payload types. None when it is no known track.
    fn build_routes(
        &mut self,
        now: Instant,
        conn: ConnId,
        ssrc: Ssrc,
        pt: str0m::media::Pt,
    ) -> Option<Routes> {
        let sender = self.peers.get_mut(&conn)?;
        let channel = sender.channel;
        let (mid, params) = {
            let rtcs =
                std::iter::once(&mut sender.rtc).chain(sender.ortc.as_mut().map(|o| &mut o.uplink));
            let mut found = None;
            for rtc in rtcs {
                let Some(mid) = rtc.direct_api().stream_rx(&ssrc).map(|s| s.mid()) else {
                    continue;
                };
                let params = *rtc.codec_config().find(|p| p.pt() == pt)?;
                found = Some((mid, params));
                break;
            }
            found?
        };
        let source = TrackKey { conn, mid };
        let kind = self.tracks.get(&source)?.kind;
        self.mark_heard(now, source);
        let mut routes = Vec::new();
        for receiver in self
            .peers
            .values_mut()
            .filter(|p| p.channel == channel && p.conn != conn)
        {
            let open: Vec<Mid> = receiver
                .tracks_out
                .iter()
                .filter(|t| t.source == source)
                .filter_map(|t| t.open_mid())
                .collect();
            for out_mid in open {
                let Some(out_pt) = receiver
                    .rtc
                    .codec_config()
                    .match_params(params)
                    .map(|p| p.pt())
                else {
                    continue;
                };
                let Some(tx_ssrc) = receiver
                    .rtc
                    .direct_api()
                    .stream_tx_by_mid(out_mid, None)
                    .map(|s| s.ssrc())
                else {
                    continue;
                };
                routes.push(Route {
                    receiver: receiver.conn,
                    tx_ssrc,
                    pt: out_pt,
                });
            }
        }
        routes.sort_by_key(|r| r.receiver);
        Some(Routes { kind, pt, routes })
    }
}

impl super::peer::Peer {
    /// Derives speaking from RFC 6464 levels for clients that never send speaking events.
    /// Returns the new state when it changed.
    fn observe_audio_level(&mut self, now: Instant, level: Option<i8>) -> Option<bool> {
        if self.speaking_is_explicit || level? < SPEAKING_LEVEL_DBOV {
            return None;
        }
        self.last_loud = Some(now);
        if self.speaking {
            return None;
        }
        self.speaking = true;
        Some(true)
    }
}
