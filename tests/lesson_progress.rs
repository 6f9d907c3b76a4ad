//! The learner's path on the real lab: the screen's app driven headless
//! with the same lab driver the screen uses, so a chapter's ✓ and the
//! place it reopens at are what a learner gets.

use std::time::Duration;

use popscope::lab::Scenario;
use popscope::lab::driver::{DriverMsg, LabCmd, drive};
use popscope::lesson::Lang;
use popscope::lesson::progress::Progress;
use popscope::lesson::set::builtin;
use popscope::tui::app::{Action, App, Effect, Focus, GateOp};
use popscope::tui::lesson::Place;
use popscope::wire::tap::Gate;
use tokio::sync::mpsc;
#[path = "common/screen.rs"]
mod screen;

/// The app and a real lab behind it, wired as the run loop wires them.
struct Rig {
    app: App,
    cmds: mpsc::UnboundedSender<LabCmd>,
    msgs: mpsc::UnboundedReceiver<DriverMsg>,
    gate: Option<Gate>,
    sent: u64,
    done: u64,
}

impl Rig {
    fn new(app: App) -> Rig {
        let (cmds, cmd_rx) = mpsc::unbounded_channel();
        let (msg_tx, msgs) = mpsc::unbounded_channel();
        tokio::spawn(drive(app.scenario.clone(), cmd_rx, msg_tx));
        Rig {
            app,
            cmds,
            msgs,
            gate: None,
            sent: 0,
            done: 0,
        }
    }

    /// Carry out the app's effects and feed it the lab's messages until
    /// the lab has been quiet for a moment: 0.4 s once every command is
    /// done, 2 s while some are still out (on a held wire they wait for
    /// the lesson's next step).
    async fn settle(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            for effect in self.app.take_effects() {
                match effect {
                    Effect::Lab(cmd) => {
                        self.sent += 1;
                        let _ = self.cmds.send(cmd);
                    }
                    Effect::Gate(op) => {
                        if let Some(g) = &self.gate {
                            match op {
                                GateOp::Open => g.open(),
                                GateOp::Pause => g.pause(),
                                GateOp::Step => g.step(),
                            }
                        }
                    }
                    Effect::SaveProgress | Effect::WriteCapture { .. } => {}
                }
            }
            let quiet = Duration::from_millis(if self.done >= self.sent { 400 } else { 2000 });
            match tokio::time::timeout(quiet, self.msgs.recv()).await {
                Ok(Some(msg)) => match msg {
                    DriverMsg::Ready(g, gate) => {
                        if g == self.app.generation {
                            self.gate = Some(gate);
                        }
                        self.app.update(Action::LabReady(g));
                    }
                    DriverMsg::Event(g, e) => self.app.update(Action::Lab(g, e)),
                    DriverMsg::Failed(g, why) => self.app.update(Action::LabFailed(g, why)),
                    DriverMsg::Done(n) => {
                        self.done = n;
                        self.app.update(Action::LabDone(n));
                    }
                },
                Ok(None) => panic!("the lab driver stopped"),
                // A held wire keeps its commands from finishing: a lesson
                // that paused it is settled once the lab is quiet.
                Err(_) => return,
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the lab did not settle: {} of {} commands done",
                self.done,
                self.sent
            );
        }
    }
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    screen::backend(app, w, h).to_string()
}

/// The chapter list's row for a chapter.
fn list_row(app: &mut App, chapter: u32) -> String {
    app.update(Action::LessonListOpen);
    let screen = draw(app, 120, 40);
    app.update(Action::LessonListClose);
    screen
        .lines()
        .find(|l| {
            l.contains(&format!("│ {chapter:>2}  ")) || l.contains(&format!(" {chapter:>3}  "))
        })
        .unwrap_or_else(|| panic!("no row for chapter {chapter}:\n{screen}"))
        .to_string()
}

/// Walk a chapter on the real lab to its end with `]`, then answer every
/// question, and see the ✓ come only with the last answer.
async fn walk_to_the_end(chapter: u32, lang: Lang) {
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), lang, Progress::default(), Some(chapter));
    let lesson = app.lesson.current().cloned().expect("the chapter");
    let mut rig = Rig::new(app);
    rig.settle().await;
    for s in 0..lesson.steps.len() {
        rig.app.update(Action::LessonNext);
        rig.settle().await;
        assert_eq!(rig.app.lesson.place, Place::Step(s));
        let met = |rig: &Rig| {
            rig.app
                .lesson
                .progress
                .lesson(&lesson.id)
                .expect("reached")
                .met
                .contains(&s)
        };
        // A loaded machine (the other tests of this file run beside this
        // one) can leave the lab quiet for longer than one settling
        // while a restart or a login is still under way: give it a few
        // more before calling the step unmet.
        for _ in 0..5 {
            if met(&rig) {
                break;
            }
            rig.settle().await;
        }
        assert!(
            met(&rig),
            "{} step {} not met: {:?}",
            lesson.source,
            s + 1,
            rig.app.lesson.step_results(s)
        );
    }
    let before = list_row(&mut rig.app, chapter);
    assert!(
        !before.contains('✓'),
        "done before the quiz was answered: {before}"
    );
    for q in 0..lesson.quiz.len() {
        rig.app.update(Action::LessonNext);
        assert_eq!(rig.app.lesson.place, Place::Quiz(q));
        let done = rig
            .app
            .lesson
            .progress
            .lesson(&lesson.id)
            .is_some_and(|p| p.done);
        assert!(!done, "done before question {} was answered", q + 1);
        // A wrong answer counts as an answer: the chapter is finished
        // when every question was answered, not when every one was right.
        let choice = (lesson.quiz[q].answer + 1) % lesson.quiz[q].choices.len();
        rig.app.update(Action::QuizAnswer(choice));
    }
    assert!(
        rig.app
            .lesson
            .progress
            .lesson(&lesson.id)
            .is_some_and(|p| p.done),
        "{} not done",
        lesson.source
    );
    let after = list_row(&mut rig.app, chapter);
    assert!(after.contains('✓'), "{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn chapter_8_is_done_after_its_last_step_and_its_quiz() {
    walk_to_the_end(8, Lang::En).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chapter_9_is_done_after_its_last_step_and_its_quiz() {
    walk_to_the_end(9, Lang::Ja).await;
}

/// Quit at chapter 12, quiz 3, in Japanese; reopen: the same chapter,
/// question and language, from the saved file. And at a step: the steps up
/// to it are carried out again on the fresh lab.
#[test]
fn a_reopened_lab_is_where_the_learner_left_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.toml");
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), Lang::En, Progress::default(), Some(12));
    app.update(Action::FocusPane(Focus::Lesson));
    app.update(Action::LangToggle);
    let steps = app.lesson.current().unwrap().steps.len();
    for _ in 0..steps + 3 {
        app.update(Action::LessonNext);
    }
    assert_eq!(app.lesson.place, Place::Quiz(2));
    app.update(Action::QuizAnswer(0));
    app.lesson.progress.save(&path).unwrap();

    // LANG says English; the saved place says Japanese, and wins.
    let mut again = App::new(Scenario::named("plain").unwrap());
    again.set_lessons(builtin(), Lang::En, Progress::load(&path), None);
    assert_eq!(again.lesson.chapter, Some(12));
    assert_eq!(again.lesson.place, Place::Quiz(2));
    assert_eq!(again.lesson.lang, Lang::Ja);
    assert!(again.lesson.open);
    assert_eq!(
        again.focus,
        Focus::Lesson,
        "the quiz is answered from the lesson pane"
    );
    // The answer given before is shown again.
    again.update(Action::Resize(120, 40));
    let pane = popscope::tui::panes::line_texts(&again, Focus::Lesson).join("\n");
    assert!(pane.contains("第12章"), "{pane}");
    assert!(pane.contains("クイズ 3/"), "{pane}");
    assert!(pane.contains("✗ 1)") || pane.contains("✓ 1)"), "{pane}");

    // `--lesson N` wins over the saved place.
    let mut asked = App::new(Scenario::named("plain").unwrap());
    asked.set_lessons(builtin(), Lang::En, Progress::load(&path), Some(5));
    assert_eq!(asked.lesson.chapter, Some(5));
    assert_eq!(asked.lesson.place, Place::Intro);

    // At a step: back to step 2 of chapter 8, its actions and those of
    // step 1 carried out again.
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), Lang::Ja, Progress::default(), Some(8));
    app.update(Action::LessonNext);
    app.update(Action::LessonNext);
    app.lesson.progress.save(&path).unwrap();
    let mut again = App::new(Scenario::named("plain").unwrap());
    again.set_lessons(builtin(), Lang::En, Progress::load(&path), None);
    assert_eq!(
        (again.lesson.chapter, again.lesson.place, again.lesson.lang),
        (Some(8), Place::Step(1), Lang::Ja)
    );
    let effects = again.take_effects();
    let restarts = effects
        .iter()
        .filter(|e| matches!(e, Effect::Lab(LabCmd::Restart(s)) if s.name == "plain"))
        .count();
    assert_eq!(restarts, 1, "{effects:?}");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Lab(LabCmd::Login))),
        "{effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Lab(LabCmd::Command(c)) if c == "RETR 1")),
        "{effects:?}"
    );
}

const HEX_LESSON: &str = r#"+++
id = "reveal-test"
chapter = 8
title = "The password off screen"
question = "Where is the password?"

[[steps]]
text = "Log in."
actions = ["scenario plain", "login", "focus wire"]

[[steps]]
text = "Fetch a long message."
actions = ["send RETR 2"]

[[steps]]
text = "The password's bytes."
actions = ["view hex", "highlight password"]

[[steps]]
text = "The password's line."
actions = ["view text", "highlight password"]
+++

Body.
"#;

/// The eavesdropper's log as drawn: the rows of its pane above the loot
/// box, read from the buffer so wide characters do not shift the text.
fn wire_rows(app: &mut App, w: u16, h: u16) -> String {
    let buf = screen::backend(app, w, h).buffer().clone();
    let area = ratatui::layout::Rect::new(0, 0, w, h);
    let (_, r) = app
        .areas(area)
        .panes
        .into_iter()
        .find(|(f, _)| *f == Focus::Wire)
        .expect("the eavesdropper pane is on screen");
    let mut rows = Vec::new();
    for y in r.y + 1..r.bottom().saturating_sub(1) {
        let row: String = (r.x + 1..r.right().saturating_sub(1))
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if row.contains("loot:") {
            break;
        }
        rows.push(row);
    }
    rows.join("\n")
}

/// `highlight password` scrolls the eavesdropper's view to the password,
/// in the hex view and in the text view, on a real lab where the message
/// fetched after the login has pushed it out of view.
#[tokio::test(flavor = "multi_thread")]
async fn a_highlight_scrolls_the_password_into_view() {
    use popscope::lesson::parse::parse_lesson;
    let lesson = parse_lesson("en/08-reveal.md", Lang::En, HEX_LESSON).unwrap();
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(vec![lesson], Lang::En, Progress::default(), Some(8));
    let (w, h) = (100, 30);
    app.update(Action::Resize(w, h));
    let mut rig = Rig::new(app);
    rig.settle().await;
    rig.app.update(Action::LessonNext);
    rig.settle().await;
    let screen = wire_rows(&mut rig.app, w, h);
    assert!(screen.contains("PASS"), "after the login\n{screen}");
    rig.app.update(Action::LessonNext);
    rig.settle().await;
    let screen = wire_rows(&mut rig.app, w, h);
    assert!(
        !screen.contains("PASS "),
        "the message should have pushed the password away\n{screen}"
    );
    // The hex view: the row where "PASS " starts is shown.
    rig.app.update(Action::LessonNext);
    rig.settle().await;
    let screen = wire_rows(&mut rig.app, w, h);
    assert!(screen.contains("50 41 53 53"), "hex view\n{screen}");
    // The text view: the PASS line.
    rig.app.update(Action::LessonNext);
    rig.settle().await;
    let screen = wire_rows(&mut rig.app, w, h);
    assert!(screen.contains("PASS "), "text view\n{screen}");
}

/// Reopened in the middle of chapter 11's paused handshake: the steps up
/// to the saved one are carried out again on the fresh lab, the wire is
/// held and stepped as they say, and the step's checks hold as they did.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_reopened_mid_handshake_is_carried_out_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.toml");
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), Lang::En, Progress::default(), Some(11));
    // Step 4 (index 3): the ServerHello has crossed, the wire is held.
    for _ in 0..4 {
        app.update(Action::LessonNext);
    }
    assert_eq!(app.lesson.place, Place::Step(3));
    app.lesson.progress.save(&path).unwrap();

    let mut again = App::new(Scenario::named("plain").unwrap());
    again.set_lessons(builtin(), Lang::En, Progress::load(&path), None);
    assert_eq!(
        (again.lesson.chapter, again.lesson.place),
        (Some(11), Place::Step(3))
    );
    let mut rig = Rig::new(again);
    rig.settle().await;
    let results = rig.app.lesson.step_results(3).expect("live results");
    assert!(results.iter().all(|ok| *ok), "{results:?}");
    // And the chapter goes on from there: the next step looks at the
    // compatibility ChangeCipherSpec that already crossed, the one after
    // lets the client's answer through (and with it the server's
    // encrypted messages open), and their own checks hold.
    for s in [4, 5] {
        rig.app.update(Action::LessonNext);
        rig.settle().await;
        let results = rig.app.lesson.step_results(s).expect("live results");
        assert!(results.iter().all(|ok| *ok), "step {}: {results:?}", s + 1);
    }
}

/// A learner who presses `]` faster than the lab answers leaves each step
/// before its events arrive. The steps are still met, their crosses turn
/// to ticks when the lab catches up, and the chapter is done once the
/// quiz is answered; before, the first step (a fresh lab, whose greeting
/// comes a moment later) stayed ✗ for good and the chapter never got its ✓.
#[tokio::test(flavor = "multi_thread")]
async fn steps_left_before_the_lab_answered_are_met_when_it_does() {
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), Lang::En, Progress::default(), Some(5));
    let lesson = app.lesson.current().cloned().expect("chapter 5");
    let mut rig = Rig::new(app);
    rig.settle().await;
    // Every step at once: no lab message is read in between.
    for _ in 0..lesson.steps.len() {
        rig.app.update(Action::LessonNext);
    }
    assert_eq!(rig.app.lesson.place, Place::Step(lesson.steps.len() - 1));
    let first = rig.app.lesson.step_results(0).expect("left with results");
    assert!(
        first.iter().any(|ok| !ok),
        "the greeting cannot have arrived yet: {first:?}"
    );
    rig.settle().await;
    let met = &rig.app.lesson.progress.lesson(&lesson.id).unwrap().met;
    let all: Vec<usize> = (0..lesson.steps.len()).collect();
    assert_eq!(met, &all, "every step met once the lab answered");
    for s in 0..lesson.steps.len() {
        let r = rig.app.lesson.step_results(s).unwrap();
        assert!(r.iter().all(|ok| *ok), "step {} shows {r:?}", s + 1);
    }
    for q in 0..lesson.quiz.len() {
        rig.app.update(Action::LessonNext);
        rig.app.update(Action::QuizAnswer(lesson.quiz[q].answer));
    }
    assert!(
        rig.app
            .lesson
            .progress
            .lesson(&lesson.id)
            .is_some_and(|p| p.done)
    );
    assert!(list_row(&mut rig.app, 5).contains('✓'));
}

/// Going back with `[` carries nothing out again, so a step gone back to
/// is shown with the results it had, not judged by the lab a later step
/// started: before, chapter 13's step 2 (STLS stripped, the attack
/// blocked) showed ✗ against step 3's forged-certificate lab, and leaving
/// it again wrote those crosses over its ticks.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_gone_back_to_keeps_its_ticks() {
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), Lang::En, Progress::default(), Some(13));
    let mut rig = Rig::new(app);
    rig.settle().await;
    for s in 0..3 {
        rig.app.update(Action::LessonNext);
        rig.settle().await;
        let r = rig.app.lesson.step_results(s).unwrap();
        assert!(r.iter().all(|ok| *ok), "step {} shows {r:?}", s + 1);
    }
    rig.app.update(Action::LessonPrev);
    rig.settle().await;
    assert_eq!(rig.app.lesson.place, Place::Step(1));
    let shown = rig.app.lesson.step_results(1).unwrap();
    assert!(shown.iter().all(|ok| *ok), "step 2 shows {shown:?}");
    rig.app.update(Action::LessonPrev);
    rig.app.update(Action::LessonPrev);
    assert_eq!(rig.app.lesson.place, Place::Intro);
    for s in 0..3 {
        let r = rig.app.lesson.step_results(s).unwrap();
        assert!(r.iter().all(|ok| *ok), "step {} kept {r:?}", s + 1);
    }
    // Going forward again carries the step out again, on a fresh lab.
    rig.app.update(Action::LessonNext);
    assert!(rig.app.lesson.carried_out);
    rig.settle().await;
    let r = rig.app.lesson.step_results(0).unwrap();
    assert!(r.iter().all(|ok| *ok), "step 1 again shows {r:?}");
}

/// Reopened at a step, the steps before it are carried out again on the
/// fresh lab, all before its first event; they show what the saved
/// progress says (ticks for a step met, no marks for one that was not),
/// not the crosses of a lab that had not started yet.
#[test]
fn the_steps_before_a_reopened_step_show_what_was_saved() {
    let mut saved = Progress::default();
    saved.reach("danger", 2);
    saved.meet("danger", 0);
    saved.resume = Some(popscope::lesson::progress::Resume {
        id: "danger".into(),
        lang: "en".into(),
        step: Some(2),
        quiz: None,
    });
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), Lang::En, saved, None);
    assert_eq!(app.lesson.place, Place::Step(2));
    let first = app.lesson.step_results(0).expect("met, so shown");
    assert!(first.iter().all(|ok| *ok), "{first:?}");
    assert_eq!(app.lesson.step_results(1), None, "not met: no marks");
    assert!(app.lesson.late.is_empty());

    // Reopened at the quiz, every step shows what was saved, for a learner
    // who goes back with `[` (which carries nothing out).
    let mut saved = app.lesson.progress.clone();
    saved.resume = Some(popscope::lesson::progress::Resume {
        id: "danger".into(),
        lang: "en".into(),
        step: None,
        quiz: Some(0),
    });
    let mut app = App::new(Scenario::named("plain").unwrap());
    app.set_lessons(builtin(), Lang::En, saved, None);
    app.update(Action::LessonPrev);
    let last = app.lesson.current().unwrap().steps.len() - 1;
    assert_eq!(app.lesson.place, Place::Step(last));
    assert_eq!(app.lesson.step_results(last), None, "not met: no marks");
    let first = app.lesson.step_results(0).expect("met, so shown");
    assert!(first.iter().all(|ok| *ok), "{first:?}");
}
