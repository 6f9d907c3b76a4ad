//! `popscope serve`: the server on its own, for outside clients.
//!
//! With no flags it serves the demo users from a fresh temporary copy of
//! the demo mailbox (the user's own files are never touched), with the demo
//! CA from the user's data directory, on 127.0.0.1:1110 (POP3 + STLS) and
//! 127.0.0.1:1995 (POP3S).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::mailbox::{Store, demo};
use crate::pop3::auth::Users;
use crate::pop3::server::{Server, ServerConfig, raise_open_files_limit};
use crate::pop3::session::{Backend, SessionConfig};
use crate::tls;

/// A listener address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen(pub Option<SocketAddr>);

impl FromStr for Listen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(Listen(None));
        }
        s.parse::<SocketAddr>()
            .map(|a| Listen(Some(a)))
            .map_err(|_| format!("{s:?} is not an address like 127.0.0.1:1110 (or \"off\")"))
    }
}

/// Whether USER, PASS and AUTH PLAIN are accepted before TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CleartextAuth {
    /// Accept them (what the lab shows leaking).
    Allow,
    /// Refuse them until STLS (RFC 2595 §2.3).
    Deny,
}

/// Flags of `popscope serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Cleartext POP3 listener (offers STLS), or "off".
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:1110")]
    pub pop3: Listen,
    /// Implicit-TLS POP3S listener (RFC 8314), or "off".
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:1995")]
    pub pop3s: Listen,
    /// Serve this Maildir tree (DIR/USER/{cur,new,tmp}) instead of a
    /// temporary copy of the demo mailbox. Needs --user or --users.
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,
    /// A user, as NAME:PASSWORD (repeatable).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub user: Vec<String>,
    /// A users file: one NAME:PASSWORD a line, # for comments.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Certificate chain (PEM) instead of the demo certificate.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) for --cert.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Also write the demo CA certificate to this path.
    #[arg(long, value_name = "PATH", conflicts_with = "cert")]
    pub ca_out: Option<PathBuf>,
    /// Where the demo CA lives (default: the user's data directory).
    #[arg(long, value_name = "DIR", env = "POPSCOPE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seconds to wait before answering a failed login.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    pub login_delay: f64,
    /// Seconds without a command before autologout (RFC 1939 asks for at
    /// least 600).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub idle_timeout: u64,
    /// allow: USER/PASS and AUTH PLAIN work in cleartext; deny: only after
    /// STLS or on the POP3S port (USER, PASS and AUTH PLAIN get
    /// -ERR [AUTH]). APOP stays allowed under deny: it sends an MD5 digest,
    /// not the password, but a recorded digest can still be guessed
    /// offline, so deny is no substitute for TLS.
    #[arg(long, value_enum, default_value = "allow")]
    pub cleartext_auth: CleartextAuth,
    /// Allow listening on addresses other than loopback.
    #[arg(long)]
    pub allow_remote: bool,
    /// Connections served at once; the next one gets -ERR [SYS/TEMP].
    #[arg(long, default_value_t = 15_000)]
    pub max_connections: usize,
    /// Connections served at once from one address (an IPv6 address
    /// counts with its /64); the next one gets -ERR [SYS/TEMP]. Default: a
    /// quarter of --max-connections (at least 4).
    #[arg(long, value_name = "N")]
    pub max_per_ip: Option<usize>,
    /// Host name in the APOP timestamp of the greeting.
    #[arg(long, default_value = "localhost")]
    pub hostname: String,
}

/// The user table the flags describe (file first, then each --user).
fn users_from(args: &ServeArgs) -> anyhow::Result<Option<Users>> {
    if args.users.is_none() && args.user.is_empty() {
        return Ok(None);
    }
    let mut users = match &args.users {
        Some(path) => Users::load(path)?,
        None => Users::new(),
    };
    for entry in &args.user {
        // The error names the user, never the password that follows it.
        let shown = match entry.split_once(':') {
            Some((name, _)) => format!("{name}:…"),
            None => entry.clone(),
        };
        let (name, secret) =
            Users::parse_entry(entry).map_err(|e| anyhow::anyhow!("--user {shown:?}: {e}"))?;
        users.insert(&name, &secret);
    }
    if users.is_empty() {
        bail!("the users file has no users");
    }
    Ok(Some(users))
}

fn data_dir(args: &ServeArgs) -> anyhow::Result<PathBuf> {
    data_dir_or_default(args.data_dir.as_deref())
}

/// `given`, or the user's data directory, where the demo CA lives (`serve`
/// and `workshop` share it, so a CA imported once works for both).
pub(crate) fn data_dir_or_default(given: Option<&std::path::Path>) -> anyhow::Result<PathBuf> {
    if let Some(d) = given {
        return Ok(d.to_path_buf());
    }
    directories::ProjectDirs::from("", "", "popscope")
        .map(|p| p.data_dir().to_path_buf())
        .context("cannot find a data directory for the demo CA; give --data-dir")
}

pub(crate) fn host_for_url(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    }
}

/// `word` as the shell reads it back: as it is when it holds only
/// characters the shell leaves alone, else in single quotes. The printed
/// commands must work when pasted, also with a data directory whose path
/// has a space in it.
pub(crate) fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:@,=%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// How a fetchmail command reaches one of our ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchmailPort {
    /// The cleartext port, upgraded with STLS.
    Stls,
    /// The implicit-TLS port.
    Pop3s,
}

/// A fetchmail command that fetches `user`'s mail from `addr` with the
/// certificate checked against `ca`, keeps it on the server, and appends it
/// to `USER-mail.txt` in the current directory (`mail.txt` for a user
/// name the shell would not take as it is). `ca` is a shell word already.
///
/// fetchmail checks the certificate against DNS names only, never an IP
/// address, so a loopback address is named `localhost` (the demo
/// certificate covers it); any other address gets a placeholder the
/// certificate must cover. On the cleartext port, `--sslproto tls1.2+`
/// says on the line that STLS is required: fetchmail 6.4 requires it by
/// default too, but only because `--sslcertck` is on by default, which a
/// reader of the line cannot see.
/// `--all` fetches messages an earlier run already saw, so running the
/// line twice shows the mail again. fetchmail takes no password on its
/// command line: it asks on the terminal, or reads `~/.netrc` or
/// `~/.fetchmailrc`.
pub fn fetchmail_command(port: FetchmailPort, addr: SocketAddr, ca: &str, user: &str) -> String {
    let tls = match port {
        FetchmailPort::Stls => "--sslproto tls1.2+",
        FetchmailPort::Pop3s => "--ssl",
    };
    let host = if addr.ip().is_loopback() {
        "localhost"
    } else {
        "SERVER-NAME"
    };
    // The delivery command is itself run by a shell inside the quotes, so
    // only a user name that needs no quoting names the file.
    let file = if shell_word(user) == user {
        format!("{user}-mail.txt")
    } else {
        "mail.txt".to_string()
    };
    format!(
        "fetchmail {tls} --sslcertck --sslcertfile {ca} -p POP3 -P {} -u {} --all --keep --mda 'cat >> {file}' {host}",
        addr.port(),
        shell_word(user)
    )
}

/// Run `popscope serve` until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let (pop3, pop3s) = (args.pop3.0, args.pop3s.0);
    for addr in [pop3, pop3s].into_iter().flatten() {
        if !addr.ip().is_loopback() && !args.allow_remote {
            bail!(
                "{addr} is not a loopback address; add --allow-remote to listen there (then anyone who can reach it can log in)"
            );
        }
    }
    if !args.login_delay.is_finite() || args.login_delay < 0.0 || args.login_delay > 3600.0 {
        bail!("--login-delay takes seconds from 0 to 3600");
    }
    if args.idle_timeout == 0 {
        bail!("--idle-timeout must be at least 1 second");
    }
    if args.max_per_ip == Some(0) {
        bail!("--max-per-ip must be at least 1");
    }

    let users = users_from(&args)?;
    // The temporary demo copy lives as long as this function.
    let mut _demo_copy = None;
    let (users, root, demo_note) = match (&args.maildir, users) {
        (Some(dir), Some(users)) => {
            if !dir.is_dir() {
                bail!("--maildir {}: not a directory", dir.display());
            }
            (users, dir.clone(), "")
        }
        (Some(_), None) => {
            bail!("--maildir needs the users who own it: give --user NAME:PASSWORD or --users FILE")
        }
        (None, users) => {
            let copy = demo::DemoCopy::create()
                .context("cannot write a temporary copy of the demo mailbox")?;
            let root = copy.path().to_path_buf();
            _demo_copy = Some(copy);
            let users = users.unwrap_or_else(|| {
                let mut u = Users::new();
                for (n, p) in demo::DEMO_USERS {
                    u.insert(n, p);
                }
                u
            });
            (
                users,
                root,
                " (a fresh copy of the demo mailbox, removed on exit)",
            )
        }
    };

    let mut ca_path = None;
    let tls_config = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => tls::server_config(cert, key)?,
        _ => {
            let dir = data_dir(&args)?;
            let pki = tls::ensure_demo_pki(&dir)?;
            if let Some(out) = &args.ca_out {
                std::fs::copy(&pki.ca_cert, out)
                    .with_context(|| format!("--ca-out: cannot write {}", out.display()))?;
            }
            ca_path = Some((
                args.ca_out.clone().unwrap_or_else(|| pki.ca_cert.clone()),
                pki.created,
            ));
            tls::server_config(&pki.server_cert, &pki.server_key)?
        }
    };

    let limit = raise_open_files_limit();
    let max_connections = if limit > 64 {
        args.max_connections.min((limit - 64) as usize)
    } else {
        args.max_connections
    };
    let config = ServerConfig {
        pop3,
        pop3s,
        tls: Some(tls_config),
        session: SessionConfig {
            hostname: args.hostname.clone(),
            stls_available: true,
            cleartext_login: args.cleartext_auth == CleartextAuth::Allow,
            login_delay: Duration::from_secs_f64(args.login_delay),
            ..SessionConfig::default()
        },
        idle_timeout: Duration::from_secs(args.idle_timeout),
        max_connections,
        max_per_ip: args.max_per_ip,
        ..ServerConfig::default()
    };
    let limits = (
        config.max_connections,
        config.per_ip_limit(),
        config.guard.clone(),
    );
    let names: Vec<&str> = users.names().collect();
    let first_user = names.first().map(|s| s.to_string()).unwrap_or_default();
    let cred = match demo::DEMO_USERS.iter().find(|(n, _)| *n == first_user) {
        Some((n, p)) if args.users.is_none() && args.user.is_empty() => format!("{n}:{p}"),
        _ => format!("{first_user}:PASSWORD"),
    };
    let user_list = names.join(", ");
    let backend = Arc::new(Backend {
        users,
        store: Store::new(&root),
    });
    let server = Server::bind(config, backend).await?;

    let mut o = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(o, "popscope serve: a POP3 / POP3S server for the lab");
    if let Some(a) = server.pop3_addr() {
        let _ = writeln!(o, "  POP3   {a}  cleartext, STLS offered");
    }
    if let Some(a) = server.pop3s_addr() {
        let _ = writeln!(o, "  POP3S  {a}  implicit TLS (RFC 8314)");
    }
    let _ = writeln!(o, "  users  {user_list}");
    let _ = writeln!(o, "  mail   {}{demo_note}", root.display());
    let _ = writeln!(
        o,
        "  limits {} connections, {} per address; {}",
        limits.0, limits.1, limits.2
    );
    if let Some((ca, created)) = &ca_path {
        let _ = writeln!(
            o,
            "  CA     {}{}",
            ca.display(),
            if *created { " (just created)" } else { "" }
        );
    }
    if args.cleartext_auth == CleartextAuth::Deny {
        let _ = writeln!(
            o,
            "  cleartext login (USER/PASS, AUTH PLAIN) is refused until STLS; APOP still works"
        );
    } else if [pop3, pop3s]
        .into_iter()
        .flatten()
        .any(|a| !a.ip().is_loopback())
    {
        let _ = writeln!(
            o,
            "  WARNING: listening beyond loopback with cleartext login allowed: passwords can be read on the network"
        );
    }
    let ca_file = match &ca_path {
        Some((ca, _)) => shell_word(&ca.display().to_string()),
        None => "YOUR-CA.pem".to_string(),
    };
    let ca_flag = format!("--cacert {ca_file}");
    let _ = writeln!(o, "Try:");
    if let Some(a) = server.pop3_addr() {
        let h = host_for_url(a);
        let p = a.port();
        // Under deny a cleartext curl would only show the refusal.
        if args.cleartext_auth == CleartextAuth::Allow {
            let _ = writeln!(o, "  curl pop3://{cred}@{h}:{p}/1");
        }
        let _ = writeln!(o, "  curl --ssl-reqd {ca_flag} pop3://{cred}@{h}:{p}/1");
    }
    if let Some(a) = server.pop3s_addr() {
        let _ = writeln!(
            o,
            "  curl {ca_flag} pop3s://{cred}@{}:{}/1",
            host_for_url(a),
            a.port()
        );
    }
    let fetchmail = [
        (FetchmailPort::Stls, server.pop3_addr()),
        (FetchmailPort::Pop3s, server.pop3s_addr()),
    ];
    for (port, addr) in fetchmail {
        if let Some(a) = addr {
            let line = fetchmail_command(port, a, &ca_file, &first_user);
            let _ = writeln!(o, "  {line}");
        }
    }
    let _ = writeln!(
        o,
        "  (fetchmail asks for the password, or reads it from ~/.netrc or ~/.fetchmailrc)"
    );
    let _ = writeln!(
        o,
        "Ctrl-C stops the server (sessions still open delete nothing)."
    );
    // The handlers are in place before the line that promises Ctrl-C
    // works: a Ctrl-C (or a script's SIGINT) right after it must stop the
    // server cleanly, not kill it with the default action.
    let stop = shutdown_signal()?;
    print!("{o}");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();

    server.run(stop, Duration::from_secs(5)).await;
    Ok(())
}

/// Ctrl-C or SIGTERM. Both handlers are registered when this is called,
/// not when the returned future is first polled.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetchmail_lines_name_a_dns_name_and_require_tls() {
        let stls = fetchmail_command(
            FetchmailPort::Stls,
            "127.0.0.1:1110".parse().unwrap(),
            "/d/ca.pem",
            "alice",
        );
        assert_eq!(
            stls,
            "fetchmail --sslproto tls1.2+ --sslcertck --sslcertfile /d/ca.pem -p POP3 -P 1110 -u alice --all --keep --mda 'cat >> alice-mail.txt' localhost"
        );
        let pop3s = fetchmail_command(
            FetchmailPort::Pop3s,
            "[::1]:1995".parse().unwrap(),
            "/d/ca.pem",
            "alice",
        );
        assert!(pop3s.starts_with("fetchmail --ssl --sslcertck "), "{pop3s}");
        assert!(pop3s.ends_with(" localhost"), "{pop3s}");
        // fetchmail cannot check an IP address, so a LAN address gets a
        // placeholder for the name the certificate covers.
        let lan = fetchmail_command(
            FetchmailPort::Pop3s,
            "192.0.2.7:995".parse().unwrap(),
            "/d/ca.pem",
            "alice",
        );
        assert!(lan.ends_with(" SERVER-NAME"), "{lan}");
    }

    #[test]
    fn printed_words_survive_the_shell() {
        assert_eq!(shell_word("/home/a/ca.pem"), "/home/a/ca.pem");
        assert_eq!(shell_word("/My Files/ca.pem"), "'/My Files/ca.pem'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        let odd = fetchmail_command(
            FetchmailPort::Stls,
            "127.0.0.1:1110".parse().unwrap(),
            "/d/ca.pem",
            "o'neil; rm",
        );
        assert!(odd.contains(r"-u 'o'\''neil; rm'"), "{odd}");
        assert!(odd.contains("'cat >> mail.txt'"), "{odd}");
    }
}
