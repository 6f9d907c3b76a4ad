//! The student sheet: for each account, the login and the settings for
//! Thunderbird, fetchmail and curl, as plain text to print or hand out.
//! It is written beside the demo CA certificate the clients must import
//! and, for generated accounts, a users file that brings the same
//! passwords back after a restart (`--users FILE`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::accounts::Account;
use crate::serve::{FetchmailPort, fetchmail_command, host_for_url, shell_word};

/// The sheet's file name when `--sheet` is not given (in the current
/// directory).
pub const DEFAULT_SHEET: &str = "popscope-workshop-sheet.txt";

/// The CA certificate's file name, beside the sheet.
pub const CA_FILE: &str = "popscope-workshop-ca.pem";

/// The generated accounts as a users file, beside the sheet.
pub const USERS_FILE: &str = "popscope-workshop-users.txt";

/// What the sheet says.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Every account, in order.
    pub accounts: Vec<Account>,
    /// The POP3 listener (STLS offered).
    pub pop3: SocketAddr,
    /// The POP3S listener.
    pub pop3s: SocketAddr,
    /// The CA certificate file the clients import (the copy beside the
    /// sheet).
    pub ca: PathBuf,
}

/// The name students type for the server: `localhost` for loopback (the
/// demo certificate covers it, and fetchmail checks names only), the
/// address for a specific one, and a placeholder for "every address",
/// which the instructor replaces with the machine's name on the room's
/// network.
pub fn server_name(addr: SocketAddr) -> String {
    if addr.ip().is_loopback() {
        "localhost".into()
    } else if addr.ip().is_unspecified() {
        "SERVER-NAME".into()
    } else {
        addr.ip().to_string()
    }
}

/// The host part of a URL for `addr`: the address itself for loopback
/// and specific addresses (the demo certificate covers 127.0.0.1 and
/// ::1, and curl checks addresses), a placeholder for "every address".
fn url_host(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        "SERVER-NAME".into()
    } else {
        host_for_url(addr)
    }
}

impl Sheet {
    /// The sheet as text: a common part, then one block per account.
    /// Everything on it is ASCII: names follow the users-file rule and
    /// generated passwords use letters and digits only.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let ca = shell_word(&self.ca.display().to_string());
        let name = server_name(self.pop3);
        let _ = writeln!(o, "popscope workshop: student sheet");
        let _ = writeln!(o, "================================");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Everything you send to this server passes a visible eavesdropper:"
        );
        let _ = writeln!(
            o,
            "the screen at the front shows whose password it can read."
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "Server         {name}");
        let _ = writeln!(
            o,
            "POP3 port      {}   (connection security None or STARTTLS)",
            self.pop3.port()
        );
        let _ = writeln!(
            o,
            "POP3S port     {}   (connection security SSL/TLS)",
            self.pop3s.port()
        );
        let _ = writeln!(o, "CA certificate {}", self.ca.display());
        if name == "SERVER-NAME" {
            let _ = writeln!(
                o,
                "(SERVER-NAME: the instructor's machine on the room's network.)"
            );
        }
        if !self.pop3.ip().is_loopback() {
            let _ = writeln!(
                o,
                "(The workshop's certificate is issued for localhost: from another machine a \
                 TLS client reports a name that does not match.)"
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "Thunderbird, once: trust the workshop's CA");
        let _ = writeln!(
            o,
            "  Settings > Privacy & Security > Certificates > Manage Certificates >"
        );
        let _ = writeln!(
            o,
            "  Authorities > Import..., choose the CA certificate file above, and tick"
        );
        let _ = writeln!(o, "  \"Trust this CA to identify websites\".");
        let _ = writeln!(o);
        for a in &self.accounts {
            self.account(&mut o, a, &ca);
        }
        o
    }

    fn account(&self, o: &mut String, a: &Account, ca: &str) {
        let name = server_name(self.pop3);
        let user = &a.name;
        let _ = writeln!(
            o,
            "------------------------------------------------------------"
        );
        let _ = writeln!(o, "Account   {user}");
        let _ = writeln!(o, "Password  {}", a.password);
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Thunderbird: Account Settings > Account Actions > Add Mail Account, then"
        );
        let _ = writeln!(o, "\"Configure manually\", incoming server:");
        let _ = writeln!(o, "  Protocol               POP3");
        let _ = writeln!(o, "  Hostname               {name}");
        let _ = writeln!(
            o,
            "  Port / Connection security: {} None, or {} STARTTLS, or {} SSL/TLS",
            self.pop3.port(),
            self.pop3.port(),
            self.pop3s.port()
        );
        let _ = writeln!(o, "  Authentication method  Normal password");
        let _ = writeln!(o, "  Username               {user}");
        let _ = writeln!(o);
        let _ = writeln!(o, "fetchmail (asks for the password):");
        for (port, addr) in [
            (FetchmailPort::Stls, self.pop3),
            (FetchmailPort::Pop3s, self.pop3s),
        ] {
            let _ = writeln!(o, "  {}", fetchmail_command(port, addr, ca, user));
        }
        let _ = writeln!(o);
        let _ = writeln!(o, "curl (fetches message 1):");
        let cred = format!("{user}:{}", a.password);
        let (h3, hs) = (url_host(self.pop3), url_host(self.pop3s));
        let (p3, ps) = (self.pop3.port(), self.pop3s.port());
        let _ = writeln!(o, "  curl pop3://{cred}@{h3}:{p3}/1");
        let _ = writeln!(
            o,
            "  curl --ssl-reqd --cacert {ca} pop3://{cred}@{h3}:{p3}/1"
        );
        let _ = writeln!(o, "  curl --cacert {ca} pop3s://{cred}@{hs}:{ps}/1");
        let _ = writeln!(o);
    }
}

/// Where the sheet's companions go: the CA certificate and the users
/// file, in the sheet's directory.
pub fn companions(sheet: &Path) -> (PathBuf, PathBuf) {
    let dir = match sheet.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (dir.join(CA_FILE), dir.join(USERS_FILE))
}

/// Refuse to go on if a file the workshop would write exists already:
/// an earlier workshop's sheet holds passwords that no longer work, and
/// whatever else is there is someone's. The CA copy may exist if it is
/// the same certificate as `ca_from` (not compared when `None`).
pub fn check_free(sheet: &Path, ca_from: Option<&Path>, users_file: bool) -> Result<(), String> {
    let (ca, users) = companions(sheet);
    let taken = |p: &Path| p.symlink_metadata().is_ok();
    if taken(sheet) {
        return Err(format!(
            "{} exists already (an earlier workshop's sheet?); it is not overwritten: move it \
             away, or give --sheet ANOTHER-FILE (an earlier workshop's accounts come back \
             with --users {})",
            sheet.display(),
            users.display()
        ));
    }
    if users_file && taken(&users) {
        return Err(format!(
            "{} exists already (an earlier workshop's accounts?); it is not overwritten: \
             start with --users {} to keep those passwords, or move it away",
            users.display(),
            users.display()
        ));
    }
    if let Some(ca_from) = ca_from
        && taken(&ca)
    {
        let same = match (std::fs::read(&ca), std::fs::read(ca_from)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same {
            return Err(format!(
                "{} exists already and is not this workshop's CA certificate; it is not \
                 overwritten: move it away, or give --sheet in another directory",
                ca.display()
            ));
        }
    }
    Ok(())
}

/// Write a new file; never replaces one (`create_new`). `private` makes it
/// readable by its owner only.
fn write_new(path: &Path, text: &[u8], private: bool) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)?;
    f.write_all(text)?;
    f.sync_all()
}

/// Write the sheet, the CA copy beside it, and (for generated accounts)
/// the users file, after [`check_free`]. The sheet holds passwords, so it
/// and the users file are readable by their owner only.
pub fn write_all(path: &Path, sheet: &Sheet, ca_from: &Path) -> Result<(), String> {
    let generated: Vec<&Account> = sheet.accounts.iter().filter(|a| a.generated).collect();
    check_free(path, Some(ca_from), !generated.is_empty())?;
    let (ca, users) = companions(path);
    if ca.symlink_metadata().is_err() {
        let pem = std::fs::read(ca_from)
            .map_err(|e| format!("cannot read the CA certificate {}: {e}", ca_from.display()))?;
        write_new(&ca, &pem, false).map_err(|e| format!("cannot write {}: {e}", ca.display()))?;
    }
    if !generated.is_empty() {
        let mut text = String::from(
            "# popscope workshop accounts; start again with --users THIS-FILE to keep them\n",
        );
        for a in &generated {
            let _ = writeln!(text, "{}:{}", a.name, a.password);
        }
        write_new(&users, text.as_bytes(), true)
            .map_err(|e| format!("cannot write {}: {e}", users.display()))?;
    }
    write_new(path, sheet.render().as_bytes(), true)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            accounts: vec![
                Account {
                    name: "student01".into(),
                    password: "abcde-fghjk".into(),
                    generated: true,
                },
                Account {
                    name: "teacher".into(),
                    password: "chalk".into(),
                    generated: false,
                },
            ],
            pop3: "127.0.0.1:1110".parse().unwrap(),
            pop3s: "127.0.0.1:1995".parse().unwrap(),
            ca: PathBuf::from("/w/popscope-workshop-ca.pem"),
        }
    }

    #[test]
    fn the_sheet_has_every_client_setting_and_no_control_characters() {
        let text = sheet().render();
        for needle in [
            "Account   student01",
            "Password  abcde-fghjk",
            "Hostname               localhost",
            "1110 None, or 1110 STARTTLS, or 1995 SSL/TLS",
            "Normal password",
            "curl pop3://student01:abcde-fghjk@127.0.0.1:1110/1",
            "curl --cacert /w/popscope-workshop-ca.pem pop3s://student01:abcde-fghjk@127.0.0.1:1995/1",
            "fetchmail --sslproto tls1.2+ --sslcertck --sslcertfile /w/popscope-workshop-ca.pem -p POP3 -P 1110 -u student01",
            "curl pop3://teacher:chalk@127.0.0.1:1110/1",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
        }
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "control character in the sheet"
        );
    }

    #[test]
    fn a_room_address_is_a_placeholder_with_a_warning() {
        let mut s = sheet();
        s.pop3 = "0.0.0.0:1110".parse().unwrap();
        s.pop3s = "0.0.0.0:1995".parse().unwrap();
        let text = s.render();
        assert!(
            text.contains("Hostname               SERVER-NAME"),
            "{text}"
        );
        assert!(text.contains("name that does not match"), "{text}");
    }

    #[test]
    fn nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let ca_from = dir.path().join("real-ca.pem");
        std::fs::write(&ca_from, "CA").unwrap();
        let path = dir.path().join("sheet.txt");
        write_all(&path, &sheet(), &ca_from).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        let e = write_all(&path, &sheet(), &ca_from).unwrap_err();
        assert!(e.contains("not overwritten"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        let users = std::fs::read_to_string(dir.path().join(USERS_FILE)).unwrap();
        assert!(users.contains("student01:abcde-fghjk\n"), "{users}");
        assert!(!users.contains("teacher"), "{users}");
    }
}
