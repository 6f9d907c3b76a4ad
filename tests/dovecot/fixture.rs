//! A private Dovecot for one test: its own directory, ports, accounts and
//! certificate, stopped when the guard is dropped.
//!
//! The server is started by `scripts/dovecot/test-instance.sh`, which copies
//! the demo Maildirs, writes the passwd-file and then `exec`s into
//! `dovecot -F`. That makes the master our direct child: dropping
//! [`Dovecot`] sends it SIGTERM (so it can stop its own helper processes)
//! and reaps it, and nothing is left running once a test is over.
//!
//! Each test gets a whole server of its own rather than sharing one. A
//! start takes about a third of a second, which is cheap next to what
//! sharing would cost: a static fixture is never dropped, so its server
//! would outlive the test binary, and tests that delete mail would have to
//! be kept apart by hand.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use popscope::pop3::client::{self, BoxedStream, Client, Transport};
use popscope::tls::{self, Trust};
use rustls_pki_types::ServerName;

/// The demo accounts every server gets; each test has its own server, so
/// these names are never shared between tests.
pub const ALICE: (&str, &str) = ("alice", "wonderland");
pub const BOB: (&str, &str) = ("bob", "builder");

/// How long a server may take to greet on both ports.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// How many times a start is tried. The ports are chosen by binding port 0
/// and closing the socket again, so another process can take one before
/// Dovecot binds it; a fresh pair of ports is the cure.
const START_ATTEMPTS: u32 = 3;

pub struct Dovecot {
    /// POP3 with STLS.
    pub pop3: SocketAddr,
    /// POP3S (TLS from the first byte).
    pub pop3s: SocketAddr,
    /// The CA that signed Dovecot's certificate.
    pub ca: PathBuf,
    /// The master process, our direct child.
    child: Child,
    /// Everything of this server: config, logs, passwd-file, Maildirs and
    /// certificates. Declared last so it is removed after the server has
    /// stopped (fields drop after `Drop::drop` has run, in order).
    dir: tempfile::TempDir,
}

impl Dovecot {
    /// Starts a server with alice and bob and their demo mail.
    ///
    /// Panics with an explanation if Dovecot is not installed: CI installs
    /// it, and a test that silently skips proves nothing.
    pub fn start() -> Dovecot {
        if find_in_path("dovecot").is_none() {
            let hint = if Path::new("/usr/sbin/dovecot").exists() {
                "it is installed as /usr/sbin/dovecot, but that directory is not in PATH"
            } else {
                "install it with `apt-get install -y dovecot-pop3d`, as .ci/run does"
            };
            panic!(
                "the `dovecot` binary was not found (PATH={}). These tests run the real \
                 Dovecot: {hint}.",
                std::env::var("PATH").unwrap_or_default()
            );
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        assert!(
            root,
            "these tests must run as root: the script hands the test Maildirs to the \
             `vmail` user (creating it if needed), and Dovecot drops privileges to it"
        );
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start() {
                Ok(server) => return server,
                Err(report) => failures.push(report),
            }
        }
        panic!(
            "Dovecot did not start in {START_ATTEMPTS} attempts:\n\n{}",
            failures.join("\n\n")
        );
    }

    fn try_start() -> Result<Dovecot, String> {
        let dir = tempfile::Builder::new()
            .prefix("popscope-dovecot-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let pki = tls::ensure_demo_pki(&dir.path().join("pki"))
            .map_err(|e| format!("cannot create the demo PKI: {e}"))?;
        let (pop3, pop3s) = two_free_ports();
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maildir");
        let accounts = [ALICE, BOB]
            .map(|(user, password)| format!("{user}:{password}:{}", assets.join(user).display()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dovecot/test-instance.sh");
        let launch_log = dir.path().join("launch.log");
        let log = File::create(&launch_log).map_err(|e| e.to_string())?;
        let err = log.try_clone().map_err(|e| e.to_string())?;

        let mut command = Command::new("bash");
        command
            .arg(&script)
            .arg(dir.path())
            .arg(pop3.port().to_string())
            .arg(pop3s.port().to_string())
            .arg(&pki.server_cert)
            .arg(&pki.server_key)
            .args(&accounts)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the closure runs in the forked child before exec and only
        // makes async-signal-safe system calls (prctl, getppid, _exit).
        unsafe {
            command.pre_exec(move || {
                // If the test binary is killed outright (a CI timeout, a
                // SIGKILL) the guard never runs; the kernel then sends the
                // master SIGTERM itself, and its helpers follow within
                // seconds, once they notice the master is gone.
                // The signal is tied to the thread that forked, which is the
                // test's own thread, and the guard lives no longer than it.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let mut server = Dovecot {
            pop3,
            pop3s,
            ca: pki.ca_cert,
            child,
            dir,
        };
        match server.wait_until_ready() {
            Ok(()) => Ok(server),
            // Dropping `server` stops whatever did start.
            Err(why) => Err(format!("{why}\n{}", server.logs())),
        }
    }

    /// Polls both ports until the plain one greets with +OK and the TLS
    /// one accepts connections, or the master exits, or time runs out.
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("the Dovecot master exited early with {status}"));
            }
            if greets(self.pop3) && TcpStream::connect(self.pop3s).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "Dovecot did not greet on {} within {START_TIMEOUT:?}",
                    self.pop3
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The script's output, Dovecot's stderr and its log, for a failure
    /// message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for name in [
            "launch.log",
            "dovecot/dovecot.stderr",
            "dovecot/dovecot.log",
        ] {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            out.push_str(&format!("--- {name} ---\n{text}\n"));
        }
        out
    }

    /// Dovecot's own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot/dovecot.log")).unwrap_or_default()
    }

    /// The Maildir Dovecot serves for `user` (a copy of the demo one).
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.path().join("mail").join(user)
    }

    /// The message files in `user`'s Maildir (`new/` and `cur/`), sorted
    /// by name, which for these files is their order of delivery and so
    /// the order in which Dovecot numbers them.
    pub fn message_files(&self, user: &str) -> Vec<PathBuf> {
        let root = self.maildir(user);
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .flat_map(|sub| std::fs::read_dir(root.join(sub)).unwrap())
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        files.sort_by_key(|path| path.file_name().unwrap().to_owned());
        files
    }

    /// A client configuration that trusts only this server's CA, and the
    /// name its certificate is issued for.
    pub fn tls(&self) -> (Arc<rustls::ClientConfig>, ServerName<'static>) {
        let config = tls::client_config(&Trust::CaFile(self.ca.clone()), false).unwrap();
        (config, ServerName::try_from("localhost").unwrap())
    }

    /// The address of the port that `transport` uses.
    pub fn addr(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::Plain | Transport::Stls => self.pop3,
            Transport::Implicit => self.pop3s,
        }
    }

    /// Connects to `addr` (this server or a tap in front of it) and
    /// secures the session as asked. Returns the client and the greeting's
    /// APOP timestamp.
    pub async fn connect_via(
        &self,
        addr: SocketAddr,
        transport: Transport,
    ) -> (Client<BoxedStream>, Option<String>) {
        let (config, name) = self.tls();
        let config = (transport != Transport::Plain).then_some(config);
        let settings = client::ClientSettings::with_tls_config(transport, config, name);
        match client::open_unauthenticated(addr, &settings).await {
            Ok(session) => (session.client, session.timestamp),
            Err(e) => panic!("connect {transport:?} to {addr}: {e}\n{}", self.logs()),
        }
    }

    /// Connects with `transport` and logs in with USER and PASS.
    pub async fn login(
        &self,
        transport: Transport,
        (user, password): (&str, &str),
    ) -> Client<BoxedStream> {
        let (mut client, _) = self.connect_via(self.addr(transport), transport).await;
        if let Err(e) = client::login_user_pass(&mut client, user, password).await {
            panic!("login as {user}: {e}\n{}", self.logs());
        }
        client
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let master = self.child.id() as libc::pid_t;
        // The master's helpers (login, auth, log, config, pop3 ...) are its
        // direct children. It tells them to stop when it gets SIGTERM but
        // does not wait for them, so note them now and wait for them below.
        let helpers = children_of(master);
        if let Ok(None) = self.child.try_wait() {
            // SIGTERM, not Child::kill's SIGKILL: a master killed outright
            // would leave its helpers running.
            // SAFETY: kill has no memory-safety preconditions, and the PID
            // is our own unreaped child, so it cannot name another process.
            unsafe {
                libc::kill(master, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while helpers.iter().any(|&pid| running(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Two distinct free ports on 127.0.0.1. Both listeners are open at the
/// same time, so the kernel cannot hand out the same port twice.
fn two_free_ports() -> (SocketAddr, SocketAddr) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (a.local_addr().unwrap(), b.local_addr().unwrap())
}

/// Whether a server on `addr` sends a +OK greeting; a blocking check for
/// the start-up loop, which runs before any async client is involved.
fn greets(addr: SocketAddr) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    let greeted = BufReader::new(&stream).read_line(&mut line).is_ok() && line.starts_with("+OK");
    if greeted {
        use std::io::Write as _;
        let _ = (&stream).write_all(b"QUIT\r\n");
    }
    greeted
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The PIDs whose parent is `parent`, from /proc.
fn children_of(parent: libc::pid_t) -> Vec<libc::pid_t> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&pid| stat_fields(pid).is_some_and(|(_, ppid)| ppid == parent))
        .collect()
}

/// Whether `pid` still runs. A zombie counts as gone: it has exited and
/// merely waits for whoever adopted it to reap it.
fn running(pid: libc::pid_t) -> bool {
    stat_fields(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

/// The state letter and parent PID from /proc/PID/stat. The command name
/// in parentheses may itself contain spaces or parentheses, so the fields
/// are counted from the last ')'.
fn stat_fields(pid: libc::pid_t) -> Option<(char, libc::pid_t)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}
