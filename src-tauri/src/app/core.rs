//! The app without its window: the state the UI shows, the commands it sends, the session and
//! the LAN host. Tauri commands are thin calls into [`App`]; tests drive it directly.
//!
//! The state has one owner, an actor thread ([`StateActor`]): every command and every engine
//! event reaches it as a message and they run one after another, so the UI sees changes in the
//! order they were made, and no caller holds a lock (nor waits on one while the webview is fed:
//! that is the feed's thread). Long work (joining, hosting, leaving) runs in the caller and sends
//! the state its results.

use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, mpsc as sync_mpsc};

use sfu_core::world::wire::{
    ClientMessage, KickFromWorld, MuteUser, RemoveFromZone, WorldId, WorldUserId, ZoneId,
};
use tokio::sync::mpsc;

use super::contract::{
    AppEvent, AppSnapshot, DeviceInfo, Devices, HostInfo, HostStatus, ModerationAction,
    NoticeLevel, SessionStatus, Settings, TalkModeSetting,
};
use super::error::{AppError, AppErrorCode, AppResult};
use super::feed::{EventFeed, EventSink};
use super::host::LanHost;
use super::inspector::ProtocolLog;
use super::session::{self, SessionCommand, SessionHandle};
use super::settings::{SettingsStore, remember_server};
use super::view::{View, VoiceSample};
use hearth_engine::audio::device::{DeviceInput, DeviceOutput, list_devices};
use hearth_engine::audio::{AudioSink, AudioSource, NullSink, SilenceSource, TalkMode};
use hearth_engine::client::{ClientConfig, ClientEvent, HearthClient};
use hearth_engine::inspect::{ProtocolTap, TappedFrame};
use hearth_engine::p2p::plan::AudioRange;
use hearth_engine::voice::args::VoiceArgs;
use hearth_engine::voice::{VoiceConfig, VoiceEngine};
use hearth_engine::world_client::invite::{open_session, parse_server};
use sfu_core::host::session_api::SessionResponse;

/// Frames the inspector may fall behind by before it drops some.
const TAP_DEPTH: usize = 4096;
/// A mute without a duration: the server caps it (SPEC: at most a day).
const OPEN_ENDED_MUTE_SECS: u64 = 24 * 3600;

/// How the app runs (its command line).
#[derive(Clone)]
pub struct AppOptions {
    /// Synthetic audio (a tone, a WAV file, a recording) instead of the sound devices.
    pub synthetic_voice: Option<VoiceArgs>,
    /// Port of "Host a LAN room" (0: any free one).
    pub host_port: u16,
    /// Local address for media sockets.
    pub bind_ip: IpAddr,
    /// Where settings are kept; None: not saved.
    pub settings_path: Option<PathBuf>,
    /// An invite link the app was opened with (an invite clicked in a browser or a chat): put
    /// first among the recent servers, so the join screen opens with it filled in.
    pub open_link: Option<String>,
}

struct State {
    /// Where changes are reported (delivered by the feed's own thread).
    feed: EventFeed,
    view: View,
    log: ProtocolLog,
    settings: SettingsStore,
    host: Option<LanHost>,
    host_status: HostStatus,
    session: Option<SessionHandle>,
}

/// A change to (or a read of) the app's state, run by its actor.
type Job = Box<dyn FnOnce(&mut State) + Send>;

/// The thread that owns the app's state and runs its jobs in the order they were sent. It ends
/// when the last [`App`] is dropped.
#[derive(Clone)]
struct StateActor {
    jobs: sync_mpsc::Sender<Job>,
}

impl StateActor {
    fn start(mut state: State) -> Self {
        let (jobs, inbox) = sync_mpsc::channel::<Job>();
        let owner = move || {
            while let Ok(job) = inbox.recv() {
                // A bug in one job must not take the app's state with it.
                if catch_unwind(AssertUnwindSafe(|| job(&mut state))).is_err() {
                    tracing::error!("a change to the app's state panicked; the state is kept");
                }
            }
        };
        if let Err(e) = std::thread::Builder::new()
            .name("hearth-app-state".into())
            .spawn(owner)
        {
            // Without a thread nothing can run; every ask then fails loudly below.
            tracing::error!(error = %e, "cannot start the app's state thread");
        }
        Self { jobs }
    }

    /// Runs `change` after everything sent before it; does not wait for it.
    fn tell(&self, change: impl FnOnce(&mut State) + Send + 'static) {
        if self.jobs.send(Box::new(change)).is_err() {
            tracing::error!("the app's state thread is gone; a change was dropped");
        }
    }

    /// Runs `read` after everything sent before it and returns its result. The actor never
    /// waits on anything, so this is as short as taking a lock was.
    fn ask<T: Send + 'static>(&self, read: impl FnOnce(&mut State) -> T + Send + 'static) -> T {
        let (reply, answer) = sync_mpsc::sync_channel(1);
        self.tell(move |state| {
            let _ = reply.send(read(state));
        });
        answer
            .recv()
            .expect("the app's state thread answers while the app lives")
    }
}

/// The app; cheap to clone.
#[derive(Clone)]
pub struct App {
    options: Arc<AppOptions>,
    state: StateActor,
    feed: EventFeed,
    tap: ProtocolTap,
}

impl App {
    /// The app, and the frames its inspector must be fed ([`App::run_inspector`]).
    pub fn new(options: AppOptions) -> (Self, mpsc::Receiver<TappedFrame>) {
        let (tap, frames) = ProtocolTap::new(TAP_DEPTH);
        let feed = EventFeed::start();
        let state = State {
            feed: feed.clone(),
            view: View::default(),
            log: ProtocolLog::default(),
            settings: SettingsStore::load_opening(
                options.settings_path.clone(),
                options.open_link.as_deref(),
            ),
            host: None,
            host_status: HostStatus {
                running: false,
                info: None,
                error: None,
            },
            session: None,
        };
        let app = Self {
            options: Arc::new(options),
            state: StateActor::start(state),
            feed,
            tap,
        };
        (app, frames)
    }

    /// Queues events for every subscriber (the feed delivers them without any lock held).
    pub fn emit(&self, events: Vec<AppEvent>) {
        self.feed.send(events);
    }

    /// Runs `change` on the view and queues what it reports, in order with every other change.
    fn with_view(&self, change: impl FnOnce(&mut View) -> Vec<AppEvent> + Send + 'static) {
        self.state.tell(move |state| {
            let events = change(&mut state.view);
            state.feed.send(events);
        });
    }

    pub fn subscribe(&self, sink: EventSink) {
        self.feed.subscribe(sink);
    }

    /// Feeds the inspector until the tap closes.
    pub async fn run_inspector(self, mut frames: mpsc::Receiver<TappedFrame>) {
        while let Some(frame) = frames.recv().await {
            self.state.tell(move |state| {
                let message = state.log.record(&frame);
                state.feed.send(vec![AppEvent::Protocol { message }]);
            });
        }
    }

    pub fn clear_protocol(&self) {
        self.state.tell(|state| state.log.clear());
    }

    pub fn snapshot(&self) -> AppSnapshot {
        self.state.ask(|state| AppSnapshot {
            settings: state.settings.get().clone(),
            session: state.view.session().clone(),
            host: state.host_status.clone(),
            world: state.view.world_file().cloned(),
            me: state.view.me().cloned(),
            peers: state.view.peers(),
            self_voice: state.view.self_voice().clone(),
            protocol: state.log.entries(),
        })
    }

    pub fn settings(&self) -> Settings {
        self.state.ask(|state| state.settings.get().clone())
    }

    /// Saves new settings; the talk mode and the microphone processing apply at once (with
    /// sound devices; a synthetic voice keeps its command line's), devices at the next join.
    ///
    /// # Errors
    /// When they cannot be written.
    pub fn save_settings(&self, settings: Settings) -> AppResult {
        let talk_mode = settings.talk_mode;
        let processing = settings.processing();
        self.state
            .ask(move |state| state.settings.set(settings))
            .map_err(|e| AppError::from_chain(AppErrorCode::SettingsNotSaved, &e))?;
        self.set_talk_mode(talk_mode);
        if let Some(engine) = self.engine()
            && self.options.synthetic_voice.is_none()
        {
            engine.set_processing(processing);
        }
        Ok(())
    }

    /// Joins `server` (an invite link) as `display_name`, leaving any current session.
    ///
    /// # Errors
    /// A sentence for the user: bad input, an unreachable host, a refused invite.
    pub async fn join(&self, server: &str, display_name: &str) -> AppResult {
        let target =
            parse_server(server).map_err(|e| AppError::new(AppErrorCode::InvalidServer, e))?;
        let invite = target.invite.ok_or_else(|| {
            AppError::new(
                AppErrorCode::InvalidServer,
                format!(
                    "{} needs an invite link to join (hearth://{}/join/<code>); ask the host for it.",
                    target.http_addr, target.http_addr
                ),
            )
        })?;
        let name = display_name.trim();
        if name.is_empty() {
            return Err(AppError::new(
                AppErrorCode::InvalidName,
                "Enter a display name.",
            ));
        }
        let (http_addr, secure) = (target.http_addr.clone(), target.secure);
        self.join_with(server.trim(), name, async move {
            open_session(&http_addr, secure, &invite, name).await
        })
        .await
    }

    /// Leaves any current session, then joins with the session `open` gets, as `name`, showing
    /// `server` as where.
    async fn join_with(
        &self,
        server: &str,
        name: &str,
        open: impl std::future::Future<Output = anyhow::Result<SessionResponse>>,
    ) -> AppResult {
        self.leave().await;
        let server = server.to_owned();
        let connecting = SessionStatus::Connecting {
            server: server.clone(),
        };
        self.with_view(move |v| v.set_session(connecting));
        let joined = async { self.connect(open.await?).await };
        match joined.await {
            Ok(()) => {
                let name = name.to_owned();
                let saved = self.state.ask(move |state| {
                    state.settings.update(|s| {
                        remember_server(s, &server);
                        s.display_name = name;
                    })
                });
                if let Err(e) = saved {
                    tracing::warn!(error = %format!("{e:#}"), "cannot save the settings");
                }
                Ok(())
            }
            Err(e) => {
                let error = AppError::from_chain(AppErrorCode::JoinFailed, &e);
                let failed = SessionStatus::Failed {
                    error: error.message.clone(),
                };
                self.with_view(move |v| v.set_session(failed));
                Err(error)
            }
        }
    }

    async fn connect(&self, session: SessionResponse) -> anyhow::Result<()> {
        let (voice, talk_mode) = self.voice_config()?;
        let (engine, voice_events) = VoiceEngine::start(voice)?;
        let config = ClientConfig {
            world_url: session.world_url,
            token: session.token,
            world_id: WorldId::new(session.world_id),
            bind_ip: self.options.bind_ip,
            range: AudioRange::default(),
            relay_only: self.settings().relay_only,
            tap: Some(self.tap.clone()),
        };
        let (client, events) =
            match HearthClient::connect(config, engine.clone(), voice_events).await {
                Ok(connected) => connected,
                Err(e) => {
                    engine.shutdown().await;
                    return Err(e.into());
                }
            };
        self.with_view(move |v| {
            v.set_self_voice(|s| {
                s.self_muted = false;
                s.server_muted = false;
                s.deafened = false;
                s.ptt_pressed = false;
                s.talk_mode = talk_mode.into();
            })
        });
        let handle = session::spawn(self.clone(), client, events, engine);
        self.state.tell(move |state| state.session = Some(handle));
        Ok(())
    }

    /// The voice engine's config: synthetic audio when the command line asks, else the sound
    /// devices from the settings (silence and nowhere when they cannot open: the user is told).
    fn voice_config(&self) -> anyhow::Result<(VoiceConfig, TalkMode)> {
        if let Some(args) = &self.options.synthetic_voice {
            let config = args.voice_config()?;
            let mode = config.talk_mode;
            return Ok((config, mode));
        }
        let settings = self.settings();
        let source: Box<dyn AudioSource> = match DeviceInput::open(settings.input_device.as_deref())
        {
            Ok(input) => Box::new(input),
            Err(e) => {
                self.notice(NoticeLevel::Warning, format!("No microphone: {e}"));
                Box::new(SilenceSource::new())
            }
        };
        let output: Box<dyn AudioSink> = match DeviceOutput::open(settings.output_device.as_deref())
        {
            Ok(output) => Box::new(output),
            Err(e) => {
                self.notice(NoticeLevel::Warning, format!("No speakers: {e}"));
                Box::new(NullSink::new())
            }
        };
        let mut config = VoiceConfig::new(source, output);
        config.talk_mode = settings.talk_mode.into();
        config.processing = settings.processing();
        let mode = config.talk_mode;
        Ok((config, mode))
    }

    fn notice(&self, level: NoticeLevel, message: String) {
        self.emit(vec![AppEvent::Notice { level, message }]);
    }

    /// Leaves the world, if in one.
    pub async fn leave(&self) {
        let session = self.state.ask(|state| state.session.take());
        if let Some(session) = session {
            session.leave().await;
        }
        self.with_view(|v| v.set_session(SessionStatus::Idle));
    }

    /// The session ended by itself (kicked, refused, host gone): forget its handle.
    pub(super) fn session_ended(&self, id: u64) {
        self.state.tell(move |state| {
            if state.session.as_ref().is_some_and(|s| s.id() == id) {
                state.session = None;
            }
        });
    }

    fn send(&self, command: SessionCommand) {
        self.state.tell(move |state| {
            if let Some(session) = &state.session {
                session.send(command);
            }
        });
    }

    fn engine(&self) -> Option<VoiceEngine> {
        self.state
            .ask(|state| state.session.as_ref().map(|s| s.engine().clone()))
    }

    pub fn walk_to(&self, x: f64, y: f64) {
        self.send(SessionCommand::WalkTo(x, y));
    }

    pub fn walk(&self, dx: f64, dy: f64) {
        self.send(SessionCommand::Walk(dx, dy));
    }

    pub fn set_self_muted(&self, muted: bool) {
        self.send(SessionCommand::SetSelfMuted(muted));
        self.with_view(move |v| v.set_self_voice(|s| s.self_muted = muted));
    }

    pub fn set_deafened(&self, deafened: bool) {
        if let Some(engine) = self.engine() {
            engine.set_deafened(deafened);
        }
        self.with_view(move |v| v.set_self_voice(|s| s.deafened = deafened));
    }

    pub fn set_talk_mode(&self, mode: TalkModeSetting) {
        if let Some(engine) = self.engine() {
            engine.set_talk_mode(mode.into());
        }
        self.with_view(move |v| v.set_self_voice(|s| s.talk_mode = mode));
    }

    pub fn set_push_to_talk(&self, pressed: bool) {
        if let Some(engine) = self.engine() {
            engine.set_push_to_talk(pressed);
        }
        self.with_view(move |v| v.set_self_voice(|s| s.ptt_pressed = pressed));
    }

    /// Sets a peer's volume (0..2) and remembers it by their name for next time.
    ///
    /// # Errors
    /// When the user is not in the zone.
    pub fn set_user_volume(&self, user: &str, volume: f32) -> AppResult {
        let volume = if volume.is_finite() {
            volume.clamp(0.0, 2.0)
        } else {
            1.0
        };
        let (voice, name) = self.peer(user)?;
        if let Some(engine) = self.engine() {
            engine.set_user_volume(voice, volume);
        }
        let saved = self.state.ask(move |state| {
            state.settings.update(|s| {
                s.user_volumes.insert(name, volume);
            })
        });
        if let Err(e) = saved {
            tracing::warn!(error = %format!("{e:#}"), "cannot save the settings");
        }
        Ok(())
    }

    /// Mutes a peer for this user only.
    ///
    /// # Errors
    /// When the user is not in the zone.
    pub fn set_user_muted(&self, user: &str, muted: bool) -> AppResult {
        let (voice, _) = self.peer(user)?;
        if let Some(engine) = self.engine() {
            engine.set_user_muted(voice, muted);
        }
        Ok(())
    }

    fn peer(&self, user: &str) -> AppResult<(i64, String)> {
        let key = user.to_owned();
        let found = self.state.ask(move |state| {
            let voice = state.view.voice_id_of(&key);
            let name = state.view.name_of(&key).map(str::to_owned);
            voice.zip(name)
        });
        found.ok_or_else(|| {
            AppError::new(
                AppErrorCode::UnknownUser,
                format!("{user} is not in this zone"),
            )
        })
    }

    /// Applies the remembered volume of every peer in the zone.
    pub(super) fn restore_volumes(&self, engine: &VoiceEngine) {
        let engine = engine.clone();
        self.state.tell(move |state| {
            let volumes = &state.settings.get().user_volumes;
            for peer in state.view.peers() {
                if let (Some(volume), Some(voice)) = (
                    volumes.get(&peer.display_name),
                    state.view.voice_id_of(&peer.user_id),
                ) {
                    engine.set_user_volume(voice, *volume);
                }
            }
        });
    }

    /// Sends a moderation request; the server checks the role and answers with an error when
    /// it is not allowed.
    ///
    /// # Errors
    /// When not in a world.
    pub fn moderate(&self, action: ModerationAction) -> AppResult {
        let (zone, world) = self
            .state
            .ask(|state| {
                let me = state.view.me()?;
                let world = state.view.world_id()?;
                Some((ZoneId::new(me.zone.as_str()), world.clone()))
            })
            .ok_or_else(AppError::not_in_world)?;
        let message = match action {
            ModerationAction::Mute {
                user_id,
                duration_secs,
            } => ClientMessage::MuteUser(MuteUser {
                target_user_id: WorldUserId::new(user_id),
                duration: duration_secs.unwrap_or(OPEN_ENDED_MUTE_SECS).max(1),
            }),
            ModerationAction::Unmute { user_id } => ClientMessage::MuteUser(MuteUser {
                target_user_id: WorldUserId::new(user_id),
                duration: 0,
            }),
            ModerationAction::Remove { user_id } => ClientMessage::RemoveFromZone(RemoveFromZone {
                target_user_id: WorldUserId::new(user_id),
                zone_id: zone,
            }),
            ModerationAction::Kick { user_id, .. } => ClientMessage::KickFromWorld(KickFromWorld {
                target_user_id: WorldUserId::new(user_id),
                world_id: world,
            }),
        };
        self.send(SessionCommand::Request(message));
        Ok(())
    }

    /// The sound devices.
    ///
    /// # Errors
    /// When no audio host can list them.
    pub fn list_devices(&self) -> AppResult<Devices> {
        let list = list_devices()
            .map_err(|e| AppError::new(AppErrorCode::DevicesUnavailable, e.to_string()))?;
        let infos = |devices: Vec<hearth_engine::audio::device::DeviceInfo>| {
            devices
                .into_iter()
                .map(|d| DeviceInfo {
                    name: d.name,
                    is_default: d.is_default,
                })
                .collect()
        };
        Ok(Devices {
            inputs: infos(list.inputs),
            outputs: infos(list.outputs),
        })
    }

    /// Chooses the devices (None: the system's default); used from the next join on.
    ///
    /// # Errors
    /// When the settings cannot be saved.
    pub fn set_devices(&self, input: Option<String>, output: Option<String>) -> AppResult {
        self.state
            .ask(move |state| {
                state.settings.update(|s| {
                    s.input_device = input;
                    s.output_device = output;
                })
            })
            .map_err(|e| AppError::from_chain(AppErrorCode::SettingsNotSaved, &e))?;
        if self.engine().is_some() {
            self.notice(
                NoticeLevel::Info,
                "The new devices are used from the next time you join.".into(),
            );
        }
        Ok(())
    }

    /// Starts hosting a LAN room (the demo world or `world_file`) and joins it.
    ///
    /// # Errors
    /// When the world does not load or the host cannot start.
    pub async fn host_start(&self, world_file: Option<PathBuf>) -> AppResult<HostInfo> {
        self.host_stop().await;
        let host = match LanHost::start(self.options.host_port, world_file.as_deref()).await {
            Ok(host) => host,
            Err(e) => {
                let error = AppError::from_chain(AppErrorCode::HostFailed, &e);
                self.set_host_status(HostStatus {
                    running: false,
                    info: None,
                    error: Some(error.message.clone()),
                });
                return Err(error);
            }
        };
        let info = host.info().clone();
        let name = match self.settings().display_name {
            name if name.trim().is_empty() => "Host".to_owned(),
            name => name,
        };
        let session = host.admin_session(&name);
        self.state.tell(move |state| state.host = Some(host));
        self.set_host_status(HostStatus {
            running: true,
            info: Some(info.clone()),
            error: None,
        });
        self.join_with(&info.invite_link, &name, async { Ok(session) })
            .await?;
        Ok(info)
    }

    /// Stops hosting (leaving the room first when this app is in it).
    pub async fn host_stop(&self) {
        let Some(host) = self.state.ask(|state| state.host.take()) else {
            return;
        };
        self.leave().await;
        host.stop().await;
        self.set_host_status(HostStatus {
            running: false,
            info: None,
            error: None,
        });
    }

    fn set_host_status(&self, status: HostStatus) {
        self.state.tell(move |state| {
            state.host_status = status.clone();
            state.feed.send(vec![AppEvent::Host(status)]);
        });
    }

    /// Leaves and stops hosting: the app is closing.
    pub async fn shutdown(&self) {
        self.leave().await;
        self.host_stop().await;
    }

    /// Folds an engine event into the view (the session task calls it).
    pub(super) fn on_client_event(&self, event: ClientEvent) {
        self.with_view(move |v| v.apply(&event));
    }

    /// Folds a voice sample into the view.
    pub(super) fn on_voice_sample(&self, sample: VoiceSample) {
        self.with_view(move |v| v.sample(&sample));
    }

    /// Runs `read` on the view and returns what it found (the session task's voice sample needs
    /// the peers).
    pub(super) fn read_view<T: Send + 'static>(
        &self,
        read: impl FnOnce(&View) -> T + Send + 'static,
    ) -> T {
        self.state.ask(move |state| read(&state.view))
    }
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;
