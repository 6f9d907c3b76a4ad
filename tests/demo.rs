//! `popscope demo`: each scenario's transcript says what it must and
//! nothing it must not, and the captured bytes of TLS sessions hold no
//! password and no message text.

mod common;

use std::process::Command;

use common::TestServer;
use popscope::lab::{ClientEvent, EventKind, Lab, LabOptions, Scenario, WireEvent};
use popscope::wire::Direction;
use popscope::wire::dissect::Item;

const BIN: &str = env!("CARGO_BIN_EXE_popscope");

/// Runs `popscope demo` with the given arguments. The transcript's
/// language comes from LANG unless `--lang` is given: the tests read the
/// English one unless they ask for another.
fn demo(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .env("LANG", "en_GB.UTF-8")
        .arg("demo")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn learned(transcript: &str) -> &str {
    transcript
        .split("What the eavesdropper learned:")
        .nth(1)
        .expect("the transcript ends with what was learned")
}

#[test]
fn plain_leaks_the_password_only_on_the_wire() {
    let (ok, out, err) = demo(&["plain"]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("client    → PASS ********"), "{out}");
    assert!(out.contains("server    handled PASS ********"), "{out}");
    assert!(
        out.contains("PASS wonderland"),
        "the wire carries it: {out}"
    );
    assert!(out.contains("! PASSWORD wonderland (for alice)"), "{out}");
    assert!(out.contains("state → TRANSACTION") && out.contains("state → UPDATE"));
    assert!(out.contains("marked for deletion: 2"));
    assert!(out.contains("UPDATE: 1 message(s) removed from disk"));
    assert!(out.contains("Subject Welcome to the popscope lab"), "{out}");
    let l = learned(&out);
    assert!(l.contains("password wonderland for alice"), "{l}");
    assert!(l.contains("Welcome to the popscope lab"), "{l}");
}

#[test]
fn apop_hides_the_password_but_not_the_digest() {
    let (ok, out, err) = demo(&["apop"]);
    assert!(ok, "{err}\n{out}");
    assert!(!out.contains("wonderland"), "{out}");
    assert!(out.contains("! APOP alice: digest "), "{out}");
    assert!(out.contains("greeting with APOP timestamp <"), "{out}");
    assert!(
        learned(&out).contains("Welcome to the popscope lab"),
        "the mail is still readable"
    );
}

#[test]
fn auth_plain_is_only_base64() {
    let (ok, out, err) = demo(&["auth-plain"]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("client    → AUTH PLAIN ********"), "{out}");
    assert!(
        out.contains("! PASSWORD wonderland (for alice, AUTH PLAIN is only base64)"),
        "{out}"
    );
}

#[test]
fn stls_and_pop3s_leak_nothing_readable() {
    for scenario in ["stls", "pop3s"] {
        let (ok, out, err) = demo(&[scenario]);
        assert!(ok, "{scenario}: {err}\n{out}");
        assert!(!out.contains("wonderland"), "{scenario}: {out}");
        assert!(
            !out.contains("Welcome to the popscope lab"),
            "{scenario}: {out}"
        );
        assert!(
            out.contains("ClientHello: SNI localhost"),
            "{scenario}: {out}"
        );
        assert!(out.contains("ServerHello: TLSv1_3"), "{scenario}: {out}");
        assert!(
            out.contains("verified against the lab's demo CA"),
            "{scenario}: {out}"
        );
        assert!(
            out.contains("client derived CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
            "{out}"
        );
        let l = learned(&out);
        assert!(
            l.contains("nothing readable: server name localhost, TLSv1_3"),
            "{scenario}: {l}"
        );
    }
    let (_, out, _) = demo(&["stls"]);
    assert!(out.contains("STLS"), "{out}");
    assert!(
        out.contains("from byte"),
        "the switch to TLS is shown: {out}"
    );
}

#[test]
fn json_is_one_event_per_line() {
    let (ok, out, err) = demo(&["pop3s", "--json"]);
    assert!(ok, "{err}");
    let mut sources = std::collections::BTreeSet::new();
    for line in out.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["at_ms"].is_number(), "{line}");
        sources.insert(v["source"].as_str().unwrap().to_string());
    }
    for s in ["lab", "client", "server", "wire", "tls"] {
        assert!(sources.contains(s), "no {s} event in {sources:?}");
    }
    assert!(!out.contains("wonderland"));
}

/// After the events, `--json` carries each TLS connection's key schedule
/// as typed values: in TLS 1.3 the four traffic secrets with each record
/// key and IV, in TLS 1.2 the master secret's key block; and both
/// Finished messages checked against the handshake, verified.
#[test]
fn json_ends_with_each_connections_key_schedule_and_finished_checks() {
    for (version, tag) in [("1.3", "tls13"), ("1.2", "tls12")] {
        let (ok, out, err) = demo(&["pop3s", "--json", "--tls-version", version]);
        assert!(ok, "{err}");
        let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        assert_eq!(last["source"], "tls", "{last}");
        assert_eq!(last["event"]["kind"], "key_schedule", "{last}");
        let report = &last["event"]["report"];
        assert_eq!(report["schedule"]["version"], tag, "{report}");
        for side in ["client_finished", "server_finished"] {
            assert_eq!(report[side]["status"], "verified", "{side}: {report}");
        }
        if tag == "tls13" {
            let secrets = report["schedule"]["secrets"].as_array().unwrap();
            assert_eq!(secrets.len(), 4, "{report}");
            for s in secrets {
                let key = s["keys"]["key"]["value"].as_str().unwrap();
                let iv = s["keys"]["iv"]["value"].as_str().unwrap();
                assert_eq!(iv.len(), 24, "a 12-byte IV: {s}");
                assert!(key.len() == 32 || key.len() == 64, "{s}");
            }
        } else {
            let block = &report["schedule"]["keys"]["key_block"];
            assert!(block["client_write_key"]["value"].is_string(), "{report}");
        }
    }
}

/// The bytes the tap captured after the switch to TLS (STLS) or from the
/// first byte (POP3S) contain neither the password nor any message text.
#[test]
fn captured_tls_bytes_hold_no_secret() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body_line = "This mailbox lives on a small POP3 server";
    for name in ["stls", "pop3s"] {
        let events = rt.block_on(async {
            let (mut lab, mut rx) =
                Lab::start(Scenario::named(name).unwrap(), LabOptions::default())
                    .await
                    .unwrap();
            lab.run_demo().await.unwrap();
            lab.shutdown().await;
            let mut v = Vec::new();
            while let Some(e) = rx.recv().await {
                v.push(e);
            }
            v
        });
        let mut switch = [None, None];
        let mut tls_bytes: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        let mut cleartext_seen = false;
        for e in &events {
            let EventKind::Wire(w) = &e.kind else {
                continue;
            };
            match w {
                WireEvent::Seen {
                    item: Item::SwitchToTls { dir, offset },
                    ..
                } => {
                    switch[(*dir == Direction::ServerToClient) as usize] = Some(*offset);
                }
                WireEvent::Chunk {
                    dir,
                    offset,
                    bytes,
                    len,
                    ..
                } => {
                    assert_eq!(*len, bytes.len(), "nothing was cut by the capture limit");
                    let i = (*dir == Direction::ServerToClient) as usize;
                    let start = match (name, switch[i]) {
                        ("pop3s", _) => 0,
                        (_, Some(s)) => s,
                        (_, None) => {
                            cleartext_seen = true;
                            continue;
                        }
                    };
                    let end = offset + bytes.len() as u64;
                    if end > start {
                        let from = start.saturating_sub(*offset) as usize;
                        tls_bytes[i].extend_from_slice(&bytes[from..]);
                    }
                }
                _ => {}
            }
        }
        if name == "stls" {
            assert!(cleartext_seen, "STLS starts in cleartext");
            assert!(
                switch[0].is_some() && switch[1].is_some(),
                "both directions switch"
            );
        }
        // The session really carried the message (the client got it) ...
        let got_body = events.iter().any(|e| {
            matches!(&e.kind, EventKind::Client(ClientEvent::Received { body: Some(b), .. }) if b.contains(body_line))
        });
        assert!(got_body, "{name}: the client received message 1");
        // ... but none of it is in the captured TLS bytes.
        for (i, bytes) in tls_bytes.iter().enumerate() {
            assert!(
                bytes.len() > 500,
                "{name}: direction {i} captured {} bytes",
                bytes.len()
            );
            for needle in [
                &b"wonderland"[..],
                b"d29uZGVybGFuZA",
                body_line.as_bytes(),
                b"Subject:",
                b"alice",
            ] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{name}: {:?} in captured TLS bytes",
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }
}

#[test]
fn an_outside_server_with_an_untrusted_certificate_stops_the_demo() {
    let srv = TestServer::start();
    let addr = format!("localhost:{}", srv.pop3s.port());
    let (ok, out, err) = demo(&["pop3s", "--server", &addr]);
    assert!(
        !ok,
        "a certificate from an unknown CA must stop the run: {out}"
    );
    assert!(err.contains("unknown issuer"), "{err}");
    assert!(
        out.contains("TLS FAILED: certificate check failed: unknown issuer"),
        "{out}"
    );
    assert!(!out.contains("wonderland"));
    // Trusting the server's CA, or nothing at all, lets it through.
    let (ok, out, err) = demo(&["pop3s", "--server", &addr, "--ca", srv.ca.to_str().unwrap()]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("(outside)"), "{out}");
    let (ok, out, err) = demo(&["pop3s", "--server", &addr, "--insecure"]);
    assert!(ok, "{err}");
    assert!(out.contains("NOT checked"), "{out}");
}

#[test]
fn a_wrong_password_is_a_clear_failure() {
    let (ok, out, err) = demo(&["plain", "--password", "nope"]);
    assert!(!ok);
    assert!(err.contains("login as alice failed: -ERR [AUTH]"), "{err}");
    assert!(out.contains("■ stopped"), "{out}");
}

/// The SNI the client's TLS line reports is the one on the wire: none for
/// an IP address (rustls sends SNI for DNS names only, RFC 6066 §3), the
/// name for a DNS name. The lab's client used to claim `sni=127.0.0.1`
/// while the ClientHello carried no SNI at all.
#[test]
fn the_clients_sni_is_the_one_on_the_wire() {
    let srv = TestServer::start();
    let by_ip = format!("127.0.0.1:{}", srv.pop3s.port());
    // The certificate is for "localhost", so an IP address needs --insecure.
    let (ok, out, err) = demo(&["pop3s", "--server", &by_ip, "--insecure"]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("ClientHello: SNI (none)"), "{out}");
    let tls_up = out
        .lines()
        .find(|l| l.contains("TLS up:"))
        .unwrap_or_else(|| panic!("no TLS line: {out}"));
    assert!(!tls_up.contains("sni="), "{tls_up}");

    let by_name = format!("localhost:{}", srv.pop3s.port());
    let ca = srv.ca.to_str().unwrap();
    let (ok, out, err) = demo(&["pop3s", "--server", &by_name, "--ca", ca]);
    assert!(ok, "{err}\n{out}");
    assert!(out.contains("ClientHello: SNI localhost"), "{out}");
    let tls_up = out.lines().find(|l| l.contains("TLS up:")).unwrap();
    assert!(tls_up.ends_with("sni=localhost"), "{tls_up}");
}

#[test]
fn the_transcript_speaks_the_language_asked_for() {
    // The same scenario, the same events: only the words change. LANG says
    // English; --lang overrides it.
    let (ok, ja, err) = demo(&["stls", "--lang", "ja"]);
    assert!(ok, "{err}\n{ja}");
    let (ok, en, err) = demo(&["stls"]);
    assert!(ok, "{err}\n{en}");
    for (ja_words, en_words) in [
        ("としてログインしました", "logged in as alice"),
        (
            "ラボのデモ用 CA で検証しました",
            "verified against the lab's demo CA",
        ),
        ("TLS が確立しました", "TLS up:"),
        ("(タップ)に POP3 + STLS で接続しています", "(the tap), stls"),
        ("USER alice を処理しました", "handled USER alice"),
        ("暗号化されたレコード", "encrypted record"),
        ("▶ ログイン", "▶ log in"),
        // Why each direction and the server's session ended: values,
        // worded in the transcript's language.
        ("送り手が閉じました", "closed by the sender"),
        (
            "セッションが終わりました: サーバが閉じました",
            "session ended: closed",
        ),
        ("盗聴者が知ったこと:", "What the eavesdropper learned:"),
        ("クライアント ", "client    "),
    ] {
        assert!(ja.contains(ja_words), "{ja_words}: {ja}");
        assert!(!ja.contains(en_words), "{en_words}: {ja}");
        assert!(en.contains(en_words), "{en_words}: {en}");
    }
    // Protocol text is the same in both.
    for line in ["→ USER alice", "→ PASS ********", "← +OK"] {
        assert!(ja.contains(line) && en.contains(line), "{line}");
    }
    // LANG alone chooses Japanese too.
    let out = Command::new(BIN)
        .env("LANG", "ja_JP.UTF-8")
        .args(["demo", "plain"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("としてログインしました"), "{out}");
}

/// The screen's client pane and the transcript word a client event with
/// the one function, so in either language they say the same words.
#[test]
fn the_client_pane_and_the_transcript_word_client_events_alike() {
    use popscope::lab::{ClientProblem, Event, describe};
    use popscope::lang::Lang;
    use popscope::pop3::settings::{AuthMethod, Transport};
    use popscope::tui::app::{Action, App, Focus};
    use std::time::Duration;

    let events: Vec<Event> = [
        ClientEvent::Connecting {
            addr: "127.0.0.1:1100".parse().unwrap(),
            transport: Transport::Stls,
        },
        ClientEvent::LoggedIn {
            user: "alice".into(),
            method: AuthMethod::Apop,
        },
        ClientEvent::Error {
            problem: ClientProblem::StlsRefused { text: "no".into() },
        },
    ]
    .into_iter()
    .map(|c| Event {
        at: Duration::from_millis(1),
        kind: EventKind::Client(c),
    })
    .collect();
    for lang in Lang::ALL {
        let mut app = App::new(Scenario::named("stls").unwrap());
        app.lesson.lang = lang;
        for e in &events {
            app.update(Action::Lab(0, Box::new(e.clone())));
        }
        let pane = popscope::tui::panes::line_texts(&app, Focus::Client).join("\n");
        let transcript = popscope::demo::transcript(&events, lang);
        for e in &events {
            let EventKind::Client(c) = &e.kind else {
                unreachable!()
            };
            let words = describe::client_lines(c, lang);
            assert_eq!(words.len(), 1, "{c:?}");
            let (_, text) = &words[0];
            assert!(pane.contains(text.as_str()), "{text}\n{pane}");
            assert!(transcript.contains(text.as_str()), "{text}\n{transcript}");
        }
    }
}

/// The offline APOP search speaks the transcript's language: its result,
/// the brute-force estimate (numbers counted in 万 with Japanese units)
/// and the loot line, with no English sentence left from where the event
/// was made.
#[test]
fn the_crack_and_its_estimate_speak_japanese() {
    // A word list without the demo password, so the search fails and
    // the verdict carries the estimate.
    let dir = tempfile::tempdir().unwrap();
    let words = dir.path().join("words.txt");
    std::fs::write(&words, "nope\nrabbit\n").unwrap();
    let words = words.to_str().unwrap();
    let args = |lang| {
        [
            "apop",
            "--attack",
            "crack",
            "--wordlist",
            words,
            "--lang",
            lang,
        ]
    };

    let (ok, ja, err) = demo(&args("ja"));
    assert!(ok, "{err}\n{ja}");
    let (ok, en, err) = demo(&args("en"));
    assert!(ok, "{err}\n{en}");
    for (ja_words, en_words) in [
        (
            "26 種類の文字で 10 文字のパスワードをすべて試すと、毎秒 ",
            "exhaustive search of 10 characters from 26 symbols would take about ",
        ),
        ("回)で見つかりませんでした", "guesses/s)"),
        ("alice の APOP ダイジェスト ", "APOP digest "),
        (
            "(オフラインの辞書攻撃に使える)",
            "(enough for an offline dictionary attack)",
        ),
        ("1 通のメッセージの件名: ", "subjects of 1 message: "),
    ] {
        assert!(ja.contains(ja_words), "{ja_words}: {ja}");
        assert!(!ja.contains(en_words), "{en_words}: {ja}");
        assert!(en.contains(en_words), "{en_words}: {en}");
    }
    // The estimate ends in a Japanese unit, whatever this machine's speed.
    let verdict = ja.lines().find(|l| l.starts_with("判定: ")).unwrap();
    assert!(
        ["秒", "分", "時間", "日", "年"]
            .iter()
            .any(|unit| verdict.ends_with(&format!(" {unit}かかります"))),
        "{verdict}"
    );
    for english in ["symbols", "guesses", "years", "days", "about"] {
        assert!(!verdict.contains(english), "{verdict}");
    }

    // With the built-in list the password is found, in Japanese too.
    let (ok, ja, err) = demo(&["apop", "--attack", "crack", "--lang", "ja"]);
    assert!(ok, "{err}\n{ja}");
    assert!(ja.contains("回)で見つかりました"), "{ja}");
    assert!(ja.contains("alice のパスワードは wonderland です"), "{ja}");
    assert!(!ja.contains("guesses/s"), "{ja}");
}

/// The line the STLS stripper takes out is explained in the transcript's
/// language.
#[test]
fn the_stripped_line_is_explained_in_japanese() {
    let (ok, ja, err) = demo(&["stls", "--attack", "strip-stls", "--lang", "ja"]);
    assert!(ok, "{err}\n{ja}");
    assert!(ja.contains("(CAPA 応答の中の STLS)"), "{ja}");
    assert!(!ja.contains("STLS in the CAPA reply"), "{ja}");
    let (ok, en, err) = demo(&["stls", "--attack", "strip-stls"]);
    assert!(ok, "{err}\n{en}");
    assert!(
        en.contains("removed \"STLS\" (STLS in the CAPA reply)"),
        "{en}"
    );
}

/// Why a run stopped is worded in the transcript's language: the lab's
/// closing line names the client's problem as a value, not the English
/// error the command line prints.
#[test]
fn why_the_run_stopped_speaks_japanese() {
    let (ok, ja, err) = demo(&["plain", "--password", "nope", "--lang", "ja"]);
    assert!(!ok);
    // The command line's own error stays as it was.
    assert!(err.contains("login as alice failed: -ERR [AUTH]"), "{err}");
    let stopped = ja.lines().find(|l| l.contains("■ 中断: ")).unwrap();
    assert!(
        stopped.ends_with("■ 中断: PASS に失敗しました: -ERR [AUTH] invalid user name or password"),
        "{stopped}"
    );

    let (ok, ja, err) = demo(&["plain", "--require-tls", "--lang", "ja"]);
    assert!(!ok, "{err}\n{ja}");
    let stopped = ja.lines().find(|l| l.contains("■ 中断: ")).unwrap();
    assert!(stopped.contains("パスワードが平文で流れる"), "{stopped}");
    assert!(!stopped.contains("the client"), "{stopped}");
}

/// Why the stolen keys opened nothing is worded in the transcript's
/// language (it was an English sentence made by the key thief).
#[test]
fn what_stayed_sealed_speaks_japanese() {
    let (ok, ja, err) = demo(&["plain", "--attack", "steal-keys", "--lang", "ja"]);
    assert!(ok, "{err}\n{ja}");
    assert!(
        ja.contains(
            "レコードは閉じたままです: この接続では TLS のレコードが 1 つも通りませんでした"
        ),
        "{ja}"
    );
    assert!(!ja.contains("no TLS record crossed"), "{ja}");
    let (ok, en, err) = demo(&["plain", "--attack", "steal-keys"]);
    assert!(ok, "{err}\n{en}");
    assert!(
        en.contains("the records stay sealed: no TLS record crossed on this connection"),
        "{en}"
    );
}

/// Who issued the decoy certificate is said in the transcript's language
/// (it was an English phrase put where a CA's name goes).
#[test]
fn the_decoys_issuer_speaks_japanese() {
    let (ok, ja, err) = demo(&["stls", "--attack", "wrong-name", "--lang", "ja"]);
    assert!(ok, "{err}\n{ja}");
    assert!(
        ja.contains("attacker.popscope.test 用の証明書を提示しました(発行者はクライアントが信頼するラボのデモ CA)"),
        "{ja}"
    );
    assert!(!ja.contains("which the client trusts"), "{ja}");
    let (ok, en, err) = demo(&["stls", "--attack", "wrong-name"]);
    assert!(ok, "{err}\n{en}");
    assert!(
        en.contains(
            "presented a certificate for attacker.popscope.test, issued by the lab's demo CA, \
             which the client trusts"
        ),
        "{en}"
    );
}

/// `--tls-version 1.2` limits the client to TLS 1.2: the eavesdropper then
/// reads the server's certificate, which TLS 1.3 encrypts; the default
/// agrees on 1.3 and shows no certificate on the wire. A scenario without
/// TLS refuses the flag.
#[test]
fn tls_version_chooses_what_the_eavesdropper_reads() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_popscope"))
            .args(["demo", "--lang", "en"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, twelve, err) = run(&["pop3s", "--tls-version", "1.2"]);
    assert!(ok, "{err}");
    assert!(twelve.contains("ServerHello: TLSv1_2"), "{twelve}");
    assert!(
        twelve.contains("Certificate (in clear, TLS 1.2): CN=localhost"),
        "{twelve}"
    );
    assert!(twelve.contains("key share none"), "{twelve}");
    let (ok, thirteen, err) = run(&["stls", "--tls-version", "1.3"]);
    assert!(ok, "{err}");
    assert!(thirteen.contains("ServerHello: TLSv1_3"), "{thirteen}");
    assert!(!thirteen.contains("in clear, TLS 1.2"), "{thirteen}");
    let (ok, _, err) = run(&["plain", "--tls-version", "1.2"]);
    assert!(!ok);
    assert!(
        err.contains("--tls-version is for the stls and pop3s scenarios"),
        "{err}"
    );
}

/// The handshake as the endpoints see it, step by step: `--json` carries
/// each step with its fields as typed values (the certificate's subject
/// as text, not a sentence), and the transcript says for each step what
/// the eavesdropper got of it: EncryptedExtensions sealed in TLS 1.3
/// (with its record named once for the messages that share it), the
/// Certificate in cleartext in TLS 1.2.
#[test]
fn every_handshake_step_says_what_the_eavesdropper_got() {
    fn fields_with<'a>(f: &'a serde_json::Value, what: &str, out: &mut Vec<&'a serde_json::Value>) {
        if f["what"] == what {
            out.push(f);
        }
        for p in f["parts"].as_array().into_iter().flatten() {
            fields_with(p, what, out);
        }
    }
    let (ok, out, err) = demo(&["pop3s", "--json", "--tls-version", "1.3"]);
    assert!(ok, "{err}");
    let certificates: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["source"] == "tls" && v["event"]["kind"] == "step")
        .map(|v| v["event"]["step"].clone())
        .filter(|s| s["kind"]["msg_type"] == 11)
        .collect();
    assert_eq!(certificates.len(), 1, "{out}");
    let cert = &certificates[0];
    assert!(
        cert["sealed"].is_string() || cert["sealed"].is_object(),
        "{cert}"
    );
    let mut subjects = Vec::new();
    fields_with(&cert["fields"], "Subject", &mut subjects);
    assert!(
        subjects.iter().any(|s| s["value"]["Text"]
            .as_str()
            .is_some_and(|t| t.contains("CN=localhost"))),
        "{subjects:?}"
    );

    let (ok, thirteen, err) = demo(&["pop3s", "--tls-version", "1.3"]);
    assert!(ok, "{err}");
    let step_line = |t: &str, arrow: &str, name: &str| -> String {
        t.lines()
            .find(|l| l.contains(&format!("{arrow} {name} ")))
            .unwrap_or_else(|| panic!("no {arrow} {name} line:\n{t}"))
            .to_string()
    };
    assert!(
        thirteen.contains("connection 1: the handshake as the client and the server see it"),
        "{thirteen}"
    );
    assert!(step_line(&thirteen, "C→S", "ClientHello").ends_with("read in cleartext"));
    let ee = step_line(&thirteen, "S→C", "EncryptedExtensions");
    assert!(
        ee.contains("sealed: an opaque ") && ee.ends_with("-byte record"),
        "{ee}"
    );
    // Certificate to Finished travel in EncryptedExtensions' record: it is
    // named once.
    for name in ["Certificate", "CertificateVerify"] {
        let l = step_line(&thirteen, "S→C", name);
        assert!(
            l.ends_with("sealed: in the same record as the previous step"),
            "{l}"
        );
    }
    assert!(step_line(&thirteen, "C→S", "Finished").contains("sealed: an opaque "));
    // The steps come in the order they took place.
    let at = |name: &str| thirteen.find(&format!(" {name} ")).unwrap();
    assert!(at("ClientHello") < at("ServerHello"));
    assert!(at("ServerHello") < at("EncryptedExtensions"));
    assert!(at("EncryptedExtensions") < at("CertificateVerify"));

    let (ok, twelve, err) = demo(&["pop3s", "--tls-version", "1.2"]);
    assert!(ok, "{err}");
    for name in ["Certificate", "ServerKeyExchange"] {
        let l = step_line(&twelve, "S→C", name);
        assert!(l.ends_with("read in cleartext"), "{l}");
    }
    assert!(step_line(&twelve, "C→S", "ClientKeyExchange").ends_with("read in cleartext"));
    assert!(!twelve.contains("EncryptedExtensions"), "{twelve}");
}
