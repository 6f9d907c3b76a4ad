//! `popscope serve` run as a user runs it, for the tests that drive the
//! binary: started on free loopback ports, its startup text read up to
//! the Ctrl-C line, and stopped with Ctrl-C. Included with `#[path]`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

/// A running `popscope serve`, stopped with Ctrl-C when dropped.
pub struct Running {
    /// The server.
    child: Child,
    /// Its startup text, up to the Ctrl-C line.
    pub stdout: Vec<String>,
}

impl Running {
    /// Start `popscope serve ARGS` on free ports and read its startup text.
    pub fn start(data_dir: &std::path::Path, extra: &[&str]) -> Running {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--pop3",
                "127.0.0.1:0",
                "--pop3s",
                "127.0.0.1:0",
                "--login-delay",
                "0",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stdout = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let last = line.starts_with("Ctrl-C");
            stdout.push(line);
            if last {
                break;
            }
        }
        assert!(
            stdout.last().is_some_and(|l| l.starts_with("Ctrl-C")),
            "startup text ended early: {stdout:?}"
        );
        Running { child, stdout }
    }

    /// The address printed after a label ("POP3", "POP3S").
    pub fn addr(&self, label: &str) -> String {
        self.stdout
            .iter()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(label)).then(|| w.next().unwrap().to_string())
            })
            .unwrap_or_else(|| panic!("no {label} line in {:?}", self.stdout))
    }

    pub fn value(&self, label: &str) -> String {
        self.stdout
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no {label} line in {:?}", self.stdout))
    }

    /// Ctrl-C, then the exit status and stderr.
    pub fn interrupt(mut self) -> (std::process::ExitStatus, String) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
        }
        (status, stderr)
    }
}

impl Drop for Running {
    /// A test that fails before `interrupt`, or has no use for its
    /// outcome, must not leave a server behind.
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stop a popscope child the way a user would: Ctrl-C, so that it removes
/// its temporary copies; one that has not stopped within ten seconds is
/// killed. A child already gone is left as it is.
pub fn stop(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        // SAFETY: sending a signal to our own child process, which has
        // not been waited for.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Ok(None) = child.try_wait() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.wait();
    }
}
