//! Who may log in: the user table and the three ways of proving a password
//! (USER/PASS, APOP, SASL PLAIN).
//!
//! Every comparison runs in constant time (the `subtle` crate), and an
//! unknown user costs the same work as a known one, so timing does not tell
//! an attacker which names exist.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// A problem in a users file, with the line it is on.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The users file.
        path: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A line is not `name:password`.
    #[error("{path}:{line}: {reason}")]
    Line {
        /// The users file (or "--user" for the flag).
        path: String,
        /// 1-based line number.
        line: usize,
        /// What was expected.
        reason: String,
    },
}

/// The user table: names and their secrets (kept as given, since APOP
/// needs the secret itself: RFC 1939 §7 notes the server must keep it in a
/// form as good as the password).
#[derive(Debug, Clone, Default)]
pub struct Users {
    secrets: BTreeMap<String, String>,
}

impl Users {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace one user.
    pub fn insert(&mut self, name: &str, secret: &str) {
        self.secrets.insert(name.to_string(), secret.to_string());
    }

    /// Parse one `name:password` entry (the `--user` flag and each line of
    /// a users file). A Dovecot-style `{PLAIN}` prefix on the password is
    /// accepted so the same file can serve both servers in the benchmark.
    pub fn parse_entry(entry: &str) -> Result<(String, String), String> {
        let (name, secret) = entry
            .split_once(':')
            .ok_or_else(|| "expected name:password".to_string())?;
        if name.is_empty() {
            return Err("the user name is empty".into());
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+@".contains(&b))
            || name.starts_with('.')
            || name.len() > 64
        {
            return Err(format!(
                "user name {name:?} may use only letters, digits and . _ - + @ (at most 64, not starting with .)"
            ));
        }
        // Dovecot's passwd-file lines carry more fields after the password.
        let secret = secret.split(':').next().unwrap_or(secret);
        let secret = secret.strip_prefix("{PLAIN}").unwrap_or(secret);
        if secret.is_empty() {
            return Err(format!("the password of {name} is empty"));
        }
        if secret.bytes().any(|b| b.is_ascii_control()) {
            return Err(format!("the password of {name} has a control character"));
        }
        Ok((name.to_string(), secret.to_string()))
    }

    /// Parse a users file: one `name:password` a line, `#` starts a
    /// comment line, blank lines are skipped.
    pub fn parse(text: &str, path: &str) -> Result<Users, UsersError> {
        let mut users = Users::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, secret) = Self::parse_entry(line).map_err(|reason| UsersError::Line {
                path: path.to_string(),
                line: i + 1,
                reason,
            })?;
            users.insert(&name, &secret);
        }
        Ok(users)
    }

    /// Read and parse a users file.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The user names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.secrets.keys().map(String::as_str)
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// True when there are no users.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The secret of `name`, or a stand-in of the same shape for an
    /// unknown name, so both paths do the same work.
    fn secret_or_dummy(&self, name: &str) -> (bool, &str) {
        match self.secrets.get(name) {
            Some(s) => (true, s.as_str()),
            None => (false, "popscope-no-such-user-stand-in"),
        }
    }

    /// USER/PASS and SASL PLAIN: does `password` belong to `name`?
    pub fn check_password(&self, name: &str, password: &str) -> bool {
        let (known, secret) = self.secret_or_dummy(name);
        let same: bool = secret.as_bytes().ct_eq(password.as_bytes()).into();
        known & same
    }

    /// APOP: is `digest` the MD5 of `timestamp` followed by `name`'s secret?
    pub fn check_apop(&self, name: &str, timestamp: &str, digest: &str) -> bool {
        let (known, secret) = self.secret_or_dummy(name);
        let expected = apop_digest(timestamp, secret);
        let same: bool = expected
            .as_bytes()
            .ct_eq(digest.to_ascii_lowercase().as_bytes())
            .into();
        known & same
    }
}

/// The APOP digest: lower-case hex of MD5(timestamp ‖ secret), RFC 1939 §7.
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    let mut h = Md5::new();
    h.update(timestamp.as_bytes());
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// What a SASL PLAIN response carried (RFC 4616).
#[derive(Debug, PartialEq, Eq)]
pub struct PlainCredentials {
    /// Whom to act as; empty means the same as `authcid`.
    pub authzid: String,
    /// Who is logging in.
    pub authcid: String,
    /// The password.
    pub password: String,
}

/// Why a SASL PLAIN response was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlainError {
    /// Not base64.
    #[error("the response is not valid base64")]
    Base64,
    /// Not `authzid NUL authcid NUL password` in UTF-8.
    #[error("the response is not authzid\\0authcid\\0password")]
    Shape,
}

/// Decode a SASL PLAIN response line (`=` is the empty response).
pub fn decode_plain(b64: &str) -> Result<PlainCredentials, PlainError> {
    let raw = if b64 == "=" {
        Vec::new()
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| PlainError::Base64)?
    };
    let text = String::from_utf8(raw).map_err(|_| PlainError::Shape)?;
    let mut parts = text.split('\0');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(z), Some(c), Some(p), None) if !c.is_empty() && !p.is_empty() => {
            Ok(PlainCredentials {
                authzid: z.to_string(),
                authcid: c.to_string(),
                password: p.to_string(),
            })
        }
        _ => Err(PlainError::Shape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_apop_example() {
        assert_eq!(
            apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
    }

    #[test]
    fn checks() {
        let mut u = Users::new();
        u.insert("alice", "wonderland");
        assert!(u.check_password("alice", "wonderland"));
        assert!(!u.check_password("alice", "wonderlan"));
        assert!(!u.check_password("bob", "popscope-no-such-user-stand-in"));
        let ts = "<1.2@h>";
        let d = apop_digest(ts, "wonderland");
        assert!(u.check_apop("alice", ts, &d));
        assert!(u.check_apop("alice", ts, &d.to_uppercase()));
        assert!(!u.check_apop("alice", "<other@h>", &d));
    }

    #[test]
    fn users_file_errors_name_the_line() {
        let err = Users::parse("# demo\nalice:wonderland\n\nbob\n", "u.txt").unwrap_err();
        assert_eq!(err.to_string(), "u.txt:4: expected name:password");
        let err = Users::parse("../x:y\n", "u.txt").unwrap_err();
        assert!(err.to_string().starts_with("u.txt:1: user name"));
        let u = Users::parse("a:{PLAIN}pw:1000:1000::/home/a\n", "f").unwrap();
        assert!(u.check_password("a", "pw"));
    }

    #[test]
    fn sasl_plain_shapes() {
        let b = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            decode_plain(&b(b"\0alice\0wonderland")).unwrap(),
            PlainCredentials {
                authzid: String::new(),
                authcid: "alice".into(),
                password: "wonderland".into()
            }
        );
        assert_eq!(decode_plain("=="), Err(PlainError::Base64));
        assert_eq!(decode_plain("="), Err(PlainError::Shape));
        assert_eq!(
            decode_plain(&b(b"alice\0wonderland")),
            Err(PlainError::Shape)
        );
        assert_eq!(decode_plain("!!!"), Err(PlainError::Base64));
    }
}
