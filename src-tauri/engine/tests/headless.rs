//! The engine is headless: `hearth-bot` runs and links no part of a desktop toolkit, so the
//! server-side tools build and run on a machine with no display libraries, Node or UI build.

use std::process::Command;

const BOT: &str = env!("CARGO_BIN_EXE_hearth-bot");

/// Libraries of the webview and its toolkit, any one of which would mean the app leaked in.
const DESKTOP_LIBRARIES: [&str; 6] = [
    "libwebkit",
    "libjavascriptcore",
    "libgtk",
    "libgdk",
    "libsoup",
    "libayatana",
];

#[test]
fn hearth_bot_links_no_webview_or_toolkit() {
    let ldd = Command::new("ldd").arg(BOT).output().expect("runs ldd");
    assert!(ldd.status.success(), "ldd {BOT}: {ldd:?}");
    let linked = String::from_utf8_lossy(&ldd.stdout);
    assert!(
        linked.contains("libc.so"),
        "ldd lists the bot's libraries: {linked}"
    );
    let desktop: Vec<&str> = linked
        .lines()
        .filter(|line| DESKTOP_LIBRARIES.iter().any(|lib| line.contains(lib)))
        .collect();
    assert!(desktop.is_empty(), "hearth-bot links {desktop:?}");
}

#[test]
fn hearth_bot_runs_and_names_its_subcommands() {
    let help = Command::new(BOT)
        .arg("--help")
        .output()
        .expect("runs hearth-bot");
    assert!(help.status.success(), "hearth-bot --help: {help:?}");
    let text = String::from_utf8_lossy(&help.stdout);
    for subcommand in ["world", "sfu", "load"] {
        assert!(text.contains(subcommand), "no `{subcommand}` in: {text}");
    }
}
