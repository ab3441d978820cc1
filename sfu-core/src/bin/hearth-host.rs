//! `hearth-host`: the Hearth room server: the world server at `/world`, the SFU at `/signal`,
//! and the LAN invite flow, on one HTTP port plus one UDP port.
//!
//! Prints one `listening` JSON line on stdout once bound; logs go to stderr.

use std::net::{IpAddr, SocketAddr};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sfu_core::host::lan::{load_world_or_demo, random_hex};
use sfu_core::host::{self, HostConfig};
use token::TokenCommand;

#[path = "hearth-host/token.rs"]
mod token;

#[derive(Parser)]
#[command(
    name = "hearth-host",
    version,
    about = "Hearth room server: SFU, world and interop on one port"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Mint a token for testing.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Args)]
struct RunArgs {
    /// HTTP listener (WebSockets, /healthz, /metrics).
    #[arg(long, env = "HEARTH_LISTEN", default_value = "0.0.0.0:7800")]
    listen: SocketAddr,
    /// UDP socket for all media.
    #[arg(long, env = "HEARTH_UDP", default_value = "0.0.0.0:7800")]
    udp: SocketAddr,
    /// Address announced in ICE candidates (the LAN or public IP clients reach).
    #[arg(long, env = "HEARTH_PUBLIC_IP")]
    public_ip: Option<IpAddr>,
    /// HS256 key for tokens; random per run when absent (printed once to stderr).
    #[arg(long, env = "HEARTH_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Token issuer (`iss`).
    #[arg(long, env = "HEARTH_ISSUER", default_value = "hearth")]
    issuer: String,
    /// World file (JSON, SPEC section 6); the bundled demo world when absent.
    #[arg(long, env = "HEARTH_WORLD")]
    world: Option<std::path::PathBuf>,
    /// Invite code for `POST /api/session`; random when absent (printed once to stderr).
    #[arg(long, env = "HEARTH_INVITE", hide_env_values = true)]
    invite: Option<String>,
    /// TURN server URL handed out on `ICE_FAILED` (repeat for several).
    #[arg(long = "turn-url", env = "HEARTH_TURN_URL", value_delimiter = ',')]
    turn_urls: Vec<String>,
    /// Shared secret of the TURN server's REST API (coturn `static-auth-secret`).
    #[arg(long, env = "HEARTH_TURN_SECRET", hide_env_values = true)]
    turn_secret: Option<String>,
    /// The main server's interop endpoint the SFU dials (`ws://HOST:PORT/dspeak/interop`);
    /// the built-in world server when absent.
    #[arg(long, env = "HEARTH_INTEROP_URL")]
    interop_url: Option<String>,
    /// Let `/socket` (dspeak clients) join with a bare user id as `auth`, unauthenticated, as
    /// the dspeak backend does. Without it `auth` must be a signed SFU token.
    #[arg(long, env = "HEARTH_DSPEAK_OPEN")]
    dspeak_open: bool,
    /// SFU worker threads (default: one per core). Channels are spread over them; worker N's
    /// media socket is on `--udp`'s port + N.
    #[arg(long, env = "HEARTH_WORKERS")]
    workers: Option<usize>,
    /// Most peers in one SFU channel; further joins are refused as full.
    #[arg(long, env = "HEARTH_MAX_CHANNEL_PEERS", default_value_t = sfu_core::sfu::DEFAULT_MAX_CHANNEL_PEERS)]
    max_channel_peers: usize,
    /// Log format on stderr.
    #[arg(long, env = "HEARTH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Json,
    Pretty,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Token(command)) => token::run(command),
        None => run(cli.run),
    }
}

/// `len` random bytes as lowercase hex.
fn run(args: RunArgs) -> anyhow::Result<()> {
    init_logs(args.log_format);
    let world = load_world_or_demo(args.world.as_deref())?;
    let secret = args.secret.unwrap_or_else(|| {
        let secret = random_hex(24);
        eprintln!("hearth-host: no --secret given; this run's token secret is {secret}");
        secret
    });
    let invite = args.invite.unwrap_or_else(|| {
        let invite = random_hex(4);
        eprintln!("hearth-host: no --invite given; this run's invite code is {invite}");
        invite
    });
    if args.turn_secret.is_some() && args.turn_urls.is_empty() {
        anyhow::bail!("--turn-secret needs at least one --turn-url");
    }
    let config = HostConfig {
        listen: args.listen,
        udp: args.udp,
        public_ip: args.public_ip,
        secret: secret.into_bytes(),
        issuer: args.issuer,
        world,
        invite,
        turn_urls: args.turn_urls,
        turn_secret: args.turn_secret.map(String::into_bytes),
        interop_url: args.interop_url,
        dspeak_open: args.dspeak_open,
        workers: args
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
        max_channel_peers: args.max_channel_peers,
    };
    if config.dspeak_open {
        eprintln!(
            "hearth-host: --dspeak-open: /socket accepts bare user ids without authentication"
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let host = host::start(config).await?;
        let line = serde_json::json!({
            "event": "listening",
            "http": host.http_addr.to_string(),
            "udp": host.udp_addr.to_string(),
            "world_id": host.world_id,
            "workspace_id": host.workspace_id,
        });
        println!("{line}");
        tracing::info!(http = %host.http_addr, udp = %host.udp_addr, "hearth-host listening");
        wait_for_signal().await?;
        tracing::info!("shutting down");
        host.shutdown().await;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,str0m=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}
