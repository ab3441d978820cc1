//! The whole client: a user in a world, hearing the right people whatever the topology. An
//! actor ties the world session ([`crate::world_client`]), the P2P links ([`crate::p2p`]), the
//! SFU session ([`crate::sfu_client`]) and the [`VoiceEngine`] together; the decisions are made
//! by the sans-IO [`plan::MediaPlan`].

pub mod events;
pub mod footing;
pub mod plan;
pub mod walker;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use rtc::peer_connection::configuration::RTCIceServer;
use sfu_core::ids::ChannelId;
use sfu_core::world::wire::{
    ClientMessage, MediaTopology, Position, WorldId, WorldUserId, ZoneId, ZoneType,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use events::{ClientEvent, MediaEvent, WalkEvent};
use footing::Footing;
use plan::{MediaPlan, PlanAction, Promotion, TurnServer};

use crate::events::EngineEvent;
use crate::inspect::ProtocolTap;
use crate::p2p::link::{Link, LinkConfig, LinkInput, LinkOutput, decode_sdp};
use crate::p2p::plan::{AudioRange, ZoneMedia};
use crate::sfu_client::{Downlink, SfuClient, SfuClientConfig, Uplink};
use crate::voice::{Path, VoiceEngine, VoiceEvent};
use crate::world_client::{PeerView, WorldClient, WorldConnectError, WorldEvent};

/// How the plan's timers are checked when nothing else happens.
const TICK: Duration = Duration::from_millis(100);
/// How often a walk takes a step: a quarter tile at walking speed.
const STEP: Duration = Duration::from_millis(50);

/// How to connect.
pub struct ClientConfig {
    /// `ws://host:port/world`.
    pub world_url: String,
    pub token: String,
    pub world_id: WorldId,
    /// Local address for media sockets.
    pub bind_ip: IpAddr,
    pub range: AudioRange,
    /// Every P2P link goes through the host's TURN server, so peers never learn this machine's
    /// addresses (ICE transport policy "relay").
    pub relay_only: bool,
    /// Where every signaling frame of both sockets is recorded, if anywhere.
    pub tap: Option<ProtocolTap>,
}

/// The audio-side id of a world user: the SFU user id derived from their UUID (SPEC section 2).
pub fn voice_id(user: &WorldUserId) -> Option<i64> {
    uuid::Uuid::parse_str(user.as_str())
        .ok()
        .map(|u| sfu_core::ids::sfu_id_from_uuid_bytes(u.as_bytes()))
}

enum Command {
    MoveTo(Position),
    WalkTo(f64, f64),
    Walk(f64, f64),
    Request(ClientMessage),
    SetSelfMuted(bool),
    Leave,
}

/// Handle to a running client.
pub struct HearthClient {
    commands: mpsc::Sender<Command>,
    engine: VoiceEngine,
    task: JoinHandle<()>,
}

impl HearthClient {
    /// Connects to the world and starts the actor; `engine` carries the audio.
    ///
    /// # Errors
    /// When the world's WebSocket does not open.
    pub async fn connect(
        config: ClientConfig,
        engine: VoiceEngine,
        voice_events: mpsc::Receiver<VoiceEvent>,
    ) -> Result<(Self, mpsc::Receiver<ClientEvent>), WorldConnectError> {
        let (world, world_events) = WorldClient::connect_tapped(
            &config.world_url,
            config.token,
            config.world_id,
            config.tap.clone(),
        )
        .await?;
        let (events_tx, events_rx) = mpsc::channel(4096);
        let (commands_tx, commands_rx) = mpsc::channel(64);
        let (links_tx, links_rx) = mpsc::channel(1024);
        let actor = Actor {
            world,
            engine: engine.clone(),
            bind_ip: config.bind_ip,
            range: config.range,
            relay_only: config.relay_only,
            plan: None,
            links: BTreeMap::new(),
            links_tx,
            sfu: None,
            sfu_zone_channel: None,
            footing: Footing::default(),
            events: events_tx,
            tap: config.tap,
        };
        let task = tokio::spawn(actor.run(world_events, links_rx, voice_events, commands_rx));
        Ok((
            Self {
                commands: commands_tx,
                engine,
                task,
            },
            events_rx,
        ))
    }

    /// The voice engine (volumes, mutes, levels).
    pub fn engine(&self) -> &VoiceEngine {
        &self.engine
    }

    /// Puts this user at `position` at once (one step; a bot's own walking).
    pub async fn move_to(&self, position: Position) {
        let _ = self.commands.send(Command::MoveTo(position)).await;
    }

    /// Walks this user to `(x, y)` at walking speed, around walls and through the doors they
    /// may pass; each step is reported as [`WalkEvent::Moved`].
    pub async fn walk_to(&self, x: f64, y: f64) {
        let _ = self.commands.send(Command::WalkTo(x, y)).await;
    }

    /// Walks this way (components -1..1, as held arrow keys) until told `(0, 0)`.
    pub async fn walk(&self, dx: f64, dy: f64) {
        let _ = self.commands.send(Command::Walk(dx, dy)).await;
    }

    /// Sends a world request (interaction, moderation, ...).
    pub async fn request(&self, message: ClientMessage) {
        let _ = self.commands.send(Command::Request(message)).await;
    }

    /// Self mute: nothing is sent, and the SFU is told (505).
    pub async fn set_self_muted(&self, muted: bool) {
        let _ = self.commands.send(Command::SetSelfMuted(muted)).await;
    }

    /// Leaves the world and every connection, then waits for the actor.
    pub async fn leave(self) {
        let _ = self.commands.send(Command::Leave).await;
        let _ = self.task.await;
    }

    /// Waits until the client ends by itself (kicked, refused, server gone).
    pub async fn closed(self) {
        let _ = self.task.await;
    }
}

struct SfuSession {
    client: SfuClient,
    events: mpsc::Receiver<EngineEvent>,
}

struct Actor {
    world: WorldClient,
    engine: VoiceEngine,
    bind_ip: IpAddr,
    range: AudioRange,
    relay_only: bool,
    /// Made once the server says who this user is.
    plan: Option<MediaPlan>,
    links: BTreeMap<WorldUserId, Link>,
    links_tx: mpsc::Sender<LinkOutput>,
    sfu: Option<SfuSession>,
    sfu_zone_channel: Option<(ZoneId, i64)>,
    footing: Footing,
    events: mpsc::Sender<ClientEvent>,
    tap: Option<ProtocolTap>,
}

impl Actor {
    async fn run(
        mut self,
        mut world_events: mpsc::Receiver<WorldEvent>,
        mut links_rx: mpsc::Receiver<LinkOutput>,
        mut voice_events: mpsc::Receiver<VoiceEvent>,
        mut commands: mpsc::Receiver<Command>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut step = tokio::time::interval(STEP);
        step.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            self.carry_out().await;
            tokio::select! {
                event = world_events.recv() => match event {
                    Some(event) => {
                        let closed = matches!(event, WorldEvent::Closed { .. });
                        self.on_world(event).await;
                        if closed { break; }
                    }
                    None => break,
                },
                Some(output) = links_rx.recv() => self.on_link(output).await,
                event = next_sfu_event(&mut self.sfu) => self.on_sfu(event).await,
                Some(event) = voice_events.recv() => self.emit(ClientEvent::Voice(event)),
                command = commands.recv() => match command {
                    Some(Command::MoveTo(at)) => {
                        self.footing.placed(at);
                        self.moved(at).await;
                    }
                    Some(Command::WalkTo(x, y)) => self.footing.walk_to(Instant::now(), x, y),
                    Some(Command::Walk(dx, dy)) => self.footing.walk(Instant::now(), dx, dy),
                    Some(Command::Request(message)) => self.world.request(message).await,
                    Some(Command::SetSelfMuted(muted)) => {
                        self.engine.set_self_muted(muted);
                        if let Some(sfu) = &self.sfu { sfu.client.set_self_muted(muted).await; }
                    }
                    Some(Command::Leave) | None => break,
                },
                _ = step.tick(), if self.footing.is_walking() => {
                    if let Some(at) = self.footing.step(Instant::now()) {
                        self.moved(at).await;
                        self.emit(ClientEvent::Walk(WalkEvent::Moved { x: at.x, y: at.y }));
                    }
                }
                _ = tick.tick() => {
                    let engine = &self.engine;
                    if let Some(plan) = &mut self.plan {
                        plan.tick(Instant::now(), |peer| {
                            voice_id(peer).is_some_and(|v| engine.is_playing(v, Path::Sfu))
                        });
                    }
                }
            }
        }
        self.shut_down().await;
    }

    async fn shut_down(mut self) {
        for (_, link) in std::mem::take(&mut self.links) {
            link.close().await;
        }
        if let Some(sfu) = self.sfu.take() {
            sfu.client.leave().await;
            self.emit(ClientEvent::Media(MediaEvent::SfuLeft {
                reason: "left the world".into(),
            }));
        }
        self.world.leave().await;
    }

    /// This user stands at `at` now: the server and the media plan are told.
    async fn moved(&mut self, at: Position) {
        self.world.move_to(at).await;
        if let Some(plan) = &mut self.plan {
            plan.moved(at);
        }
    }

    fn emit(&self, event: ClientEvent) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(event) {
            tracing::warn!("client event queue full; event dropped");
        }
    }

    async fn on_world(&mut self, event: WorldEvent) {
        let now = Instant::now();
        self.footing.on_world(&event);
        match &event {
            WorldEvent::Connected { user_id, .. } if self.plan.is_none() => {
                let mut plan = MediaPlan::new(user_id.clone(), self.range);
                plan.set_relay_only(self.relay_only);
                self.plan = Some(plan);
            }
            WorldEvent::WorldState {
                zone,
                zone_type,
                topology,
                position,
                peers,
                ..
            } => {
                let at = position.map(|p| Position { x: p.x, y: p.y });
                self.entered_zone(zone, *zone_type, *topology, at, peers);
            }
            WorldEvent::ZoneChanged {
                zone,
                zone_type,
                topology,
                peers,
            } => self.entered_zone(zone, *zone_type, *topology, None, peers),
            WorldEvent::PeerJoined { user_id, x, y, .. } => {
                if let Some(plan) = &mut self.plan {
                    plan.peer_joined(user_id.clone(), Position { x: *x, y: *y });
                }
            }
            WorldEvent::PeerLeft { user_id } => {
                if let Some(plan) = &mut self.plan {
                    plan.peer_left(user_id);
                }
            }
            WorldEvent::Presence { user_id, x, y } => {
                if let Some(plan) = &mut self.plan {
                    plan.peer_moved(user_id, Position { x: *x, y: *y });
                }
            }
            WorldEvent::Corrected { x, y, .. } => {
                if let Some(plan) = &mut self.plan {
                    plan.moved(Position { x: *x, y: *y });
                }
            }
            WorldEvent::PromoteToSfu {
                zone,
                channel_id,
                sfu_url,
                sfu_token,
            } => {
                if let Some(plan) = &mut self.plan {
                    plan.promoted(
                        now,
                        Promotion {
                            zone: zone.clone(),
                            channel_id: *channel_id,
                            sfu_url: sfu_url.clone(),
                            sfu_token: sfu_token.clone(),
                        },
                    );
                }
            }
            WorldEvent::UserMuted { user_id, muted, .. }
                if self.plan.as_ref().is_some_and(|p| p.me() == user_id) =>
            {
                self.engine.set_server_muted(*muted);
            }
            WorldEvent::SdpOffer { from, sdp } => {
                if let Some(sdp) = decode_sdp(sdp) {
                    if self.plan.as_mut().is_some_and(|p| p.offer_arrived(from)) {
                        self.carry_out().await;
                        self.deliver(from, LinkInput::Offer(sdp));
                    }
                } else {
                    tracing::debug!("an SDP offer that is not base64 UTF-8; ignored");
                }
            }
            WorldEvent::SdpAnswer { from, sdp } => {
                if let Some(sdp) = decode_sdp(sdp) {
                    self.deliver(from, LinkInput::Answer(sdp));
                }
            }
            WorldEvent::IceCandidate { from, candidate } => {
                self.deliver(from, LinkInput::Candidate(candidate.clone()));
            }
            WorldEvent::TurnCredentials {
                urls,
                username,
                credential,
            } => {
                if let Some(plan) = &mut self.plan {
                    plan.turn_credentials(TurnServer {
                        urls: urls.clone(),
                        username: username.clone(),
                        credential: credential.clone(),
                    });
                }
            }
            _ => {}
        }
        self.emit(ClientEvent::World(event));
    }

    fn entered_zone(
        &mut self,
        zone: &ZoneId,
        zone_type: ZoneType,
        topology: MediaTopology,
        at: Option<Position>,
        peers: &[PeerView],
    ) {
        if let Some(plan) = &mut self.plan {
            plan.entered_zone(
                zone.clone(),
                ZoneMedia {
                    zone_type,
                    topology,
                },
                at,
                peers
                    .iter()
                    .map(|p| (p.user_id.clone(), Position { x: p.x, y: p.y })),
            );
        }
    }

    fn deliver(&self, peer: &WorldUserId, input: LinkInput) {
        match self.links.get(peer) {
            Some(link) => link.deliver(input),
            None => tracing::debug!(peer = peer.as_str(), "signal for a peer with no link"),
        }
    }

    async fn on_link(&mut self, output: LinkOutput) {
        match output {
            LinkOutput::Signal(message) => self.world.request(message).await,
            LinkOutput::State { peer, state } => {
                let relayed = self.links.get(&peer).is_some_and(|l| l.relayed);
                if let Some(plan) = &mut self.plan {
                    plan.link_state(&peer, state);
                }
                self.emit(ClientEvent::Media(MediaEvent::Link {
                    peer,
                    state,
                    relayed,
                }));
            }
        }
    }

    async fn on_sfu(&mut self, event: Option<EngineEvent>) {
        let now = Instant::now();
        let Some(event) = event else {
            // The session's actor is gone.
            self.sfu = None;
            if let Some(plan) = &mut self.plan {
                plan.sfu_ended(false);
            }
            self.emit(ClientEvent::Media(MediaEvent::SfuLeft {
                reason: "session ended".into(),
            }));
            return;
        };
        match &event {
            EngineEvent::MediaConnected => {
                if let Some(plan) = &mut self.plan {
                    plan.sfu_connected(now);
                }
                if let Some((zone, _)) = &self.sfu_zone_channel {
                    self.emit(ClientEvent::Media(MediaEvent::SfuConnected {
                        zone: zone.clone(),
                    }));
                }
            }
            EngineEvent::Kicked { .. } | EngineEvent::JoinRefused { .. } => {
                let kicked = matches!(event, EngineEvent::Kicked { .. });
                if let Some(plan) = &mut self.plan {
                    plan.sfu_ended(kicked);
                }
            }
            EngineEvent::Left { .. } => {
                if let Some(plan) = &mut self.plan {
                    plan.sfu_ended(false);
                }
            }
            _ => {}
        }
        let ended = match &event {
            EngineEvent::Kicked { reason } => Some(format!("kicked: {reason}")),
            EngineEvent::JoinRefused { code } => Some(format!("refused: {code}")),
            EngineEvent::Left { reason } => Some(reason.clone()),
            _ => None,
        };
        self.emit(ClientEvent::Sfu(event));
        if let Some(reason) = ended {
            self.emit(ClientEvent::Media(MediaEvent::SfuLeft { reason }));
            // Its remaining events are of no interest; the session winds down on its own.
            if let Some(sfu) = self.sfu.take() {
                tokio::spawn(sfu.client.closed());
            }
        }
    }

    /// Carries out what the plan decided.
    async fn carry_out(&mut self) {
        loop {
            let Some(action) = self.plan.as_mut().and_then(MediaPlan::poll_action) else {
                return;
            };
            match action {
                PlanAction::OpenLink {
                    peer,
                    offers_first,
                    turn,
                } => self.open_link(peer, offers_first, turn),
                PlanAction::CloseLink { peer, reason } => {
                    if let Some(link) = self.links.remove(&peer) {
                        tokio::spawn(link.close());
                        self.emit(ClientEvent::Media(MediaEvent::LinkClosed {
                            peer,
                            reason: reason.to_owned(),
                        }));
                    }
                }
                PlanAction::JoinSfu(promotion) => self.join_sfu(promotion).await,
                PlanAction::LeaveSfu => {
                    if let Some(sfu) = self.sfu.take() {
                        tokio::spawn(sfu.client.leave());
                        self.emit(ClientEvent::Media(MediaEvent::SfuLeft {
                            reason: "left the zone".into(),
                        }));
                    }
                }
                PlanAction::Send(message) => self.world.request(message).await,
                PlanAction::SetProximity { peer, gain } => {
                    if let Some(v) = voice_id(&peer) {
                        self.engine.set_proximity(v, gain);
                    }
                }
            }
        }
    }

    fn open_link(&mut self, peer: WorldUserId, offers_first: bool, turn: Option<TurnServer>) {
        let Some(peer_voice) = voice_id(&peer) else {
            tracing::warn!(peer = peer.as_str(), "peer id is not a UUID; no P2P link");
            return;
        };
        let ice_servers = turn
            .map(|t| {
                vec![RTCIceServer {
                    urls: t.urls,
                    username: t.username,
                    credential: t.credential,
                }]
            })
            .unwrap_or_default();
        let link = Link::start(
            LinkConfig {
                peer: peer.clone(),
                peer_voice,
                offers_first,
                ice_servers,
                relay_only: self.relay_only,
                bind_ip: self.bind_ip,
            },
            self.engine.clone(),
            self.links_tx.clone(),
        );
        if let Some(old) = self.links.insert(peer, link) {
            tokio::spawn(old.close());
        }
    }

    async fn join_sfu(&mut self, promotion: Promotion) {
        if let Some(old) = self.sfu.take() {
            tokio::spawn(old.client.leave());
        }
        let Some(channel) = promotion.channel_id else {
            tracing::warn!("PROMOTE_TO_SFU without a channel id; cannot join");
            if let Some(plan) = &mut self.plan {
                plan.sfu_ended(false);
            }
            return;
        };
        self.emit(ClientEvent::Media(MediaEvent::SfuJoining {
            zone: promotion.zone.clone(),
            channel,
        }));
        let config = SfuClientConfig {
            url: promotion.sfu_url.clone(),
            channel: ChannelId(channel),
            token: promotion.sfu_token.clone(),
            uplink: Uplink::Engine(self.engine.clone()),
            downlink: Downlink::Engine(self.engine.clone()),
            bind_ip: self.bind_ip,
            tap: self.tap.clone(),
        };
        match SfuClient::connect(config).await {
            Ok((client, events)) => {
                if self.engine.self_muted() {
                    client.set_self_muted(true).await;
                }
                self.sfu = Some(SfuSession { client, events });
                self.sfu_zone_channel = Some((promotion.zone, channel));
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot join the SFU");
                if let Some(plan) = &mut self.plan {
                    plan.sfu_ended(false);
                }
                self.emit(ClientEvent::Media(MediaEvent::SfuLeft {
                    reason: e.to_string(),
                }));
            }
        }
    }
}

/// The next event of the SFU session, or never when there is none.
async fn next_sfu_event(sfu: &mut Option<SfuSession>) -> Option<EngineEvent> {
    match sfu {
        Some(s) => s.events.recv().await,
        None => std::future::pending().await,
    }
}
