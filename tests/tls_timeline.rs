//! The TLS pane's timeline on a real lab: two connections, two
//! handshakes, each under its own heading.

use std::time::Duration;

use popscope::lab::{Lab, LabOptions, Scenario};
use popscope::lesson::Lang;
use popscope::tui::app::{Action, App, Focus};
use popscope::tui::panes::line_texts;

#[tokio::test(flavor = "multi_thread")]
async fn each_connection_has_its_own_part_of_the_timeline() {
    let scenario = Scenario::named("pop3s").unwrap();
    let (mut lab, mut rx) = Lab::start(scenario.clone(), LabOptions::default())
        .await
        .unwrap();
    lab.connect().await.unwrap();
    lab.login().await.unwrap();
    lab.command("QUIT").await.unwrap();
    lab.connect().await.unwrap();
    lab.login().await.unwrap();
    // Let the tap report what it saw.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    lab.shutdown().await;
    events.sort_by_key(|e| e.at);

    let mut app = App::new(scenario);
    for e in events {
        app.update(Action::Lab(0, Box::new(e)));
    }
    let lines = line_texts(&app, Focus::Tls);
    let heads: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("── connection "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(heads.len(), 2, "{lines:#?}");
    assert_ne!(lines[heads[0]], lines[heads[1]], "{lines:#?}");
    // Each part holds a whole handshake: its ClientHello, and its last
    // step closes the part.
    for (k, &h) in heads.iter().enumerate() {
        let end = heads.get(k + 1).copied().unwrap_or(lines.len());
        let part = &lines[h + 1..end];
        assert!(
            part.iter().any(|l| l.contains("ClientHello")),
            "part {k}: {part:#?}"
        );
        let steps: Vec<&String> = part
            .iter()
            .filter(|l| l.starts_with('├') || l.starts_with('└'))
            .collect();
        assert!(
            steps.last().is_some_and(|l| l.starts_with('└')),
            "{part:#?}"
        );
    }
    // In Japanese the headings are in Japanese.
    app.lesson.lang = Lang::Ja;
    let ja = line_texts(&app, Focus::Tls);
    assert_eq!(
        ja.iter().filter(|l| l.starts_with("── 接続 ")).count(),
        2,
        "{ja:#?}"
    );
}
