//! `/signal` at the protocol level with raw WebSockets: join errors, token attacks, heartbeat,
//! bad input, speaking.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hearth_e2e::{Frame, MEMBER, RawSignal, SECRET, host, token, unix_now};
use serde_json::{Value, json};
use sfu_core::auth::mint_hs256;
use sfu_core::perms::Permissions;

fn join(channel: i64, token: &str) -> Value {
    json!({"op": 7, "t": 500, "d": {"channel": channel, "token": token}})
}

fn is_ack(v: &Value) -> bool {
    v["op"] == 7 && v["t"] == 500
}

/// Joins with `token` and returns the error code of the refusal and the close code.
async fn refused(
    host: &sfu_core::host::RunningHost,
    first: Value,
) -> anyhow::Result<(String, Option<u16>)> {
    let mut ws = RawSignal::connect(host).await?;
    ws.send_json(first).await?;
    let ack = ws.next_matching(is_ack).await?;
    assert_eq!(ack["d"]["ok"], false, "join must be refused: {ack}");
    let code = ack["d"]["error"].as_str().unwrap_or_default().to_owned();
    let close = match ws.next().await? {
        Frame::Closed(code) => code,
        Frame::Json(v) => anyhow::bail!("expected a close after the refusal, got {v}"),
    };
    Ok((code, close))
}

fn sign(header: &Value, claims: &Value) -> String {
    use hmac_sign::sign_hs;
    sign_hs(header, claims, SECRET)
}

mod hmac_sign {
    use super::*;
    /// Builds a JWT with an arbitrary header, HMAC-SHA256 signed with `secret` when the header
    /// says HS256 (via the project's minting), or with an empty signature otherwise.
    pub fn sign_hs(header: &Value, claims: &Value, secret: &[u8]) -> String {
        if header["alg"] == "HS256" {
            return mint_hs256(secret, claims).expect("claims encode");
        }
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{h}.{c}.")
    }
}

fn claims(user: Value, typ: &str, aud: Value, iss: &str, exp_in: i64, channel: i64) -> Value {
    json!({"user_id": user, "typ": typ, "aud": aud, "iss": iss, "exp": unix_now() + exp_in,
           "channel_id": channel, "perms": MEMBER.bits()})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_token_attack_gets_the_join_error_of_the_spec() -> anyhow::Result<()> {
    let host = host().await?;
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let good = claims(json!(9), "sfu", json!(["sfu"]), "hearth", 60, 3);
    let mut other_secret = mint_hs256(b"not-the-secret", &good)?;
    let cases: Vec<(&str, String)> = vec![
        ("bad signature", {
            other_secret.push('x');
            other_secret.clone()
        }),
        ("foreign secret", mint_hs256(b"not-the-secret", &good)?),
        (
            "alg none",
            sign(&json!({"alg": "none", "typ": "JWT"}), &good),
        ),
        (
            "wrong typ",
            sign(
                &hs256,
                &claims(json!(9), "world", json!(["sfu"]), "hearth", 60, 3),
            ),
        ),
        (
            "wrong aud",
            sign(
                &hs256,
                &claims(json!(9), "sfu", json!(["world"]), "hearth", 60, 3),
            ),
        ),
        (
            "wrong iss",
            sign(
                &hs256,
                &claims(json!(9), "sfu", json!(["sfu"]), "gochat", 60, 3),
            ),
        ),
        (
            "expired",
            sign(
                &hs256,
                &claims(json!(9), "sfu", json!(["sfu"]), "hearth", -60, 3),
            ),
        ),
        (
            "other channel",
            sign(
                &hs256,
                &claims(json!(9), "sfu", json!(["sfu"]), "hearth", 60, 4),
            ),
        ),
        (
            "missing user_id",
            sign(
                &hs256,
                &json!({"typ": "sfu", "aud": "sfu", "iss": "hearth", "exp": unix_now() + 60, "channel_id": 3, "perms": MEMBER.bits()}),
            ),
        ),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (name, token) in cases {
        let (code, close) = refused(&host, join(3, &token)).await?;
        assert_eq!(code, "unauthorized", "{name}: join error code");
        assert_eq!(close, Some(4003), "{name}: close code");
    }
    // The good token works, also with a Bearer prefix and the channel as a string.
    let mut ws = RawSignal::connect(&host).await?;
    let bearer = format!("Bearer {}", mint_hs256(SECRET, &good)?);
    ws.send_json(json!({"op": 7, "t": 500, "d": {"channel": "3", "token": bearer}}))
        .await?;
    let ack = ws.next_matching(is_ack).await?;
    assert_eq!(ack["d"]["ok"], true, "valid token refused: {ack}");
    let offer = ws.next_matching(|v| v["t"] == 501).await?;
    assert_eq!(offer["d"]["type"], "offer");
    assert!(
        offer["d"]["sdp"]
            .as_str()
            .is_some_and(|s| s.starts_with("v=0")),
        "{offer}"
    );
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_handshake_errors() -> anyhow::Result<()> {
    let host = host().await?;
    let (code, close) = refused(&host, json!({"op": 2, "d": {"nonce": 1}})).await?;
    assert_eq!(
        (code.as_str(), close),
        ("expected_join", Some(4001)),
        "heartbeat before join"
    );
    let mut ws = RawSignal::connect(&host).await?;
    ws.send_text("{not json").await?;
    let ack = ws.next_matching(is_ack).await?;
    assert_eq!(ack["d"]["error"], "invalid_message");
    let no_connect = token(5, 3, Permissions::VOICE_SPEAK);
    let (code, close) = refused(&host, join(3, &no_connect)).await?;
    assert_eq!(
        (code.as_str(), close),
        ("forbidden", Some(4004)),
        "token without Connect"
    );
    let metrics = hearth_e2e::get_text(host.http_addr, "/metrics").await?;
    assert!(
        metrics.contains("hearth_sfu_join_failures_total{reason=\"expected_join\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hearth_sfu_join_failures_total{reason=\"forbidden\"} 1"),
        "{metrics}"
    );
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_bad_input_and_speaking_keep_the_connection_open() -> anyhow::Result<()> {
    let host = host().await?;
    let mut alice = RawSignal::connect(&host).await?;
    alice.send_json(join(11, &token(1, 11, MEMBER))).await?;
    assert_eq!(alice.next_matching(is_ack).await?["d"]["ok"], true);
    let mut bob = RawSignal::connect(&host).await?;
    bob.send_json(join(11, &token(2, 11, MEMBER))).await?;
    assert_eq!(bob.next_matching(is_ack).await?["d"]["ok"], true);

    alice
        .send_json(json!({"op": 2, "d": {"nonce": "n-1", "ts": 1234}}))
        .await?;
    let pong = alice.next_matching(|v| v["op"] == 2).await?;
    assert_eq!(pong["d"]["pong"], true);
    assert_eq!(pong["d"]["nonce"], "n-1", "nonce echoed");
    assert_eq!(pong["d"]["ts"], 1234, "ts echoed");
    assert!(
        pong["d"]["server_ts"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000_000),
        "{pong}"
    );
    assert!(
        pong.get("t").is_none(),
        "heartbeat replies carry no t: {pong}"
    );

    alice.send_text("{oops").await?;
    let err = alice.next_matching(|v| v["op"] == 0).await?;
    assert_eq!(err["d"]["error"], "invalid_message", "{err}");
    alice.send_json(json!({"op": 7, "t": 599, "d": {}})).await?;
    let err = alice.next_matching(|v| v["t"] == 599).await?;
    assert_eq!(err["d"]["error"], "unsupported", "{err}");
    alice
        .send_json(json!({"event": "dance", "data": "1"}))
        .await?;
    let err = alice.next_matching(|v| v["op"] == 0).await?;
    assert_eq!(err["d"]["error"], "unsupported", "{err}");
    alice
        .send_json(json!({"op": 7, "t": 507, "d": {"user": "abc", "muted": true}}))
        .await?;
    let err = alice.next_matching(|v| v["t"] == 507).await?;
    assert_eq!(err["d"]["error"], "invalid_message", "{err}");

    // Still working: speaking (simple form) reaches Bob, and not Alice herself.
    alice
        .send_json(json!({"event": "speaking", "data": "1"}))
        .await?;
    let speaking = bob.next_matching(|v| v["t"] == 514).await?;
    assert_eq!(speaking["d"], json!({"user_id": 1, "speaking": 1}));
    // Envelope form, from Bob.
    bob.send_json(json!({"op": 7, "t": 514, "d": {"speaking": 1}}))
        .await?;
    let speaking = alice.next_matching(|v| v["t"] == 514).await?;
    assert_eq!(
        speaking["d"],
        json!({"user_id": 2, "speaking": 1}),
        "Alice must only see Bob's speaking"
    );
    alice
        .send_json(json!({"event": "speaking", "data": "{\"speaking\":0}"}))
        .await?;
    let speaking = bob.next_matching(|v| v["t"] == 514).await?;
    assert_eq!(speaking["d"], json!({"user_id": 1, "speaking": 0}));

    // A second join on a joined connection is an error, not a crash.
    alice.send_json(join(11, &token(1, 11, MEMBER))).await?;
    let err = alice.next_matching(|v| v["t"] == 500).await?;
    assert_eq!(err["d"]["error"], "invalid_message", "{err}");
    // 504 leaves and closes.
    alice.send_json(json!({"op": 7, "t": 504, "d": {}})).await?;
    loop {
        match alice.next().await? {
            Frame::Closed(code) => {
                assert_eq!(code, Some(1000), "leave closes normally");
                break;
            }
            Frame::Json(_) => {}
        }
    }
    host.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_refused_after_the_five_second_handshake() -> anyhow::Result<()> {
    let host = host().await?;
    let mut ws = RawSignal::connect(&host).await?;
    let started = std::time::Instant::now();
    let ack = ws.next_matching(is_ack).await?;
    let waited = started.elapsed();
    assert_eq!(ack["d"]["error"], "invalid_message", "{ack}");
    assert!(
        waited >= std::time::Duration::from_millis(4_900),
        "the refusal must wait for the 5 s handshake deadline, came after {waited:?}"
    );
    assert!(
        matches!(ws.next().await?, Frame::Closed(Some(4000))),
        "closed with 4000"
    );
    host.shutdown().await;
    Ok(())
}
