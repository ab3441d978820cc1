//! Joining a host by invite (the LAN flow): the link a host shares, and `POST /api/session`,
//! which turns its code and a display name into a world token.

use anyhow::Context;
use sfu_core::host::session_api::SessionResponse;

/// The port a host listens on when none is given.
pub const DEFAULT_PORT: u16 = 7800;
/// The port of a `https://` or `wss://` address without one.
pub const DEFAULT_TLS_PORT: u16 = 443;

/// Where to join, read from what the user typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinTarget {
    /// `HOST:PORT` of the host's HTTP listener.
    pub http_addr: String,
    /// The invite code, when the input was an invite link.
    pub invite: Option<String>,
    /// Whether the host is reached over TLS (`https://`, `wss://`): then its world and SFU
    /// sockets are `wss://` too, and nothing falls back to plain.
    pub secure: bool,
}

/// The link a host shares: `hearth://HOST:PORT/join/CODE`.
pub fn invite_link(http_addr: &str, code: &str) -> String {
    format!("hearth://{http_addr}/join/{code}")
}

/// Reads a server address or invite link: `host[:port]`, `http(s)://`, `ws(s)://` or
/// `hearth://host:port/join/CODE` (an `http://.../join/CODE` link works too).
///
/// # Errors
/// A sentence for the user when the input is none of these.
pub fn parse_server(input: &str) -> Result<JoinTarget, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter a server address or an invite link.".into());
    }
    let (rest, secure) = match input.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            if !["hearth", "http", "https", "ws", "wss"].contains(&scheme.as_str()) {
                return Err(format!(
                    "Unknown scheme \"{scheme}://\". Use host:port, http(s):// or a hearth:// invite."
                ));
            }
            (rest, scheme == "https" || scheme == "wss")
        }
        None => (input, false),
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() || authority.chars().any(char::is_whitespace) {
        return Err(format!("\"{input}\" is not a host name or address."));
    }
    let http_addr = if has_port(authority) {
        authority.to_owned()
    } else if secure {
        format!("{authority}:{DEFAULT_TLS_PORT}")
    } else {
        format!("{authority}:{DEFAULT_PORT}")
    };
    let invite = match path.split('/').collect::<Vec<_>>().as_slice() {
        ["join", code, ..] if !code.is_empty() => Some((*code).to_owned()),
        _ if input.starts_with("hearth://") => {
            return Err("This invite link is incomplete: it should end in /join/<code>.".into());
        }
        _ => None,
    };
    Ok(JoinTarget {
        http_addr,
        invite,
        secure,
    })
}

/// Whether `authority` ends in `:PORT` (an IPv6 literal is bracketed).
fn has_port(authority: &str) -> bool {
    authority.rsplit_once(':').is_some_and(|(host, port)| {
        !host.ends_with(':')
            && !port.is_empty()
            && port.parse::<u16>().is_ok()
            && (!host.contains(':') || host.ends_with(']'))
    })
}

/// `POST /api/session` with an invite code: a world token, the world's URL and id.
///
/// # Errors
/// When the host cannot be reached or refuses the invite (its reason is included), and when a
/// secure host names a plain world socket (a downgrade).
pub async fn open_session(
    http_addr: &str,
    secure: bool,
    invite: &str,
    display_name: &str,
) -> anyhow::Result<SessionResponse> {
    let body = serde_json::json!({"invite": invite, "display_name": display_name}).to_string();
    let body = crate::http::request_over(http_addr, secure, "POST", "/api/session", Some(&body))
        .await?
        .ok_body("POST /api/session")?;
    let session: SessionResponse = serde_json::from_str(&body)
        .with_context(|| format!("unexpected /api/session reply {body:?}"))?;
    if secure && !session.world_url.starts_with("wss://") {
        anyhow::bail!(
            "{http_addr} answered over TLS but named a plain world socket ({}); refusing to \
             continue without TLS (is the TLS proxy passing X-Forwarded-Proto: https?)",
            session.world_url
        );
    }
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(addr: &str, invite: Option<&str>) -> JoinTarget {
        JoinTarget {
            http_addr: addr.into(),
            invite: invite.map(Into::into),
            secure: false,
        }
    }

    #[test]
    fn https_and_wss_are_secure_with_port_443_by_default() {
        let secure = |addr: &str, invite: Option<&str>| JoinTarget {
            secure: true,
            ..target(addr, invite)
        };
        assert_eq!(
            parse_server("https://voice.example.org/join/k3"),
            Ok(secure("voice.example.org:443", Some("k3")))
        );
        assert_eq!(
            parse_server("wss://voice.example.org:8443/world"),
            Ok(secure("voice.example.org:8443", None))
        );
        assert_eq!(
            parse_server("hearth://10.0.0.2:7800/join/k3").map(|t| t.secure),
            Ok(false)
        );
    }

    #[test]
    fn invite_links_and_addresses() {
        let link = invite_link("192.168.1.20:7800", "ab12");
        assert_eq!(
            parse_server(&link),
            Ok(target("192.168.1.20:7800", Some("ab12")))
        );
        assert_eq!(
            parse_server(" http://host:9000/join/x "),
            Ok(target("host:9000", Some("x")))
        );
        assert_eq!(parse_server("host"), Ok(target("host:7800", None)));
        assert_eq!(
            parse_server("ws://host:1/world"),
            Ok(target("host:1", None))
        );
        assert_eq!(parse_server("[::1]:7801"), Ok(target("[::1]:7801", None)));
        assert_eq!(parse_server("[::1]"), Ok(target("[::1]:7800", None)));
    }

    #[test]
    fn bad_input_gets_a_sentence() {
        assert!(parse_server("").is_err());
        assert!(parse_server("ftp://x").expect_err("scheme").contains("ftp"));
        assert!(
            parse_server("hearth://host:1/")
                .expect_err("code")
                .contains("/join/")
        );
        assert!(parse_server("http:///join/x").is_err());
    }
}
