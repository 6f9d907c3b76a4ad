//! How long the lab screen takes to draw one full frame.
//!
//! The setup runs a real [`Lab`] once per scenario, the way
//! `tests/tui_app.rs` does: the plain scenario logs in and sends STAT,
//! LIST, RETR 1 and RETR 2, and a POP3S lab does the same over TLS. Their
//! events are fed into an [`App`] headless, so every pane (client, server,
//! wire, TLS) holds what it would hold after a short real session.
//!
//! Each benchmark then draws the whole [`Screen`] into a 200×60
//! [`TestBackend`] with `terminal.draw`, exactly as `src/tui/run.rs` does.
//! The goal from the issue is under 1 ms a frame.
//!
//! Two kinds of frame are measured:
//!
//! - `draw`: the frame the run loop draws after a change. Ratatui compares
//!   the new buffer with the previous one and hands the backend only the
//!   cells that differ; here nothing differs, so this is the cost of
//!   building the lines, laying out and rendering the widgets, and diffing.
//! - `repaint`: the same after `terminal.clear()`, so that every cell of the
//!   screen goes to the backend, as on the first frame or after a resize.
//!
//! `draw/plain/hex-full` is the hex view after a large transfer, holding all
//! the bytes the eavesdropper keeps (1 MiB); a frame must cost the same as
//! with a few hundred bytes, because only the rows in view are formatted.
//! The `tui_pane_100x30` group draws each pane alone in a quarter of the
//! screen, to show where a frame's time goes.
//!
//! ```text
//! cargo bench --bench tui -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use popscope::lab::{Event, Lab, LabOptions, Scenario};
use popscope::tui::app::{Action, App, Focus, HexBlock, MAX_HEX_BYTES, WireView};
use popscope::tui::panes::Screen;
use popscope::tui::panes::client::ClientPane;
use popscope::tui::panes::server::ServerPane;
use popscope::tui::panes::tls::TlsPane;
use popscope::tui::panes::wire::WirePane;
use popscope::tui::theme::{Theme, ThemeName};
use popscope::wire::Direction;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// The terminal size the issue names.
const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;

/// Run one real session on a lab of this scenario and return what every
/// part of it reported, oldest first.
async fn lab_events(name: &str) -> Vec<Event> {
    let scenario = Scenario::named(name).expect("a known scenario");
    let (mut lab, mut rx) = Lab::start(scenario, LabOptions::default())
        .await
        .expect("the lab starts");
    lab.connect().await.expect("the client connects");
    lab.login().await.expect("alice logs in");
    for c in ["STAT", "LIST", "RETR 1", "RETR 2"] {
        lab.command(c).await.expect("the command is answered");
    }
    // The tap and the server report on their own tasks; give them time to
    // catch up so the screen holds the whole session.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    lab.shutdown().await;
    // Events come from several tasks; the app expects them in time order.
    events.sort_by_key(|e| e.at);
    events
}

/// An app that has seen the session of this scenario, sized like the
/// benchmark's terminal.
fn populated(rt: &tokio::runtime::Runtime, name: &str) -> App {
    let mut app = App::new(Scenario::named(name).expect("a known scenario"));
    for e in rt.block_on(lab_events(name)) {
        app.update(Action::Lab(0, Box::new(e)));
    }
    app.update(Action::Resize(WIDTH, HEIGHT));
    app
}

fn frames(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let theme = Theme::new(ThemeName::Dark, false);
    let mut group = c.benchmark_group("tui_frame_200x60");
    for name in ["plain", "pop3s"] {
        let mut app = populated(&rt, name);
        // The wire pane has three views of different cost; the frame is
        // measured with the wire pane focused in each of them, so the
        // most expensive one is visible too.
        app.update(Action::FocusPane(Focus::Wire));
        for view in 0..3 {
            let label = format!("{name}/{}", app.wire_view.name());
            let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
            group.bench_function(format!("draw/{label}"), |b| {
                b.iter(|| {
                    draw(&mut terminal, &app, &theme);
                })
            });
            group.bench_function(format!("repaint/{label}"), |b| {
                b.iter(|| {
                    terminal.clear().expect("clear");
                    draw(&mut terminal, &app, &theme);
                })
            });
            if view < 2 {
                app.update(Action::CycleWireView);
            }
        }
    }
    // The eavesdropper after a large transfer: the hex view holds all the
    // bytes it keeps (1 MiB, some 65,000 rows), of which a frame shows a
    // screenful.
    let mut app = populated(&rt, "plain");
    app.update(Action::FocusPane(Focus::Wire));
    while app.wire_view != WireView::Hex {
        app.update(Action::CycleWireView);
    }
    app.wire.hex.push(HexBlock {
        conn: 9,
        dir: Direction::ServerToClient,
        offset: 0,
        bytes: (0..=255u8).cycle().take(MAX_HEX_BYTES).collect(),
    });
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    group.bench_function("draw/plain/hex-full", |b| {
        b.iter(|| draw(&mut terminal, &app, &theme))
    });
    // The screen as it opens by default: the built-in lesson on the left
    // (chapter 5, its reading and three steps in, code blocks and all)
    // beside the four panes of a lab that has run.
    let mut app = populated(&rt, "plain");
    app.set_lessons(
        popscope::lesson::set::builtin(),
        popscope::lesson::Lang::Ja,
        Default::default(),
        Some(5),
    );
    for _ in 0..3 {
        app.update(Action::LessonNext);
    }
    app.take_effects();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    group.bench_function("draw/plain/lesson", |b| {
        b.iter(|| draw(&mut terminal, &app, &theme))
    });
    group.finish();

    // Each pane on its own, in a quarter of the screen, to show where a
    // frame's time goes.
    let mut group = c.benchmark_group("tui_pane_100x30");
    let mut app = populated(&rt, "plain");
    let area = Rect::new(0, 0, WIDTH / 2, HEIGHT / 2);
    let mut buf = Buffer::empty(area);
    let t = &theme;
    group.bench_function("client", |b| {
        b.iter(|| {
            pane(
                &mut buf,
                &ClientPane {
                    app: &app,
                    theme: t,
                    focused: false,
                },
            )
        })
    });
    group.bench_function("server", |b| {
        b.iter(|| {
            pane(
                &mut buf,
                &ServerPane {
                    app: &app,
                    theme: t,
                    focused: false,
                },
            )
        })
    });
    group.bench_function("tls", |b| {
        b.iter(|| {
            pane(
                &mut buf,
                &TlsPane {
                    app: &app,
                    theme: t,
                    focused: false,
                },
            )
        })
    });
    for view in 0..3 {
        let label = format!("wire/{}", app.wire_view.name());
        group.bench_function(label, |b| {
            b.iter(|| {
                pane(
                    &mut buf,
                    &WirePane {
                        app: &app,
                        theme: t,
                        focused: true,
                    },
                )
            })
        });
        if view < 2 {
            app.update(Action::CycleWireView);
        }
    }
    group.finish();
}

/// One pane, drawn into a cleared buffer.
fn pane<W>(buf: &mut Buffer, widget: &W)
where
    for<'w> &'w W: Widget,
{
    buf.reset();
    widget.render(buf.area, buf);
    black_box(&*buf);
}

criterion_group!(benches, frames);
criterion_main!(benches);

/// One frame, drawn the way the run loop draws it.
fn draw(terminal: &mut Terminal<TestBackend>, app: &App, theme: &Theme) {
    terminal
        .draw(|f| f.render_widget(&Screen { app, theme }, f.area()))
        .expect("draw");
    black_box(terminal.backend());
}
