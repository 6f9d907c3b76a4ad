//! A private tmux server for the tests that drive the built lab in a real
//! terminal: start it, send keys, read the screen and wait for it to show
//! something. Every wait polls the screen and, when it gives up, panics
//! with the screen as it was, so a failure says what the learner saw.
#![allow(dead_code)] // each test file uses its own part of this

use std::process::Command;
use std::time::{Duration, Instant};

/// How long [`Tmux::wait_for`] waits.
pub const WAIT: Duration = Duration::from_secs(15);

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A private tmux server (`tag` keeps tests running at once apart)
    /// with one 120×36 session, "lab", running `argv`.
    pub fn start(tag: &str, argv: &[&str]) -> Tmux {
        Self::start_sized(tag, 120, 36, argv)
    }

    /// The same, with a `width`×`height` terminal.
    pub fn start_sized(tag: &str, width: u16, height: u16, argv: &[&str]) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is needed for this test; .ci/run installs it"
        );
        let tmux = Tmux {
            socket: format!("popscope-test-{}{tag}", std::process::id()),
        };
        let (w, h) = (width.to_string(), height.to_string());
        let mut args = vec!["new-session", "-d", "-s", "lab", "-x", &w, "-y", &h];
        args.extend_from_slice(argv);
        tmux.run(&args);
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "lab"])
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "lab", k]);
            // A real typist is slower than tmux; an Esc followed at once by
            // a key would read as Alt+key.
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-t", "lab", "-l", line]);
        self.keys(&["Enter"]);
    }

    /// Poll the screen until `ok` holds, for up to [`WAIT`].
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_within(what, WAIT, ok)
    }

    /// Poll the screen until `ok` holds, for up to `limit`.
    pub fn wait_within(&self, what: &str, limit: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > limit {
                panic!("timed out waiting for {what}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The lab has given the terminal back: not on the alternate screen,
    /// not reporting the mouse.
    pub fn assert_alternate_screen_and_mouse_off(&self) {
        let flags = self.run(&[
            "display",
            "-p",
            "-t",
            "lab",
            "#{alternate_on}#{mouse_any_flag}",
        ]);
        assert_eq!(
            flags.trim(),
            "00",
            "alternate screen and mouse reporting are off"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}
