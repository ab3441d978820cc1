//! The app's picture of the session, sans-IO: it folds what the client engine reports
//! ([`ClientEvent`]) and how the voice engine is doing ([`VoiceSample`]) into the state the UI
//! shows, and says what changed as [`AppEvent`]s.

use std::collections::BTreeMap;

use hearth_engine::world_client::SharedWorldMap;
use serde_json::Value;
use sfu_core::roles::Role;
use sfu_core::world::wire::{MediaTopology, WorldId, ZoneType};

use super::contract::{
    AppEvent, Me, NoticeLevel, PeerState, SelfVoice, SessionStatus, TalkModeSetting, Topology,
    VoicePath,
};
use hearth_engine::audio::UserGain;
use hearth_engine::client::{ClientEvent, MediaEvent, WalkEvent, voice_id};
use hearth_engine::events::EngineEvent;
use hearth_engine::p2p::link::LinkState;
use hearth_engine::voice::{Path, RemoteStatus, UserLevel, VoiceEvent};
use hearth_engine::world_client::{PeerView, WorldEvent};

/// How the voice engine is doing, sampled about 20 times a second.
#[derive(Debug, Default)]
pub struct VoiceSample {
    pub remote: BTreeMap<i64, RemoteStatus>,
    pub levels: BTreeMap<i64, UserLevel>,
    pub gains: BTreeMap<i64, UserGain>,
    pub input_level: f32,
    pub speaking: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LinkInfo {
    state: LinkState,
    relayed: bool,
}

#[derive(Debug, Clone)]
struct Peer {
    state: PeerState,
    voice_id: Option<i64>,
}

/// The session as the UI sees it.
#[derive(Debug)]
pub struct View {
    session: SessionStatus,
    /// The world the user is in (`WORLD_STATE`).
    world_id: Option<WorldId>,
    /// What the user joined (shown while connected).
    server: String,
    world: Option<SharedWorldMap>,
    me: Option<Me>,
    roles: Vec<Role>,
    identity: Option<(String, String)>,
    peers: BTreeMap<String, Peer>,
    links: BTreeMap<String, LinkInfo>,
    on_sfu: bool,
    self_voice: SelfVoice,
    /// The levels last sent.
    last_levels: Option<(f32, BTreeMap<String, f32>)>,
}

impl Default for View {
    fn default() -> Self {
        Self {
            session: SessionStatus::Idle,
            world_id: None,
            server: String::new(),
            world: None,
            me: None,
            roles: Vec::new(),
            identity: None,
            peers: BTreeMap::new(),
            links: BTreeMap::new(),
            on_sfu: false,
            self_voice: SelfVoice {
                self_muted: false,
                server_muted: false,
                deafened: false,
                talk_mode: TalkModeSetting::VoiceActivity,
                ptt_pressed: false,
                speaking: false,
            },
            last_levels: None,
        }
    }
}

impl View {
    pub fn session(&self) -> &SessionStatus {
        &self.session
    }

    pub fn world_file(&self) -> Option<&Value> {
        self.world.as_ref().map(|map| map.file())
    }

    pub fn me(&self) -> Option<&Me> {
        self.me.as_ref()
    }

    /// The world the user is in, once `WORLD_STATE` came.
    pub fn world_id(&self) -> Option<&WorldId> {
        self.world_id.as_ref()
    }

    pub fn peers(&self) -> Vec<PeerState> {
        self.peers.values().map(|p| p.state.clone()).collect()
    }

    pub fn self_voice(&self) -> &SelfVoice {
        &self.self_voice
    }

    /// A peer's voice id (the SFU user id the voice engine knows it by).
    pub fn voice_id_of(&self, user: &str) -> Option<i64> {
        self.peers.get(user).and_then(|p| p.voice_id)
    }

    /// A peer's display name.
    pub fn name_of(&self, user: &str) -> Option<&str> {
        self.peers.get(user).map(|p| p.state.display_name.as_str())
    }

    /// A new session status (connecting, failed, idle); leaving a world forgets it.
    pub fn set_session(&mut self, status: SessionStatus) -> Vec<AppEvent> {
        if matches!(status, SessionStatus::Idle | SessionStatus::Failed { .. }) {
            self.me = None;
            self.world_id = None;
            self.identity = None;
            self.peers.clear();
            self.links.clear();
            self.on_sfu = false;
            self.self_voice.speaking = false;
            self.last_levels = None;
        }
        if let SessionStatus::Connecting { server } = &status {
            self.server.clone_from(server);
        }
        self.session = status.clone();
        vec![AppEvent::Session(status)]
    }

    /// The user's own voice controls changed.
    pub fn set_self_voice(&mut self, change: impl FnOnce(&mut SelfVoice)) -> Vec<AppEvent> {
        change(&mut self.self_voice);
        vec![self.self_voice_event()]
    }

    fn self_voice_event(&self) -> AppEvent {
        AppEvent::SelfVoice {
            voice: self.self_voice.clone(),
        }
    }

    /// This user walked to `(x, y)` (the client's prediction; the server corrects if it
    /// disagrees).
    fn moved_to(&mut self, x: f64, y: f64) -> Vec<AppEvent> {
        let Some(me) = &mut self.me else {
            return Vec::new();
        };
        me.x = x;
        me.y = y;
        vec![AppEvent::Me { me: me.clone() }]
    }

    /// Folds one engine event in.
    pub fn apply(&mut self, event: &ClientEvent) -> Vec<AppEvent> {
        match event {
            ClientEvent::World(event) => self.apply_world(event),
            ClientEvent::Media(event) => self.apply_media(event),
            ClientEvent::Sfu(event) => self.apply_sfu(event),
            ClientEvent::Voice(VoiceEvent::Speaking { user_id, speaking }) => {
                self.update_voice_peer(*user_id, |p| p.speaking = *speaking)
            }
            ClientEvent::Walk(WalkEvent::Moved { x, y }) => self.moved_to(*x, *y),
        }
    }

    fn apply_world(&mut self, event: &WorldEvent) -> Vec<AppEvent> {
        match event {
            WorldEvent::Connected {
                user_id,
                display_name,
                roles,
            } => {
                self.identity = Some((user_id.as_str().to_owned(), display_name.clone()));
                self.roles.clone_from(roles);
                Vec::new()
            }
            WorldEvent::WorldState {
                world_id,
                zone,
                zone_type,
                topology,
                position,
                peers,
                world,
            } => {
                self.world_id = Some(world_id.clone());
                let mut out = Vec::new();
                if let Some(map) = world {
                    self.world = Some(map.clone());
                    out.push(AppEvent::World {
                        world: map.file().clone(),
                    });
                }
                let (user_id, display_name) = self.identity.clone().unwrap_or_default();
                let (x, y) = position.map_or((0.0, 0.0), |p| (p.x, p.y));
                let me = Me {
                    user_id,
                    display_name,
                    roles: self.roles.clone(),
                    zone: zone.as_str().to_owned(),
                    zone_type: *zone_type,
                    topology: topology_of(*zone_type, *topology),
                    x,
                    y,
                };
                self.me = Some(me.clone());
                out.push(AppEvent::Me { me });
                out.push(self.replace_peers(peers));
                if matches!(
                    self.session,
                    SessionStatus::Connecting { .. } | SessionStatus::Reconnecting { .. }
                ) {
                    out.extend(self.set_session(SessionStatus::Connected {
                        server: self.server.clone(),
                    }));
                }
                out
            }
            WorldEvent::PeerJoined {
                user_id,
                display_name,
                x,
                y,
            } => {
                let view = PeerView {
                    user_id: user_id.clone(),
                    display_name: display_name.clone(),
                    x: *x,
                    y: *y,
                };
                self.peers
                    .insert(user_id.as_str().to_owned(), new_peer(&view));
                vec![self.peers_event()]
            }
            WorldEvent::PeerLeft { user_id } => {
                self.links.remove(user_id.as_str());
                match self.peers.remove(user_id.as_str()) {
                    Some(_) => vec![AppEvent::PeerLeft {
                        user_id: user_id.as_str().to_owned(),
                    }],
                    None => Vec::new(),
                }
            }
            WorldEvent::Presence { user_id, x, y } => self.update_peer(user_id.as_str(), |p| {
                p.x = *x;
                p.y = *y;
            }),
            WorldEvent::ZoneChanged {
                zone,
                zone_type,
                topology,
                peers,
            } => {
                let Some(me) = &mut self.me else {
                    return Vec::new();
                };
                me.zone = zone.as_str().to_owned();
                me.zone_type = *zone_type;
                me.topology = topology_of(*zone_type, *topology);
                let me = AppEvent::Me { me: me.clone() };
                vec![me, self.replace_peers(peers)]
            }
            WorldEvent::Corrected { x, y, .. } => self.moved_to(*x, *y),
            WorldEvent::UserMuted { user_id, muted, .. } => {
                if self
                    .me
                    .as_ref()
                    .is_some_and(|me| me.user_id == user_id.as_str())
                {
                    self.set_self_voice(|v| v.server_muted = *muted)
                } else {
                    self.update_peer(user_id.as_str(), |p| p.server_muted = *muted)
                }
            }
            WorldEvent::InteractDenied { object_id, reason } => vec![notice(
                NoticeLevel::Info,
                format!("{} is not available ({reason:?})", object_id.as_str()),
            )],
            WorldEvent::Error { code, message } => {
                vec![notice(NoticeLevel::Error, format!("{code:?}: {message}"))]
            }
            WorldEvent::Reconnecting {
                attempt,
                delay_ms,
                reason,
            } => self.set_session(SessionStatus::Reconnecting {
                attempt: *attempt,
                in_secs: *delay_ms as f64 / 1000.0,
                error: reason.clone(),
            }),
            WorldEvent::Reconnected { .. } => Vec::new(),
            WorldEvent::Closed { reason, .. } => {
                if matches!(self.session, SessionStatus::Idle) {
                    return Vec::new();
                }
                self.set_session(SessionStatus::Failed {
                    error: reason.clone(),
                })
            }
            _ => Vec::new(),
        }
    }

    fn apply_media(&mut self, event: &MediaEvent) -> Vec<AppEvent> {
        match event {
            MediaEvent::Link {
                peer,
                state,
                relayed,
            } => {
                if *state == LinkState::Closed {
                    self.links.remove(peer.as_str());
                } else {
                    self.links.insert(
                        peer.as_str().to_owned(),
                        LinkInfo {
                            state: *state,
                            relayed: *relayed,
                        },
                    );
                }
            }
            MediaEvent::LinkClosed { peer, .. } => {
                self.links.remove(peer.as_str());
            }
            MediaEvent::SfuJoining { .. } => {}
            MediaEvent::SfuConnected { .. } => self.on_sfu = true,
            MediaEvent::SfuLeft { .. } => self.on_sfu = false,
        }
        self.refresh_paths(None)
    }

    fn apply_sfu(&mut self, event: &EngineEvent) -> Vec<AppEvent> {
        match event {
            EngineEvent::Kicked { reason } => vec![notice(
                NoticeLevel::Warning,
                format!("Removed from the voice channel: {reason}"),
            )],
            EngineEvent::JoinRefused { code } => vec![notice(
                NoticeLevel::Error,
                format!("The voice server refused to connect you: {code}"),
            )],
            EngineEvent::ServerError { code, message, .. } => {
                vec![notice(NoticeLevel::Error, format!("{code}: {message}"))]
            }
            _ => Vec::new(),
        }
    }

    /// Folds a voice sample in: each peer's path, speaking and gain, and the levels.
    pub fn sample(&mut self, sample: &VoiceSample) -> Vec<AppEvent> {
        if self.me.is_none() {
            return Vec::new();
        }
        let mut out = self.refresh_paths(Some(sample));
        if self.self_voice.speaking != sample.speaking {
            out.extend(self.set_self_voice(|v| v.speaking = sample.speaking));
        }
        let peers = self
            .peers
            .iter()
            .filter_map(|(id, p)| {
                let level = sample.levels.get(&p.voice_id?)?.level;
                Some((id.clone(), level.clamp(0.0, 1.0)))
            })
            .collect();
        let levels = (sample.input_level.clamp(0.0, 1.0), peers);
        // A quiet room sends nothing: the UI keeps the last levels.
        if self.last_levels.as_ref() != Some(&levels) {
            self.last_levels = Some(levels.clone());
            out.push(AppEvent::Levels {
                input: levels.0,
                peers: levels.1,
            });
        }
        out
    }

    /// Recomputes how each peer is heard; a Peer event for each that changed.
    fn refresh_paths(&mut self, sample: Option<&VoiceSample>) -> Vec<AppEvent> {
        let mut out = Vec::new();
        for (id, peer) in &mut self.peers {
            let link = self.links.get(id).copied();
            let mut next = peer.state.clone();
            let heard = sample.and_then(|s| s.remote.get(&peer.voice_id?)?.heard);
            let (path, connected) = path_of(heard, link, self.on_sfu);
            next.path = path;
            next.connected = connected;
            if let (Some(sample), Some(vid)) = (sample, peer.voice_id) {
                next.speaking = sample.levels.get(&vid).is_some_and(|l| l.speaking);
                if let Some(gain) = sample.gains.get(&vid) {
                    next.volume = gain.volume;
                    next.locally_muted = gain.locally_muted;
                }
            }
            if next != peer.state {
                peer.state = next.clone();
                out.push(AppEvent::Peer { peer: next });
            }
        }
        out
    }

    fn replace_peers(&mut self, peers: &[PeerView]) -> AppEvent {
        self.peers = peers
            .iter()
            .map(|p| (p.user_id.as_str().to_owned(), new_peer(p)))
            .collect();
        self.peers_event()
    }

    fn peers_event(&self) -> AppEvent {
        AppEvent::Peers {
            peers: self.peers(),
        }
    }

    fn update_peer(&mut self, user: &str, change: impl FnOnce(&mut PeerState)) -> Vec<AppEvent> {
        let Some(peer) = self.peers.get_mut(user) else {
            return Vec::new();
        };
        change(&mut peer.state);
        vec![AppEvent::Peer {
            peer: peer.state.clone(),
        }]
    }

    fn update_voice_peer(
        &mut self,
        voice: i64,
        change: impl FnOnce(&mut PeerState),
    ) -> Vec<AppEvent> {
        let user = self
            .peers
            .iter()
            .find(|(_, p)| p.voice_id == Some(voice))
            .map(|(id, _)| id.clone());
        match user {
            Some(user) => self.update_peer(&user, change),
            None => Vec::new(),
        }
    }
}

/// How a peer is heard: the path playing, else the connection that should carry it.
fn path_of(heard: Option<Path>, link: Option<LinkInfo>, on_sfu: bool) -> (VoicePath, bool) {
    let direct = |l: LinkInfo| {
        if l.relayed {
            VoicePath::Turn
        } else {
            VoicePath::P2p
        }
    };
    match (heard, link) {
        (Some(Path::Sfu), _) => (VoicePath::Sfu, true),
        (Some(Path::P2p), Some(l)) => (direct(l), true),
        (Some(Path::P2p), None) => (VoicePath::P2p, true),
        (None, Some(l)) => (direct(l), l.state == LinkState::Connected),
        (None, None) if on_sfu => (VoicePath::Sfu, true),
        (None, None) => (VoicePath::None, false),
    }
}

fn new_peer(view: &PeerView) -> Peer {
    Peer {
        state: PeerState {
            user_id: view.user_id.as_str().to_owned(),
            display_name: view.display_name.clone(),
            x: view.x,
            y: view.y,
            path: VoicePath::None,
            connected: false,
            speaking: false,
            volume: 1.0,
            locally_muted: false,
            server_muted: false,
        },
        voice_id: voice_id(&view.user_id),
    }
}

fn notice(level: NoticeLevel, message: String) -> AppEvent {
    AppEvent::Notice { level, message }
}

/// Open areas talk by proximity (P2P to whoever is near); other zones as the server says.
fn topology_of(zone_type: ZoneType, topology: MediaTopology) -> Topology {
    match (zone_type, topology) {
        (_, MediaTopology::Sfu) => Topology::Sfu,
        (ZoneType::OpenArea, _) => Topology::Proximity,
        (_, MediaTopology::P2pDirect | MediaTopology::P2pTurn) => Topology::P2p,
    }
}
