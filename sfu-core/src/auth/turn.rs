//! Time-limited TURN credentials in the coturn REST form (SPEC section 6, `TURN_CREDENTIALS`),
//! as coturn checks them with `use-auth-secret` / `static-auth-secret`:
//! `username = "<expiry unix>:<user>"`, `credential = base64(HMAC-SHA1(secret, username))`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// A TURN username and password pair that stops working at the expiry in its username.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnCredentials {
    /// `"<expiry unix seconds>:<user>"`.
    pub username: String,
    /// Standard base64 (with padding) of HMAC-SHA1 over `username`, keyed with the TURN secret.
    pub credential: String,
}

/// Keeps the credential out of logs: it is a password until it expires.
impl fmt::Debug for TurnCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnCredentials")
            .field("username", &self.username)
            .field("credential", &"<redacted>")
            .finish()
    }
}

/// Issues credentials for `user` that a TURN server sharing `secret` accepts until
/// `now_unix + ttl_secs` (saturating; an expiry before 1970 is clamped to 0).
pub fn turn_credentials(
    secret: &[u8],
    user: &str,
    now_unix: i64,
    ttl_secs: u64,
) -> TurnCredentials {
    let ttl = i64::try_from(ttl_secs).unwrap_or(i64::MAX);
    let expiry = now_unix.saturating_add(ttl).max(0);
    let username = format!("{expiry}:{user}");
    let credential = STANDARD.encode(keyed(secret, &username).finalize().into_bytes());
    TurnCredentials {
        username,
        credential,
    }
}

/// The check a coturn server with `static-auth-secret = secret` makes: the digits before the
/// first `:` are the expiry, which must not have passed (coturn still accepts the expiry second
/// itself), and `credential` must be the base64 HMAC-SHA1 of the whole `username`. The MAC is
/// compared in constant time.
pub fn verify_turn_credentials(
    secret: &[u8],
    username: &str,
    credential: &str,
    now_unix: i64,
) -> bool {
    let Some((expiry, _user)) = username.split_once(':') else {
        return false;
    };
    let in_date = !expiry.is_empty()
        && expiry.bytes().all(|b| b.is_ascii_digit())
        && expiry.parse::<i64>().is_ok_and(|expiry| expiry >= now_unix);
    let Ok(mac) = STANDARD.decode(credential) else {
        return false;
    };
    in_date && keyed(secret, username).verify_slice(&mac).is_ok()
}

/// HMAC-SHA1 keyed with `secret`, fed `username`.
fn keyed(secret: &[u8], username: &str) -> HmacSha1 {
    let mut mac =
        HmacSha1::new_from_slice(secret).expect("HMAC takes keys of any length (RFC 2104)");
    mac.update(username.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"turn-shared-secret";
    const USER: &str = "0b5f3c2e-8d4a-4f6b-9e21-7c3d5a1b2f40";
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn matches_an_independently_computed_vector() {
        // python3: base64.b64encode(hmac.new(b"turn-shared-secret",
        //   b"1700003600:0b5f3c2e-8d4a-4f6b-9e21-7c3d5a1b2f40", hashlib.sha1).digest())
        let got = turn_credentials(SECRET, USER, NOW, 3600);
        assert_eq!(
            got.username, "1700003600:0b5f3c2e-8d4a-4f6b-9e21-7c3d5a1b2f40",
            "username is <expiry>:<user>"
        );
        assert_eq!(
            got.credential, "XUKA+ES8k6GbASMTWRjxd+mKOpg=",
            "credential is base64(HMAC-SHA1(secret, username))"
        );
        assert!(
            verify_turn_credentials(SECRET, &got.username, &got.credential, NOW),
            "fresh credentials must verify"
        );
    }

    #[test]
    fn credentials_expire() {
        let creds = turn_credentials(SECRET, USER, NOW, 60);
        let check = |now| verify_turn_credentials(SECRET, &creds.username, &creds.credential, now);
        assert!(
            check(NOW + 60),
            "the expiry second itself is still good, as in coturn"
        );
        assert!(
            !check(NOW + 61),
            "one second after the expiry they are refused"
        );
        let huge = turn_credentials(SECRET, USER, NOW, u64::MAX);
        assert!(
            huge.username.starts_with(&format!("{}:", i64::MAX)),
            "a huge TTL saturates: {}",
            huge.username
        );
    }

    #[test]
    fn tampering_is_refused() {
        let creds = turn_credentials(SECRET, USER, NOW, 60);
        let later = creds.username.replacen("1700000060", "1800000060", 1);
        let cases = [
            (
                later.as_str(),
                creds.credential.as_str(),
                "expiry pushed out",
            ),
            (
                "1700000060:someone-else",
                creds.credential.as_str(),
                "other user",
            ),
            (
                creds.username.as_str(),
                "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "forged credential",
            ),
            (creds.username.as_str(), "not base64!", "garbage credential"),
            (creds.username.as_str(), "", "empty credential"),
            (USER, creds.credential.as_str(), "no expiry at all"),
            (
                "x1700000060:u",
                creds.credential.as_str(),
                "non-digit expiry",
            ),
        ];
        for (username, credential, what) in cases {
            assert!(
                !verify_turn_credentials(SECRET, username, credential, NOW),
                "{what} must be refused"
            );
        }
        assert!(
            !verify_turn_credentials(b"other", &creds.username, &creds.credential, NOW),
            "another secret must not verify"
        );
    }

    #[test]
    fn debug_hides_the_credential() {
        let creds = turn_credentials(SECRET, USER, NOW, 60);
        let shown = format!("{creds:?}");
        assert!(
            !shown.contains(&creds.credential),
            "Debug must not print the credential: {shown}"
        );
    }
}
