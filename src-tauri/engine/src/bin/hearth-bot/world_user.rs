//! One user of `hearth-bot world-load`: walks to its zone and wanders there, sending presence at
//! the run's rate through the engine's [`WorldClient`], and times every `PRESENCE_BROADCAST` it
//! receives against the send log.
//!
//! Every update's position is unique: a tiny per-update offset (a tenth of a micro-tile, far below
//! anything a map or the server's checks notice) is added to the walk, so a broadcast's
//! `(user, position)` names exactly one update. Nothing else travels on the wire.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hearth_engine::media::probe::now_ns;
use hearth_engine::world_client::{WorldClient, WorldEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sfu_core::roles::Role;
use sfu_core::world::map::{World, ZoneId};
use sfu_core::world::wire::Position;
use tokio::sync::{mpsc, watch};

use crate::walk::ZoneWalk;
use crate::world_stats::{SendLog, UserStats, Window};

/// Walking speed on the way to the zone, tiles/s (the server allows 8).
const TRANSIT_SPEED: f64 = 6.0;
/// Walking speed inside the zone, tiles/s.
const WANDER_SPEED: f64 = 2.0;
/// Offset added per update to make positions unique, in tiles.
const UNIQUE_STEP: f64 = 1e-7;
/// How long a user may take to leave at the end.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a user lives and with which roles.
#[derive(Debug, Clone)]
pub struct UserPlan {
    /// The zone it walks to and stays in.
    pub home: ZoneId,
    /// Its token's roles.
    pub roles: Vec<Role>,
}

/// What every user of a run shares.
pub struct Shared {
    /// User index by world user id.
    pub index: HashMap<String, usize>,
    /// When each update was sent.
    pub log: SendLog,
    /// The measurement window.
    pub window: Window,
    /// Users that reached their zone.
    pub arrived: AtomicUsize,
    /// The world being walked.
    pub world: Arc<World>,
    /// Presence updates per user per second.
    pub rate_hz: f64,
}

/// One user's state while it runs.
struct User {
    index: usize,
    plan: UserPlan,
    shared: Arc<Shared>,
    walk: Option<ZoneWalk>,
    arrived: bool,
    sent: u64,
    stats: UserStats,
}

/// Runs user `index` until `stop` turns true or its session ends; returns what it saw.
pub async fn run(
    index: usize,
    plan: UserPlan,
    client: WorldClient,
    mut events: mpsc::Receiver<WorldEvent>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> UserStats {
    let mut rng = StdRng::seed_from_u64(index as u64);
    let period = Duration::from_secs_f64(1.0 / shared.rate_hz);
    // Users tick out of phase, as real clients would.
    let phase = period.mul_f64(rng.random_range(0.0..1.0));
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut user = User {
        index,
        plan,
        shared,
        walk: None,
        arrived: false,
        sent: 0,
        stats: UserStats::default(),
    };
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    if !user.on_event(event) {
                        break;
                    }
                }
                None => break,
            },
            _ = ticker.tick(), if user.walk.is_some() => {
                if let Some(to) = user.next_position(&mut rng) {
                    client.move_to(to).await;
                }
            }
            _ = stop.changed() => break,
        }
    }
    user.stats.events_dropped = client.dropped_events();
    let _ = tokio::time::timeout(LEAVE_TIMEOUT, client.leave()).await;
    user.stats
}

impl User {
    /// Handles one event; false when the session is over.
    fn on_event(&mut self, event: WorldEvent) -> bool {
        let now = now_ns();
        let in_window = self.shared.window.contains(now);
        if in_window {
            self.stats.messages_received += 1;
        }
        match event {
            WorldEvent::Presence { user_id, x, y } => {
                if in_window {
                    self.stats.presence_received += 1;
                }
                let sender = self.shared.index.get(user_id.as_str()).copied();
                match sender.and_then(|s| self.shared.log.received(s, x, y, now)) {
                    Some(sent) if self.shared.window.contains(sent) => {
                        let us = now.saturating_sub(sent) / 1000;
                        self.stats
                            .delays_us
                            .push(u32::try_from(us).unwrap_or(u32::MAX));
                    }
                    Some(_) => {}
                    None if in_window => self.stats.unmatched += 1,
                    None => {}
                }
            }
            WorldEvent::WorldState { zone, position, .. } => {
                let spawn = self.shared.world.open_area_spawn().position;
                let start = position.map_or((spawn.x, spawn.y), |p| (p.x, p.y));
                let (rate, world) = (self.shared.rate_hz, self.shared.world.clone());
                self.walk = ZoneWalk::new(
                    world,
                    self.plan.roles.clone(),
                    start,
                    self.plan.home.clone(),
                    TRANSIT_SPEED / rate,
                    WANDER_SPEED / rate,
                );
                if self.walk.is_none() {
                    self.stats.error(format!(
                        "no route to {} for user {}",
                        self.plan.home, self.index
                    ));
                }
                self.note_zone(zone.as_str());
            }
            WorldEvent::ZoneChanged { zone, .. } => self.note_zone(zone.as_str()),
            WorldEvent::Corrected { x, y, reason } => {
                self.stats.corrections += 1;
                tracing::debug!(user = self.index, x, y, ?reason, "corrected");
                if let Some(walk) = &mut self.walk {
                    walk.snap((x, y));
                }
            }
            WorldEvent::Error { code, message } => self.stats.error(format!("{code:?}: {message}")),
            WorldEvent::Closed { reason, .. } => {
                self.stats.ended_early = Some(reason);
                return false;
            }
            _ => {}
        }
        true
    }

    fn note_zone(&mut self, zone: &str) {
        if !self.arrived && zone == self.plan.home.as_str() {
            self.arrived = true;
            self.shared.arrived.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The next position to send, logged with its send time.
    fn next_position(&mut self, rng: &mut impl Rng) -> Option<Position> {
        let (x, y) = self.walk.as_mut()?.step(rng);
        self.sent += 1;
        let x = x + self.sent as f64 * UNIQUE_STEP;
        let now = now_ns();
        if !self.shared.log.sent(self.index, x, y, now) {
            tracing::warn!(user = self.index, x, y, "a position was sent twice");
        }
        if self.shared.window.contains(now) {
            self.stats.updates_sent += 1;
        }
        Some(Position::new(x, y))
    }
}
