//! POP3 commands: parsed from one command line, rendered back to one.
//!
//! Keywords are case-insensitive (RFC 1939 §3). Arguments are split on
//! spaces, except PASS, whose argument is the rest of the line because a
//! password may contain spaces.

use std::fmt;

/// One client command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name`
    User(String),
    /// `PASS secret` (the rest of the line)
    Pass(String),
    /// `APOP name digest`
    Apop {
        /// The mailbox name.
        name: String,
        /// MD5 of the greeting's timestamp and the secret, in hex.
        digest: String,
    },
    /// `AUTH [mechanism [initial-response]]` (RFC 5034)
    Auth {
        /// The SASL mechanism; none asks for the list.
        mechanism: Option<String>,
        /// The base64 initial response; `=` stands for an empty one.
        initial: Option<String>,
    },
    /// `STAT`
    Stat,
    /// `LIST [n]`
    List(Option<u32>),
    /// `RETR n`
    Retr(u32),
    /// `DELE n`
    Dele(u32),
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `QUIT`
    Quit,
    /// `TOP n lines`
    Top(u32, u64),
    /// `UIDL [n]`
    Uidl(Option<u32>),
    /// `CAPA` (RFC 2449)
    Capa,
    /// `STLS` (RFC 2595)
    Stls,
}

/// Why a line is not a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing on the line.
    #[error("empty command")]
    Empty,
    /// The keyword is not a POP3 command this server knows.
    #[error("unknown command")]
    Unknown,
    /// The keyword is known, the arguments are not right.
    #[error("{0}")]
    BadArguments(&'static str),
    /// The line is not text.
    #[error("command line is not valid UTF-8")]
    NotText,
}

impl Command {
    /// Parse one command line (without its line end).
    pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
        let line = std::str::from_utf8(line).map_err(|_| ParseError::NotText)?;
        if line.trim().is_empty() {
            return Err(ParseError::Empty);
        }
        let (keyword, rest) = match line.split_once(' ') {
            Some((k, r)) => (k, r),
            None => (line, ""),
        };
        let args: Vec<&str> = rest.split_whitespace().collect();
        let keyword = keyword.to_ascii_uppercase();
        let cmd = match keyword.as_str() {
            "USER" => match args.as_slice() {
                [name] => Command::User((*name).to_string()),
                _ => return Err(ParseError::BadArguments("usage: USER name")),
            },
            "PASS" => {
                if rest.is_empty() {
                    return Err(ParseError::BadArguments("usage: PASS password"));
                }
                Command::Pass(rest.to_string())
            }
            "APOP" => match args.as_slice() {
                [name, digest] => Command::Apop {
                    name: (*name).to_string(),
                    digest: (*digest).to_string(),
                },
                _ => return Err(ParseError::BadArguments("usage: APOP name digest")),
            },
            "AUTH" => match args.as_slice() {
                [] => Command::Auth {
                    mechanism: None,
                    initial: None,
                },
                [m] => Command::Auth {
                    mechanism: Some(m.to_ascii_uppercase()),
                    initial: None,
                },
                [m, ir] => Command::Auth {
                    mechanism: Some(m.to_ascii_uppercase()),
                    initial: Some((*ir).to_string()),
                },
                _ => {
                    return Err(ParseError::BadArguments(
                        "usage: AUTH mechanism [initial-response]",
                    ));
                }
            },
            "STAT" => no_args(&args, Command::Stat, "usage: STAT")?,
            "LIST" => Command::List(optional_number(&args, "usage: LIST [msg]")?),
            "RETR" => Command::Retr(one_number(&args, "usage: RETR msg")?),
            "DELE" => Command::Dele(one_number(&args, "usage: DELE msg")?),
            "NOOP" => no_args(&args, Command::Noop, "usage: NOOP")?,
            "RSET" => no_args(&args, Command::Rset, "usage: RSET")?,
            "QUIT" => no_args(&args, Command::Quit, "usage: QUIT")?,
            "TOP" => match args.as_slice() {
                [n, k] => Command::Top(
                    number(n).ok_or(ParseError::BadArguments("usage: TOP msg lines"))?,
                    k.parse::<u64>()
                        .ok()
                        .filter(|_| k.bytes().all(|b| b.is_ascii_digit()))
                        .ok_or(ParseError::BadArguments("usage: TOP msg lines"))?,
                ),
                _ => return Err(ParseError::BadArguments("usage: TOP msg lines")),
            },
            "UIDL" => Command::Uidl(optional_number(&args, "usage: UIDL [msg]")?),
            "CAPA" => no_args(&args, Command::Capa, "usage: CAPA")?,
            "STLS" => no_args(&args, Command::Stls, "usage: STLS")?,
            _ => return Err(ParseError::Unknown),
        };
        Ok(cmd)
    }

    /// The keyword, upper case, for logs.
    pub fn keyword(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop { .. } => "APOP",
            Command::Auth { .. } => "AUTH",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Top(..) => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
        }
    }

    /// Whether a `+OK` to this command is followed by a multi-line body
    /// (RFC 1939, RFC 2449, RFC 5034): RETR, TOP and CAPA always, LIST and
    /// UIDL without a message number, and a bare AUTH, which asks for the
    /// list of SASL mechanisms (RFC 1734's form, which servers answer with
    /// a list). The client, the lab and the dissector all ask this.
    pub fn multiline_reply(&self) -> bool {
        matches!(
            self,
            Command::Retr(_)
                | Command::Top(..)
                | Command::Capa
                | Command::List(None)
                | Command::Uidl(None)
                | Command::Auth {
                    mechanism: None,
                    ..
                }
        )
    }

    /// Whether the command line carries a secret that [`Command::redacted`]
    /// masks: a password, an APOP digest or a SASL initial response.
    pub fn carries_secret(&self) -> bool {
        matches!(
            self,
            Command::Pass(_)
                | Command::Apop { .. }
                | Command::Auth {
                    mechanism: Some(_),
                    initial: Some(_),
                }
        )
    }

    /// The command with secrets masked, for logs a user may paste, and
    /// with the client's control characters and bidirectional overrides
    /// made visible, since it goes to logs and screens as it is.
    pub fn redacted(&self) -> String {
        let text = match self {
            Command::Pass(_) => "PASS ********".to_string(),
            Command::Apop { name, .. } => format!("APOP {name} ********"),
            Command::Auth {
                mechanism: Some(m),
                initial: Some(_),
            } => format!("AUTH {m} ********"),
            other => other.to_string(),
        };
        crate::sanitize::visible(&text).into_owned()
    }
}

/// A command line as a client's log or screen shows it: the line as typed,
/// or, when it is a command that carries a secret, [`Command::redacted`].
/// This is the one masking rule for lines a client sends.
pub fn shown_line(line: &str) -> std::borrow::Cow<'_, str> {
    match Command::parse(line.as_bytes()) {
        Ok(c) if c.carries_secret() => std::borrow::Cow::Owned(c.redacted()),
        _ => std::borrow::Cow::Borrowed(line),
    }
}

/// A password as a screen shows it before the teacher reveals it: the
/// first two and the last two characters kept and the rest starred
/// (`wonderland` → `wo******nd`), so a class sees that it was read
/// without the screen giving it away. A password of six characters or
/// fewer is starred whole, since keeping four of them would give most of
/// it away. The length shows, which the eavesdropper knows anyway. This is
/// the one rule for a password shown partly; whole lines go through
/// [`shown_line`].
pub fn partly_masked(password: &str) -> String {
    let chars: Vec<char> = password.chars().collect();
    let n = chars.len();
    if n <= 6 {
        return "*".repeat(n);
    }
    let mut out: String = chars[..2].iter().collect();
    out.push_str(&"*".repeat(n - 4));
    out.extend(&chars[n - 2..]);
    out
}

/// Renders the command as a client sends it (without CRLF).
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.keyword();
        match self {
            Command::User(n) => write!(f, "{k} {n}"),
            Command::Pass(p) => write!(f, "{k} {p}"),
            Command::Apop { name, digest } => write!(f, "{k} {name} {digest}"),
            Command::Auth { mechanism, initial } => {
                write!(f, "{k}")?;
                if let Some(m) = mechanism {
                    write!(f, " {m}")?;
                }
                if let Some(i) = initial {
                    write!(f, " {i}")?;
                }
                Ok(())
            }
            Command::List(Some(n)) | Command::Uidl(Some(n)) => write!(f, "{k} {n}"),
            Command::Retr(n) | Command::Dele(n) => write!(f, "{k} {n}"),
            Command::Top(n, l) => write!(f, "{k} {n} {l}"),
            _ => write!(f, "{k}"),
        }
    }
}

/// A message number: decimal digits only (no sign, no spaces), fitting u32.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn no_args(args: &[&str], cmd: Command, usage: &'static str) -> Result<Command, ParseError> {
    if args.is_empty() {
        Ok(cmd)
    } else {
        Err(ParseError::BadArguments(usage))
    }
}

fn one_number(args: &[&str], usage: &'static str) -> Result<u32, ParseError> {
    match args {
        [n] => number(n).ok_or(ParseError::BadArguments(usage)),
        _ => Err(ParseError::BadArguments(usage)),
    }
}

fn optional_number(args: &[&str], usage: &'static str) -> Result<Option<u32>, ParseError> {
    match args {
        [] => Ok(None),
        _ => one_number(args, usage).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_replies_have_a_body() {
        let multi = ["RETR 1", "top 1 0", "CAPA", "LIST", "uidl", "AUTH"];
        let single = [
            "LIST 1", "UIDL 2", "STAT", "DELE 1", "NOOP", "QUIT", "USER a",
        ];
        for line in multi {
            assert!(
                Command::parse(line.as_bytes()).unwrap().multiline_reply(),
                "{line}"
            );
        }
        for line in single.iter().chain(&["AUTH PLAIN", "STLS"]) {
            assert!(
                !Command::parse(line.as_bytes()).unwrap().multiline_reply(),
                "{line}"
            );
        }
    }

    #[test]
    fn a_password_is_shown_by_its_ends_only() {
        assert_eq!(partly_masked("wonderland"), "wo******nd");
        assert_eq!(partly_masked("secret7"), "se***t7");
        // Short ones, and multi-byte ones, are cut by characters.
        assert_eq!(partly_masked("abcdef"), "******");
        assert_eq!(partly_masked(""), "");
        assert_eq!(partly_masked("パスワード秘密"), "パス***秘密");
    }

    #[test]
    fn shown_lines_mask_only_secrets() {
        assert_eq!(shown_line("PASS wonder land"), "PASS ********");
        assert_eq!(shown_line("AUTH PLAIN AGFsaWNl"), "AUTH PLAIN ********");
        assert_eq!(shown_line("APOP alice 0123"), "APOP alice ********");
        // Everything else is shown as typed, case and all.
        assert_eq!(shown_line("stat"), "stat");
        assert_eq!(shown_line("AUTH PLAIN"), "AUTH PLAIN");
        assert_eq!(shown_line("XYZZY 1"), "XYZZY 1");
    }
    use proptest::prelude::*;

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(Command::parse(b"stat"), Ok(Command::Stat));
        assert_eq!(Command::parse(b"Retr 3"), Ok(Command::Retr(3)));
        assert_eq!(
            Command::parse(b"user alice"),
            Ok(Command::User("alice".into()))
        );
    }

    #[test]
    fn redacted_shows_control_characters_visibly() {
        let c = Command::parse(b"USER \x1b]0;owned\x07\xe2\x80\xaeevil").unwrap();
        assert_eq!(c.redacted(), "USER ^[]0;owned^G<U+202E>evil");
        let c = Command::parse(b"APOP \x1b[2J 0123").unwrap();
        assert_eq!(c.redacted(), "APOP ^[[2J ********");
    }

    #[test]
    fn pass_keeps_spaces() {
        assert_eq!(
            Command::parse(b"PASS two words "),
            Ok(Command::Pass("two words ".into()))
        );
        assert!(Command::parse(b"PASS").is_err());
    }

    #[test]
    fn numbers_are_strict() {
        for bad in [
            "RETR",
            "RETR -1",
            "RETR +1",
            "RETR x",
            "RETR 1 2",
            "RETR 99999999999",
        ] {
            assert!(
                matches!(
                    Command::parse(bad.as_bytes()),
                    Err(ParseError::BadArguments(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(Command::parse(b"TOP 1 0"), Ok(Command::Top(1, 0)));
        assert_eq!(Command::parse(b"LIST"), Ok(Command::List(None)));
        assert_eq!(Command::parse(b"UIDL 2"), Ok(Command::Uidl(Some(2))));
    }

    #[test]
    fn auth_forms() {
        assert_eq!(
            Command::parse(b"AUTH"),
            Ok(Command::Auth {
                mechanism: None,
                initial: None
            })
        );
        assert_eq!(
            Command::parse(b"AUTH plain AGEAYg=="),
            Ok(Command::Auth {
                mechanism: Some("PLAIN".into()),
                initial: Some("AGEAYg==".into())
            })
        );
    }

    #[test]
    fn unknown_and_empty_and_binary() {
        assert_eq!(Command::parse(b"XYZZY"), Err(ParseError::Unknown));
        assert_eq!(Command::parse(b""), Err(ParseError::Empty));
        assert_eq!(Command::parse(b"\xff\xfe"), Err(ParseError::NotText));
    }

    #[test]
    fn secrets_are_masked_in_logs() {
        let c = Command::parse(b"PASS wonderland").unwrap();
        assert!(!c.redacted().contains("wonderland"));
        let c = Command::parse(b"AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=").unwrap();
        assert!(!c.redacted().contains("AGFsaWNl"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(line in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Command::parse(&line);
        }

        #[test]
        fn rendered_commands_parse_back(n in 1u32..100000, k in 0u64..1000) {
            for c in [Command::Retr(n), Command::Top(n, k), Command::List(Some(n)), Command::Dele(n), Command::Stat] {
                prop_assert_eq!(Command::parse(c.to_string().as_bytes()), Ok(c.clone()));
            }
        }
    }
}
