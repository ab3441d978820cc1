//! dspeak (`/socket`) clients inside the [`Sfu`]: mediasoup-style transports mapped onto str0m's
//! direct API, in the same rooms as `/signal` peers.
//!
//! A dspeak client is a [`Peer`] like any other. Its recv transport is the peer's main `Rtc`
//! (where forwarded media is written, as for a `/signal` peer) and its send transport is a second
//! `Rtc`, the [`OrtcSide::uplink`](super::uplink::OrtcSide). Both are ICE-lite and DTLS-passive by default: the client
//! never sends its ICE credentials in this protocol, so the server learns the client's ufrag
//! from its first STUN binding request ([`learn_remote_ufrag`](super::uplink::learn_remote_ufrag)). Nothing here is negotiated with
//! SDP: `produce` declares the client's SSRC on the uplink, `consume` declares a send stream on
//! the recv transport and returns its parameters for the client to build its own SDP.

use std::time::Instant;

use str0m::media::{MediaKind, Mid};
use str0m::{Input, Rtc};

use super::peer::{Peer, TrackKey, TrackOut, TrackOutState};
use super::uplink::{Link, OrtcSide};
use super::{ConnId, JoinErrorCode, Now, Output, Sfu, TrackIn};
use crate::dspeak::ortc::{
    self, DtlsFingerprint, DtlsParameters, IceCandidate, IceParameters, OPUS_MIME,
    OPUS_PAYLOAD_TYPE,
};
use crate::dspeak::{
    ClientMessage, ConnectTransport, Consume, ConsumerParams, Direction, Join, Presence, Produce,
    ServerMessage, TransportParams,
};
use crate::ids::{ChannelId, UserId};
use crate::perms::Permissions;

/// The wire id of a transport.
fn transport_id(conn: ConnId, direction: Direction) -> String {
    format!("{conn}-{}", direction.as_str())
}

/// The wire id of a producer: any peer's incoming track, `/signal` or dspeak.
pub fn producer_id(key: TrackKey) -> String {
    format!("{}-{}", key.conn, key.mid)
}

fn parse_producer_id(id: &str) -> Option<TrackKey> {
    let (conn, mid) = id.split_once('-')?;
    let conn = ConnId(conn.strip_prefix('c')?.parse().ok()?);
    (!mid.is_empty()).then(|| TrackKey {
        conn,
        mid: Mid::from(mid),
    })
}

fn consumer_id(conn: ConnId, mid: Mid) -> String {
    format!("{conn}-consumer-{mid}")
}

/// Text of a refused request (the `data` of the error frame).
type Refusal = String;

/// Perms of a bare user id admitted by `--dspeak-open`: join and speak.
const OPEN_PERMS: Permissions = Permissions::VOICE_CONNECT.union(Permissions::VOICE_SPEAK);

impl Sfu {
    /// A `/socket` connection opened: admit it with its `auth` (an SFU token, or a bare user id
    /// when the host runs with `--dspeak-open`), or refuse it with an error frame and a close.
    pub fn handle_dspeak_join(&mut self, now: Now, conn: ConnId, join: Join) {
        let grant = match self.dspeak_grant(now, &join) {
            Ok(grant) => grant,
            Err(reason) => {
                self.refuse_dspeak(conn, JoinErrorCode::Unauthorized, reason);
                self.drive(now.instant);
                return;
            }
        };
        let recv = self.new_ortc_rtc(now.instant);
        let uplink = self.new_ortc_rtc(now.instant);
        let ortc = OrtcSide::new(uplink, now.instant);
        if let Err(code) = self.admit_grant(now, conn, join.channel, grant, recv, Some(ortc)) {
            let reason = match code {
                JoinErrorCode::Forbidden => "Forbidden: no permission to connect to this channel",
                JoinErrorCode::Blocked => "Blocked from this channel",
                JoinErrorCode::Full => "Channel is full",
                _ => "Join refused",
            };
            self.refuse_dspeak(conn, code, reason.to_owned());
        }
        self.drive(now.instant);
    }

    fn dspeak_grant(&self, now: Now, join: &Join) -> Result<crate::auth::JoinGrant, String> {
        match self
            .config
            .verifier
            .verify_join(&join.auth, join.channel, now.unix_secs())
        {
            Ok(grant) => Ok(grant),
            Err(e) if !self.config.dspeak_open => Err(format!(
                "Unauthorized: auth must be a valid SFU token ({e})"
            )),
            Err(_) => match join.auth.trim().parse::<i64>() {
                // A bare id proves nothing: it never takes the place of a signed-in user.
                Ok(user) if self.find_peer(UserId(user), join.channel).is_some() => Err(format!(
                    "Unauthorized: user {user} is signed in here; a bare user id cannot replace them"
                )),
                Ok(user) if user > 0 => Ok(crate::auth::JoinGrant {
                    user: UserId(user),
                    channel: join.channel,
                    perms: OPEN_PERMS,
                    moved: false,
                    issued_at: None,
                }),
                _ => Err("Unauthorized: auth must be an SFU token or a positive user id".into()),
            },
        }
    }

    fn refuse_dspeak(&mut self, conn: ConnId, code: JoinErrorCode, reason: String) {
        self.stats.count_join_failure(super::join_code_str(code));
        self.outputs.push_back(Output::Dspeak {
            conn,
            message: ServerMessage::Error(reason),
        });
        self.outputs.push_back(Output::Close {
            conn,
            code: super::join_close_code(code),
            reason: super::join_code_str(code),
        });
        self.outputs
            .push_back(Output::Event(super::SfuEvent::JoinRefused {
                code: super::join_code_str(code),
            }));
    }

    /// An ICE-lite, direct-API `Rtc` for one dspeak transport.
    fn new_ortc_rtc(&self, now: Instant) -> Rtc {
        let mut rtc = self.new_rtc_with(now, true);
        rtc.direct_api().set_ice_controlling(false);
        rtc
    }

    /// A dspeak connection sent a frame.
    pub fn handle_dspeak_message(&mut self, now: Now, conn: ConnId, message: ClientMessage) {
        if self.peers.get(&conn).is_none_or(|p| p.ortc.is_none()) {
            tracing::debug!(%conn, "dspeak frame from a connection that is not joined");
            return;
        }
        tracing::trace!(%conn, message = message.name(), "dspeak request");
        if let Err(reason) = self.apply_dspeak(now, conn, message) {
            tracing::debug!(%conn, %reason, "dspeak request refused");
            self.send_dspeak(conn, ServerMessage::Error(reason));
        }
        self.drive(now.instant);
    }

    fn apply_dspeak(
        &mut self,
        now: Now,
        conn: ConnId,
        message: ClientMessage,
    ) -> Result<(), Refusal> {
        match message {
            ClientMessage::Ping { request_id } => {
                let pong = ServerMessage::Pong {
                    timestamp: now.unix_ms,
                    request_id,
                };
                self.send_dspeak(conn, pong);
            }
            ClientMessage::Pong | ClientMessage::Resume | ClientMessage::Pause => {
                let reply = match message {
                    ClientMessage::Resume => ServerMessage::Resumed,
                    ClientMessage::Pause => ServerMessage::Paused,
                    _ => return Ok(()),
                };
                self.send_dspeak(conn, reply);
            }
            ClientMessage::GetRtpCapabilities { request_id } => {
                let reply = ServerMessage::RtpCapabilities {
                    capabilities: ortc::router_rtp_capabilities(),
                    request_id,
                };
                self.send_dspeak(conn, reply);
            }
            ClientMessage::ClientRtpCapabilities {
                capabilities,
                request_id,
            } => {
                if !capabilities.has_opus() {
                    return Err("Invalid RTP capabilities format: no audio/opus codec".into());
                }
                ortc_mut(&mut self.peers, conn)?.capabilities = Some(capabilities);
                self.send_dspeak(conn, ServerMessage::RtpCapabilitiesAck { request_id });
            }
            ClientMessage::CreateTransport(create) => {
                self.create_transport(conn, create.direction)?
            }
            ClientMessage::ConnectTransport(connect) => {
                self.connect_transport(now.instant, conn, connect)?
            }
            ClientMessage::Produce(produce) => self.produce(now.instant, conn, produce)?,
            ClientMessage::Consume(consume) => self.consume(conn, consume)?,
            ClientMessage::CloseTransport(t) => {
                let peer = self.peers.get(&conn).ok_or("Transport not found")?;
                let ortc = peer.ortc.as_ref().ok_or("Transport not found")?;
                let direction = resolve_transport(conn, &ortc.created, t.transport_id.as_deref())
                    .ok_or("Transport not found")?;
                // A transport cannot be reopened in this protocol: closing one ends the session.
                self.send_dspeak(
                    conn,
                    ServerMessage::TransportClosed {
                        id: transport_id(conn, direction),
                    },
                );
                self.remove_peer(now.instant, conn, super::LeaveReason::Left, None);
            }
        }
        Ok(())
    }

    fn create_transport(
        &mut self,
        conn: ConnId,
        direction: Option<Direction>,
    ) -> Result<(), Refusal> {
        let candidates = self.config.candidates.clone();
        let peer = self
            .peers
            .get_mut(&conn)
            .ok_or("Failed to create transport")?;
        let ortc = peer.ortc.as_mut().ok_or("Failed to create transport")?;
        // dspeak's client relies on order: the first transport sends, the second receives.
        let direction = direction.unwrap_or(if ortc.created.contains(&Direction::Send) {
            Direction::Recv
        } else {
            Direction::Send
        });
        if ortc.created.contains(&direction) {
            return Err(format!(
                "Failed to create transport: this client already has a {} transport",
                direction.as_str()
            ));
        }
        let rtc = match direction {
            Direction::Send => &mut ortc.uplink,
            Direction::Recv => &mut peer.rtc,
        };
        let api = rtc.direct_api();
        let creds = api.local_ice_credentials();
        let fingerprint = DtlsFingerprint::from_str0m(api.local_dtls_fingerprint());
        let ice_candidates = candidates
            .iter()
            .enumerate()
            .filter_map(|(i, addr)| {
                let c = str0m::Candidate::host(*addr, "udp").ok()?;
                Some(IceCandidate {
                    foundation: format!("udpcandidate{i}"),
                    priority: c.prio(),
                    ip: addr.ip().to_string(),
                    address: addr.ip().to_string(),
                    port: addr.port(),
                    protocol: "udp".into(),
                    kind: "host".into(),
                })
            })
            .collect();
        ortc.created.push(direction);
        let params = TransportParams {
            id: transport_id(conn, direction),
            ice_parameters: IceParameters {
                username_fragment: creds.ufrag,
                password: creds.pass,
                ice_lite: true,
            },
            ice_candidates,
            dtls_parameters: DtlsParameters {
                // The client takes the other role: it starts the handshake as DTLS client.
                role: Some("server".into()),
                fingerprints: vec![fingerprint],
            },
        };
        self.send_dspeak(conn, ServerMessage::TransportParams(params));
        Ok(())
    }

    fn connect_transport(
        &mut self,
        now: Instant,
        conn: ConnId,
        connect: ConnectTransport,
    ) -> Result<(), Refusal> {
        let peer = self.peers.get_mut(&conn).ok_or("Transport not found")?;
        let ortc = peer.ortc.as_mut().ok_or("Transport not found")?;
        let direction = match connect.transport_id.as_deref() {
            Some(id) => resolve_transport(conn, &ortc.created, Some(id)),
            // Without an id: the oldest transport not connected yet (dspeak's order).
            None => ortc
                .created
                .iter()
                .copied()
                .find(|d| !ortc.connected.contains(d)),
        }
        .ok_or("Transport not found")?;
        if ortc.connected.contains(&direction) {
            return Err("Failed to connect transport: already connected".into());
        }
        let fingerprint = pick_fingerprint(&connect.dtls_parameters)?;
        // The client's role decides ours; `auto` (or absent) leaves it the DTLS client, as
        // our `server` role in transport-params asked.
        let active = connect.dtls_parameters.role.as_deref() == Some("server");
        let rtc = match direction {
            Direction::Send => {
                ortc.uplink_timeout = now;
                &mut ortc.uplink
            }
            Direction::Recv => {
                peer.rtc_timeout = now;
                &mut peer.rtc
            }
        };
        let mut api = rtc.direct_api();
        api.set_remote_fingerprint(fingerprint);
        api.start_dtls(active)
            .map_err(|e| format!("Failed to connect transport: {e}"))?;
        ortc.connected.push(direction);
        self.send_dspeak(
            conn,
            ServerMessage::TransportConnected {
                id: transport_id(conn, direction),
            },
        );
        Ok(())
    }

    fn produce(&mut self, now: Instant, conn: ConnId, produce: Produce) -> Result<(), Refusal> {
        let peer = self.peers.get_mut(&conn).ok_or("Transport not found")?;
        let (user, channel) = (peer.user, peer.channel);
        let ortc = peer.ortc.as_mut().ok_or("Transport not found")?;
        let direction = resolve_transport(conn, &ortc.created, produce.transport_id.as_deref())
            .filter(|d| *d == Direction::Send)
            .ok_or("Transport not found: create a send transport first")?;
        if produce.kind != "audio" {
            return Err(format!(
                "Failed to produce media: kind {:?} is not supported (audio only)",
                produce.kind
            ));
        }
        let params = &produce.rtp_parameters;
        let codec = params
            .codecs
            .first()
            .ok_or("Failed to produce media: rtpParameters.codecs is empty")?;
        if !codec.mime_type.eq_ignore_ascii_case(OPUS_MIME) {
            return Err(format!(
                "Failed to produce media: codec {} is not supported (audio/opus only)",
                codec.mime_type
            ));
        }
        if codec.payload_type != OPUS_PAYLOAD_TYPE {
            return Err(format!(
                "Failed to produce media: Opus must use payload type {OPUS_PAYLOAD_TYPE}, not {}",
                codec.payload_type
            ));
        }
        let ssrc = params
            .encodings
            .first()
            .and_then(|e| e.ssrc)
            .ok_or("Failed to produce media: rtpParameters.encodings[0].ssrc is missing")?;
        let mid = Mid::from(params.mid.as_deref().unwrap_or("0"));
        // dspeak's client closes its producer locally and produces again on every join and
        // unmute (the protocol has no close-producer message), so a new `produce` replaces the
        // previous one, as the reference backend does.
        let replaced = ortc.producer.take();
        let mut api = ortc.uplink.direct_api();
        if let Some((old_mid, old_ssrc)) = replaced {
            api.remove_stream_rx(old_ssrc.into());
            if old_mid != mid {
                api.remove_media(old_mid);
            }
        }
        if replaced.is_none_or(|(old_mid, _)| old_mid != mid) {
            api.declare_media(mid, MediaKind::Audio);
        }
        api.expect_stream_rx(ssrc.into(), None, mid, None);
        ortc.producer = Some((mid, ssrc));
        ortc.uplink_timeout = now;
        debug_assert_eq!(direction, Direction::Send);
        if let Some((old_mid, _)) = replaced {
            self.remove_track_in(now, conn, old_mid);
        }
        let key = TrackKey { conn, mid };
        self.send_dspeak(
            conn,
            ServerMessage::ProducerId {
                id: producer_id(key),
                user_id: user.to_string(),
                channel_id: channel.to_string(),
            },
        );
        self.add_track_in(conn, mid, MediaKind::Audio);
        Ok(())
    }

    fn consume(&mut self, conn: ConnId, consume: Consume) -> Result<(), Refusal> {
        let channel = self.peers.get(&conn).ok_or("Transport not found")?.channel;
        let source = match consume.producer_id.as_deref() {
            Some(id) => {
                let key = parse_producer_id(id)
                    .filter(|k| self.producer_in(*k, channel))
                    .ok_or("Cannot consume this producer: producer not found")?;
                if key.conn == conn {
                    return Err("Cannot consume this producer: it is your own".into());
                }
                key
            }
            None => self
                .channel_producers(channel)
                .into_iter()
                .map(|(key, _)| key)
                .find(|key| {
                    key.conn != conn
                        && !self.peers[&conn]
                            .tracks_out
                            .iter()
                            .any(|t| t.source == *key)
                })
                .ok_or("Cannot consume: no producer in this channel to consume")?,
        };
        let TrackIn {
            user: source_user,
            kind,
            ..
        } = self.tracks[&source];
        let peer = self.peers.get_mut(&conn).ok_or("Transport not found")?;
        let ortc = peer.ortc.as_mut().ok_or("Transport not found")?;
        resolve_transport(conn, &ortc.created, consume.transport_id.as_deref())
            .filter(|d| *d == Direction::Recv)
            .ok_or("Transport not found: create a recv transport first")?;
        if let Some(caps) = consume.rtp_capabilities {
            ortc.capabilities = Some(caps);
        }
        let caps = ortc.capabilities.as_ref().ok_or(
            "Cannot consume: missing RTP capabilities. Please send your RTP capabilities first.",
        )?;
        if !caps.has_opus() || kind != MediaKind::Audio {
            return Err("Cannot consume this producer: codec/parameter mismatch".into());
        }
        // Consuming a producer again makes another consumer, as the reference backend does.
        let mid = Mid::from(ortc.consumers_made.to_string().as_str());
        ortc.consumers_made += 1;
        let mut api = peer.rtc.direct_api();
        let ssrc = api.new_ssrc();
        api.declare_media(mid, MediaKind::Audio);
        api.declare_stream_tx(ssrc, None, mid, None);
        peer.tracks_out.push(TrackOut {
            source,
            source_user,
            kind,
            state: TrackOutState::Open(mid),
        });
        self.routes.invalidate();
        let cname = format!("user-{source_user}");
        let params = ConsumerParams {
            id: consumer_id(conn, mid),
            producer_id: producer_id(source),
            kind: "audio".into(),
            rtp_parameters: ortc::consumer_rtp_parameters(&mid.to_string(), *ssrc, &cname),
            user_id: source_user.to_string(),
        };
        self.send_dspeak(conn, ServerMessage::ConsumerParams(params));
        Ok(())
    }

    fn producer_in(&self, key: TrackKey, channel: ChannelId) -> bool {
        self.tracks.contains_key(&key)
            && self
                .peers
                .get(&key.conn)
                .is_some_and(|p| p.channel == channel)
    }

    /// The producers of a channel with their owners, in a stable order.
    fn channel_producers(&self, channel: ChannelId) -> Vec<(TrackKey, UserId)> {
        let mut producers: Vec<(TrackKey, UserId)> = self
            .tracks
            .iter()
            .filter(|(key, _)| {
                self.peers
                    .get(&key.conn)
                    .is_some_and(|p| p.channel == channel)
            })
            .map(|(key, track)| (*key, track.user))
            .collect();
        producers.sort_by_key(|(key, _)| (key.conn, key.mid.to_string()));
        producers
    }

    /// Sends `currentlyInChannel` and `available-producers` to every dspeak client of each
    /// channel whose presence changed since the last call.
    pub(super) fn flush_dspeak_presence(&mut self) {
        for channel in std::mem::take(&mut self.presence_changed) {
            let mut conns: Vec<ConnId> = self
                .peers
                .values()
                .filter(|p| p.channel == channel && p.ortc.is_some())
                .map(|p| p.conn)
                .collect();
            if conns.is_empty() {
                continue;
            }
            conns.sort_unstable();
            let mut presence = Presence {
                in_room: self
                    .channel_users(channel)
                    .iter()
                    .map(UserId::to_string)
                    .collect(),
                ..Presence::default()
            };
            for (key, user) in self.channel_producers(channel) {
                let id = producer_id(key);
                presence
                    .producer_user_map
                    .insert(id.clone(), user.to_string());
                presence.producers.push(id);
            }
            for conn in conns {
                self.send_dspeak(conn, ServerMessage::CurrentlyInChannel(presence.clone()));
                self.send_dspeak(conn, ServerMessage::AvailableProducers(presence.clone()));
            }
        }
    }

    /// Closes dspeak consumers of a producer that went away: `producer-closed`, and the send
    /// stream is removed from the consumer's recv transport.
    pub(super) fn close_dspeak_consumers(&mut self, source: TrackKey) {
        self.routes.invalidate();
        let mut closed = Vec::new();
        for peer in self.peers.values_mut().filter(|p| p.ortc.is_some()) {
            // A client may hold several consumers of one producer.
            while let Some(i) = peer.tracks_out.iter().position(|t| t.source == source) {
                let track = peer.tracks_out.remove(i);
                if let Some(mid) = track.open_mid() {
                    peer.rtc.direct_api().remove_media(mid);
                    closed.push((peer.conn, consumer_id(peer.conn, mid)));
                }
            }
        }
        closed.sort();
        for (conn, consumer_id) in closed {
            let message = ServerMessage::ProducerClosed {
                producer_id: producer_id(source),
                consumer_id,
            };
            self.send_dspeak(conn, message);
        }
    }

    pub(super) fn send_dspeak(&mut self, conn: ConnId, message: ServerMessage) {
        self.outputs.push_back(Output::Dspeak { conn, message });
    }
}

fn ortc_mut(
    peers: &mut std::collections::HashMap<ConnId, Peer>,
    conn: ConnId,
) -> Result<&mut OrtcSide, Refusal> {
    peers
        .get_mut(&conn)
        .and_then(|p| p.ortc.as_mut())
        .ok_or_else(|| "Transport not found".to_owned())
}

/// The transport a request names (or, with no id, the only one it can mean), if it exists.
fn resolve_transport(conn: ConnId, created: &[Direction], id: Option<&str>) -> Option<Direction> {
    match id {
        Some(id) => created
            .iter()
            .copied()
            .find(|d| transport_id(conn, *d) == id),
        None => created.first().copied(),
    }
}

/// The client's certificate fingerprint to check, SHA-256 preferred.
fn pick_fingerprint(dtls: &DtlsParameters) -> Result<str0m::config::Fingerprint, Refusal> {
    let usable = |algorithm: &str| {
        dtls.fingerprints
            .iter()
            .find(|f| f.algorithm.eq_ignore_ascii_case(algorithm))
            .and_then(DtlsFingerprint::to_str0m)
    };
    usable("sha-256")
        .or_else(|| usable("sha-1"))
        .ok_or_else(|| {
            "Failed to connect transport: dtlsParameters has no usable sha-256 fingerprint".into()
        })
}

/// Feeds one datagram to the `link` of a peer (learning a dspeak client's ufrag first).
pub(super) fn peer_input(peer: &mut Peer, link: Link, input: Input<'_>, raw: &[u8]) -> bool {
    if let Some(ortc) = peer.ortc.as_mut() {
        ortc.learn_ufrag(&mut peer.rtc, link, raw);
    }
    let rtc = match (link, peer.ortc.as_mut()) {
        (Link::Uplink, Some(ortc)) => &mut ortc.uplink,
        _ => &mut peer.rtc,
    };
    rtc.handle_input(input).is_ok()
}
