//! `hearth-host`: the Hearth room server (SFU today; world server and interop to come).
//!
//! Prints one `listening` JSON line on stdout once bound; logs go to stderr.

use std::net::{IpAddr, SocketAddr};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use rand::RngCore;
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

fn run(args: RunArgs) -> anyhow::Result<()> {
    init_logs(args.log_format);
    let secret = args.secret.unwrap_or_else(|| {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        eprintln!("hearth-host: no --secret given; this run's token secret is {secret}");
        secret
    });
    let config = HostConfig {
        listen: args.listen,
        udp: args.udp,
        public_ip: args.public_ip,
        secret: secret.into_bytes(),
        issuer: args.issuer,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let host = host::start(config).await?;
        let line = serde_json::json!({
            "event": "listening",
            "http": host.http_addr.to_string(),
            "udp": host.udp_addr.to_string(),
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
