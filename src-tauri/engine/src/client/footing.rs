//! Where this user stands and where they are walking, inside the client: the one predicted
//! position that both the media plan and the app's view follow. Sans-IO: world events and
//! walking commands go in, and [`Footing::step`] (time passed in) says where the user stands
//! next; the actor sends that to the server and reports it ([`super::events::WalkEvent`]).

use std::time::{Duration, Instant};

use sfu_core::roles::Role;
use sfu_core::world::wire::Position;

use super::walker::Walker;
use crate::world_client::{SharedWorldMap, WorldEvent};

/// A step longer than this (the actor was held up) is walked as this much: no jumps.
const LONGEST_STEP: Duration = Duration::from_millis(200);

/// This user's position, the map and roles that bound their walking, and the walk under way.
#[derive(Debug, Default)]
pub struct Footing {
    walker: Walker,
    at: Option<(f64, f64)>,
    map: Option<SharedWorldMap>,
    roles: Vec<Role>,
    last_step: Option<Instant>,
}

impl Footing {
    /// Learns what the world says about this user: roles, the map and where they start, where
    /// the server put them. A correction stops the walk rather than push against it; crossing
    /// into another zone is part of a walk and does not.
    pub fn on_world(&mut self, event: &WorldEvent) {
        match event {
            WorldEvent::Connected { roles, .. } => self.roles.clone_from(roles),
            WorldEvent::WorldState {
                position, world, ..
            } => {
                self.map.clone_from(world);
                self.at = position.map(|p| (p.x, p.y));
                self.walker.stop();
            }
            WorldEvent::Corrected { x, y, .. } => {
                self.at = Some((*x, *y));
                self.walker.stop();
            }
            _ => {}
        }
    }

    /// The user was placed at `at` by a direct move (a bot's own steps).
    pub fn placed(&mut self, at: Position) {
        self.at = Some((at.x, at.y));
    }

    /// Walk to `(x, y)` (a click on the map).
    pub fn walk_to(&mut self, now: Instant, x: f64, y: f64) {
        self.set_off(now);
        self.walker.walk_to(x, y);
    }

    /// Walk this way while keys are held; `(0, 0)` stops.
    pub fn walk(&mut self, now: Instant, dx: f64, dy: f64) {
        self.set_off(now);
        self.walker.walk(dx, dy);
    }

    pub fn is_walking(&self) -> bool {
        self.walker.is_walking()
    }

    /// Where the user stands now.
    pub fn position(&self) -> Option<Position> {
        self.at.map(|(x, y)| Position { x, y })
    }

    /// Walks for the time since the last step; the new position, if the user moved.
    pub fn step(&mut self, now: Instant) -> Option<Position> {
        let dt = self
            .last_step
            .replace(now)
            .map_or(Duration::ZERO, |last| now.saturating_duration_since(last))
            .min(LONGEST_STEP);
        let from = self.at?;
        let world = self.map.as_ref()?.world()?;
        let (x, y) = self.walker.step(from, dt, world, &self.roles)?;
        self.at = Some((x, y));
        Some(Position { x, y })
    }

    /// A walk starting after a pause measures its first step from now, not from the last.
    fn set_off(&mut self, now: Instant) {
        if !self.walker.is_walking() {
            self.last_step = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use sfu_core::world::map::{World, WorldFile};
    use sfu_core::world::wire::{CorrectionReason, MediaTopology, WorldId, ZoneId, ZoneType};

    use super::*;
    use crate::world_client::Point;
    use crate::world_client::WorldMap;

    fn entered(at: (f64, f64)) -> WorldEvent {
        WorldEvent::WorldState {
            world_id: WorldId::new("w"),
            zone: ZoneId::new("open"),
            zone_type: ZoneType::OpenArea,
            topology: MediaTopology::P2pDirect,
            position: Some(Point { x: at.0, y: at.1 }),
            peers: Vec::new(),
            world: Some(WorldMap::decode(
                serde_json::to_value(WorldFile::from(&World::demo())).expect("serializes"),
            )),
        }
    }

    #[test]
    fn a_click_walks_from_where_the_world_placed_the_user_at_walking_speed() {
        let t0 = Instant::now();
        let mut footing = Footing::default();
        footing.walk_to(t0, 30.5, 22.5);
        assert_eq!(footing.step(t0), None, "nowhere to walk from yet");
        footing.on_world(&entered((28.5, 22.5)));
        footing.walk_to(t0, 30.5, 22.5);
        let first = footing
            .step(t0 + Duration::from_millis(100))
            .expect("walks");
        assert!(
            (first.x - 29.0).abs() < 1e-9,
            "half a tile in 100 ms: {first:?}"
        );
        // Held up for a second: the next step is bounded, not a jump.
        let next = footing
            .step(t0 + Duration::from_millis(1_100))
            .expect("walks");
        assert!((next.x - first.x) <= 5.0 * 0.2 + 1e-9, "{next:?}");
        assert_eq!(footing.position(), Some(next));
    }

    #[test]
    fn a_correction_stops_the_walk_where_the_server_says() {
        let t0 = Instant::now();
        let mut footing = Footing::default();
        footing.on_world(&entered((28.5, 22.5)));
        footing.walk(t0, 1.0, 0.0);
        assert!(footing.step(t0 + Duration::from_millis(50)).is_some());
        footing.on_world(&WorldEvent::Corrected {
            x: 27.0,
            y: 22.0,
            reason: CorrectionReason::Invalid,
        });
        assert!(!footing.is_walking());
        assert_eq!(footing.position(), Some(Position { x: 27.0, y: 22.0 }));
        assert_eq!(footing.step(t0 + Duration::from_millis(100)), None);
    }

    #[test]
    fn a_walk_after_a_pause_starts_from_its_first_step() {
        let t0 = Instant::now();
        let mut footing = Footing::default();
        footing.on_world(&entered((28.5, 22.5)));
        // Idle for ten seconds, then a key: the first step covers 50 ms, not ten seconds.
        footing.walk(t0 + Duration::from_secs(10), 1.0, 0.0);
        let first = footing
            .step(t0 + Duration::from_millis(10_050))
            .expect("walks");
        assert!((first.x - 28.75).abs() < 1e-9, "{first:?}");
    }
}
