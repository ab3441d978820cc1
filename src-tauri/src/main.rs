//! `hearth`: the desktop app. With no arguments it opens the join screen; `hearth LINK` opens it
//! with that invite filled in (what a clicked `hearth://` link runs, through the desktop entry);
//! `--host` hosts a LAN room with the demo world (or `--world FILE`) and joins it; `--join LINK`
//! joins an invite.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::Parser;
use hearth_client::app::{AppOptions, Startup};
use hearth_engine::voice::args::VoiceArgs;

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "Hearth: voice worlds on your desktop"
)]
struct Cli {
    /// An invite link (`hearth://HOST:PORT/join/CODE`) to show on the join screen.
    #[arg(conflicts_with_all = ["host", "join"])]
    link: Option<String>,
    /// Host a LAN room at start and join it.
    #[arg(long, env = "HEARTH_APP_HOST")]
    host: bool,
    /// The world file to host (default: the demo world).
    #[arg(long, env = "HEARTH_WORLD", requires = "host")]
    world: Option<PathBuf>,
    /// Port of the LAN room, for HTTP and UDP (0: any free one).
    #[arg(long, env = "HEARTH_HOST_PORT", default_value_t = 7800)]
    host_port: u16,
    /// Join this invite link at start.
    #[arg(long, conflicts_with = "host")]
    join: Option<String>,
    /// Display name (saved in the settings).
    #[arg(long, env = "HEARTH_NAME")]
    name: Option<String>,
    /// The settings file (default: the app's config directory).
    #[arg(long, env = "HEARTH_SETTINGS")]
    settings: Option<PathBuf>,
    /// Local address for media sockets.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    bind: IpAddr,
    /// Synthetic audio instead of the sound devices (tests, demos): `--tone`, `--wav`, `--record`.
    #[command(flatten)]
    voice: VoiceArgs,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,str0m=warn,webrtc=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let synthetic = cli.voice.tone.is_some()
        || cli.voice.wav.is_some()
        || cli.voice.record.is_some()
        || cli.voice.input_device.is_some()
        || cli.voice.output_device.is_some();
    let processing = cli.voice.processing_given().then(|| cli.voice.processing());
    let options = AppOptions {
        synthetic_voice: synthetic.then_some(cli.voice),
        host_port: cli.host_port,
        bind_ip: cli.bind,
        settings_path: cli.settings,
        open_link: cli.link,
    };
    let startup = Startup {
        host: cli.host.then_some(cli.world),
        join: cli.join,
        name: cli.name,
        processing,
    };
    hearth_client::run(options, startup)
}
