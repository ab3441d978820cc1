//! A raw `/world` client for end-to-end tests: typed messages over a real WebSocket.

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use sfu_core::auth::{WorldTokenRequest, mint_world_token};
use sfu_core::host::RunningHost;
use sfu_core::roles::Role;
use sfu_core::world::wire::{self, ClientMessage, ServerMessage, decode_server};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use super::{ISSUER, SECRET, WAIT, unix_now};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A world token for a new user with `roles`.
pub fn world_token(name: &str, roles: &[Role]) -> (Uuid, String) {
    let user = Uuid::new_v4();
    let request = WorldTokenRequest {
        user_id: user,
        workspace_id: Uuid::from_bytes(sfu_core::world::map::World::demo().workspace_id().0),
        roles: roles.to_vec(),
        display_name: name.to_owned(),
        avatar_id: "fox".to_owned(),
        ttl_secs: 600,
    };
    (user, mint_world_token(SECRET, ISSUER, &request, unix_now()))
}

/// What arrived next on a world socket.
#[derive(Debug)]
pub enum WorldFrame {
    Message(ServerMessage),
    Closed(Option<u16>),
}

pub struct WorldClient {
    pub user: Uuid,
    pub name: String,
    ws: Ws,
    pub position: (f64, f64),
    /// Messages read while waiting for something else.
    pub seen: Vec<ServerMessage>,
}

impl WorldClient {
    /// Opens a socket without signing in (for protocol tests).
    pub async fn open(host: &RunningHost) -> anyhow::Result<Ws> {
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{}/world", host.http_addr)).await?;
        Ok(ws)
    }

    /// Signs in with a fresh token and joins the world; returns once `WORLD_STATE` arrived.
    pub async fn join(host: &RunningHost, name: &str, roles: &[Role]) -> anyhow::Result<Self> {
        let (user, token) = world_token(name, roles);
        Self::join_with(host, user, name, token).await
    }

    pub async fn join_with(
        host: &RunningHost,
        user: Uuid,
        name: &str,
        token: String,
    ) -> anyhow::Result<Self> {
        let ws = Self::open(host).await?;
        let mut client = Self {
            user,
            name: name.to_owned(),
            ws,
            position: (0.0, 0.0),
            seen: Vec::new(),
        };
        client
            .send(&ClientMessage::Connect(wire::Connect {
                token,
                client_version: "e2e".into(),
            }))
            .await?;
        client
            .expect("CONNECTED", |m| matches!(m, ServerMessage::Connected(_)))
            .await?;
        let world_id = wire::WorldId::new(host.world_id.clone());
        client
            .send(&ClientMessage::JoinWorld(wire::JoinWorld { world_id }))
            .await?;
        let state = client
            .expect("WORLD_STATE", |m| matches!(m, ServerMessage::WorldState(_)))
            .await?;
        if let ServerMessage::WorldState(state) = state {
            let me = user.to_string();
            let spawn = state
                .peers
                .iter()
                .find(|p| p.user.user_id.as_str() == me)
                .map(|p| (p.position.x, p.position.y));
            // The joining user is not in its own snapshot: the demo spawns at the first spawn point.
            client.position = spawn.unwrap_or((28.5, 22.5));
        }
        Ok(client)
    }

    pub fn id(&self) -> wire::WorldUserId {
        wire::WorldUserId::new(self.user.to_string())
    }

    pub async fn send(&mut self, message: &ClientMessage) -> anyhow::Result<()> {
        self.send_text(&message.to_json()).await
    }

    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.ws.send(Message::Text(text.to_owned().into())).await?;
        Ok(())
    }

    /// The next message or close, within [`WAIT`].
    pub async fn next(&mut self) -> anyhow::Result<WorldFrame> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .context("waiting for a world frame")?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Ok(WorldFrame::Message(
                        decode_server(text.as_str()).context("decoding a server frame")?,
                    ));
                }
                Some(Ok(Message::Close(c))) => {
                    return Ok(WorldFrame::Closed(c.map(|c| u16::from(c.code))));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ok(WorldFrame::Closed(None)),
            }
        }
    }

    /// Waits for a message matching `pred`, keeping the others in `seen`.
    pub async fn expect(
        &mut self,
        what: &str,
        pred: impl Fn(&ServerMessage) -> bool,
    ) -> anyhow::Result<ServerMessage> {
        if let Some(at) = self.seen.iter().position(&pred) {
            return Ok(self.seen.remove(at));
        }
        loop {
            match self
                .next()
                .await
                .with_context(|| format!("{} waiting for {what}; saw {:?}", self.name, self.seen))?
            {
                WorldFrame::Message(m) if pred(&m) => return Ok(m),
                WorldFrame::Message(m) => self.seen.push(m),
                WorldFrame::Closed(code) => bail!(
                    "{}: closed ({code:?}) before {what}; saw {:?}",
                    self.name,
                    self.seen
                ),
            }
        }
    }

    /// Waits for an `ERROR` with `code`.
    pub async fn expect_error(
        &mut self,
        code: wire::ErrorCode,
    ) -> anyhow::Result<wire::ErrorPayload> {
        match self
            .expect(
                &format!("ERROR {code:?}"),
                |m| matches!(m, ServerMessage::Error(e) if e.code == code),
            )
            .await?
        {
            ServerMessage::Error(e) => Ok(e),
            _ => unreachable!("the predicate only matches errors"),
        }
    }

    /// Waits for the socket to close; returns its close code.
    pub async fn expect_close(&mut self) -> anyhow::Result<Option<u16>> {
        loop {
            match self.next().await? {
                WorldFrame::Closed(code) => return Ok(code),
                WorldFrame::Message(m) => self.seen.push(m),
            }
        }
    }

    pub async fn presence(&mut self, x: f64, y: f64) -> anyhow::Result<()> {
        let update = wire::PresenceUpdate {
            position: wire::Position::new(x, y),
            facing: wire::Facing::West,
            state: wire::AvatarState::Walking,
            zone_id: None,
        };
        self.send(&ClientMessage::PresenceUpdate(update)).await
    }

    /// Walks in a straight line at about 6 tiles/s (under the server's speed limit).
    pub async fn walk(&mut self, x: f64, y: f64) -> anyhow::Result<()> {
        while let Some(next) = super::step_toward(self.position, (x, y)) {
            self.position = next;
            tokio::time::sleep(super::STEP_INTERVAL).await;
            self.presence(next.0, next.1).await?;
        }
        Ok(())
    }

    /// Drains what already arrived (within `for_ms`) into `seen`.
    pub async fn settle(&mut self, for_ms: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(for_ms);
        while let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout_at(deadline, self.ws.next()).await
        {
            if let Ok(m) = decode_server(text.as_str()) {
                self.seen.push(m);
            }
        }
    }
}
