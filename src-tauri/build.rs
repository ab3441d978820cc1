fn main() {
    // The app embeds the built UI; say how to build it rather than fail inside a macro.
    let dist = std::path::Path::new("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist/index.html");
    assert!(
        dist.exists(),
        "ui/dist is missing: build the UI first with scripts/ui.sh (npm ci && npm run build in ui/)"
    );
    tauri_build::build();
}
