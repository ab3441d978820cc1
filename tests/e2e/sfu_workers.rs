//! `--workers`: channels spread over SFU workers, each with its own UDP socket. Two channels on
//! two workers carry audio both ways while a third worker's socket is flooded.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use anyhow::Context;
use hearth_e2e::{Bot, MEMBER, host_with_workers, since, tone_power, wait_hearing};

/// The flood: 20,000 datagrams a second (400 times a voice client's rate) for 3 s. A remote
/// attacker's sending costs the host nothing; here the flooder shares the 2 cores, so it is paced
/// rather than run flat out, or it would measure the test machine instead of the host.
const FLOOD_BURST: usize = 200;
const FLOOD_EVERY: Duration = Duration::from_millis(10);
const FLOOD_FOR: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_channels_on_two_workers_talk_while_a_third_worker_is_flooded() -> anyhow::Result<()> {
    let host = host_with_workers(3).await?;
    assert_eq!(host.udp_addrs.len(), 3, "one media socket per worker");
    let mut ada = Bot::join(&host, 1, 101, MEMBER, Some(440.0)).await?;
    let mut bo = Bot::join(&host, 2, 101, MEMBER, Some(660.0)).await?;
    let mut cy = Bot::join(&host, 3, 102, MEMBER, Some(550.0)).await?;
    let mut di = Bot::join(&host, 4, 102, MEMBER, Some(770.0)).await?;
    let mut flooder = Bot::join(&host, 5, 103, MEMBER, Some(330.0)).await?;
    for (bot, other, hz) in [
        (&ada, 2, 660.0),
        (&bo, 1, 440.0),
        (&cy, 4, 770.0),
        (&di, 3, 550.0),
    ] {
        wait_hearing(bot, other, hz, 1.0)
            .await
            .with_context(|| format!("user {} hearing user {other} before the flood", bot.user))?;
    }
    let metrics = hearth_e2e::get_text(host.http_addr, "/metrics").await?;
    for worker in 0..3 {
        let line = format!("hearth_sfu_worker_channels{{worker=\"{worker}\"}} 1");
        assert!(
            metrics.lines().any(|l| l == line),
            "each of the three channels has a worker of its own, want {line} in:\n{metrics}"
        );
    }

    // The flooded worker is the third: channels go to the least-loaded worker in join order.
    let target = host.udp_addrs[2];
    let marks: Vec<usize> = [(&ada, 2), (&bo, 1), (&cy, 4), (&di, 3)]
        .iter()
        .map(|(bot, other)| bot.heard_len(*other))
        .collect();
    let started = Instant::now();
    let flood = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        let junk = [0x80u8; 200];
        let mut sent = 0;
        while started.elapsed() < FLOOD_FOR {
            for _ in 0..FLOOD_BURST {
                if socket.send_to(&junk, target).is_ok() {
                    sent += 1;
                }
            }
            std::thread::sleep(FLOOD_EVERY);
        }
        Ok(sent)
    });
    let sent = flood.await??;
    let flooded = started.elapsed().as_secs_f64();
    println!("flooded worker 2 with {sent} datagrams in {flooded:.2} s");
    for ((bot, other, hz), mark) in [
        (&ada, 2, 660.0),
        (&bo, 1, 440.0),
        (&cy, 4, 770.0),
        (&di, 3, 550.0),
    ]
    .into_iter()
    .zip(marks)
    {
        let heard = since(bot, other, mark);
        let seconds = heard.len() as f64 / 48_000.0;
        println!(
            "user {} heard {seconds:.2} s of user {other} during the flood",
            bot.user
        );
        assert!(
            seconds >= 0.8 * flooded,
            "user {} heard only {seconds:.2} s of user {other} in the {flooded:.2} s another \
             worker was flooded",
            bot.user
        );
        assert!(
            tone_power(&heard, hz) > 0.01,
            "user {} must hear user {other}'s tone through the flood",
            bot.user
        );
    }
    for bot in [&mut ada, &mut bo, &mut cy, &mut di, &mut flooder] {
        bot.leave().await;
    }
    host.shutdown().await;
    Ok(())
}
