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
    /// a users file). The name ends at the first `:` and everything after
    /// it is the password, exactly as written, colons included. Nothing is
    /// stripped or guessed, so anything that would be is refused instead:
    ///
    /// - a password with a space or tab at either end (invisible in the
    ///   file, and almost always a typo rather than part of the password);
    /// - a password that starts with a Dovecot scheme such as `{PLAIN}`:
    ///   that is a Dovecot passwd-file line (`name:{PLAIN}pw:uid:gid::home`),
    ///   which this file is not; the error says to write `name:pw`.
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
        if secret.is_empty() {
            return Err(format!("the password of {name} is empty"));
        }
        if secret.starts_with([' ', '\t']) || secret.ends_with([' ', '\t']) {
            return Err(format!(
                "the password of {name} begins or ends with a space or tab; popscope \
                 takes passwords exactly as written and does not strip them: remove it"
            ));
        }
        if secret.bytes().any(|b| b.is_ascii_control()) {
            return Err(format!("the password of {name} has a control character"));
        }
        if let Some(scheme) = dovecot_scheme(secret) {
            return Err(format!(
                "the password of {name} starts with {{{scheme}}}, a Dovecot password \
                 scheme: this is a Dovecot passwd-file line, which popscope does not \
                 read; write the plain form {name}:PASSWORD (everything after the first \
                 ':' is the password)"
            ));
        }
        Ok((name.to_string(), secret.to_string()))
    }

    /// Parse a users file: one `name:password` a line (see
    /// [`parse_entry`](Self::parse_entry)); a line whose first non-blank
    /// character is `#` is a comment, and blank lines are skipped.
    pub fn parse(text: &str, path: &str) -> Result<Users, UsersError> {
        let mut users = Users::new();
        for (name, secret) in Self::parse_list(text, path)? {
            users.insert(&name, &secret);
        }
        Ok(users)
    }

    /// The entries of a users file in file order, as [`parse`](Self::parse)
    /// reads them: for a client that logs in as each of them in turn
    /// (`popscope load --users`).
    pub fn parse_list(text: &str, path: &str) -> Result<Vec<(String, String)>, UsersError> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            // The line itself is not trimmed: a space before the name is
            // refused by the name rule, one after the password by
            // parse_entry, each with this file and line.
            let (name, secret) = Self::parse_entry(line).map_err(|reason| UsersError::Line {
                path: path.to_string(),
                line: i + 1,
                reason,
            })?;
            entries.push((name, secret));
        }
        Ok(entries)
    }

    /// Read and parse a users file.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let text = Self::read(path)?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Read a users file's entries in file order (see
    /// [`parse_list`](Self::parse_list)).
    pub fn load_list(path: &Path) -> Result<Vec<(String, String)>, UsersError> {
        let text = Self::read(path)?;
        Self::parse_list(&text, &path.display().to_string())
    }

    fn read(path: &Path) -> Result<String, UsersError> {
        std::fs::read_to_string(path).map_err(|source| UsersError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Add every user of `other` (replacing a user of the same name).
    pub fn extend_from(&mut self, other: &Users) {
        for (name, secret) in &other.secrets {
            self.insert(name, secret);
        }
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

/// The scheme of a Dovecot-style `{SCHEME}` prefix, if `secret` starts with
/// one: `{` then letters, digits, `.`, `-` or `_`, then `}`.
fn dovecot_scheme(secret: &str) -> Option<&str> {
    let rest = secret.strip_prefix('{')?;
    let (scheme, _) = rest.split_once('}')?;
    let ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    ok.then_some(scheme)
}

/// Extracts the APOP timestamp, such as `<1896.697170952@dbc.mtview.ca.us>`,
/// from a greeting's status text. Only a server that supports APOP puts
/// one there (RFC 1939 section 7). The client, the lab and the dissector
/// all read a greeting with this one rule.
pub fn apop_timestamp(greeting: &str) -> Option<&str> {
    let start = greeting.find('<')?;
    let len = greeting[start..].find('>')?;
    let stamp = &greeting[start..=start + len];
    // RFC 1939 asks for the syntax of a msg-id, which always has an "@";
    // requiring it keeps ordinary text in angle brackets from being taken
    // for a timestamp.
    stamp.contains('@').then_some(stamp)
}

/// The APOP digest: lower-case hex of MD5(timestamp ‖ secret), RFC 1939 §7.
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    hex::encode(ApopHasher::new(timestamp).digest(secret.as_bytes()))
}

/// The APOP digest rule for one greeting timestamp and many secrets: the
/// MD5 state after the timestamp is computed once and copied for each
/// secret. [`apop_digest`] is this with a single secret; the offline
/// dictionary search (`attack::crack`) tries millions with one hasher, so
/// the rule lives here once and the search cannot drift from the server.
#[derive(Debug, Clone)]
pub struct ApopHasher {
    after_timestamp: Md5,
}

impl ApopHasher {
    /// Hash the timestamp (with its angle brackets, as the greeting sent it).
    pub fn new(timestamp: &str) -> Self {
        let mut after_timestamp = Md5::new();
        after_timestamp.update(timestamp.as_bytes());
        Self { after_timestamp }
    }

    /// MD5(timestamp ‖ secret) as 16 raw bytes. The secret is bytes, not
    /// text: a word list may hold lines that are not UTF-8.
    pub fn digest(&self, secret: &[u8]) -> [u8; 16] {
        let mut h = self.after_timestamp.clone();
        h.update(secret);
        h.finalize().into()
    }
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
    }

    #[test]
    fn a_password_is_everything_after_the_first_colon() {
        let u = Users::parse("carol:pa:ss\ndave:a b\n", "u.txt").unwrap();
        assert!(u.check_password("carol", "pa:ss"));
        assert!(!u.check_password("carol", "pa"));
        assert!(u.check_password("dave", "a b"));
        // A brace that is not a scheme is an ordinary character.
        let u = Users::parse("erin:{not a scheme}x\nfay:{x\n", "u.txt").unwrap();
        assert!(u.check_password("erin", "{not a scheme}x"));
        assert!(u.check_password("fay", "{x"));
    }

    #[test]
    fn nothing_is_stripped_silently() {
        let err = Users::parse("# x\na:{PLAIN}pw:1000:1000::/home/a\n", "f").unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("f:2: the password of a starts with {PLAIN}"),
            "{text}"
        );
        assert!(text.contains("a:PASSWORD"), "{text}");
        let err = Users::parse("b:{SHA512-CRYPT}$6$x\n", "f").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("f:1: the password of b starts with {SHA512-CRYPT}")
        );
        for line in ["c:pw ", "c:pw\t", "c: pw"] {
            let err = Users::parse(&format!("ok:fine\n{line}\n"), "f").unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("f:2: the password of c begins or ends with a space"),
                "{line:?}: {err}"
            );
        }
        let err = Users::parse("  c:pw\n", "f").unwrap_err();
        assert!(
            err.to_string().starts_with("f:1: user name \"  c\""),
            "{err}"
        );
        // The --user flag goes through the same rule.
        assert_eq!(
            Users::parse_entry("carol:pa:ss"),
            Ok(("carol".to_string(), "pa:ss".to_string()))
        );
        assert!(Users::parse_entry("carol:{PLAIN}pw").is_err());
        assert!(Users::parse_entry("carol:pw ").is_err());
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
