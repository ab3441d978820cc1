//! The host secret signs every token: one short enough to guess lets anyone who holds a single
//! token (any guest) search for the key offline and then mint an Admin token. HS256 wants a key
//! of at least its output size, 32 bytes.

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// A secret too short to sign tokens with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the token secret is {len} bytes; it must be at least {MIN_SECRET_BYTES} \
     (a short one can be guessed offline from any token). Make one with `openssl rand -hex 32`."
)]
pub struct WeakSecret {
    pub len: usize,
}

/// Refuses a secret shorter than [`MIN_SECRET_BYTES`].
pub fn check_secret(secret: &[u8]) -> Result<(), WeakSecret> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(WeakSecret { len: secret.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_under_32_bytes_is_refused_with_a_sentence() {
        let error = check_secret(b"dev").expect_err("3 bytes");
        assert_eq!(error, WeakSecret { len: 3 });
        assert!(error.to_string().contains("at least 32"), "{error}");
        assert!(check_secret(&[7; 31]).is_err());
        assert!(check_secret(&[7; 32]).is_ok());
    }
}
