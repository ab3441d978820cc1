//! Hearth's desktop app: a Tauri window (the builder below, [`app`]) over the client engine,
//! `hearth_engine`, which holds everything that is not the window.

pub mod app;

use tauri::{Manager, Runtime};

/// The app's builder: its commands and state. Tests pass `tauri::test::mock_builder()`.
pub fn builder<R: Runtime>(builder: tauri::Builder<R>, app: app::App) -> tauri::Builder<R> {
    builder.manage(app).invoke_handler(tauri::generate_handler![
        app::commands::snapshot,
        app::commands::subscribe,
        app::commands::join,
        app::commands::leave,
        app::commands::walk_to,
        app::commands::walk,
        app::commands::set_self_muted,
        app::commands::set_deafened,
        app::commands::set_talk_mode,
        app::commands::set_push_to_talk,
        app::commands::set_user_volume,
        app::commands::set_user_muted,
        app::commands::list_devices,
        app::commands::set_devices,
        app::commands::save_settings,
        app::commands::moderate,
        app::commands::host_start,
        app::commands::host_stop,
        app::commands::clear_protocol,
    ])
}

/// Runs the desktop app until its window closes; then leaves and stops hosting.
///
/// # Errors
/// When the window cannot be created.
pub fn run(mut options: app::AppOptions, startup: app::Startup) -> anyhow::Result<()> {
    let context = tauri::generate_context!();
    if options.settings_path.is_none() {
        options.settings_path = app::default_settings_path(context.config().identifier.as_str());
    }
    let (app, frames) = app::App::new(options);
    tauri::async_runtime::spawn(app.clone().run_inspector(frames));
    let started = app.clone();
    let tauri_app = builder(tauri::Builder::default(), app.clone())
        .setup(move |handle| {
            if let Some(window) = handle.get_webview_window("main") {
                app::webview::make_lean(&window);
            }
            tauri::async_runtime::spawn(app::start(started, startup));
            Ok(())
        })
        .build(context)?;
    tauri_app.run(move |handle, event| {
        if let tauri::RunEvent::Exit = event {
            let app = handle.state::<app::App>().inner().clone();
            tauri::async_runtime::block_on(app.shutdown());
        }
    });
    Ok(())
}
