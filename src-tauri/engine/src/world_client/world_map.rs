//! The world file the server sent, decoded once when it arrives and shared (an `Arc`) by all
//! that need it: the UI draws the JSON, walking and the reconnect walk-back plan on the map.

use std::sync::Arc;

use serde_json::Value;
use sfu_core::world::map::{World, load_world};

/// A world file as sent, with the map it decodes to.
#[derive(Debug, PartialEq)]
pub struct WorldMap {
    file: Value,
    world: Option<World>,
}

/// How a world file is shared.
pub type SharedWorldMap = Arc<WorldMap>;

impl WorldMap {
    /// Decodes `file`; one that does not validate is kept for drawing, without a map (and said
    /// once, here).
    pub fn decode(file: Value) -> SharedWorldMap {
        let world = load_world(&file.to_string())
            .inspect_err(|e| tracing::warn!(error = %e, "the server's world file does not load"))
            .ok();
        Arc::new(Self { file, world })
    }

    /// The file as the server sent it.
    pub fn file(&self) -> &Value {
        &self.file
    }

    /// The validated map, if the file validates.
    pub fn world(&self) -> Option<&World> {
        self.world.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_file_decodes_to_its_map_and_a_broken_one_is_kept_for_drawing() {
        let demo = serde_json::to_value(sfu_core::world::map::WorldFile::from(&World::demo()))
            .expect("the demo serializes");
        let map = WorldMap::decode(demo.clone());
        assert_eq!(map.file(), &demo);
        assert_eq!(map.world(), Some(&World::demo()));
        let broken = serde_json::json!({"spawnPoints": []});
        let map = WorldMap::decode(broken.clone());
        assert_eq!((map.file(), map.world()), (&broken, None));
    }
}
