//! TLS for the client: `https://` (the invite's `POST /api/session`) and `wss://` (the world and
//! SFU sockets) of a host behind a TLS terminator (docs/DEPLOY.md). A secure link is never
//! downgraded: it is TLS or it fails with the reason.
//!
//! Trusted roots: Mozilla's (webpki-roots), plus the PEM certificates in the file
//! `HEARTH_CA_FILE` names and those added with [`trust_root`], for a host with its own CA (an
//! office, a test). Settings are built per connection (a few a session), so a change applies to
//! the next one.

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The environment variable naming extra trusted CA certificates (PEM).
pub const CA_FILE_ENV: &str = "HEARTH_CA_FILE";

/// Roots added by [`trust_root`].
static EXTRA_ROOTS: Mutex<Vec<CertificateDer<'static>>> = Mutex::new(Vec::new());

/// Trusts `certificate` as a root from now on, in this process.
pub fn trust_root(certificate: CertificateDer<'static>) {
    EXTRA_ROOTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(certificate);
}

/// The client's TLS settings. An unreadable `HEARTH_CA_FILE` fails every secure connection
/// with its reason (never a silent fallback).
pub fn client_config() -> anyhow::Result<Arc<ClientConfig>> {
    build(std::env::var_os(CA_FILE_ENV))
}

fn build(ca_file: Option<std::ffi::OsString>) -> anyhow::Result<Arc<ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let extra = EXTRA_ROOTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for cert in extra {
        roots.add(cert).context("a root added to trust")?;
    }
    if let Some(path) = ca_file {
        let path = std::path::PathBuf::from(path);
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(&path)
            .with_context(|| format!("reading {CA_FILE_ENV} {}", path.display()))?
        {
            let cert = cert.with_context(|| format!("a certificate in {}", path.display()))?;
            roots
                .add(cert)
                .with_context(|| format!("a CA certificate in {}", path.display()))?;
            added += 1;
        }
        anyhow::ensure!(added > 0, "{} holds no PEM certificate", path.display());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Opens TLS over `tcp` to `host` (the name the certificate must carry).
///
/// # Errors
/// When the handshake fails or the certificate does not check out (the reason is included).
pub async fn connect(tcp: TcpStream, host: &str) -> anyhow::Result<TlsStream<TcpStream>> {
    let name = ServerName::try_from(host.to_owned())
        .with_context(|| format!("{host:?} is not a host name for TLS"))?;
    TlsConnector::from(client_config()?)
        .connect(name, tcp)
        .await
        .with_context(|| format!("TLS with {host}"))
}

/// What `tokio_tungstenite` opens `wss://` with (these settings, never its own defaults).
///
/// # Errors
/// When the settings cannot be built (see [`client_config`]).
pub fn ws_connector() -> anyhow::Result<tokio_tungstenite::Connector> {
    Ok(tokio_tungstenite::Connector::Rustls(client_config()?))
}

/// The host part of `HOST:PORT` (an IPv6 literal loses its brackets).
pub fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_out_of_addresses() {
        assert_eq!(host_of("voice.example.org:443"), "voice.example.org");
        assert_eq!(host_of("[::1]:7800"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_with_its_name() {
        let dir = std::env::temp_dir().join(format!("hearth-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let error = build(Some(empty.clone().into_os_string())).expect_err("refused");
        assert!(format!("{error:#}").contains("empty.pem"), "{error:#}");
        let missing = dir.join("missing.pem");
        let error = build(Some(missing.into_os_string())).expect_err("refused");
        assert!(format!("{error:#}").contains(CA_FILE_ENV), "{error:#}");
        assert!(build(None).is_ok(), "Mozilla's roots alone");
    }
}
