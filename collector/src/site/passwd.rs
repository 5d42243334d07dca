//! mosquitto's password file (`password_file`): one `user:hash` line per user, the hash in
//! mosquitto 2.x's own format `$7$<iterations>$<salt>$<PBKDF2-SHA512>` (base64), as
//! `mosquitto_passwd` writes it, so the collector's host needs no mosquitto tools. Rewritten
//! atomically (a temporary file renamed over it) so the broker never reads half a file.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use sha2::Sha512;

/// mosquitto_passwd's iteration count (mosquitto 2.0, `PW_DEFAULT_ITERATIONS`).
const ITERATIONS: u32 = 101;
/// Salt bytes (mosquitto's `SALT_LEN`).
const SALT_LEN: usize = 12;

/// The password-file hash of `password` with a fresh random salt.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    hash_with(password, &salt, ITERATIONS)
}

fn hash_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let mut out = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), salt, iterations, &mut out);
    format!(
        "$7${iterations}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(out)
    )
}

/// Whether `password` matches the `$7$` `hash`.
pub fn verify(password: &str, hash: &str) -> bool {
    let parts: Vec<&str> = hash.split('$').collect();
    let ["", "7", iterations, salt, _] = parts.as_slice() else {
        return false;
    };
    let (Ok(iterations), Ok(salt)) = (iterations.parse::<u32>(), STANDARD.decode(salt)) else {
        return false;
    };
    hash_with(password, &salt, iterations) == hash
}

/// A strong random password: 24 characters from an alphabet without look-alikes (about 137
/// bits), easy to read out over a phone if it must be.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect()
}

/// Sets `user`'s line in the password file at `path` (created if missing; other lines kept
/// as they are). With `hash` `None`, removes the user; returns whether the user was there.
pub fn set(path: &Path, user: &str, hash: Option<&str>) -> std::io::Result<bool> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let mut found = false;
    let mut out = String::with_capacity(text.len() + 160);
    for line in text.lines() {
        if line.split_once(':').is_some_and(|(u, _)| u == user) {
            found = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if let Some(h) = hash {
        out.push_str(&format!("{user}:{h}\n"));
    }
    write_atomically(path, out.as_bytes(), 0o640)?;
    Ok(found)
}

/// Whether the password file at `path` has a line for `user`.
pub fn has_user(path: &Path, user: &str) -> std::io::Result<bool> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t
            .lines()
            .any(|l| l.split_once(':').is_some_and(|(u, _)| u == user))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, fsynced and renamed, with
/// `mode` (a file that exists keeps its own mode, owner and group).
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let name = path
        .file_name()
        .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned());
    let tmp = dir
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.tmp-{}", std::process::id()));
    let existing = std::fs::metadata(path).ok();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(bytes)?;
    if let Some(m) = &existing {
        f.set_permissions(std::fs::Permissions::from_mode(m.mode() & 0o7777))?;
        // Keep the owner and group (the broker's group must read it); only root can change
        // them, so failing here is not an error for anyone else.
        let _ = std::os::unix::fs::fchown(&f, Some(m.uid()), Some(m.gid()));
    }
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    if let Some(d) = dir {
        std::fs::File::open(d)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_a_hash_written_by_mosquitto_passwd() {
        // `mosquitto_passwd -b passwd s1 secret1`, mosquitto 2.0.11 (Debian 12).
        let real = "$7$101$eheO8Bzh9ZFLaqHN$Q+n+KJzoKLImh1WHILVA50DXBjBNNURhEKrLEUDPzR74rap9IuQd5cQynduvYV5TA8Z6zivisuTEE8Hki4a0bA==";
        assert!(verify("secret1", real));
        assert!(!verify("secret2", real));
        let ours = hash("secret1");
        assert!(ours.starts_with("$7$101$"), "{ours}");
        assert!(verify("secret1", &ours) && !verify("x", &ours));
        assert_ne!(hash("secret1"), ours, "a fresh salt each time");
    }

    #[test]
    fn set_replaces_removes_and_keeps_other_lines() {
        let dir = std::env::temp_dir().join(format!("passwd-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("passwd");
        std::fs::write(&f, "collector:$7$x\n").unwrap();
        assert!(!set(&f, "s1", Some("$7$a")).unwrap());
        assert!(set(&f, "s1", Some("$7$b")).unwrap());
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "collector:$7$x\ns1:$7$b\n"
        );
        assert!(has_user(&f, "s1").unwrap() && !has_user(&f, "s").unwrap());
        assert!(set(&f, "s1", None).unwrap());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "collector:$7$x\n");
        let pw = generate();
        assert_eq!(pw.len(), 24);
        assert_ne!(pw, generate());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
