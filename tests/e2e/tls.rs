//! A host behind a TLS terminator (docs/DEPLOY.md): a user joins by an `https://` invite, the
//! world and SFU sockets are `wss://` through the terminator, two users hear each other; and a
//! secure link is never downgraded to plain.

use hearth_e2e::tls::TlsProxy;
use hearth_e2e::{Bot, INVITE, MEMBER, host, token, wait_hearing};
use hearth_engine::audio::SineSource;
use hearth_engine::world_client::invite::{open_session, parse_server};
use hearth_engine::world_client::{WorldClient, WorldEvent};
use sfu_core::world::wire::WorldId;

use crate::world_bot::expect;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_behind_tls_is_joined_over_https_and_wss_and_carries_audio() -> anyhow::Result<()> {
    let host = host().await?;
    let proxy = TlsProxy::start(host.http_addr).await?;
    hearth_engine::tls::trust_root(proxy.ca.clone());

    // The invite as the user pastes it.
    let link = format!("https://{}/join/{INVITE}", proxy.authority());
    let target = parse_server(&link).map_err(anyhow::Error::msg)?;
    assert!(target.secure, "an https:// link is secure");
    let session = open_session(&target.http_addr, true, INVITE, "Ada").await?;
    assert_eq!(
        session.world_url,
        format!("wss://{}/world", proxy.authority()),
        "the host names its world socket the way the user came: through TLS"
    );
    let (world, mut events) = WorldClient::connect(
        &session.world_url,
        session.token,
        WorldId::new(session.world_id),
    )
    .await?;
    expect(&mut events, "the world over wss", |e| {
        matches!(e, WorldEvent::WorldState { .. })
    })
    .await?;

    let signal = format!("wss://{}/signal", proxy.authority());
    let tone = |hz| Box::new(SineSource::new(hz, 0.3));
    let mut a = Bot::join_at(signal.clone(), 1, 9, token(1, 9, MEMBER), tone(440.0)).await?;
    let mut b = Bot::join_at(signal, 2, 9, token(2, 9, MEMBER), tone(880.0)).await?;
    wait_hearing(&a, 2, 880.0, 1.0).await?;
    wait_hearing(&b, 1, 440.0, 1.0).await?;
    a.leave().await;
    b.leave().await;
    world.leave().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secure_link_is_never_downgraded() -> anyhow::Result<()> {
    let host = host().await?;
    let plain = host.http_addr.to_string();

    // A plain host addressed as https:// fails in TLS; nothing retries it in plain.
    let error = open_session(&plain, true, INVITE, "Ada")
        .await
        .expect_err("a plain host is no TLS host");
    assert!(format!("{error:#}").contains("TLS"), "{error:#}");
    let refused = WorldClient::connect(
        &format!("wss://{plain}/world"),
        "token".into(),
        WorldId::new("w"),
    )
    .await;
    assert!(refused.is_err(), "wss:// to a plain port does not connect");

    // A certificate that is not for the name dialled is refused: the terminator's is for
    // localhost, dialled here by its IP address.
    let proxy = TlsProxy::start(host.http_addr).await?;
    hearth_engine::tls::trust_root(proxy.ca.clone());
    let error = open_session(&proxy.addr.to_string(), true, INVITE, "Ada")
        .await
        .expect_err("the certificate names localhost, not 127.0.0.1");
    assert!(format!("{error:#}").contains("TLS"), "{error:#}");
    // The same terminator by its name works, so the refusals above are about TLS.
    open_session(&proxy.authority(), true, INVITE, "Ada").await?;
    Ok(())
}
