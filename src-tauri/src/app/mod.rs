//! The desktop app: a Tauri 2 window over [`core::App`]. Everything the UI sees and asks for is
//! in [`contract`]; the window itself is [`builder`] plus [`commands`].

pub mod commands;
pub mod contract;
pub mod core;
pub mod host;
pub mod inspector;
pub mod session;
pub mod settings;
pub mod view;
pub mod walker;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
mod view_tests;

use std::path::PathBuf;

use tauri::{Manager, Runtime};

pub use core::{App, AppOptions};

/// What to do once the window is up.
#[derive(Debug, Clone, Default)]
pub struct Startup {
    /// Host a LAN room (this world file, or the demo world) and join it.
    pub host: Option<Option<PathBuf>>,
    /// Join this invite link.
    pub join: Option<String>,
    /// The display name for `join` (or the host), instead of the saved one.
    pub name: Option<String>,
}

/// The app's builder: its commands and state. Tests pass `tauri::test::mock_builder()`.
pub fn builder<R: Runtime>(builder: tauri::Builder<R>, app: App) -> tauri::Builder<R> {
    builder.manage(app).invoke_handler(tauri::generate_handler![
        commands::snapshot,
        commands::subscribe,
        commands::join,
        commands::leave,
        commands::walk_to,
        commands::walk,
        commands::set_self_muted,
        commands::set_deafened,
        commands::set_talk_mode,
        commands::set_push_to_talk,
        commands::set_user_volume,
        commands::set_user_muted,
        commands::list_devices,
        commands::set_devices,
        commands::save_settings,
        commands::moderate,
        commands::host_start,
        commands::host_stop,
        commands::clear_protocol,
    ])
}

/// Runs the desktop app until its window closes; then leaves and stops hosting.
///
/// # Errors
/// When the window cannot be created.
pub fn run(mut options: AppOptions, startup: Startup) -> anyhow::Result<()> {
    let context = tauri::generate_context!();
    if options.settings_path.is_none() {
        options.settings_path = default_settings_path(context.config().identifier.as_str());
    }
    let (app, frames) = App::new(options);
    tauri::async_runtime::spawn(app.clone().run_inspector(frames));
    let started = app.clone();
    let tauri_app = builder(tauri::Builder::default(), app.clone())
        .setup(move |_| {
            tauri::async_runtime::spawn(start(started, startup));
            Ok(())
        })
        .build(context)?;
    tauri_app.run(move |handle, event| {
        if let tauri::RunEvent::Exit = event {
            let app = handle.state::<App>().inner().clone();
            tauri::async_runtime::block_on(app.shutdown());
        }
    });
    Ok(())
}

/// Carries out the command line's `--name`, `--host` and `--join`.
async fn start(app: App, startup: Startup) {
    if let Some(name) = startup.name.filter(|n| !n.trim().is_empty()) {
        let mut settings = app.settings();
        settings.display_name = name;
        if let Err(e) = app.save_settings(settings) {
            tracing::warn!(error = %e, "cannot save the display name");
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
fn default_settings_path(identifier: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join(identifier).join("settings.json"))
}
