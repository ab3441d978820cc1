//! The few HTTP/1.1 requests the client makes to a host (`POST /api/session`, `GET /metrics`):
//! one short-lived connection each, plain or TLS ([`crate::tls`]), a deadline on the whole
//! exchange.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one whole exchange may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest response taken (`/metrics` of a busy host is tens of KiB).
pub const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;

/// A complete response: the status code and the (de-chunked) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    /// The body of a 200 response; otherwise an error naming `what` and the status line.
    pub fn ok_body(self, what: &str) -> anyhow::Result<String> {
        if self.status != 200 {
            bail!("{what} answered {}: {}", self.status, self.body.trim());
        }
        Ok(self.body)
    }
}

/// Sends one plain request to `addr` (`HOST:PORT`) and reads the whole response.
///
/// # Errors
/// When the host cannot be reached, the exchange takes over 5 s, or the response is malformed.
pub async fn request(
    addr: &str,
    method: &str,
    path: &str,
    json_body: Option<&str>,
) -> anyhow::Result<Response> {
    request_over(addr, false, method, path, json_body).await
}

/// A connection either way.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Sends one request to `addr`, over TLS when `secure` (https), and reads the whole response.
///
/// # Errors
/// As [`request`], and when TLS fails (the certificate, the handshake).
pub async fn request_over(
    addr: &str,
    secure: bool,
    method: &str,
    path: &str,
    json_body: Option<&str>,
) -> anyhow::Result<Response> {
    let scheme = if secure { "https" } else { "http" };
    let exchange = async {
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot reach {addr}"))?;
        let mut stream: Box<dyn Stream> = if secure {
            Box::new(crate::tls::connect(tcp, crate::tls::host_of(addr)).await?)
        } else {
            Box::new(tcp)
        };
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if let Some(body) = json_body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            request.push_str("\r\n");
        }
        stream
            .write_all(request.as_bytes())
            .await
            .with_context(|| format!("sending {method} {path}"))?;
        let mut response = Vec::new();
        (&mut stream)
            .take(MAX_RESPONSE_BYTES + 1)
            .read_to_end(&mut response)
            .await
            .with_context(|| format!("reading the {path} response"))?;
        if response.len() as u64 > MAX_RESPONSE_BYTES {
            bail!("the {path} response is over {MAX_RESPONSE_BYTES} bytes: refused");
        }
        let text = String::from_utf8(response).with_context(|| format!("{path} is not UTF-8"))?;
        parse_response(&text)
    };
    tokio::time::timeout(EXCHANGE_TIMEOUT, exchange)
        .await
        .with_context(|| format!("{method} {scheme}://{addr}{path} timed out"))?
}

/// Parses a complete HTTP/1.1 response, de-chunking the body when needed.
///
/// # Errors
/// On a malformed status line or chunk.
pub fn parse_response(response: &str) -> anyhow::Result<Response> {
    let (head, body) = response
        .split_once("\r\n\r\n")
        .context("malformed HTTP response")?;
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .context("malformed HTTP status line")?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    Ok(Response { status, body })
}

fn dechunk(mut rest: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").context("truncated chunk")?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .context("bad chunk size")?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(after.get(..size).context("truncated chunk")?);
        rest = after.get(size..).unwrap_or("").trim_start_matches("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_chunked_bodies() {
        let plain =
            parse_response("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello").expect("plain");
        assert_eq!(plain.body, "hello");
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).expect("chunked").body,
            "hello world"
        );
    }

    #[test]
    fn other_statuses_are_errors_with_their_body() {
        let refused =
            parse_response("HTTP/1.1 403 Forbidden\r\n\r\n{\"error\":\"invalid invite\"}")
                .expect("parses");
        assert_eq!(refused.status, 403);
        let error = refused.ok_body("POST /api/session").expect_err("not 200");
        assert!(error.to_string().contains("403") && error.to_string().contains("invalid invite"));
        assert!(parse_response("garbage").is_err());
    }

    #[tokio::test]
    async fn a_response_over_the_cap_is_refused_not_buffered() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("address").to_string();
        let server = tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.expect("accepts");
            let mut request = [0u8; 1024];
            let _ = tcp.read(&mut request).await;
            let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..(MAX_RESPONSE_BYTES / chunk.len() as u64 + 2) {
                if tcp.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        });
        let error = request(&addr, "GET", "/metrics", None)
            .await
            .expect_err("too big");
        assert!(error.to_string().contains("over"), "{error:#}");
        server.abort();
    }
}
