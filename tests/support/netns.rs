//! Two machines that cannot reach each other but both reach the server: two network namespaces,
//! each joined to this one by a veth pair, with a route to the server's address only. The server
//! address lives on this namespace's loopback, so traffic to it is delivered here and never
//! forwarded; there is no route between the two namespaces at all, whatever `ip_forward` says.
//! A direct P2P link between clients in them must fail, as behind two strict NATs.
//!
//! Needs `ip` and the right to create namespaces (root, or CAP_NET_ADMIN); [`Lan::create`] says
//! `None` when that is refused. Everything is removed on drop.

use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// The server's address, reachable from both namespaces.
pub const SERVER_IP: &str = "10.77.0.1";

/// The two namespaces and their links; removed on drop.
pub struct Lan {
    tag: String,
    namespaces: Vec<String>,
}

impl Lan {
    /// Creates the namespaces, or `None` (with the reason) when this machine does not allow it.
    pub fn create() -> anyhow::Result<Result<Self, String>> {
        let tag = format!("{}", std::process::id() % 100_000);
        let probe = format!("hearth-probe-{tag}");
        match ip(&["netns", "add", &probe]) {
            Ok(()) => ip(&["netns", "del", &probe])?,
            Err(e) => {
                return Ok(Err(format!(
                    "network namespaces are not available here: {e}"
                )));
            }
        }
        let mut lan = Self {
            tag,
            namespaces: Vec::new(),
        };
        lan.set_up().context("setting up the namespaces")?;
        Ok(Ok(lan))
    }

    /// The namespace of machine `i` (0 or 1).
    pub fn namespace(&self, i: usize) -> &str {
        &self.namespaces[i]
    }

    /// The address of machine `i`.
    pub fn address(i: usize) -> String {
        format!("10.77.{}.2", i + 1)
    }

    fn set_up(&mut self) -> anyhow::Result<()> {
        // Left over from a run that was killed: the address would clash.
        let _ = ip(&["addr", "del", &format!("{SERVER_IP}/32"), "dev", "lo"]);
        ip(&["addr", "add", &format!("{SERVER_IP}/32"), "dev", "lo"])?;
        for i in 0..2 {
            let ns = format!("hearth-{}-{i}", self.tag);
            let (here, there) = (self.veth(i, 'h'), self.veth(i, 'n'));
            let _ = ip(&["netns", "del", &ns]);
            let _ = ip(&["link", "del", &here]);
            ip(&["netns", "add", &ns])?;
            self.namespaces.push(ns.clone());
            ip(&["link", "add", &here, "type", "veth", "peer", "name", &there])?;
            ip(&["link", "set", &there, "netns", &ns])?;
            ip(&[
                "addr",
                "add",
                &format!("10.77.{}.1/24", i + 1),
                "dev",
                &here,
            ])?;
            ip(&["link", "set", &here, "up"])?;
            let inside = |args: &[&str]| {
                let mut all = vec!["netns", "exec", ns.as_str(), "ip"];
                all.extend_from_slice(args);
                ip(&all)
            };
            inside(&["link", "set", "lo", "up"])?;
            inside(&[
                "addr",
                "add",
                &format!("{}/24", Self::address(i)),
                "dev",
                &there,
            ])?;
            inside(&["link", "set", &there, "up"])?;
            inside(&[
                "route",
                "add",
                &format!("{SERVER_IP}/32"),
                "via",
                &format!("10.77.{}.1", i + 1),
            ])?;
        }
        Ok(())
    }

    fn veth(&self, i: usize, side: char) -> String {
        format!("hv{}{side}{i}", self.tag)
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for (i, ns) in self.namespaces.iter().enumerate() {
            let _ = ip(&["link", "del", &self.veth(i, 'h')]);
            let _ = ip(&["netns", "del", ns]);
        }
        let _ = ip(&["addr", "del", &format!("{SERVER_IP}/32"), "dev", "lo"]);
    }
}

fn ip(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running ip")?;
    if !out.status.success() {
        bail!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
