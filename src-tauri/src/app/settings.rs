//! The user's settings, kept as JSON in the app's config directory. A missing or unreadable
//! file gives the defaults (the user is told once, in the log); saving is atomic.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::contract::Settings;

/// Settings and where they live.
#[derive(Debug)]
pub struct SettingsStore {
    path: Option<PathBuf>,
    settings: Settings,
}

impl SettingsStore {
    /// Loads `path`, or the defaults when it is missing or broken. No path: never saved.
    pub fn load(path: Option<PathBuf>) -> Self {
        let settings = path
            .as_deref()
            .and_then(|p| match std::fs::read_to_string(p) {
                Ok(text) => serde_json::from_str(&text)
                    .inspect_err(|e| {
                        tracing::warn!(path = %p.display(), error = %e, "settings unreadable; using the defaults");
                    })
                    .ok(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "cannot read the settings; using the defaults");
                    None
                }
            })
            .unwrap_or_default();
        Self { path, settings }
    }

    /// Like [`SettingsStore::load`], with `link` (an invite the app was opened with) first among
    /// the recent servers, where the join screen takes its server from. Saved with the next
    /// change, like any recent server.
    pub fn load_opening(path: Option<PathBuf>, link: Option<&str>) -> Self {
        let mut store = Self::load(path);
        if let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) {
            remember_server(&mut store.settings, link);
        }
        store
    }

    pub fn get(&self) -> &Settings {
        &self.settings
    }

    /// Replaces the settings and saves them.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn set(&mut self, mut settings: Settings) -> anyhow::Result<()> {
        settings.recent_servers.truncate(Settings::MAX_RECENT);
        for volume in settings.user_volumes.values_mut() {
            *volume = if volume.is_finite() {
                volume.clamp(0.0, 2.0)
            } else {
                1.0
            };
        }
        self.settings = settings;
        self.save()
    }

    /// Changes the settings in place and saves them.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn update(&mut self, change: impl FnOnce(&mut Settings)) -> anyhow::Result<()> {
        let mut next = self.settings.clone();
        change(&mut next);
        self.set(next)
    }

    fn save(&self) -> anyhow::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        write_atomically(path, &serde_json::to_string_pretty(&self.settings)?)
    }
}

/// Puts `server` first in the recent list, without duplicates.
pub fn remember_server(settings: &mut Settings, server: &str) {
    settings.recent_servers.retain(|s| s != server);
    settings.recent_servers.insert(0, server.to_owned());
    settings.recent_servers.truncate(Settings::MAX_RECENT);
}

fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, text).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("replacing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "hearth-settings-{name}-{}",
            sfu_core::host::lan::random_hex(4)
        ));
        dir.join("settings.json")
    }

    #[test]
    fn a_link_the_app_was_opened_with_comes_first_on_the_join_screen() {
        let dir = std::env::temp_dir().join(format!("hearth-settings-open-{}", std::process::id()));
        let path = dir.join("settings.json");
        let mut store = SettingsStore::load(Some(path.clone()));
        store
            .update(|s| {
                remember_server(s, "hearth://a:1/join/x");
                remember_server(s, "b:2");
            })
            .expect("saves");
        let opened = SettingsStore::load_opening(Some(path.clone()), Some(" hearth://a:1/join/x "));
        assert_eq!(
            opened.get().recent_servers,
            ["hearth://a:1/join/x", "b:2"],
            "first, once"
        );
        let plain = SettingsStore::load_opening(Some(path), Some("  "));
        assert_eq!(plain.get().recent_servers, ["b:2", "hearth://a:1/join/x"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn settings_survive_a_restart() {
        let path = temp_path("restart");
        let mut store = SettingsStore::load(Some(path.clone()));
        assert_eq!(store.get(), &Settings::default());
        store
            .update(|s| {
                s.display_name = "Ada".into();
                s.user_volumes.insert("Bob".into(), 7.0);
                remember_server(s, "hearth://a:1/join/x");
                remember_server(s, "b:2");
                remember_server(s, "hearth://a:1/join/x");
            })
            .expect("saved");
        let reloaded = SettingsStore::load(Some(path.clone()));
        assert_eq!(reloaded.get().display_name, "Ada");
        assert_eq!(
            reloaded.get().user_volumes["Bob"],
            2.0,
            "volumes are clamped"
        );
        assert_eq!(
            reloaded.get().recent_servers,
            ["hearth://a:1/join/x", "b:2"]
        );
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn a_broken_file_gives_the_defaults_and_partial_files_fill_in() {
        let path = temp_path("broken");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        std::fs::write(&path, "{not json").expect("write");
        assert_eq!(
            SettingsStore::load(Some(path.clone())).get(),
            &Settings::default()
        );
        std::fs::write(&path, r#"{"displayName":"Ada"}"#).expect("write");
        let partial = SettingsStore::load(Some(path.clone()));
        assert_eq!(partial.get().display_name, "Ada");
        assert_eq!(partial.get().ptt_key, "Space");
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn the_recent_list_is_capped() {
        let mut settings = Settings::default();
        for i in 0..20 {
            remember_server(&mut settings, &format!("h{i}:1"));
        }
        assert_eq!(settings.recent_servers.len(), Settings::MAX_RECENT);
        assert_eq!(settings.recent_servers[0], "h19:1");
    }
}
