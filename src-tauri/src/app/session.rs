//! One joined world, as a task: it owns the [`HearthClient`], walks the avatar, samples the
//! voice engine for the UI, and hands every engine event to the [`App`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sfu_core::world::wire::ClientMessage;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::core::App;
use super::view::VoiceSample;
use hearth_engine::client::{ClientEvent, HearthClient};
use hearth_engine::voice::VoiceEngine;
use hearth_engine::world_client::WorldEvent;

/// How often the avatar steps and the UI's levels refresh.
const TICK: Duration = Duration::from_millis(50);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What the app asks of the session.
#[derive(Debug)]
pub enum SessionCommand {
    WalkTo(f64, f64),
    Walk(f64, f64),
    Request(ClientMessage),
    SetSelfMuted(bool),
    Leave,
}

/// Handle to the session task.
pub struct SessionHandle {
    id: u64,
    commands: mpsc::UnboundedSender<SessionCommand>,
    engine: VoiceEngine,
    task: JoinHandle<()>,
}

impl SessionHandle {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn engine(&self) -> &VoiceEngine {
        &self.engine
    }

    pub fn send(&self, command: SessionCommand) {
        let _ = self.commands.send(command);
    }

    /// Leaves the world and waits until the session and its audio have stopped.
    pub async fn leave(self) {
        let _ = self.commands.send(SessionCommand::Leave);
        let _ = self.task.await;
    }
}

/// Starts the session task.
pub fn spawn(
    app: App,
    client: HearthClient,
    events: mpsc::Receiver<ClientEvent>,
    engine: VoiceEngine,
) -> SessionHandle {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let (commands_tx, commands) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(id, app, client, events, commands, engine.clone()));
    SessionHandle {
        id,
        commands: commands_tx,
        engine,
        task,
    }
}

async fn run(
    id: u64,
    app: App,
    client: HearthClient,
    mut events: mpsc::Receiver<ClientEvent>,
    mut commands: mpsc::UnboundedReceiver<SessionCommand>,
    engine: VoiceEngine,
) {
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let left_by_user = loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break false };
                let new_peers = matches!(
                    &event,
                    ClientEvent::World(WorldEvent::WorldState { .. } | WorldEvent::PeerJoined { .. } | WorldEvent::ZoneChanged { .. })
                );
                app.on_client_event(event);
                if new_peers {
                    app.restore_volumes(&engine);
                }
            }
            command = commands.recv() => match command {
                Some(SessionCommand::WalkTo(x, y)) => client.walk_to(x, y).await,
                Some(SessionCommand::Walk(dx, dy)) => client.walk(dx, dy).await,
                Some(SessionCommand::Request(message)) => client.request(message).await,
                Some(SessionCommand::SetSelfMuted(muted)) => client.set_self_muted(muted).await,
                Some(SessionCommand::Leave) | None => break true,
            },
            _ = ticker.tick() => app.on_voice_sample(sample(&engine, &app)),
        }
    };
    if left_by_user {
        client.leave().await;
    } else {
        // The client ended by itself; it has already said why (a Closed event).
        client.closed().await;
    }
    engine.shutdown().await;
    app.session_ended(id);
}

/// How the voice engine is doing, for the peers the UI shows.
fn sample(engine: &VoiceEngine, app: &App) -> VoiceSample {
    let voices: Vec<i64> = app.read_view(|view| {
        view.peers()
            .iter()
            .filter_map(|p| view.voice_id_of(&p.user_id))
            .collect()
    });
    VoiceSample {
        remote: engine.remote_status(),
        levels: engine.user_levels(),
        gains: voices.iter().map(|v| (*v, engine.user_gain(*v))).collect(),
        input_level: engine.input_level(),
        speaking: *engine.speaking().borrow(),
    }
}
