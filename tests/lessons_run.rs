//! Lessons run headless against the real lab: every step of every built-in
//! lesson must pass in both languages, and lessons written here show that
//! each kind of expectation is checked against what the lab really did,
//! and that the runner reports a step that does not hold.

use std::time::{Duration, Instant};

use std::sync::Arc;

use popscope::lesson::facts::describe;
use popscope::lesson::runner::{Limits, StepOutcome, run_lesson, run_lesson_with};
use popscope::lesson::set::{builtin, expect_text};
use popscope::lesson::{Expect, Lang, Lesson, Step, StepAction};

/// How many built-in lessons run at once. Each has its own lab on its own
/// ports, so they do not disturb one another; the limit keeps a two-core
/// machine from being so loaded that the runner's deadlines pass.
const AT_ONCE: usize = 4;

#[test]
fn every_builtin_lesson_passes_in_both_languages() {
    let lessons = builtin();
    // `builtin` leaves out a file that does not parse (with a warning), so
    // a broken chapter would otherwise not be run at all.
    assert_eq!(
        lessons.len(),
        26,
        "thirteen chapters in two languages: {:?}",
        lessons.iter().map(|l| &l.source).collect::<Vec<_>>()
    );
    for lang in Lang::ALL {
        assert_eq!(lessons.iter().filter(|l| l.lang == lang).count(), 13);
    }
    let started = Instant::now();
    let results = runtime().block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, lesson) in lessons.iter().cloned().enumerate() {
            let permits = Arc::clone(&permits);
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (i, run_lesson(&lesson).await)
            });
        }
        let mut results = vec![Vec::new(); lessons.len()];
        while let Some(done) = tasks.join_next().await {
            let (i, outcomes) = done.expect("a lesson's task panicked");
            results[i] = outcomes;
        }
        results
    });
    let mut failures = Vec::new();
    for (lesson, outcomes) in lessons.iter().zip(&results) {
        assert_eq!(outcomes.len(), lesson.steps.len(), "{}", lesson.source);
        for out in outcomes {
            let at = format!("{}:{}", lesson.source, out.line);
            if let Some(e) = &out.error {
                failures.push(format!("{at}: step {}: {e}", out.step + 1));
            }
            for (e, held) in &out.results {
                if !held {
                    failures.push(format!(
                        "{at}: step {}: `{}` did not hold ({})",
                        out.step + 1,
                        expect_text(e),
                        describe(e, lesson.lang)
                    ));
                }
            }
        }
    }
    eprintln!(
        "ran {} built-in lessons ({} steps) in {:.1?}",
        lessons.len(),
        lessons.iter().map(|l| l.steps.len()).sum::<usize>(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// One step of a lesson written here: its actions, the expectations that
/// must hold, and expectations that must NOT hold (they are added to the
/// step's list, so the runner checks them like any other).
struct Spec<'a> {
    actions: &'a [&'a str],
    holds: &'a [&'a str],
    fails: &'a [&'a str],
}

const fn step<'a>(actions: &'a [&'a str], holds: &'a [&'a str]) -> Spec<'a> {
    Spec {
        actions,
        holds,
        fails: &[],
    }
}

const fn step_failing<'a>(
    actions: &'a [&'a str],
    holds: &'a [&'a str],
    fails: &'a [&'a str],
) -> Spec<'a> {
    Spec {
        actions,
        holds,
        fails,
    }
}

/// A lesson built from words, exactly as a lesson file's steps would be.
fn lesson(name: &str, steps: &[Spec]) -> Lesson {
    Lesson {
        source: format!("inline {name}"),
        lang: Lang::En,
        id: name.into(),
        id_line: 1,
        chapter: 99,
        title: name.into(),
        question: String::new(),
        body: String::new(),
        body_line: 1,
        steps: steps
            .iter()
            .enumerate()
            .map(|(i, s)| Step {
                line: i + 1,
                text: String::new(),
                actions: s
                    .actions
                    .iter()
                    .map(|a| StepAction::parse(a).unwrap_or_else(|e| panic!("{a}: {e}")))
                    .collect(),
                expect: s
                    .holds
                    .iter()
                    .chain(s.fails)
                    .map(|w| Expect::parse(w).unwrap_or_else(|e| panic!("{w}: {e}")))
                    .collect(),
            })
            .collect(),
        quiz: Vec::new(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Shorter waits for lessons with steps meant to fail: a failing
/// expectation costs the whole expectation deadline, and a step left on a
/// paused wire the whole command deadline.
fn quick() -> Limits {
    Limits {
        commands: Duration::from_secs(3),
        expect: Duration::from_secs(2),
        ..Limits::default()
    }
}

/// Run a lesson written here and check every step: each expectation in
/// `holds` held, each in `fails` did not, and the step failed exactly when
/// it had something in `fails`.
fn check(name: &str, steps: &[Spec], limits: Limits) -> Vec<StepOutcome> {
    let l = lesson(name, steps);
    let outcomes = runtime().block_on(run_lesson_with(&l, &limits));
    assert_eq!(outcomes.len(), steps.len(), "{name}: one outcome per step");
    let mut problems = Vec::new();
    for (spec, out) in steps.iter().zip(&outcomes) {
        let at = format!("{}:{}", l.source, out.line);
        if let Some(e) = &out.error {
            problems.push(format!("{at}: error: {e}"));
        }
        for (i, (e, held)) in out.results.iter().enumerate() {
            let want = i < spec.holds.len();
            if *held != want {
                problems.push(format!(
                    "{at}: {e:?} ({}) {}",
                    describe(e, Lang::En),
                    if want {
                        "did not hold"
                    } else {
                        "held but must not"
                    }
                ));
            }
        }
        assert_eq!(
            out.passed(),
            spec.fails.is_empty() && out.error.is_none(),
            "{at}: passed() must agree with the results: {out:?}"
        );
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    outcomes
}

#[test]
fn cleartext_login_leaks_the_password_the_name_and_the_mail() {
    check(
        "cleartext",
        &[
            // No scenario yet: the lab a lesson starts on is cleartext POP3.
            step(&["login"], &["logged-in", "state transaction", "reply ok"]),
            step(
                &["scenario plain", "send USER alice", "send PASS wonderland"],
                &[
                    "password-leaked",
                    "user-leaked",
                    "state transaction",
                    "logged-in",
                    "reply ok",
                ],
            ),
            step(&["send RETR 1"], &["mail-leaked", "reply ok"]),
            step(&["send RETR 99"], &["reply err", "state transaction"]),
        ],
        Limits::default(),
    );
}

#[test]
fn pop3s_hides_everything_and_the_runner_can_fail() {
    check(
        "pop3s",
        &[
            // The cleartext lab leaks first; its late events (the
            // eavesdropper's summary when it shuts down) must not count
            // against the next scenario.
            step(
                &["scenario plain", "login", "send RETR 1"],
                &["password-leaked", "mail-leaked"],
            ),
            step(
                &["scenario pop3s", "login"],
                &[
                    "no-credential",
                    "nothing-readable",
                    "tls-established",
                    "tls-version 1.3",
                    "secret-derived",
                    "app-data-encrypted",
                    "handshake ClientHello",
                    "handshake ServerHello",
                    // Sealed on the wire, opened with the client's key log.
                    "handshake EncryptedExtensions",
                    "handshake Certificate",
                    "handshake CertificateVerify",
                    "handshake Finished",
                    "cert-hidden-from-eavesdropper",
                    "logged-in",
                    "state transaction",
                ],
            ),
            step(
                &["send RETR 1"],
                &["reply ok", "no-credential", "nothing-readable"],
            ),
            // Wrong claims about a POP3S session: each must fail.
            step_failing(
                &["send STAT"],
                &["reply ok"],
                &[
                    "password-leaked",
                    "user-leaked",
                    "mail-leaked",
                    "tls-version 1.2",
                    // TLS 1.3 encrypts the certificate.
                    "cert-visible-to-eavesdropper",
                    // Steps of TLS 1.2 only.
                    "handshake ServerKeyExchange",
                    "handshake ClientKeyExchange",
                    "stls-switch",
                    "cert-failed",
                ],
            ),
        ],
        quick(),
    );
}

/// TLS 1.2 shows the eavesdropper the certificate and both key
/// exchanges, and has no EncryptedExtensions; a paused wire lets one
/// handshake through piece by piece, and each step holds only once its
/// chunk crossed, not because the lab's first connection had it.
#[test]
fn tls12_shows_the_certificate_and_steps_hold_as_they_cross() {
    check(
        "tls-versions",
        &[
            step_failing(
                &["scenario pop3s tls-version=1.2"],
                &[
                    "tls-established",
                    "tls-version 1.2",
                    "cert-visible-to-eavesdropper",
                    "handshake Certificate",
                    "handshake ServerKeyExchange",
                    "handshake ServerHelloDone",
                    "handshake ClientKeyExchange",
                    "handshake ChangeCipherSpec",
                    "handshake Finished",
                ],
                &[
                    "cert-hidden-from-eavesdropper",
                    "handshake EncryptedExtensions",
                    "handshake CertificateVerify",
                ],
            ),
            // TLS 1.3 on a new lab: the certificate is sealed, and what
            // the 1.2 lab showed does not carry over.
            step_failing(
                &["scenario pop3s", "send QUIT"],
                &[
                    "cert-hidden-from-eavesdropper",
                    "handshake EncryptedExtensions",
                ],
                &[
                    "cert-visible-to-eavesdropper",
                    "handshake ServerKeyExchange",
                ],
            ),
            // A new connection held at the tap, let through one chunk at a
            // time. (On a held wire an expectation that does not hold is
            // reported as a forgotten step, so the steps not yet taken are
            // checked by the unit tests of `Facts`, not here.)
            step(&["pause", "login"], &[]),
            step(&["step"], &["handshake ClientHello"]),
            // The server's flight: ServerHello and the compatibility
            // ChangeCipherSpec in cleartext; the rest opens once the key
            // log has grown and the client's answer crosses.
            step(
                &["step"],
                &["handshake ServerHello", "handshake ChangeCipherSpec"],
            ),
            step(
                &["step"],
                &[
                    "handshake EncryptedExtensions",
                    "handshake Certificate",
                    "handshake CertificateVerify",
                    "handshake Finished",
                ],
            ),
            step(
                &["resume"],
                &["tls-established", "logged-in", "handshake NewSessionTicket"],
            ),
        ],
        quick(),
    );
}

#[test]
fn stls_switches_in_mid_stream_after_a_readable_start() {
    check(
        "stls",
        &[step_failing(
            &["scenario stls", "login"],
            &[
                "stls-switch",
                "handshake ClientHello",
                "handshake ServerHello",
                "tls-established",
                "tls-version 1.3",
                "no-credential",
                "logged-in",
            ],
            // The greeting and CAPA crossed before TLS.
            &["nothing-readable"],
        )],
        quick(),
    );
}

#[test]
fn apop_shows_a_digest_but_no_password() {
    check(
        "apop",
        &[step_failing(
            &["scenario apop", "login"],
            &["apop-digest-seen", "user-leaked", "logged-in"],
            &["password-leaked", "no-credential", "tls-established"],
        )],
        quick(),
    );
}

#[test]
fn auth_plain_is_a_password_in_base64() {
    check(
        "auth-plain",
        &[step(
            &["scenario auth-plain", "login"],
            &["password-leaked", "user-leaked", "logged-in"],
        )],
        Limits::default(),
    );
}

#[test]
fn certificate_checks_fail_against_the_system_cas_and_can_be_switched_off() {
    check(
        "certificates",
        &[
            step_failing(
                &["scenario pop3s verify=system"],
                &[
                    "cert-failed unknown issuer",
                    "cert-failed",
                    "nothing-readable",
                ],
                &["tls-established", "cert-failed expired", "logged-in"],
            ),
            step(
                &["scenario pop3s verify=insecure", "login"],
                &["tls-established", "logged-in", "no-credential"],
            ),
        ],
        quick(),
    );
}

#[test]
fn dele_marks_and_quit_deletes() {
    check(
        "dele",
        &[
            step(
                &["scenario plain", "login", "send DELE 2"],
                &["marked 1", "deleted 0", "reply ok", "state transaction"],
            ),
            step(&["send DELE 3"], &["marked 2"]),
            step(&["send RSET"], &["marked 0"]),
            step(&["send DELE 2"], &["marked 1"]),
            step(&["send QUIT"], &["deleted 1", "state update", "marked 0"]),
            // A new session begins in AUTHORIZATION; the deletion stays.
            step(
                &["connect"],
                &["state authorization", "deleted 1", "reply ok"],
            ),
            step(
                &["login", "send STAT"],
                &["state transaction", "logged-in", "reply ok"],
            ),
            // A session that ends without QUIT deletes nothing.
            step(&["scenario plain", "login", "send DELE 1"], &["marked 1"]),
            step(
                &["connect"],
                &["state authorization", "marked 0", "deleted 0"],
            ),
        ],
        Limits::default(),
    );
}

#[test]
fn a_paused_wire_holds_a_command_until_it_is_stepped_or_resumed() {
    let steps = [
        step(&["scenario plain", "login"], &["logged-in"]),
        // RETR 99 gets -ERR, but while the wire is held no reply comes.
        step_failing(&["pause", "send RETR 99"], &[], &["reply err"]),
        // Two chunks: the command to the server, its reply back.
        step(&["step 2"], &["reply err"]),
        // The wire is still paused: one chunk takes the command across,
        // the reply waits.
        step_failing(&["send NOOP", "step"], &["reply err"], &["reply ok"]),
        step(&["step"], &["reply ok"]),
        // Resume lets the next command and everything after it through.
        step(&["send STAT", "resume"], &["reply ok"]),
        step(&["send RETR 99"], &["reply err"]),
        // Pause, send and step within one step.
        step(&["pause", "send NOOP", "step 2"], &["reply ok"]),
    ];
    let l = lesson("pause", &steps);
    let outcomes = runtime().block_on(run_lesson_with(&l, &quick()));
    let all = format!("{outcomes:#?}");
    assert_eq!(outcomes.len(), steps.len());
    for (i, out) in outcomes.iter().enumerate() {
        let spec = &steps[i];
        let want: Vec<(Expect, bool)> = spec
            .holds
            .iter()
            .map(|w| (Expect::parse(w).unwrap(), true))
            .chain(
                spec.fails
                    .iter()
                    .map(|w| (Expect::parse(w).unwrap(), false)),
            )
            .collect();
        assert_eq!(out.results, want, "step {}: {all}", i + 1);
        assert_eq!(out.passed(), spec.fails.is_empty(), "step {}: {all}", i + 1);
    }
    // A step that fails while a command waits on the paused wire says so.
    for i in [1, 3] {
        let e = outcomes[i].error.as_deref().unwrap_or("");
        assert!(
            e.contains("1 command is still held on the paused wire"),
            "step {}: {all}",
            i + 1
        );
    }
}

#[test]
fn screen_only_actions_do_not_touch_the_lab() {
    check(
        "screen",
        &[step(
            &[
                "focus wire",
                "view records",
                "highlight loot",
                "diagram mail-path 3",
            ],
            &[
                "state authorization",
                "deleted 0",
                "marked 0",
                "no-credential",
            ],
        )],
        Limits::default(),
    );
}

#[test]
fn stripping_stls_reads_a_careless_client_and_not_one_that_requires_tls() {
    check(
        "strip-stls",
        &[
            step_failing(
                &[
                    "scenario stls",
                    "require-tls off",
                    "attack strip-stls",
                    "login",
                ],
                &[
                    "stls-stripped",
                    "attack-succeeded",
                    "password-leaked",
                    "logged-in",
                ],
                &["attack-blocked", "stls-switch", "tls-established"],
            ),
            // The switch restarts the lab with the attacker still there.
            step_failing(
                &["require-tls on", "login"],
                &["stls-stripped", "attack-blocked", "no-credential"],
                &["attack-succeeded", "logged-in", "password-leaked"],
            ),
            // With no attacker the careful client gets its TLS.
            step_failing(
                &["attack none", "login"],
                &[
                    "stls-switch",
                    "tls-established",
                    "logged-in",
                    "no-credential",
                ],
                &["stls-stripped", "attack-succeeded", "attack-blocked"],
            ),
        ],
        quick(),
    );
}

#[test]
fn a_forged_certificate_reads_a_client_that_does_not_verify() {
    check(
        "forge-cert",
        &[
            step_failing(
                &["scenario pop3s", "attack forge-cert", "verify off", "login"],
                &[
                    "cert-forged",
                    "attack-succeeded",
                    "tls-established",
                    "logged-in",
                    // The eavesdropper on the client's leg still reads
                    // nothing: only the attacker in the middle does.
                    "nothing-readable",
                ],
                &["attack-blocked", "cert-failed"],
            ),
            step_failing(
                &["verify on"],
                &[
                    "cert-forged",
                    "attack-blocked",
                    "cert-failed unknown issuer",
                    "no-credential",
                ],
                &["attack-succeeded", "tls-established", "logged-in"],
            ),
        ],
        quick(),
    );
}

#[test]
fn an_injected_command_is_discarded_by_the_normal_server() {
    check(
        "inject",
        &[step_failing(
            &["scenario stls", "attack inject", "login"],
            &["injection-discarded", "logged-in", "tls-established"],
            &["attack-succeeded"],
        )],
        quick(),
    );
}

/// Needs the lab's vulnerable server mode (another part of issue 10): the
/// injected QUIT runs inside TLS and ends the session before the login.
#[test]
fn an_injected_command_runs_on_the_vulnerable_server() {
    check(
        "inject-vulnerable",
        &[step_failing(
            &[
                "scenario stls",
                "attack inject",
                "vulnerable-server on",
                "login",
            ],
            &["attack-succeeded"],
            &["injection-discarded", "logged-in", "attack-blocked"],
        )],
        quick(),
    );
}

/// Needs the decryption of the recorded TLS with the key log.
#[test]
fn stolen_keys_decrypt_the_recorded_session() {
    check(
        "steal-keys",
        &[step(
            &["scenario pop3s", "attack steal-keys", "login"],
            &[
                "decrypted",
                "attack-succeeded",
                "logged-in",
                "nothing-readable",
            ],
        )],
        Limits::default(),
    );
}

/// Needs the offline APOP search: started by the lab itself when the
/// attack is on, or by `crack` after a passive capture.
#[test]
fn alices_apop_password_is_cracked_offline() {
    check(
        "crack",
        &[
            step(
                &["scenario apop", "attack crack", "login"],
                &["apop-digest-seen", "password-cracked", "attack-succeeded"],
            ),
            step_failing(
                &["scenario apop", "login"],
                &["apop-digest-seen", "logged-in"],
                &["password-cracked"],
            ),
            step(&["crack"], &["password-cracked"]),
        ],
        quick(),
    );
}

/// A failed expectation says what happened instead, from what the real
/// lab did: the commands the wire carried, the reply the client got, the
/// TLS version negotiated.
#[test]
fn failed_expectations_say_what_happened_instead() {
    let outcomes = check(
        "instead",
        &[
            step_failing(
                &["scenario plain", "send USER alice", "send STAT"],
                &["user-leaked"],
                &[
                    "password-leaked",
                    "logged-in",
                    "reply ok",
                    "tls-established",
                ],
            ),
            step_failing(
                &["scenario pop3s", "login"],
                &["logged-in"],
                &["password-leaked", "tls-version 1.2", "cert-failed expired"],
            ),
            step_failing(
                &[
                    "scenario stls",
                    "require-tls on",
                    "attack strip-stls",
                    "login",
                ],
                &["attack-blocked", "no-credential"],
                &["attack-succeeded", "stls-switch", "cert-forged"],
            ),
        ],
        quick(),
    );
    let instead = |step: usize, word: &str| -> String {
        let out = &outcomes[step];
        let i = out
            .results
            .iter()
            .position(|(e, _)| expect_text(e) == word)
            .unwrap_or_else(|| panic!("step {step} has no {word}"));
        out.instead[i]
            .clone()
            .unwrap_or_else(|| panic!("step {step}: {word} held, so nothing is explained"))
    };
    // What held is not explained.
    assert_eq!(outcomes[0].instead[0], None, "{:?}", outcomes[0]);

    let s = instead(0, "password-leaked");
    assert!(
        s.starts_with("the wire carried no PASS line")
            && s.contains("it carried: ")
            && s.contains("USER alice, STAT"),
        "{s}"
    );
    let s = instead(0, "logged-in");
    assert!(
        s.starts_with("the client is not logged in; the newest reply was -ERR"),
        "{s}"
    );
    let s = instead(0, "reply ok");
    assert!(s.starts_with("the client's newest reply was -ERR"), "{s}");
    let s = instead(0, "tls-established");
    assert!(
        s.starts_with("no TLS handshake took place; it carried: "),
        "{s}"
    );

    let s = instead(1, "password-leaked");
    assert!(s.contains("it carried no cleartext command, only "), "{s}");
    assert!(s.ends_with(" TLS records"), "{s}");
    assert_eq!(instead(1, "tls-version 1.2"), "TLS 1.3 was negotiated");
    assert_eq!(
        instead(1, "cert-failed expired"),
        "the certificate was accepted"
    );
}

/// `popscope lessons run` prints what happened under a failed step.
#[test]
fn lessons_run_prints_what_happened_instead() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_popscope"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lessons", "run", "tests/lessons_broken/fails"])
        .output()
        .expect("the popscope binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "  ✗ password-leaked\n    instead of password-leaked: the wire carried no PASS line"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("it carried: "), "{stdout}");
    assert!(stdout.contains("USER alice"), "{stdout}");
}
