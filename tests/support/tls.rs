//! A TLS terminator in front of a host, as docs/DEPLOY.md sets one up with a reverse proxy: TLS
//! on its own port, plain HTTP/WebSocket to the host, and `X-Forwarded-Proto: https` added to
//! every request head. Its certificate is for `localhost`, issued by a CA made for the test.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The largest request head the proxy reads before forwarding.
const MAX_HEAD: usize = 16 * 1024;

/// A running TLS terminator.
pub struct TlsProxy {
    /// Where it listens (TLS).
    pub addr: SocketAddr,
    /// The CA that issued its certificate: a client trusts this to reach it.
    pub ca: CertificateDer<'static>,
}

impl TlsProxy {
    /// Terminates TLS for `localhost` on a free port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
        let key = KeyPair::generate()?;
        let cert = CertificateParams::new(vec!["localhost".to_owned()])?.signed_by(&key, &ca)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .context("the proxy's certificate")?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A refused handshake is what some tests want; the client reports it.
                    let _ = forward(acceptor, client, upstream).await;
                });
            }
        });
        Ok(Self {
            addr,
            ca: ca.der().clone(),
        })
    }

    /// `localhost:PORT`: the name its certificate carries.
    pub fn authority(&self) -> String {
        format!("localhost:{}", self.addr.port())
    }
}

async fn forward(
    acceptor: TlsAcceptor,
    client: TcpStream,
    upstream: SocketAddr,
) -> anyhow::Result<()> {
    let mut tls = acceptor.accept(client).await.context("TLS handshake")?;
    // The request head, to add the header a TLS terminator adds.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        anyhow::ensure!(head.len() < MAX_HEAD, "request head too long");
        if tls.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    head.truncate(head.len() - 2);
    head.extend_from_slice(b"X-Forwarded-Proto: https\r\n\r\n");
    let mut host = TcpStream::connect(upstream).await?;
    host.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut tls, &mut host).await?;
    Ok(())
}
