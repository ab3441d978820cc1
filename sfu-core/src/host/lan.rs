//! What a LAN host tells its guests: the machine's LAN address, a fresh secret or invite code,
//! and the world it serves.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::path::Path;

use anyhow::Context;
use rand::RngCore;

use crate::world::map::{World, load_world};

/// The address other machines on the LAN reach this one by: the source address the system
/// would use to reach the Internet (no packet is sent). None without such a route.
pub fn detect_lan_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    // TEST-NET-1: never routed for real, but picks the default route's interface.
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// `len` random bytes as lowercase hex (secrets, invite codes).
pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The world file at `path`, or the bundled demo world.
///
/// # Errors
/// When the file cannot be read or is not a valid world (the reason names the JSON path).
pub fn load_world_or_demo(path: Option<&Path>) -> anyhow::Result<World> {
    let Some(path) = path else {
        return Ok(World::demo());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the world file {}", path.display()))?;
    load_world(&text).with_context(|| format!("loading the world file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_has_twice_the_length_and_varies() {
        let a = random_hex(4);
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(4));
    }

    #[test]
    fn worlds_load_from_files_with_clear_errors() {
        assert_eq!(
            load_world_or_demo(None).expect("demo").name(),
            World::demo().name()
        );
        let missing = load_world_or_demo(Some(Path::new("/nonexistent/world.json")));
        assert!(format!("{:#}", missing.expect_err("missing")).contains("/nonexistent/world.json"));
        let dir = std::env::temp_dir().join(format!("hearth-lan-{}", random_hex(4)));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\"worldId\": 3}").expect("write");
        let error = format!("{:#}", load_world_or_demo(Some(&bad)).expect_err("invalid"));
        assert!(error.contains("bad.json"), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_detected_lan_ip_is_never_loopback() {
        if let Some(ip) = detect_lan_ip() {
            assert!(!ip.is_loopback() && !ip.is_unspecified());
        }
    }
}
