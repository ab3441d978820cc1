//! TURN for real: a user who hides its address (relay only) talks with a neighbour through
//! Debian's coturn, with the credentials the host mints; coturn's own log shows the relayed
//! allocations, so the test cannot pass on a direct path.

use std::time::Duration;

use hearth_e2e::turn::Coturn;
use hearth_e2e::voice::{VoiceBot, VoiceOptions};
use hearth_e2e::{TURN_SECRET, host_with_turn};
use hearth_engine::client::{ClientEvent, MediaEvent};
use hearth_engine::p2p::link::LinkState;
use hearth_engine::world_client::WorldEvent;
use sfu_core::host::RunningHost;

use crate::world_voice::{desk, hears};

const WAIT: Duration = Duration::from_secs(20);

/// A private coturn whose secret is `secret`, and a host whose TURN credentials point at it
/// (minted with the test host's secret); `None` when coturn is not installed (skipped).
async fn coturn_and_host(secret: &[u8]) -> anyhow::Result<Option<(Coturn, RunningHost)>> {
    let Some(coturn) = Coturn::start(secret).await? else {
        return Ok(None);
    };
    let host = host_with_turn(coturn.url.clone()).await?;
    Ok(Some((coturn, host)))
}

/// A user who hides its address: every link through TURN.
fn relay_only() -> VoiceOptions {
    VoiceOptions {
        relay_only: true,
        ..VoiceOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_only_user_and_a_neighbour_hear_each_other_through_coturn() -> anyhow::Result<()> {
    let Some((coturn, host)) = coturn_and_host(TURN_SECRET).await? else {
        return Ok(());
    };
    let mut ada = VoiceBot::join_with(&host, "ada", 440.0, relay_only()).await?;
    let mut bo = VoiceBot::join(&host, "bo", 660.0).await?;
    ada.until("hearing bo", WAIT, |a| hears(a, &bo)).await?;
    bo.until("hearing ada", WAIT, |b| hears(b, &ada)).await?;

    let relayed_link = ada.events().iter().any(|e| {
        matches!(e, ClientEvent::Media(MediaEvent::Link { peer, state: LinkState::Connected, relayed: true })
            if *peer == bo.id())
    });
    assert!(
        relayed_link,
        "ada's link to bo is relayed: {}",
        ada.event_summary()
    );
    assert!(
        coturn.allocations() >= 1,
        "coturn granted the relay (its log):\n{}",
        coturn.log()
    );
    ada.leave().await;
    bo.leave().await;
    coturn.stop().await;
    Ok(())
}

/// Walks `bot` to desk `i` of the team area and waits until it is in.
async fn to_team_area(bot: &mut VoiceBot, i: usize) -> anyhow::Result<()> {
    let (x, y) = desk(i);
    bot.walk_via(&[(23.0, 22.5), (x, y)]).await?;
    bot.wait_for("the team area", WAIT, |e| {
        matches!(e, ClientEvent::World(WorldEvent::ZoneChanged { zone, .. }) if zone.as_str() == "team-area")
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_users_count_towards_promotion_past_thirty_percent() -> anyhow::Result<()> {
    let Some((coturn, host)) = coturn_and_host(TURN_SECRET).await? else {
        return Ok(());
    };
    let mut bots = Vec::new();
    for (i, name) in ["ada", "bo", "cy"].into_iter().enumerate() {
        let mut bot = VoiceBot::join(&host, name, 300.0 + 100.0 * i as f32).await?;
        to_team_area(&mut bot, i).await?;
        bots.push(bot);
    }
    // One relayed user of four (25 %): the team area stays P2P, its links to it relayed.
    let mut dee = VoiceBot::join_with(&host, "dee", 700.0, relay_only()).await?;
    to_team_area(&mut dee, 3).await?;
    for other in &bots {
        dee.until("hearing everyone through TURN", WAIT, |d| hears(d, other))
            .await?;
        other.until("hearing dee", WAIT, |o| hears(o, &dee)).await?;
    }
    assert!(
        bots.iter().chain([&dee]).all(|b| !b.on_sfu()),
        "25 % relayed: not promoted"
    );
    let relayed = dee
        .events()
        .iter()
        .filter(|e| {
            matches!(
                e,
                ClientEvent::Media(MediaEvent::Link {
                    state: LinkState::Connected,
                    relayed: true,
                    ..
                })
            )
        })
        .count();
    assert!(
        relayed >= 3,
        "dee's three links are relayed: {}",
        dee.event_summary()
    );

    // A second one (2 of 5, 40 %): promoted, everyone on the SFU.
    let mut eve = VoiceBot::join_with(&host, "eve", 800.0, relay_only()).await?;
    to_team_area(&mut eve, 4).await?;
    bots.push(dee);
    bots.push(eve);
    for bot in &bots {
        bot.until("on the SFU", WAIT, VoiceBot::on_sfu).await?;
    }
    assert!(
        coturn.allocations() >= 3,
        "coturn relayed them:\n{}",
        coturn.log()
    );
    for mut bot in bots {
        bot.leave().await;
    }
    coturn.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_coturn_refuses_end_in_a_failed_link_not_a_hang() -> anyhow::Result<()> {
    // coturn with a secret the host does not share: every credential it mints is refused.
    let Some((coturn, host)) = coturn_and_host(b"another-turn-secret").await? else {
        return Ok(());
    };
    let mut ada = VoiceBot::join_with(&host, "ada", 440.0, relay_only()).await?;
    let mut bo = VoiceBot::join(&host, "bo", 660.0).await?;
    let started = std::time::Instant::now();
    ada.wait_for("the relayed link to bo failing", Duration::from_secs(60), |e| {
        matches!(e, ClientEvent::Media(MediaEvent::Link { peer, state: LinkState::Failed, relayed: true }) if *peer == bo.id())
    })
    .await?;
    eprintln!(
        "refused credentials: link failed after {:?}",
        started.elapsed()
    );
    assert!(
        !hears(&ada, &bo) && !hears(&bo, &ada),
        "no direct path was used"
    );
    assert!(
        coturn.log().contains("401"),
        "coturn refused the credentials:\n{}",
        coturn.log()
    );
    ada.leave().await;
    bo.leave().await;
    coturn.stop().await;
    Ok(())
}

/// One `hearth-bot world` in a namespace of `lan`: its stdout (one JSON event per line) and
/// its recordings (`mix.wav` under `record`); killed when dropped.
struct NamespacedBot {
    child: std::process::Child,
    out: std::path::PathBuf,
    record: std::path::PathBuf,
}

impl NamespacedBot {
    fn start(
        lan: &hearth_e2e::netns::Lan,
        i: usize,
        world_url: &str,
        tone: f32,
        dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let bot = exe
            .parent()
            .and_then(std::path::Path::parent)
            .map(|d| d.join("hearth-bot"))
            .filter(|p| p.is_file())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "build hearth-bot first (cargo build -p hearth-engine --bin hearth-bot)"
                )
            })?;
        let (out, record) = (
            dir.join(format!("bot{i}.out")),
            dir.join(format!("bot{i}.wav")),
        );
        let child = std::process::Command::new("ip")
            .args(["netns", "exec", lan.namespace(i)])
            .arg(bot)
            .args(["world", "--url", world_url, "--invite", hearth_e2e::INVITE])
            .args(["--name", &format!("bot{i}"), "--tone", &tone.to_string()])
            .arg("--record")
            .arg(&record)
            .args(["--bind", &hearth_e2e::netns::Lan::address(i)])
            .args(["--duration", "120s"])
            .env("RUST_LOG", "warn,hearth_engine=info")
            .stdout(std::fs::File::create(&out)?)
            .stderr(std::fs::File::create(dir.join(format!("bot{i}.err")))?)
            .spawn()?;
        Ok(Self { child, out, record })
    }

    fn events(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn has(&self, want: impl Fn(&serde_json::Value) -> bool) -> bool {
        self.events().iter().any(want)
    }

    /// Interrupts the bot (it leaves and finishes its recording) and returns what it heard.
    fn finish(mut self) -> anyhow::Result<Vec<i16>> {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.child.try_wait()?.is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let wav = hearth_engine::audio::WavSource::open(self.record.join("mix.wav"), false)?;
        Ok(wav.samples().to_vec())
    }
}

impl Drop for NamespacedBot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn link_event(e: &serde_json::Value, state: &str, relayed: bool) -> bool {
    e["event"] == "link" && e["state"] == state && e["relayed"] == relayed
}

/// The natural flow of seed 004: two users whose machines cannot reach each other (two network
/// namespaces that reach only the server) walk up to each other; the direct link fails, each
/// sends `ICE_FAILED`, gets credentials, and the link comes up through coturn with audio both
/// ways. Skipped where network namespaces cannot be made (it needs root or CAP_NET_ADMIN).
///
/// Ignored: it finds a race the client still has (issue 17). Both direct attempts fail within
/// a few milliseconds of each other; the offerer gets its credentials first and sends a relayed
/// offer, which reaches the answerer while its failed link is still "connecting", so the offer
/// goes to the dying link; its replacement then waits for an offer that never comes, and the
/// relayed link fails 30 s later. In other runs both sides connect, but the audio went one way
/// only. Link states are keyed by peer, not by connection, so a dying link's late events can
/// also land on its successor. Run: `cargo test -p hearth-e2e --test e2e -- --ignored
/// turn::users_who`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "finds a fallback race still open in issue 17: see the doc comment"]
async fn users_who_cannot_reach_each_other_fall_back_to_turn_by_themselves() -> anyhow::Result<()> {
    let lan = match hearth_e2e::netns::Lan::create()? {
        Ok(lan) => lan,
        Err(why) => {
            eprintln!("skipped: {why}");
            return Ok(());
        }
    };
    let server = hearth_e2e::netns::SERVER_IP;
    let Some(coturn) = Coturn::start_on(TURN_SECRET, server).await? else {
        return Ok(());
    };
    let host = hearth_e2e::host_on_with_turn(server.parse()?, coturn.url.clone()).await?;
    let dir = std::env::temp_dir().join(format!("hearth-natural-turn-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("ws://{}/world", host.http_addr);
    let (tone0, tone1) = (440.0, 660.0);
    let bots = [
        NamespacedBot::start(&lan, 0, &url, tone0, &dir)?,
        NamespacedBot::start(&lan, 1, &url, tone1, &dir)?,
    ];
    // Both spawn side by side in the open area: each wants a link to the other at once. The
    // direct attempt fails (webrtc-rs gives up after about 30 s), both ask for credentials, and
    // the next link connects through coturn. Whoever offers first has its credentials; the other
    // may answer before its own arrive (then only the offerer's side is relayed, and the media
    // still goes through coturn: the answerer's host address cannot reach the offerer).
    let up = |b: &NamespacedBot| b.has(|e| e["event"] == "link" && e["state"] == "connected");
    let deadline = std::time::Instant::now() + Duration::from_secs(75);
    while !(bots.iter().all(up)
        && bots
            .iter()
            .any(|b| b.has(|e| link_event(e, "connected", true))))
    {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no relayed link within 75 s; bot0:\n{}\nbot1:\n{}",
            std::fs::read_to_string(&bots[0].out).unwrap_or_default(),
            std::fs::read_to_string(&bots[1].out).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for (i, bot) in bots.iter().enumerate() {
        anyhow::ensure!(
            bot.has(|e| link_event(e, "failed", false)),
            "bot{i}'s direct link failed first: {:?}",
            bot.events()
        );
        anyhow::ensure!(
            bot.has(|e| e["event"] == "turn_credentials"),
            "bot{i} asked for TURN credentials (ICE_FAILED) and got them"
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let [bot0, bot1] = bots;
    let (heard0, heard1) = (bot0.finish()?, bot1.finish()?);
    let last = |heard: &[i16]| heard[heard.len().saturating_sub(2 * 48_000)..].to_vec();
    let (p01, p10) = (
        hearth_e2e::tone_power(&last(&heard0), tone1),
        hearth_e2e::tone_power(&last(&heard1), tone0),
    );
    println!(
        "natural TURN fallback: bot0 heard bot1 at {p01:.4}, bot1 heard bot0 at {p10:.4}; \
         coturn granted {} allocations",
        coturn.allocations()
    );
    anyhow::ensure!(p01 > 0.001 && p10 > 0.001, "audio both ways through TURN");
    anyhow::ensure!(
        coturn.allocations() >= 1,
        "coturn relayed the link:\n{}",
        coturn.log()
    );
    let _ = std::fs::remove_dir_all(&dir);
    drop(host);
    coturn.stop().await;
    Ok(())
}
