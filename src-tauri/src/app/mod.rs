//! The desktop app: a Tauri 2 window over [`core::App`]. Everything the UI sees and asks for is
//! in [`contract`]; the window is `crate::builder` plus [`commands`].

pub mod commands;
pub mod contract;
pub mod core;
pub mod error;
pub mod feed;
pub mod host;
pub mod inspector;
pub mod session;
pub mod settings;
pub mod view;
pub mod webview;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod view_tests;

use std::path::PathBuf;

use hearth_engine::audio::processing::ProcessingConfig;

pub use core::{App, AppOptions};
pub use error::{AppError, AppErrorCode, AppResult};

/// What to do once the window is up.
#[derive(Debug, Clone, Default)]
pub struct Startup {
    /// Host a LAN room (this world file, or the demo world) and join it.
    pub host: Option<Option<PathBuf>>,
    /// Join this invite link.
    pub join: Option<String>,
    /// The display name for `join` (or the host), instead of the saved one.
    pub name: Option<String>,
    /// Microphone processing from the command line, saved over the settings.
    pub processing: Option<ProcessingConfig>,
}

/// Carries out the command line's `--name`, `--host` and `--join`.
pub(crate) async fn start(app: App, startup: Startup) {
    if let Some(name) = startup.name.filter(|n| !n.trim().is_empty()) {
        let mut settings = app.settings();
        settings.display_name = name;
        if let Err(e) = app.save_settings(settings) {
            tracing::warn!(error = %e, "cannot save the display name");
        }
    }
    if let Some(processing) = startup.processing {
        let mut settings = app.settings();
        settings.set_processing(processing);
        if let Err(e) = app.save_settings(settings) {
            tracing::warn!(error = %e, "cannot save the microphone processing");
        }
    }
    if let Some(world) = startup.host {
        if let Err(e) = app.host_start(world).await {
            tracing::error!(error = %e, "cannot host a LAN room");
        }
    } else if let Some(link) = startup.join {
        let name = match app.settings().display_name {
            name if name.trim().is_empty() => "Guest".to_owned(),
            name => name,
        };
        if let Err(e) = app.join(&link, &name).await {
            tracing::error!(error = %e, "cannot join");
        }
    }
}

/// `$XDG_CONFIG_HOME/<identifier>/settings.json` (or under `~/.config`).
pub(crate) fn default_settings_path(identifier: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join(identifier).join("settings.json"))
}
