//! A real server on port 0 for the integration tests: a fresh copy of the
//! demo Maildir, a demo CA made for this test, both listeners on loopback.
#![allow(dead_code)] // each test file uses its own part of this

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use popscope::mailbox::{Store, demo};
use popscope::pop3::auth::Users;
use popscope::pop3::server::{Server, ServerConfig, ServerHandle};
use popscope::pop3::session::{Backend, SessionConfig};
use popscope::tls;

pub mod events;

pub struct TestServer {
    pub pop3: SocketAddr,
    pub pop3s: SocketAddr,
    pub ca: PathBuf,
    pub maildir: PathBuf,
    handle: Option<ServerHandle>,
    rt: tokio::runtime::Runtime,
    _mail: tempfile::TempDir,
    _pki: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    /// Start with the defaults of the tests (no login delay), adjusted by `f`.
    pub fn start_with(f: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let mail = tempfile::tempdir().unwrap();
        demo::write_demo_maildir(mail.path()).unwrap();
        let pki_dir = tempfile::tempdir().unwrap();
        let pki = tls::ensure_demo_pki(pki_dir.path()).unwrap();
        let mut config = ServerConfig {
            pop3: Some("127.0.0.1:0".parse().unwrap()),
            pop3s: Some("127.0.0.1:0".parse().unwrap()),
            tls: Some(tls::server_config(&pki.server_cert, &pki.server_key).unwrap()),
            session: SessionConfig {
                login_delay: Duration::ZERO,
                ..SessionConfig::default()
            },
            ..ServerConfig::default()
        };
        f(&mut config);
        let mut users = Users::new();
        for (n, p) in demo::DEMO_USERS {
            users.insert(n, p);
        }
        let backend = Arc::new(Backend {
            users,
            store: Store::new(mail.path()),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(Server::bind(config, backend)).unwrap();
        let handle = {
            let _guard = rt.enter();
            server.spawn()
        };
        TestServer {
            pop3: handle
                .pop3
                .unwrap_or_else(|| "127.0.0.1:9".parse().unwrap()),
            pop3s: handle
                .pop3s
                .unwrap_or_else(|| "127.0.0.1:9".parse().unwrap()),
            ca: pki.ca_cert,
            maildir: mail.path().to_path_buf(),
            handle: Some(handle),
            rt,
            _mail: mail,
            _pki: pki_dir,
        }
    }

    /// Stop the server the way Ctrl-C does, and wait for its sessions.
    pub fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.stop());
        }
    }

    /// The files in a user's cur/ directory, sorted.
    pub fn messages_on_disk(&self, user: &str) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.maildir.join(user).join("cur"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A cleartext POP3 connection read line by line.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn {
            reader: BufReader::new(s),
        }
    }

    /// Connect and read the greeting.
    pub fn greeted(addr: SocketAddr) -> Conn {
        let mut c = Conn::open(addr);
        let g = c.line();
        assert!(g.starts_with("+OK"), "greeting {g:?}");
        c
    }

    /// How long a read may wait before the test fails.
    pub fn set_timeout(&mut self, t: Duration) {
        self.reader.get_ref().set_read_timeout(Some(t)).unwrap();
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// One reply line with its CRLF; empty at EOF.
    pub fn line(&mut self) -> String {
        let mut s = String::new();
        self.reader.read_line(&mut s).unwrap();
        s
    }

    /// Send a command and read a one-line reply.
    pub fn cmd(&mut self, c: &str) -> String {
        self.send(format!("{c}\r\n").as_bytes());
        self.line()
    }

    /// Read the lines of a multi-line body up to (not including) ".".
    pub fn body(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.line();
            assert!(!l.is_empty(), "EOF inside a multi-line reply");
            if l == ".\r\n" {
                return out;
            }
            out.push(l);
        }
    }

    pub fn login(&mut self, user: &str, pass: &str) -> String {
        assert!(self.cmd(&format!("USER {user}")).starts_with("+OK"));
        self.cmd(&format!("PASS {pass}"))
    }

    /// Read everything until the server closes.
    pub fn rest(&mut self) -> String {
        let mut s = String::new();
        let _ = self.reader.read_to_string(&mut s);
        s
    }

    pub fn into_stream(self) -> TcpStream {
        self.reader.into_inner()
    }
}

/// Run a program, failing the test with a clear message if it is missing.
pub fn run(program: &str, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    let mut cmd = std::process::Command::new(program);
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}); .ci/run installs it, or install it by hand")
    });
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            input.write_all(bytes).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

/// The message file converted to what POP3 sends: CRLF line ends.
pub fn as_crlf(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut prev = 0u8;
    for &b in &raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    if prev != b'\n' && !raw.is_empty() {
        out.extend_from_slice(b"\r\n");
    }
    out
}
