//! The webview's footprint. The UI is a handful of panels and one 2D canvas: WebKit's GPU
//! compositing buys it nothing, yet under software GL (Xvfb, VMs, machines without a GPU
//! driver) it costs the web process about 120 MB in a call (docs/BENCHMARKS.md, "Desktop app").
//! So the app asks for software painting, no WebGL and the smallest cache model, unless
//! `HEARTH_WEBVIEW_GPU=1` asks for WebKit's defaults.

use tauri::{Runtime, WebviewWindow};

/// Keeps WebKit's defaults when set to `1`.
pub const GPU_ENV: &str = "HEARTH_WEBVIEW_GPU";

/// Applies the lean settings to `window`'s webview (Linux: WebKitGTK; elsewhere nothing).
pub fn make_lean<R: Runtime>(window: &WebviewWindow<R>) {
    if std::env::var(GPU_ENV).is_ok_and(|v| v == "1") {
        tracing::info!("webview keeps GPU compositing ({GPU_ENV}=1)");
        return;
    }
    if let Err(e) = window.with_webview(apply) {
        tracing::warn!(error = %e, "cannot configure the webview");
    }
}

#[cfg(target_os = "linux")]
fn apply(webview: tauri::webview::PlatformWebview) {
    use webkit2gtk::{
        CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
    };
    let view = webview.inner();
    if let Some(settings) = WebViewExt::settings(&view) {
        settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        settings.set_enable_webgl(false);
        settings.set_enable_page_cache(false);
    }
    if let Some(context) = view.context() {
        context.set_cache_model(CacheModel::DocumentViewer);
    }
}

#[cfg(not(target_os = "linux"))]
fn apply(_webview: tauri::webview::PlatformWebview) {}
