//! `popscope client URL`: an interactive POP3 line client.
//!
//! It connects the way a mail client does (through
//! [`client::open_unauthenticated`] and [`client::Session::login`], so
//! with the same TLS and cleartext rules), shows the greeting and what TLS
//! negotiated, logs in, and then sends each line the user types as a POP3
//! command and prints the reply as the server sent it. A few local
//! commands start with `:` (`:decode N` shows a message decoded).
//!
//! When stdin is a terminal, lines are read with a small line editor in raw
//! mode (arrows, Home/End, history); otherwise stdin is read line by line,
//! so that scripts and tests can pipe a session in. Either way the password
//! is never echoed or printed: a typed `PASS x` shows as `PASS ********`.
//!
//! Everything the server sends is printed with control characters made
//! visible, because a message is written by a stranger and a terminal obeys
//! escape sequences (changing the title, moving the cursor, and on some
//! terminals worse).

use std::io::{self, BufRead as _, IsTerminal as _, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, queue, style, terminal};
use rustls_pki_types::ServerName;

use crate::pop3::client::{
    self, AuthMethod, ClientError, ClientSettings, Reply, Session, Transport,
};
use crate::pop3::message;
use crate::sanitize::visible;
use crate::tls::{self, Trust};

/// Login methods as `--auth` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthArg {
    /// USER and PASS (RFC 1939).
    User,
    /// APOP: an MD5 digest instead of the password (RFC 1939 section 7).
    Apop,
    /// AUTH PLAIN (RFC 5034): the password in base64.
    Plain,
}

impl From<AuthArg> for AuthMethod {
    fn from(arg: AuthArg) -> Self {
        match arg {
            AuthArg::User => AuthMethod::UserPass,
            AuthArg::Apop => AuthMethod::Apop,
            AuthArg::Plain => AuthMethod::AuthPlain,
        }
    }
}

/// Flags of `popscope client`.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// pop3://USER@HOST[:PORT] (default port 110) or pop3s://USER@HOST[:PORT]
    /// (default port 995). ";AUTH=+APOP" after the user selects APOP (RFC 2384).
    pub url: String,
    /// Upgrade the pop3:// session with STLS before logging in. If the
    /// server does not offer STLS the session stays in cleartext, but no
    /// password is sent (APOP and --no-login still work).
    #[arg(long)]
    pub stls: bool,
    /// How to log in [default: user].
    #[arg(long, value_enum, value_name = "METHOD")]
    pub auth: Option<AuthArg>,
    /// Never continue without TLS: on pop3:// this implies --stls, and a
    /// server that does not offer STLS ends the session before anything
    /// else is sent.
    #[arg(long)]
    pub require_tls: bool,
    /// Trust the CA certificates in this PEM file (and nothing else).
    #[arg(long, value_name = "PEM", conflicts_with_all = ["system_roots", "insecure"])]
    pub ca: Option<PathBuf>,
    /// Trust the operating system's root certificates.
    #[arg(long, conflicts_with = "insecure")]
    pub system_roots: bool,
    /// Accept any certificate. Insecure: a man in the middle gets your
    /// password. Here to show exactly that.
    #[arg(long)]
    pub insecure: bool,
    /// Check the certificate against this name instead of the URL's host.
    #[arg(long, value_name = "NAME")]
    pub tls_name: Option<String>,
    /// Read the password from the first line of stdin without prompting
    /// (for scripts). Without it the password is asked for on stderr and
    /// read with echo off when stdin is a terminal.
    #[arg(long, conflicts_with = "no_login")]
    pub password_stdin: bool,
    /// Connect but do not log in: type USER/PASS, APOP or AUTH yourself.
    #[arg(long)]
    pub no_login: bool,
    /// Where the demo CA lives; its ca.pem is trusted by default when it
    /// exists (default: the user's data directory).
    #[arg(long, value_name = "DIR", env = "POPSCOPE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seconds to wait for connecting, TLS and the login.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

/// Run the interactive client.
pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    let url = parse_url(&args.url)?;
    if url.password.is_some() {
        warn(
            "a password in the URL ends up in your shell history and is visible to other \
             users in `ps`; leave it out to be asked for it, or use --password-stdin",
        );
        if args.password_stdin {
            bail!("give the password either in the URL or with --password-stdin, not both");
        }
    }
    if url.implicit_tls && args.stls {
        bail!("--stls is for pop3:// URLs; pop3s:// speaks TLS from the first byte");
    }
    let method: AuthMethod = match (args.auth, url.auth) {
        (Some(flag), Some(in_url)) if AuthMethod::from(flag) != in_url => {
            bail!("--auth and the URL's ;AUTH= ask for different login methods")
        }
        (Some(flag), _) => flag.into(),
        (None, Some(in_url)) => in_url,
        (None, None) => AuthMethod::UserPass,
    };
    let user = match (&url.user, args.no_login) {
        (Some(user), _) => Some(user.clone()),
        (None, true) => None,
        (None, false) => bail!(
            "the URL names no user; write it as pop3://USER@{}:{} (or use --no-login)",
            url.host_for_display(),
            url.port
        ),
    };

    let transport = if url.implicit_tls {
        Transport::Implicit
    } else if args.stls || args.require_tls {
        Transport::Stls
    } else {
        Transport::Plain
    };
    let (trust, trust_note) = choose_trust(&args)?;
    let name = args.tls_name.clone().unwrap_or_else(|| url.host.clone());
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| anyhow!("{name:?} is not a valid host name or IP address for TLS"))?;
    let settings = ClientSettings {
        transport,
        auth: method,
        require_tls: args.require_tls || transport == Transport::Implicit,
        trust,
        // Only a pop3:// URL without --stls or --require-tls lets a password
        // travel in cleartext: the user chose a cleartext connection, and
        // the lab exists to show what that means. Asking for STLS and then
        // sending the password in the clear because the server (or an
        // attacker who removed STLS from CAPA) did not offer it would make
        // the flag meaningless.
        allow_cleartext_login: transport == Transport::Plain,
        server_name,
        timeout: Some(Duration::from_secs(args.timeout.max(1))),
        tls: None,
        keep_buffer_across_stls: false,
        observer: None,
    };
    if args.insecure && transport != Transport::Plain {
        warn(
            "--insecure: the server's certificate will NOT be checked. Anyone between you \
             and the server can pose as the server and read your password and your mail.",
        );
    }

    let mut out = Output::new();
    out.info(&format!(
        "connecting to {}:{} ({})",
        url.host_for_display(),
        url.port,
        match transport {
            Transport::Plain => "POP3, plain TCP: everything is readable on the wire",
            Transport::Stls => "POP3, upgraded with STLS",
            Transport::Implicit => "POP3S, TLS from the first byte",
        }
    ));
    let mut session = client::open_unauthenticated((url.host.as_str(), url.port), &settings)
        .await
        .map_err(|e| connect_error(e, &url))?;
    out.reply(&session.greeting);
    if let Some(caps) = &session.capabilities {
        out.info(&format!("capabilities: {}", caps.join(", ")));
    }
    match session.tls() {
        Some(info) => out.tls(info, &trust_note),
        None if transport == Transport::Stls => warn(
            "the server does not offer STLS: this session is NOT encrypted, and the \
             client will not send a password over it",
        ),
        None => {}
    }

    let stdin_tty = io::stdin().is_terminal();
    let stdout_tty = io::stdout().is_terminal();
    let mut input = if stdin_tty {
        Input::Terminal(LineEditor::new(stdout_tty))
    } else {
        Input::Piped
    };

    if let Some(user) = user.as_deref().filter(|_| !args.no_login) {
        log_in(
            &mut session,
            &mut input,
            &url,
            user,
            method,
            !args.password_stdin,
            &mut out,
        )
        .await?;
    } else {
        out.info("not logged in: type USER and PASS, APOP or AUTH yourself (:help for help)");
    }

    // The line editor already shows what was typed; anything else gets an
    // echo, so that a piped session reads like a transcript.
    let echo = !(stdin_tty && stdout_tty);
    command_loop(&mut session, &mut input, &mut out, echo, &trust_note).await
}

/// Gets the password (URL, stdin or prompt) and logs in.
async fn log_in(
    session: &mut Session,
    input: &mut Input,
    url: &PopUrl,
    user: &str,
    method: AuthMethod,
    prompt_for_password: bool,
    out: &mut Output,
) -> anyhow::Result<()> {
    // These two checks also happen inside `login`; doing them first avoids
    // asking for a password that cannot be used.
    if method.sends_password() && !session.may_send_password() {
        let e = ClientError::CleartextLogin {
            method: method.name(),
        };
        return Err(anyhow!("{e}"));
    }
    if method == AuthMethod::Apop && session.timestamp.is_none() {
        return Err(anyhow!("{}", ClientError::NoApopTimestamp));
    }
    let password = match &url.password {
        Some(p) => p.clone(),
        None => {
            let prompt = prompt_for_password
                .then(|| format!("Password for {user}@{}: ", url.host_for_display()));
            match input.read_secret(prompt.as_deref()).await? {
                ReadOutcome::Line(password) => password,
                ReadOutcome::Eof => bail!("no password given (end of input)"),
                ReadOutcome::Interrupted => bail!("interrupted at the password prompt"),
            }
        }
    };
    if method.sends_password() && !session.is_encrypted() {
        warn(&format!(
            "logging in with {} over plain TCP: the password crosses the network in cleartext",
            method.name()
        ));
    }
    let result = session.login(method, user, &password).await;
    drop(password);
    if let Err(e) = result {
        // Say goodbye properly if the connection still works; the error
        // that matters is the login's.
        let _ = session.quit().await;
        return Err(anyhow!("login as {user} failed: {e}"));
    }
    out.info(&format!("logged in as {user} with {}", method.name()));
    Ok(())
}

/// The read-send-print loop, until QUIT, EOF or Ctrl-C.
async fn command_loop(
    session: &mut Session,
    input: &mut Input,
    out: &mut Output,
    echo: bool,
    trust_note: &str,
) -> anyhow::Result<()> {
    // After a `+ ` continuation the next line is a SASL response (for
    // PLAIN, the password in base64), so it is masked like a password.
    let mut sasl_pending = false;
    let mut warned_cleartext = false;
    loop {
        let prompt = if session.is_encrypted() {
            "pop3+tls> "
        } else {
            "pop3> "
        };
        let line = match input.read_line(prompt, sasl_pending).await? {
            ReadOutcome::Line(line) => line,
            ReadOutcome::Eof => {
                if echo {
                    out.echo(prompt, "QUIT (end of input)");
                } else {
                    out.info("end of input: sending QUIT");
                }
                return quit(session, out).await;
            }
            ReadOutcome::Interrupted => {
                out.info(
                    "interrupted: hanging up without QUIT, so the server applies no deletions",
                );
                let _ = session.close().await;
                return Ok(());
            }
        };
        let secret = sasl_pending || secret_start(&line).is_some();
        if echo {
            out.echo(prompt, &masked(&line, sasl_pending));
        }
        let trimmed = line.trim();
        if trimmed.is_empty() && !sasl_pending {
            continue;
        }
        if line.contains('\0') {
            // The client refuses to send it anyway (see `send_line`); saying
            // so here keeps the session alive instead of ending it.
            out.info("not sent: the line contains a NUL character");
            continue;
        }
        if let Some(local) = trimmed.strip_prefix(':').filter(|_| !sasl_pending) {
            match local_command(session, local, out).await? {
                Flow::Continue => continue,
                Flow::Quit => return Ok(()),
            }
        }

        let keyword = trimmed
            .split_ascii_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if secret && !session.may_send_password() {
            out.info(
                "not sent: this line carries the password and the session is not encrypted \
                 (you asked for TLS); use APOP, or connect with pop3s://",
            );
            // A refused SASL response leaves the server waiting for one;
            // "*" cancels the exchange (RFC 5034 section 4).
            if sasl_pending {
                sasl_pending = false;
                let reply = send(session, "*", false).await?;
                out.reply(&reply);
            }
            continue;
        }
        if secret && !session.is_encrypted() && !warned_cleartext {
            warn("this line crosses the network in cleartext; the eavesdropper can read it");
            warned_cleartext = true;
        }
        if keyword == "STLS" && !sasl_pending && !session.is_encrypted() {
            stls(session, out, trust_note).await?;
            continue;
        }
        let multiline = !sasl_pending && is_multiline(trimmed);
        let reply = send(session, line.trim_end_matches(['\r', '\n']), multiline).await?;
        out.reply(&reply);
        sasl_pending = reply.continuation;
        if keyword == "QUIT" && !reply.continuation {
            let _ = session.close().await;
            return Ok(());
        }
    }
}

enum Flow {
    Continue,
    Quit,
}

/// `:decode`, `:headers`, `:help`, `:quit`.
async fn local_command(
    session: &mut Session,
    command: &str,
    out: &mut Output,
) -> anyhow::Result<Flow> {
    let mut words = command.split_ascii_whitespace();
    let name = words.next().unwrap_or("");
    let arg = words.next();
    match (name, arg) {
        ("help" | "h" | "?", _) => out.help(),
        ("quit" | "q", _) => {
            quit(session, out).await?;
            return Ok(Flow::Quit);
        }
        ("decode" | "headers", Some(n)) if n.parse::<u32>().is_ok_and(|n| n > 0) => {
            let full = name == "decode";
            let pop3 = if full {
                format!("RETR {n}")
            } else {
                format!("TOP {n} 0")
            };
            out.info(&format!("sending {pop3}"));
            let reply = send(session, &pop3, true).await?;
            if !reply.ok {
                out.reply(&reply);
            } else {
                out.status(&reply);
                let decoded = message::decode(reply.body.as_deref().unwrap_or_default());
                out.decoded(n, &decoded, full);
            }
        }
        ("decode" | "headers", _) => out.info(&format!("usage: :{name} N (a message number)")),
        _ => out.info(&format!(
            "unknown command :{name}; :help lists the local commands"
        )),
    }
    Ok(Flow::Continue)
}

/// Upgrades the session typed STLS and reports what TLS negotiated.
async fn stls(session: &mut Session, out: &mut Output, trust_note: &str) -> anyhow::Result<()> {
    match session.stls().await {
        Ok(ok) => {
            out.reply(&ok);
            if let Some(info) = session.tls() {
                out.tls(info, trust_note);
            }
            if let Some(caps) = &session.capabilities {
                out.info(&format!(
                    "capabilities after TLS (asked again, RFC 2595): {}",
                    caps.join(", ")
                ));
            }
            Ok(())
        }
        Err(ClientError::ErrReply { text, .. }) => {
            out.line(&format!("-ERR {text}"));
            Ok(())
        }
        Err(e) => Err(anyhow!("STLS failed: {e}")),
    }
}

/// Sends QUIT and prints the answer; a connection that is already gone is
/// not worth an error at this point.
async fn quit(session: &mut Session, out: &mut Output) -> anyhow::Result<()> {
    match session.quit().await {
        Ok(reply) => out.reply(&reply),
        Err(e) => out.info(&format!("QUIT got no answer: {e}")),
    }
    Ok(())
}

/// Sends one command line and reads its reply. Losing the connection here
/// ends the program with an error.
async fn send(session: &mut Session, line: &str, multiline: bool) -> anyhow::Result<Reply> {
    match session.client.command(line, multiline).await {
        Ok(reply) => Ok(reply),
        Err(ClientError::Closed) => bail!("the server closed the connection"),
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// Whether the reply to this command line has a multi-line body after
/// `+OK`: the command's own rule ([`Command::multiline_reply`]). A line
/// that is not a well-formed command gets a one-line `-ERR`.
fn is_multiline(line: &str) -> bool {
    crate::pop3::command::Command::parse(line.trim().as_bytes()).is_ok_and(|c| c.multiline_reply())
}

/// Where in a command line the secret starts (a byte offset), if it holds
/// one: the argument of PASS, or the initial response of `AUTH mech ir`.
fn secret_start(line: &str) -> Option<usize> {
    let lead = line.len() - line.trim_start().len();
    let rest = &line[lead..];
    let keyword_end = rest.find(|c: char| c.is_ascii_whitespace())?;
    let keyword = &rest[..keyword_end];
    let after_keyword = lead + keyword_end;
    let args_at = |from: usize| {
        let tail = &line[from..];
        from + (tail.len() - tail.trim_start().len())
    };
    if keyword.eq_ignore_ascii_case("PASS") {
        return Some(args_at(after_keyword));
    }
    if keyword.eq_ignore_ascii_case("AUTH") {
        let mech_at = args_at(after_keyword);
        let mech_len = line[mech_at..].find(|c: char| c.is_ascii_whitespace())?;
        let ir_at = args_at(mech_at + mech_len);
        return (ir_at < line.len()).then_some(ir_at);
    }
    None
}

/// The line as it may be shown once typed: secrets replaced by a fixed
/// eight stars, so that not even the password's length shows.
fn masked(line: &str, whole_line_secret: bool) -> String {
    if whole_line_secret {
        return "********".to_owned();
    }
    match secret_start(line) {
        Some(at) if at < line.len() => format!("{}********", &line[..at]),
        _ => line.to_owned(),
    }
}

/// The line as it is shown while being typed: every secret character as a
/// star, so that the cursor still moves one place per key.
fn masked_live(chars: &[char], whole_line_secret: bool) -> Vec<char> {
    if whole_line_secret {
        return vec!['*'; chars.len()];
    }
    let line: String = chars.iter().collect();
    match secret_start(&line) {
        Some(at) => {
            let visible = line[..at].chars().count();
            chars
                .iter()
                .enumerate()
                .map(|(i, &c)| if i < visible { c } else { '*' })
                .collect()
        }
        None => chars.to_vec(),
    }
}

// ---------------------------------------------------------------------------
// The URL
// ---------------------------------------------------------------------------

/// A parsed `pop3://` or `pop3s://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PopUrl {
    implicit_tls: bool,
    user: Option<String>,
    password: Option<String>,
    auth: Option<AuthMethod>,
    /// The host, without brackets for IPv6.
    host: String,
    port: u16,
}

impl PopUrl {
    fn host_for_display(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// Parses `pop3://[USER[;AUTH=MECH][:PASSWORD]@]HOST[:PORT][/]` (RFC 2384
/// style; `pop://` is accepted as the RFC spells it, `pop3s://` means
/// implicit TLS). User and password may be percent-encoded.
fn parse_url(url: &str) -> anyhow::Result<PopUrl> {
    let (scheme, rest) = url
        .split_once("://")
        .context("the URL must start with pop3:// or pop3s://")?;
    let implicit_tls = match scheme.to_ascii_lowercase().as_str() {
        "pop3" | "pop" => false,
        "pop3s" | "pops" => true,
        other => bail!("unsupported URL scheme {other:?}: use pop3:// or pop3s://"),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !path.is_empty() && path != "/" {
        bail!("the URL has a path ({path:?}); give only pop3://USER@HOST:PORT and use RETR N");
    }
    // The last '@' separates the user part, so that an unencoded '@' in a
    // password still works.
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (mut user, mut password, mut auth) = (None, None, None);
    if let Some(userinfo) = userinfo {
        let (name_part, pw) = match userinfo.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (userinfo, None),
        };
        let (name, params) = match name_part.split_once(';') {
            Some((n, p)) => (n, Some(p)),
            None => (name_part, None),
        };
        if let Some(params) = params {
            let (_, value) = params
                .split_once('=')
                .filter(|(k, _)| k.eq_ignore_ascii_case("auth"))
                .with_context(|| {
                    format!("unknown URL parameter {params:?} (only ;AUTH= is known)")
                })?;
            auth = match value.to_ascii_uppercase().as_str() {
                "*" => None,
                "+APOP" => Some(AuthMethod::Apop),
                "PLAIN" => Some(AuthMethod::AuthPlain),
                "+USER" | "USER" => Some(AuthMethod::UserPass),
                other => bail!("unsupported ;AUTH={other} in the URL (use +APOP, PLAIN or *)"),
            };
        }
        let name = percent_decode(name).context("bad percent-encoding in the user name")?;
        if !name.is_empty() {
            user = Some(name);
        }
        if let Some(pw) = pw {
            password = Some(percent_decode(pw).context("bad percent-encoding in the password")?);
        }
    }
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .context("an IPv6 address in the URL is missing its closing ']'")?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .context("expected :PORT after the IPv6 address")?,
            ),
        };
        (host, port)
    } else {
        match hostport.split_once(':') {
            Some((_, p)) if p.contains(':') => {
                bail!("put an IPv6 address in brackets: pop3://USER@[::1]:110")
            }
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        bail!("the URL has no host");
    }
    let port = match port {
        None => if implicit_tls {
            Transport::Implicit
        } else {
            Transport::Plain
        }
        .standard_port(),
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .with_context(|| format!("bad port {p:?} in the URL"))?,
    };
    Ok(PopUrl {
        implicit_tls,
        user,
        password,
        auth,
        host: host.to_owned(),
        port,
    })
}

fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .context("'%' must be followed by two hex digits")?;
            let hex = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(hex.context("'%' must be followed by two hex digits")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("the decoded text is not UTF-8")
}

// ---------------------------------------------------------------------------
// Trust and errors
// ---------------------------------------------------------------------------

/// The trust the flags ask for, and a note for the user saying what it is.
///
/// Without a flag the demo CA is trusted if `popscope serve` has created one
/// in the data directory, because pointing the client at the lab's own
/// server is by far the common case; otherwise the system's roots, as for
/// any public server.
fn choose_trust(args: &ClientArgs) -> anyhow::Result<(Trust, String)> {
    if let Some(ca) = &args.ca {
        return Ok((
            Trust::CaFile(ca.clone()),
            format!("the CA in {}", ca.display()),
        ));
    }
    if args.insecure {
        return Ok((
            Trust::InsecureAcceptAny,
            "NOTHING (--insecure): compare the fingerprint with the server's before believing this session".into(),
        ));
    }
    if args.system_roots {
        return Ok((Trust::SystemRoots, "the system's root certificates".into()));
    }
    let dir = match &args.data_dir {
        Some(dir) => Some(dir.clone()),
        None => {
            directories::ProjectDirs::from("", "", "popscope").map(|p| p.data_dir().to_path_buf())
        }
    };
    if let Some(ca) = dir
        .map(|d| d.join(tls::CA_CERT_FILE))
        .filter(|ca| ca.is_file())
    {
        let note = format!("the popscope demo CA in {}", ca.display());
        return Ok((Trust::CaFile(ca), note));
    }
    Ok((
        Trust::SystemRoots,
        "the system's root certificates (no popscope demo CA found; see --ca)".into(),
    ))
}

/// A failure to open the session, as one line for the user. Certificate and
/// TLS errors speak for themselves; a socket error gets the address.
///
/// The error is flattened to its message: every [`ClientError`] already
/// says what its cause said, and `popscope: {e:#}` in main would otherwise
/// repeat the cause in rustls's terser words after it.
fn connect_error(err: ClientError, url: &PopUrl) -> anyhow::Error {
    match err {
        ClientError::Io(e) => anyhow!(
            "cannot connect to {}:{}: {e}",
            url.host_for_display(),
            url.port
        ),
        ClientError::Closed => anyhow!(
            "{}:{} closed the connection before greeting (is it a POP3 server{}?)",
            url.host_for_display(),
            url.port,
            if url.implicit_tls {
                " speaking TLS"
            } else {
                ""
            }
        ),
        other => anyhow!("{other}"),
    }
}

fn warn(text: &str) {
    eprintln!("popscope: warning: {text}");
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/// The transcript on stdout. Server text goes through [`visible`].
struct Output {
    out: io::Stdout,
}

impl Output {
    fn new() -> Self {
        Output { out: io::stdout() }
    }

    fn line(&mut self, text: &str) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// A note from the client itself, marked so it cannot be mistaken for
    /// something the server said.
    fn info(&mut self, text: &str) {
        self.line(&format!("* {text}"));
    }

    fn echo(&mut self, prompt: &str, shown: &str) {
        self.line(&format!("{prompt}{}", visible(shown)));
    }

    /// The status line as the server wrote it.
    fn status(&mut self, reply: &Reply) {
        let word = if reply.continuation {
            "+"
        } else if reply.ok {
            "+OK"
        } else {
            "-ERR"
        };
        if reply.status_line.is_empty() {
            self.line(word);
        } else {
            self.line(&format!("{word} {}", visible(&reply.status_line)));
        }
    }

    /// The whole reply as it came over the wire: the body is dot-stuffed
    /// again and ends with the "." line, so that RETR shows what the
    /// eavesdropper sees (`:decode` shows the content instead).
    fn reply(&mut self, reply: &Reply) {
        self.status(reply);
        let Some(body) = &reply.body else { return };
        let mut out = self.out.lock();
        for line in body_lines(body) {
            let text = String::from_utf8_lossy(line);
            let stuff = if text.starts_with('.') { "." } else { "" };
            let _ = writeln!(out, "{stuff}{}", visible(&text));
        }
        let _ = writeln!(out, ".");
        let _ = out.flush();
    }

    fn tls(&mut self, info: &client::TlsInfo, trust_note: &str) {
        let s = &info.summary;
        let mut line = format!("TLS: {} {}", s.version, s.suite);
        if let Some(group) = &s.group {
            line.push_str(&format!(", key exchange {group}"));
        }
        if let Some(sni) = &s.sni {
            line.push_str(&format!(", SNI {sni}"));
        }
        line.push_str(if info.stls {
            " (after STLS)"
        } else {
            " (POP3S)"
        });
        self.info(&line);
        let chain = &info.peer_certificates;
        match chain.first() {
            Some(leaf) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, leaf);
                let fingerprint: Vec<String> =
                    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
                self.info(&format!(
                    "certificate chain: {} certificate{} ({} bytes); server certificate SHA-256 {}",
                    chain.len(),
                    if chain.len() == 1 { "" } else { "s" },
                    chain
                        .iter()
                        .map(Vec::len)
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(" + "),
                    fingerprint.join(":")
                ));
            }
            None => self.info("certificate chain: none received"),
        }
        self.info(&format!("trusting: {trust_note}"));
    }

    fn decoded(&mut self, n: &str, m: &message::DecodedMessage, with_body: bool) {
        let mut out = self.out.lock();
        let _ = writeln!(out, "--- message {n}, decoded ---");
        if with_body {
            for (name, value) in [
                ("Date", &m.date),
                ("From", &m.from),
                ("To", &m.to),
                ("Cc", &m.cc),
                ("Subject", &m.subject),
            ] {
                if let Some(value) = value {
                    let _ = writeln!(out, "{:<9}{}", format!("{name}:"), visible(value));
                }
            }
            let _ = writeln!(out);
            match &m.text {
                Some(text) => {
                    for line in text.lines() {
                        let _ = writeln!(out, "{}", visible(line));
                    }
                }
                None => {
                    let _ = writeln!(out, "(no text part)");
                }
            }
            if !m.attachments.is_empty() {
                let count = m.attachments.len();
                let _ = writeln!(
                    out,
                    "--- {count} attachment{} ---",
                    if count == 1 { "" } else { "s" }
                );
                for a in &m.attachments {
                    let _ = writeln!(
                        out,
                        "{}  {}  {} bytes",
                        visible(a.name.as_deref().unwrap_or("(no name)")),
                        visible(&a.content_type),
                        a.size
                    );
                }
            }
        } else {
            for (name, value) in &m.headers {
                let _ = writeln!(out, "{}: {}", visible(name), visible(value));
            }
        }
        let _ = writeln!(out, "--- end of message {n} ---");
        let _ = out.flush();
    }

    fn help(&mut self) {
        self.line(
            "* Type POP3 commands; each line is sent as it is and the reply is shown as it\n\
             * came over the wire (RETR shows the dot-stuffed form). Useful ones:\n\
             *   STAT  LIST [n]  UIDL [n]  RETR n  TOP n lines  DELE n  RSET  NOOP  CAPA\n\
             *   USER name / PASS secret,  APOP name digest,  AUTH PLAIN,  STLS,  QUIT\n\
             * Local commands:\n\
             *   :decode N    RETR N and show it decoded (headers, text, attachments)\n\
             *   :headers N   TOP N 0 and show every header, decoded\n\
             *   :help        this text\n\
             *   :quit        send QUIT (DELE marks are applied) and exit\n\
             * End of input (Ctrl-D) also sends QUIT; Ctrl-C hangs up without QUIT,\n\
             * so the server forgets any DELE.",
        );
    }
}

/// The lines of a CRLF-terminated body, without their line ends.
fn body_lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = body.strip_suffix(b"\r\n").unwrap_or(body);
    let empty = body.is_empty();
    body.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(move |_| !empty)
}

// ---------------------------------------------------------------------------
// Input: a terminal line editor, or plain lines from a pipe
// ---------------------------------------------------------------------------

/// What reading a line produced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ReadOutcome {
    Line(String),
    /// End of input: Ctrl-D on an empty line, or the end of piped stdin.
    Eof,
    /// Ctrl-C at the prompt.
    Interrupted,
}

enum Input {
    Terminal(LineEditor),
    Piped,
}

impl Input {
    /// Reads one command line. Terminal input happens on a blocking thread
    /// (crossterm reads block), so the editor travels there and back.
    async fn read_line(&mut self, prompt: &str, secret: bool) -> anyhow::Result<ReadOutcome> {
        match self {
            Input::Terminal(editor) => {
                let mut moved = std::mem::take(editor);
                let prompt = prompt.to_owned();
                let (moved, result) = tokio::task::spawn_blocking(move || {
                    let result = moved.read_line(&prompt, secret);
                    (moved, result)
                })
                .await
                .context("the line editor stopped")?;
                *editor = moved;
                Ok(result.context("cannot read from the terminal")?)
            }
            Input::Piped => tokio::task::spawn_blocking(read_stdin_line)
                .await
                .context("reading stdin stopped")?
                .map(|line| line.map_or(ReadOutcome::Eof, ReadOutcome::Line))
                .context("cannot read stdin"),
        }
    }

    /// Reads the password: without echo on a terminal, as the next line of
    /// stdin otherwise (where nothing is echoed anyway). The prompt, if
    /// any, goes to stderr, so that it is seen even when stdout is
    /// redirected and never ends up in a transcript.
    async fn read_secret(&mut self, prompt: Option<&str>) -> anyhow::Result<ReadOutcome> {
        if let Some(prompt) = prompt {
            let mut err = io::stderr();
            let _ = write!(err, "{prompt}");
            let _ = err.flush();
        }
        let outcome = match self {
            Input::Terminal(_) => tokio::task::spawn_blocking(read_password_from_terminal)
                .await
                .context("the password prompt stopped")?
                .context("cannot read the password from the terminal")?,
            Input::Piped => tokio::task::spawn_blocking(read_stdin_line)
                .await
                .context("reading stdin stopped")?
                .context("cannot read the password from stdin")?
                .map_or(ReadOutcome::Eof, ReadOutcome::Line),
        };
        if prompt.is_some() {
            // Nothing echoed the Enter (raw mode, or a pipe), so end the
            // prompt's line here for whatever is printed next.
            eprintln!();
        }
        Ok(outcome)
    }
}

/// One line of stdin without its line end; `None` at the end. Bytes that
/// are not UTF-8 are replaced rather than refused, since the line is only
/// going to be sent as a command.
fn read_stdin_line() -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    if io::stdin().lock().read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Raw mode for as long as it lives. Its `Drop` restores the terminal, so
/// every way out of the editor (return, `?`, panic unwinding) leaves the
/// terminal usable.
struct RawModeGuard;

impl RawModeGuard {
    fn enable() -> io::Result<Self> {
        terminal::enable_raw_mode()?;
        Ok(RawModeGuard)
    }
}

impl Drop for RawModeGuard {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Reads a password on the terminal with echo off: nothing is drawn for the
/// keys typed, not even stars, so the length does not show either.
fn read_password_from_terminal() -> io::Result<ReadOutcome> {
    let guard = RawModeGuard::enable()?;
    let mut password = String::new();
    let outcome = loop {
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind == KeyEventKind::Release {
            continue;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => break ReadOutcome::Line(std::mem::take(&mut password)),
            KeyCode::Char('c') if ctrl => break ReadOutcome::Interrupted,
            KeyCode::Char('d') if ctrl && password.is_empty() => break ReadOutcome::Eof,
            KeyCode::Char('u') if ctrl => password.clear(),
            KeyCode::Backspace => {
                password.pop();
            }
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                password.push(c)
            }
            _ => {}
        }
    };
    drop(guard);
    Ok(outcome)
}

/// Upper bound on the history, so a long session stays small.
const HISTORY_LIMIT: usize = 1000;

/// A small line editor for a terminal: ← → Home End Backspace Delete,
/// ↑ ↓ through the history, Ctrl-A/E/U/K/W as in readline, Ctrl-C and
/// Ctrl-D to leave. Raw mode is on only while a line is being read, so
/// replies print with the terminal in its normal state.
#[derive(Default)]
struct LineEditor {
    history: Vec<String>,
    /// Draw on stdout when it is the terminal, else on stderr, so that a
    /// redirected stdout receives the transcript and not the editing.
    draw_on_stdout: bool,
}

impl LineEditor {
    fn new(draw_on_stdout: bool) -> Self {
        LineEditor {
            history: Vec::new(),
            draw_on_stdout,
        }
    }

    fn read_line(&mut self, prompt: &str, secret: bool) -> io::Result<ReadOutcome> {
        let mut out: Box<dyn Write> = if self.draw_on_stdout {
            Box::new(io::stdout())
        } else {
            Box::new(io::stderr())
        };
        let _guard = RawModeGuard::enable()?;
        let mut state = EditState::new(self.history.len());
        let mut view = View::default();
        let prompt_width = str_width(prompt);
        draw(&mut out, prompt, prompt_width, &state, secret, &mut view)?;
        let outcome = loop {
            match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    match state.handle(key, &self.history) {
                        Step::Redraw => {
                            draw(&mut out, prompt, prompt_width, &state, secret, &mut view)?
                        }
                        Step::Submit => break ReadOutcome::Line(state.line()),
                        Step::Eof => break ReadOutcome::Eof,
                        Step::Interrupt => break ReadOutcome::Interrupted,
                    }
                }
                Event::Resize(..) => {
                    draw(&mut out, prompt, prompt_width, &state, secret, &mut view)?
                }
                _ => {}
            }
        };
        // Leave the finished line on screen in its final form (passwords as
        // eight stars), then move to a fresh line for the reply.
        let shown = match &outcome {
            ReadOutcome::Line(line) => masked(line, secret),
            ReadOutcome::Eof => String::new(),
            ReadOutcome::Interrupted => "^C".to_owned(),
        };
        queue!(
            out,
            cursor::MoveToColumn(0),
            style::Print(prompt),
            style::Print(visible(&shown)),
            terminal::Clear(terminal::ClearType::UntilNewLine),
            style::Print("\r\n")
        )?;
        out.flush()?;
        if let ReadOutcome::Line(line) = &outcome {
            self.remember(line, secret);
        }
        Ok(outcome)
    }

    /// Adds a line to the history, except blank lines, repeats of the last
    /// entry and anything holding a secret.
    fn remember(&mut self, line: &str, secret: bool) {
        if secret || line.trim().is_empty() || secret_start(line).is_some() {
            return;
        }
        if self.history.last().is_some_and(|last| last == line) {
            return;
        }
        if self.history.len() == HISTORY_LIMIT {
            self.history.remove(0);
        }
        self.history.push(line.to_owned());
    }
}

/// What a key did to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Redraw,
    Submit,
    Eof,
    Interrupt,
}

/// The line being edited, separate from the terminal so that it can be
/// tested without one.
#[derive(Debug, Default)]
struct EditState {
    buf: Vec<char>,
    /// Cursor position, in characters, `0..=buf.len()`.
    cursor: usize,
    /// Which history entry is shown; `history.len()` means the new line.
    hist_pos: usize,
    /// The new line, kept while the user browses the history.
    draft: Vec<char>,
}

impl EditState {
    fn new(history_len: usize) -> Self {
        EditState {
            hist_pos: history_len,
            ..EditState::default()
        }
    }

    fn line(&self) -> String {
        self.buf.iter().collect()
    }

    fn handle(&mut self, key: KeyEvent, history: &[String]) -> Step {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Enter => return Step::Submit,
            KeyCode::Char('c') if ctrl => return Step::Interrupt,
            KeyCode::Char('d') if ctrl => {
                if self.buf.is_empty() {
                    return Step::Eof;
                }
                self.delete_forward();
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.buf.len(),
            KeyCode::Char('b') if ctrl => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char('f') if ctrl => self.cursor = (self.cursor + 1).min(self.buf.len()),
            KeyCode::Char('u') if ctrl => {
                self.buf.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('k') if ctrl => self.buf.truncate(self.cursor),
            KeyCode::Char('w') if ctrl => {
                let mut start = self.cursor;
                while start > 0 && self.buf[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && self.buf[start - 1] != ' ' {
                    start -= 1;
                }
                self.buf.drain(start..self.cursor);
                self.cursor = start;
            }
            KeyCode::Char('p') if ctrl => self.history_up(history),
            KeyCode::Char('n') if ctrl => self.history_down(history),
            KeyCode::Char(c) if !ctrl && !alt => {
                self.buf.insert(self.cursor, c);
                self.cursor += 1;
            }
            KeyCode::Tab => {
                self.buf.insert(self.cursor, ' ');
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.buf.remove(self.cursor);
            }
            KeyCode::Delete => self.delete_forward(),
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.buf.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.buf.len(),
            KeyCode::Up => self.history_up(history),
            KeyCode::Down => self.history_down(history),
            _ => {}
        }
        Step::Redraw
    }

    fn delete_forward(&mut self) {
        if self.cursor < self.buf.len() {
            self.buf.remove(self.cursor);
        }
    }

    fn history_up(&mut self, history: &[String]) {
        if self.hist_pos == 0 || history.is_empty() {
            return;
        }
        if self.hist_pos >= history.len() {
            self.draft = std::mem::take(&mut self.buf);
            self.hist_pos = history.len();
        }
        self.hist_pos -= 1;
        self.buf = history[self.hist_pos].chars().collect();
        self.cursor = self.buf.len();
    }

    fn history_down(&mut self, history: &[String]) {
        if self.hist_pos >= history.len() {
            return;
        }
        self.hist_pos += 1;
        self.buf = if self.hist_pos == history.len() {
            std::mem::take(&mut self.draft)
        } else {
            history[self.hist_pos].chars().collect()
        };
        self.cursor = self.buf.len();
    }
}

/// Which part of a long line is on screen: the index of the first
/// character shown. The line scrolls sideways instead of wrapping, because
/// a wrapped line would need the editor to track rows.
#[derive(Debug, Default)]
struct View {
    first: usize,
}

/// Redraws the prompt and the visible part of the line, then places the
/// cursor.
fn draw<W: Write>(
    out: &mut W,
    prompt: &str,
    prompt_width: usize,
    state: &EditState,
    secret: bool,
    view: &mut View,
) -> io::Result<()> {
    let shown = masked_live(&state.buf, secret);
    let columns = terminal::size().map_or(80, |(w, _)| usize::from(w));
    // One column stays free for the cursor at the end of the line.
    let room = columns.saturating_sub(prompt_width + 1).max(1);
    let (text, cursor_col) = visible_part(&shown, state.cursor, room, view);
    let col = u16::try_from(prompt_width + cursor_col).unwrap_or(u16::MAX);
    queue!(
        out,
        cursor::MoveToColumn(0),
        style::Print(prompt),
        style::Print(text),
        terminal::Clear(terminal::ClearType::UntilNewLine),
        cursor::MoveToColumn(col)
    )?;
    out.flush()
}

/// The slice of `shown` that fits in `room` columns with the cursor on
/// screen, and the cursor's column within it. Adjusts `view` as little as
/// possible, so that the text does not jump while the cursor moves inside it.
fn visible_part(shown: &[char], cursor: usize, room: usize, view: &mut View) -> (String, usize) {
    if cursor < view.first {
        view.first = cursor;
    }
    while view.first < cursor && width_of(&shown[view.first..cursor]) >= room {
        view.first += 1;
    }
    // Characters are drawn sanitized, so measure what is drawn.
    let mut text = String::new();
    let mut used = 0;
    for &c in &shown[view.first..] {
        let drawn = visible(&c.to_string()).into_owned();
        let w = str_width(&drawn);
        if used + w > room {
            break;
        }
        used += w;
        text.push_str(&drawn);
    }
    (text, width_of(&shown[view.first..cursor]))
}

fn width_of(chars: &[char]) -> usize {
    chars
        .iter()
        .map(|&c| str_width(&visible(&c.to_string())))
        .sum()
}

fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Terminal columns a character takes (Unicode East Asian Width, as the
/// lab screen measures it too).
fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn type_str(state: &mut EditState, s: &str, history: &[String]) {
        for c in s.chars() {
            state.handle(key(KeyCode::Char(c)), history);
        }
    }

    #[test]
    fn urls() {
        let u = parse_url("pop3://alice@127.0.0.1:1110").unwrap();
        assert_eq!(
            u,
            PopUrl {
                implicit_tls: false,
                user: Some("alice".into()),
                password: None,
                auth: None,
                host: "127.0.0.1".into(),
                port: 1110
            }
        );
        let u = parse_url("POP3S://bob:p%40ss:w@rd@[::1]/").unwrap();
        assert!(u.implicit_tls);
        assert_eq!(u.user.as_deref(), Some("bob"));
        assert_eq!(u.password.as_deref(), Some("p@ss:w@rd"));
        assert_eq!(u.host, "::1");
        assert_eq!(u.port, 995);
        assert_eq!(u.host_for_display(), "[::1]");
        let u = parse_url("pop://alice;AUTH=+APOP@mail.example").unwrap();
        assert_eq!(u.auth, Some(AuthMethod::Apop));
        assert_eq!(u.port, 110);
        assert!(parse_url("imap://alice@x").is_err());
        assert!(parse_url("pop3://alice@x/1").is_err());
        assert!(parse_url("pop3://alice@::1:110").is_err());
        assert!(parse_url("pop3://alice@x:0").is_err());
        assert!(parse_url("pop3://alice@x:99999").is_err());
        assert!(parse_url("pop3://alice@").is_err());
        assert!(parse_url("pop3://al%4@x").is_err());
        assert_eq!(parse_url("pop3://x").unwrap().user, None);
    }

    #[test]
    fn secrets_are_found_and_masked() {
        assert_eq!(masked("PASS wonderland", false), "PASS ********");
        assert_eq!(masked("  pass  wonderland", false), "  pass  ********");
        assert_eq!(
            masked("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", false),
            "AUTH PLAIN ********"
        );
        assert_eq!(masked("AUTH PLAIN", false), "AUTH PLAIN");
        assert_eq!(masked("USER alice", false), "USER alice");
        assert_eq!(masked("PASSWORD x", false), "PASSWORD x");
        assert_eq!(masked("AGFsaWNl", true), "********");
        assert_eq!(masked("PASS", false), "PASS");
        let live: String = masked_live(&"PASS abc".chars().collect::<Vec<_>>(), false)
            .into_iter()
            .collect();
        assert_eq!(live, "PASS ***");
    }

    #[test]
    fn multiline_commands() {
        for line in ["RETR 1", "top 1 0", "CAPA", "LIST", "uidl", "AUTH"] {
            assert!(is_multiline(line), "{line}");
        }
        for line in [
            "LIST 1",
            "UIDL 2",
            "STAT",
            "DELE 1",
            "NOOP",
            "QUIT",
            "USER a",
            "AUTH PLAIN",
        ] {
            assert!(!is_multiline(line), "{line}");
        }
    }

    #[test]
    fn sanitize_makes_controls_visible() {
        assert_eq!(visible("plain\ttext"), "plain\ttext");
        assert_eq!(visible("\u{1b}[2J"), "^[[2J");
        assert_eq!(visible("a\u{7f}\u{9b}b"), "a^?<U+009B>b");
        assert_eq!(visible("x\u{202e}y"), "x<U+202E>y");
        assert_eq!(visible("日本語"), "日本語");
    }

    #[test]
    fn body_lines_split() {
        let lines: Vec<&[u8]> = body_lines(b"a\r\n.b\r\n\r\nc\r\n").collect();
        assert_eq!(lines, [&b"a"[..], b".b", b"", b"c"]);
        assert_eq!(body_lines(b"").count(), 0);
        assert_eq!(body_lines(b"\r\n").count(), 0);
    }

    #[test]
    fn editing_keys() {
        let h: Vec<String> = Vec::new();
        let mut s = EditState::new(0);
        type_str(&mut s, "STAT", &h);
        s.handle(key(KeyCode::Left), &h);
        s.handle(key(KeyCode::Left), &h);
        s.handle(key(KeyCode::Backspace), &h);
        assert_eq!(s.line(), "SAT");
        s.handle(key(KeyCode::Home), &h);
        s.handle(key(KeyCode::Delete), &h);
        assert_eq!(s.line(), "AT");
        s.handle(key(KeyCode::End), &h);
        type_str(&mut s, " 1", &h);
        assert_eq!(s.line(), "AT 1");
        s.handle(ctrl('w'), &h);
        assert_eq!(s.line(), "AT ");
        s.handle(ctrl('a'), &h);
        s.handle(ctrl('k'), &h);
        assert_eq!(s.line(), "");
        assert_eq!(s.handle(key(KeyCode::Enter), &h), Step::Submit);
        assert_eq!(s.handle(ctrl('c'), &h), Step::Interrupt);
        assert_eq!(s.handle(ctrl('d'), &h), Step::Eof);
        type_str(&mut s, "x", &h);
        // Ctrl-D on a non-empty line deletes instead of quitting.
        s.handle(key(KeyCode::Home), &h);
        assert_eq!(s.handle(ctrl('d'), &h), Step::Redraw);
        assert_eq!(s.line(), "");
    }

    #[test]
    fn history_browsing_keeps_the_draft() {
        let h = vec!["STAT".to_owned(), "LIST".to_owned()];
        let mut s = EditState::new(h.len());
        type_str(&mut s, "RE", &h);
        s.handle(key(KeyCode::Up), &h);
        assert_eq!(s.line(), "LIST");
        s.handle(key(KeyCode::Up), &h);
        assert_eq!(s.line(), "STAT");
        s.handle(key(KeyCode::Up), &h);
        assert_eq!(s.line(), "STAT");
        s.handle(key(KeyCode::Down), &h);
        assert_eq!(s.line(), "LIST");
        s.handle(key(KeyCode::Down), &h);
        assert_eq!(s.line(), "RE");
        assert_eq!(s.cursor, 2);
        s.handle(key(KeyCode::Down), &h);
        assert_eq!(s.line(), "RE");
    }

    #[test]
    fn history_skips_secrets_and_repeats() {
        let mut ed = LineEditor::new(true);
        ed.remember("STAT", false);
        ed.remember("STAT", false);
        ed.remember("PASS wonderland", false);
        ed.remember("AGFsaWNl", true);
        ed.remember("  ", false);
        ed.remember("LIST", false);
        assert_eq!(ed.history, ["STAT", "LIST"]);
    }

    #[test]
    fn long_lines_scroll_sideways() {
        let line: Vec<char> = "0123456789".chars().collect();
        let mut view = View::default();
        let (text, col) = visible_part(&line, 10, 5, &mut view);
        assert_eq!((text.as_str(), col), ("6789", 4));
        let (text, col) = visible_part(&line, 0, 5, &mut view);
        assert_eq!((text.as_str(), col), ("01234", 0));
        // Wide characters count twice.
        let wide: Vec<char> = "日本語".chars().collect();
        let mut view = View::default();
        let (text, col) = visible_part(&wide, 3, 10, &mut view);
        assert_eq!((text.as_str(), col), ("日本語", 6));
    }
}
