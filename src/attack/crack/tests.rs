use super::*;
use crate::lab::describe::{crack_estimate, crack_rate, rough_duration};
use crate::lab::{EventKind, Lab, LabOptions, Scenario, WireEvent};
use crate::lang::Lang;
use crate::mailbox::demo::DEMO_USERS;
use crate::pop3::auth::apop_digest;

const YEAR_SECS: f64 = 365.25 * 24.0 * 3600.0;

fn say_duration(d: Duration) -> String {
    rough_duration(d, Lang::En)
}

fn say_rate(rate: f64) -> String {
    crack_rate(rate, Lang::En)
}

fn say_estimate(password: &str, rate: f64) -> String {
    crack_estimate(&Estimate::of(password, rate), Lang::En)
}

/// A password no dictionary of words holds: twelve characters from all
/// four classes.
const STRONG: &str = "Tq7#vR2m!xKp";

const TIMESTAMP: &str = "<4711.1.1767225600.0a1b2c3d4e5f@popscope.test>";

fn target_for(password: &str) -> Target {
    Target::new("carol", &apop_digest(TIMESTAMP, password), Some(TIMESTAMP)).unwrap()
}

fn run(target: &Target, candidates: &Candidates) -> Outcome {
    crack(target, candidates, &AtomicBool::new(false), |_| {})
}

/// Record one APOP login through the real lab (server, tap, client on
/// loopback) and return what the eavesdropper kept of it.
fn captured_apop_login() -> (String, String, Option<String>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut lab, mut rx) = Lab::start(Scenario::named("apop").unwrap(), LabOptions::default())
            .await
            .unwrap();
        lab.connect().await.unwrap();
        lab.login().await.unwrap();
        lab.shutdown().await;
        let mut apop = Vec::new();
        while let Some(e) = rx.recv().await {
            if let EventKind::Wire(WireEvent::Learned { loot, .. }) = e.kind {
                apop.extend(loot.apop);
            }
        }
        assert_eq!(apop.len(), 1, "one APOP login was captured: {apop:?}");
        apop.remove(0)
    })
}

#[test]
fn cracks_alices_password_from_a_login_captured_on_the_lab_wire() {
    let entry = captured_apop_login();
    assert_eq!(entry.0, "alice");
    let ts = entry
        .2
        .clone()
        .expect("the tap saw the greeting's timestamp");
    assert!(ts.starts_with('<') && ts.ends_with('>') && ts.contains('@'));
    let target = Target::from_loot(&entry).unwrap();
    let candidates = Candidates::builtin();
    let outcome = run(&target, &candidates);
    let Outcome::Found {
        password, tried, ..
    } = &outcome
    else {
        panic!("expected the password to be found, got {outcome:?}");
    };
    assert_eq!(password.as_slice(), b"wonderland");
    // The plain words come first, so the guess count is the word's place
    // in the list, which is deliberately far from the top.
    let place = candidates.words().position(b"wonderland").unwrap() as u64 + 1;
    assert_eq!(*tried, place);
    assert!(place > 1000, "wonderland is at {place}");
    assert_eq!(outcome.password_text().as_deref(), Some("wonderland"));
}

#[test]
fn the_builtin_list_has_alices_password_and_a_few_thousand_words() {
    let list = Wordlist::builtin();
    assert!(list.len() > 3000, "{} words", list.len());
    let (_, alice) = DEMO_USERS.iter().find(|(u, _)| *u == "alice").unwrap();
    let at = list.position(alice.as_bytes()).expect("alice's password");
    assert!(at > list.len() / 2, "at {at} of {}", list.len());
    assert!(list.position(STRONG.as_bytes()).is_none());
    // Every line is a word: no blanks, no stray CR, no spaces at the ends.
    for w in list.iter() {
        let w = std::str::from_utf8(w).unwrap();
        assert!(!w.is_empty() && w.trim() == w, "{w:?}");
    }
}

#[test]
fn a_strong_password_is_not_found_and_the_estimate_says_why() {
    let target = target_for(STRONG);
    let candidates = Candidates::builtin();
    let outcome = run(&target, &candidates);
    let Outcome::NotFound { tried, rate, .. } = outcome else {
        panic!("expected not found, got {outcome:?}");
    };
    assert_eq!(tried, candidates.total());
    assert!(rate > 0.0);
    let words = say_estimate(STRONG, rate);
    assert!(
        words.starts_with("exhaustive search of 12 characters from 95 symbols would take "),
        "{words}"
    );
    assert!(words.contains("years at "), "{words}");
}

#[test]
fn common_mutations_find_variants_and_are_counted_exactly() {
    let words = Wordlist::from_bytes(b"wonderland\nRabbit\n42\n".to_vec());
    assert_eq!(words.len(), 3);
    let plain = Candidates::new(words.clone(), Mutations::None);
    let common = Candidates::new(words, Mutations::Common);
    assert_eq!(plain.total(), 3);
    // 13 forms that keep the case for all three words, 4 capitalised ones
    // for the single word that starts with a lower-case letter.
    assert_eq!(common.total(), 13 * 3 + 4);
    for (password, found_by_plain) in [
        ("wonderland", true),
        ("Wonderland", false),
        ("wonderland7", false),
        ("Rabbit123", false),
        ("42!", false),
        ("Wonderland!", false),
    ] {
        let target = target_for(password);
        let by_plain = matches!(run(&target, &plain), Outcome::Found { .. });
        assert_eq!(by_plain, found_by_plain, "{password}");
        let outcome = run(&target, &common);
        assert_eq!(
            outcome.password_text().as_deref(),
            Some(password),
            "{outcome:?}"
        );
    }
    // Not in any form: the whole space is tried, and counted as promised.
    let outcome = run(&target_for("wonderland12"), &common);
    assert!(matches!(outcome, Outcome::NotFound { tried: 43, .. }));
}

/// A list big enough that a search takes a good while (about 8.5 million
/// guesses with the common forms).
fn big_list() -> Candidates {
    let mut text = Vec::new();
    for i in 0..500_000u32 {
        text.extend_from_slice(format!("w{i:07}\n").as_bytes());
    }
    Candidates::new(Wordlist::from_bytes(text), Mutations::Common)
}

#[test]
fn cancelling_stops_the_search_early_and_progress_is_reported() {
    let candidates = big_list();
    let total = candidates.total();
    let target = target_for(STRONG);
    let cancel = AtomicBool::new(false);
    let mut reports = Vec::new();
    let outcome = crack(&target, &candidates, &cancel, |p| {
        reports.push(p);
        cancel.store(true, Ordering::Relaxed);
    });
    let Outcome::Cancelled { tried, .. } = outcome else {
        panic!("expected a cancel, got {outcome:?}");
    };
    assert_eq!(reports.len(), 1);
    let p = reports[0];
    assert_eq!(p.total, Some(total));
    assert!(p.elapsed >= PROGRESS_EVERY && p.rate > 0.0);
    // The flag is seen at the next check, no later.
    assert_eq!(tried, p.tried + CHECK_EVERY);
    assert!(tried < total);

    // Set before the start: nothing is tried at all.
    let outcome = crack(&target, &candidates, &AtomicBool::new(true), |_| {});
    assert!(matches!(outcome, Outcome::Cancelled { tried: 0, .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_job_runs_off_the_workers_reports_and_can_be_cancelled() {
    let candidates = big_list();
    let total = candidates.total();
    let (job, mut rx) = CrackJob::spawn(target_for(STRONG), candidates);
    // The search runs on the blocking pool: the only worker is free to
    // receive its first progress report.
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(first, CrackUpdate::Progress(_)), "{first:?}");
    job.cancel();
    let mut done = None;
    while let Some(u) = rx.recv().await {
        if let CrackUpdate::Done(o) = u {
            done = Some(o);
        }
    }
    let done = done.expect("a Done update");
    assert!(
        matches!(done, Outcome::Cancelled { tried, .. } if tried < total),
        "{done:?}"
    );

    // A job left to run to its end finds the password; the handle is kept
    // alive meanwhile, since dropping it would cancel the search.
    let (_job, mut rx) = CrackJob::spawn(target_for("wonderland"), Candidates::builtin());
    let mut last = None;
    while let Some(u) = rx.recv().await {
        last = Some(u);
    }
    let Some(CrackUpdate::Done(o)) = last else {
        panic!("{last:?}")
    };
    assert_eq!(o.password_text().as_deref(), Some("wonderland"));
}

#[test]
fn a_wordlist_file_is_read_with_crlf_blank_lines_and_bytes_that_are_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.txt");
    std::fs::write(
        &path,
        b"\xef\xbb\xbfalpha\r\n\r\n  spaced out \nbeta\n\xe9t\xe9\r\ngamma",
    )
    .unwrap();
    let list = Wordlist::read(&path).unwrap();
    let words: Vec<&[u8]> = list.iter().collect();
    assert_eq!(
        words,
        [
            &b"alpha"[..],
            b"  spaced out ",
            b"beta",
            b"\xe9t\xe9",
            b"gamma"
        ]
    );
    // A Latin-1 line is hashed as its bytes, and shown safely when found.
    let mut target = target_for("x");
    target.digest = ApopHasher::new(TIMESTAMP).digest(b"\xe9t\xe9");
    let outcome = run(&target, &Candidates::new(list, Mutations::None));
    assert!(
        matches!(&outcome, Outcome::Found { password, tried: 4, .. } if password == b"\xe9t\xe9")
    );
    assert_eq!(
        outcome.password_text().as_deref(),
        Some("\u{fffd}t\u{fffd}")
    );
}

#[test]
fn a_missing_or_empty_wordlist_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-list.txt");
    let err = Wordlist::read(&missing).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert!(text.starts_with("cannot read the word list "), "{text}");

    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n\r\n\n").unwrap();
    let err = Wordlist::read(&empty).unwrap_err();
    assert!(matches!(err, CrackError::EmptyWordlist { .. }));
    assert!(err.to_string().contains("empty.txt"), "{err}");
}

#[test]
fn a_target_needs_a_well_formed_digest_and_the_timestamp() {
    let digest = apop_digest(TIMESTAMP, "x");
    let t = Target::new("alice", &digest.to_uppercase(), Some(TIMESTAMP)).unwrap();
    assert_eq!(hex::encode(t.digest), digest);

    for bad in [
        "",
        "abc",
        &digest[..31],
        &format!("{digest}00"),
        &"zz".repeat(16),
    ] {
        let err = Target::new("alice", bad, Some(TIMESTAMP)).unwrap_err();
        assert!(matches!(err, CrackError::BadDigest { .. }), "{bad}: {err}");
        assert!(err.to_string().contains("not 32 hexadecimal digits"));
    }
    // Text from the wire is shown made safe.
    let err = Target::new("al\x1bice", "\x1b[31m", Some(TIMESTAMP)).unwrap_err();
    assert!(!err.to_string().contains('\x1b'), "{err}");

    for ts in [None, Some("")] {
        let err = Target::new("alice", &digest, ts).unwrap_err();
        assert!(matches!(err, CrackError::NoTimestamp { .. }));
        assert!(err.to_string().contains("no greeting timestamp"), "{err}");
    }
}

#[test]
fn estimate_arithmetic() {
    assert_eq!(Alphabet::of("wonderland").size(), 26);
    assert_eq!(Alphabet::of("Wonderland1").size(), 62);
    assert_eq!(Alphabet::of(STRONG).size(), 95);
    assert_eq!(Alphabet::of("pässword").size(), 26 + 33);
    assert_eq!(Alphabet::of("").size(), 0);

    // 26² passwords at 676 a second: one second.
    let lower = Alphabet::of("ab");
    assert_eq!(estimate(2, lower, 676.0), Duration::from_secs(1));
    // 10⁶ PINs at 1000 a second.
    assert_eq!(
        estimate(6, Alphabet::of("1"), 1000.0),
        Duration::from_secs(1000)
    );
    // 62¹² / 5.2·10⁶ s ≈ 6.2·10¹⁴ s ≈ 19.6 million years.
    let d = estimate(12, Alphabet::of("aA1"), 5.2e6);
    let years = d.as_secs_f64() / YEAR_SECS;
    assert!((years - 19.6e6).abs() < 0.1e6, "{years}");
    assert_eq!(say_duration(d), "about 20 million years");
    // Too big for a Duration, or no measured speed: saturates.
    assert_eq!(estimate(40, Alphabet::of(STRONG), 1e9), Duration::MAX);
    assert_eq!(estimate(4, lower, 0.0), Duration::MAX);
    assert_eq!(say_duration(Duration::MAX), "more than 500 billion years");

    assert_eq!(
        say_duration(Duration::from_millis(300)),
        "less than a second"
    );
    assert_eq!(say_duration(Duration::from_secs(1)), "about 1 second");
    assert_eq!(say_duration(Duration::from_secs(150)), "about 3 minutes");
    assert_eq!(
        say_duration(Duration::from_secs_f64(3.0 * YEAR_SECS)),
        "about 3 years"
    );
    assert_eq!(say_rate(5.2e6), "5.2 million guesses/s");
    assert_eq!(say_rate(830_000.0), "830 thousand guesses/s");
    assert_eq!(say_rate(12.0), "12 guesses/s");
    assert_eq!(
        say_estimate("Wonderland12", 5.2e6),
        "exhaustive search of 12 characters from 62 symbols would take about 20 million \
         years at 5.2 million guesses/s"
    );
    // The estimate keeps the numbers, never the password.
    let e = Estimate::of("Wonderland12", 5.2e6);
    assert_eq!((e.length, e.alphabet, e.rate), (12, 62, 5_200_000));
    assert_eq!(e.duration, estimate(12, Alphabet::of("aA1"), 5.2e6));
    assert_eq!(Estimate::of("abc", f64::NAN).rate, 0);
}

/// The same numbers in Japanese: counted in 万 and 億, with Japanese
/// units, and no English word among them.
#[test]
fn the_estimate_in_japanese() {
    let ja = |d| rough_duration(d, Lang::Ja);
    assert_eq!(ja(Duration::from_millis(300)), "1 秒未満");
    assert_eq!(ja(Duration::from_secs(1)), "約 1 秒");
    assert_eq!(ja(Duration::from_secs(150)), "約 3 分");
    assert_eq!(ja(Duration::from_secs(5 * 3600)), "約 5 時間");
    assert_eq!(ja(Duration::from_secs(3 * 86_400)), "約 3 日");
    assert_eq!(ja(Duration::MAX), "5000億年以上");
    assert_eq!(ja(estimate(12, Alphabet::of("aA1"), 5.2e6)), "約 2000万 年");
    assert_eq!(crack_rate(5.2e6, Lang::Ja), "毎秒 520万 回");
    assert_eq!(crack_rate(830_000.0, Lang::Ja), "毎秒 83万 回");
    assert_eq!(crack_rate(5_200.0, Lang::Ja), "毎秒 5200 回");
    assert_eq!(crack_rate(3.3e8, Lang::Ja), "毎秒 3.3億 回");
    assert_eq!(
        crack_estimate(&Estimate::of("Wonderland12", 5.2e6), Lang::Ja),
        "62 種類の文字で 12 文字のパスワードをすべて試すと、毎秒 520万 回の速さで約 2000万 年かかります"
    );
}
