//! `hearth-host token ...`: mints SFU, world and interop tokens for testing (SPEC section 1),
//! printed alone on stdout so scripts can capture them.

use anyhow::Context;
use clap::{Args, Subcommand};
use sfu_core::auth::{
    SfuTokenRequest, WorldTokenRequest, mint_interop_token, mint_operator_token, mint_sfu_token,
    mint_world_token,
};
use sfu_core::ids::{ChannelId, UserId};
use sfu_core::perms::Permissions;
use sfu_core::roles::Role;
use uuid::Uuid;

/// Which token to mint, with its claims.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// An SFU join token (`typ=sfu`).
    Sfu {
        #[arg(long)]
        user: i64,
        #[arg(long)]
        channel: i64,
        /// Permission bitmask (1048576 Connect, 2097152 Speak, 67108864 Administrator, ...).
        #[arg(long, default_value_t = Permissions::MOVED_GRANT.bits())]
        perms: i64,
        /// Sets `moved=true` (joins past a block; grants Connect, Speak, Video).
        #[arg(long)]
        moved: bool,
        #[command(flatten)]
        signing: Signing,
    },
    /// A world token (`typ=world`) for `/world`'s CONNECT.
    World {
        /// The user's UUID; a fresh random one when absent.
        #[arg(long)]
        user: Option<Uuid>,
        /// The workspace's UUID (the world's `workspaceId`; `hearth-host` prints it when it
        /// starts); the demo world's when absent. A world only takes tokens for its workspace.
        #[arg(long)]
        workspace: Option<Uuid>,
        /// The display name other users see.
        #[arg(long, default_value = "Guest")]
        name: String,
        /// The avatar id.
        #[arg(long, default_value = "")]
        avatar: String,
        /// Comma-separated roles: Admin, Editor, Member, Guest.
        #[arg(long, value_delimiter = ',', default_value = "Guest")]
        roles: Vec<Role>,
        #[command(flatten)]
        signing: Signing,
    },
    /// An interop token (`typ=interop`) for an SFU dialling `/dspeak/interop`.
    Interop {
        /// The SFU's name (the `sub` claim).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        signing: Signing,
    },
    /// An operator token (`typ=operator`) for `/api/sfu/channels` and `/api/interop/presence`
    /// (`Authorization: Bearer <token>`).
    Operator {
        /// Who operates (the `sub` claim).
        #[arg(long, default_value = "operator")]
        name: String,
        #[command(flatten)]
        signing: Signing,
    },
}

/// Key, issuer and lifetime, shared by every token kind.
#[derive(Args)]
pub struct Signing {
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: u64,
    /// HS256 key (the host's `--secret`).
    #[arg(long, env = "HEARTH_SECRET", hide_env_values = true)]
    secret: String,
    /// Token issuer (`iss`).
    #[arg(long, env = "HEARTH_ISSUER", default_value = "hearth")]
    issuer: String,
}

/// Mints the token `command` describes, valid from now, and prints it on stdout.
pub fn run(command: TokenCommand) -> anyhow::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("reading the clock")?
        .as_secs();
    let now = i64::try_from(now).context("the clock is past the year 292 billion")?;
    sfu_core::auth::check_secret(command.signing().secret.as_bytes())?;
    println!("{}", mint(command, now));
    Ok(())
}

impl TokenCommand {
    fn signing(&self) -> &Signing {
        match self {
            TokenCommand::Sfu { signing, .. }
            | TokenCommand::World { signing, .. }
            | TokenCommand::Interop { signing, .. }
            | TokenCommand::Operator { signing, .. } => signing,
        }
    }
}

/// The token `command` describes, issued at `now_unix`.
fn mint(command: TokenCommand, now_unix: i64) -> String {
    match command {
        TokenCommand::Sfu {
            user,
            channel,
            perms,
            moved,
            signing,
        } => {
            let request = SfuTokenRequest {
                user: UserId(user),
                channel: ChannelId(channel),
                perms: Permissions::from_bits(perms),
                moved,
                ttl_secs: signing.ttl,
            };
            mint_sfu_token(
                signing.secret.as_bytes(),
                &signing.issuer,
                &request,
                now_unix,
            )
        }
        TokenCommand::World {
            user,
            workspace,
            name,
            avatar,
            roles,
            signing,
        } => {
            let request = WorldTokenRequest {
                user_id: user.unwrap_or_else(Uuid::new_v4),
                workspace_id: workspace.unwrap_or_else(|| {
                    Uuid::from_bytes(sfu_core::world::map::World::demo().workspace_id().0)
                }),
                roles,
                display_name: name,
                avatar_id: avatar,
                ttl_secs: signing.ttl,
            };
            mint_world_token(
                signing.secret.as_bytes(),
                &signing.issuer,
                &request,
                now_unix,
            )
        }
        TokenCommand::Operator { name, signing } => mint_operator_token(
            signing.secret.as_bytes(),
            &signing.issuer,
            &name,
            signing.ttl,
            now_unix,
        ),
        TokenCommand::Interop { name, signing } => mint_interop_token(
            signing.secret.as_bytes(),
            &signing.issuer,
            &name,
            signing.ttl,
            now_unix,
        ),
    }
}
