//! The Tauri commands: thin calls into [`App`], named as `ui/src/backend/tauri.ts` invokes them.

use std::path::PathBuf;

use tauri::State;
use tauri::ipc::Channel;

use super::contract::{
    AppEvent, AppSnapshot, Devices, HostInfo, ModerationAction, Settings, TalkModeSetting,
};
use super::core::App;
use super::error::AppResult as Reply;

#[tauri::command]
pub fn snapshot(app: State<'_, App>) -> AppSnapshot {
    app.snapshot()
}

#[tauri::command]
pub fn subscribe(app: State<'_, App>, on_event: Channel<AppEvent>) {
    app.subscribe(Box::new(move |event| on_event.send(event.clone()).is_ok()));
}

#[tauri::command]
pub async fn join(app: State<'_, App>, server: String, display_name: String) -> Reply {
    app.join(&server, &display_name).await
}

#[tauri::command]
pub async fn leave(app: State<'_, App>) -> Reply {
    app.leave().await;
    Ok(())
}

#[tauri::command]
pub fn walk_to(app: State<'_, App>, x: f64, y: f64) {
    app.walk_to(x, y);
}

#[tauri::command]
pub fn walk(app: State<'_, App>, dx: f64, dy: f64) {
    app.walk(dx, dy);
}

#[tauri::command]
pub fn set_self_muted(app: State<'_, App>, muted: bool) {
    app.set_self_muted(muted);
}

#[tauri::command]
pub fn set_deafened(app: State<'_, App>, deafened: bool) {
    app.set_deafened(deafened);
}

#[tauri::command]
pub fn set_talk_mode(app: State<'_, App>, mode: TalkModeSetting) {
    app.set_talk_mode(mode);
}

#[tauri::command]
pub fn set_push_to_talk(app: State<'_, App>, pressed: bool) {
    app.set_push_to_talk(pressed);
}

#[tauri::command]
pub fn set_user_volume(app: State<'_, App>, user_id: String, volume: f32) -> Reply {
    app.set_user_volume(&user_id, volume)
}

#[tauri::command]
pub fn set_user_muted(app: State<'_, App>, user_id: String, muted: bool) -> Reply {
    app.set_user_muted(&user_id, muted)
}

#[tauri::command]
pub async fn list_devices(app: State<'_, App>) -> Reply<Devices> {
    app.list_devices()
}

#[tauri::command]
pub fn set_devices(app: State<'_, App>, input: Option<String>, output: Option<String>) -> Reply {
    app.set_devices(input, output)
}

#[tauri::command]
pub fn save_settings(app: State<'_, App>, settings: Settings) -> Reply {
    app.save_settings(settings)
}

#[tauri::command]
pub fn moderate(app: State<'_, App>, action: ModerationAction) -> Reply {
    app.moderate(action)
}

#[tauri::command]
pub async fn host_start(app: State<'_, App>, world_file: Option<String>) -> Reply<HostInfo> {
    app.host_start(world_file.map(PathBuf::from)).await
}

#[tauri::command]
pub async fn host_stop(app: State<'_, App>) -> Reply {
    app.host_stop().await;
    Ok(())
}

#[tauri::command]
pub fn clear_protocol(app: State<'_, App>) {
    app.clear_protocol();
}
