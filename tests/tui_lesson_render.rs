//! The lesson pane's rendering as plain text: a Markdown sample with a
//! table and a code block, and every diagram at its last stage in both
//! languages. The styles are tested beside the code; these snapshots show
//! the layout a reader sees.

use popscope::lesson::{Diagram, Lang};
use popscope::tui::theme::{Theme, ThemeName};
use popscope::tui::{diagram, markdown};
use ratatui::text::Line;
use unicode_width::UnicodeWidthStr;

fn plain(lines: &[Line<'_>]) -> String {
    let mut out = String::new();
    for line in lines {
        for span in &line.spans {
            out.push_str(&span.content);
        }
        out.push('\n');
    }
    out
}

fn theme() -> Theme {
    Theme::new(ThemeName::Dark, false)
}

const SAMPLE: &str = r#"# Where the password goes

POP3 sends **USER** and *PASS* as plain text, so an eavesdropper on the
wire reads them as easily as the server does. See
[RFC 1939](https://www.rfc-editor.org/rfc/rfc1939) for the commands.

| port | protocol | protection |
|---:|---|---|
| 110 | POP3 | none: everything in clear |
| 995 | POP3S | TLS from the first byte |
| 143 | IMAP | none |

```sh
# log in over POP3S and list the mailbox
curl -v --user "alice:wonderland" pops://127.0.0.1:1995/
```

1. Start the lab with `popscope`.
2. Watch the eavesdropper pane:
   - cleartext shows the password;
   - TLS shows only records.

> メールを確かめるたびに、パスワードがネットワークを通ります。平文のままでは、途中で誰でも読めてしまいます。
"#;

#[test]
fn markdown_sample_at_50_columns() {
    let lines = markdown::render(SAMPLE, 50, &theme());
    let text = plain(&lines);
    for line in text.lines() {
        assert!(line.width() <= 50, "{line:?}");
    }
    insta::assert_snapshot!("markdown_sample_50", text);
}

#[test]
fn diagrams_at_their_last_stage() {
    let all = [
        (Diagram::MailPath, "mail_path"),
        (Diagram::Protocols, "protocols"),
        (Diagram::LastLeg, "last_leg"),
        (Diagram::PopVsImap, "pop_vs_imap"),
    ];
    for (d, name) in all {
        for lang in Lang::ALL {
            let lines = diagram::draw(d, d.stages(), lang, &theme(), diagram::WIDTH as u16);
            let text = plain(&lines);
            for line in text.lines() {
                assert!(line.width() <= diagram::WIDTH, "{line:?}");
            }
            insta::assert_snapshot!(format!("diagram_{name}_{}", lang.code()), text);
        }
    }
}

/// The front matter and the body of a lesson file.
fn split(file: &str) -> Option<(&str, &str)> {
    let rest = file.strip_prefix("+++\n")?;
    let end = rest.find("\n+++\n")?;
    Some((&rest[..end], &rest[end + 5..]))
}

#[test]
fn every_built_in_lesson_fits_its_width() {
    // The lessons are being written while this renderer is; whatever they
    // hold, bodies and step texts must come out within the pane's width.
    let t = theme();
    let mut seen = 0;
    for lang in ["ja", "en"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("lessons")
            .join(lang);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let file = std::fs::read_to_string(&path).unwrap();
            let Some((front, body)) = split(&file) else {
                continue;
            };
            let mut texts = vec![body.to_string()];
            if let Ok(toml::Value::Table(front)) = front.parse::<toml::Value>()
                && let Some(toml::Value::Array(steps)) = front.get("steps")
            {
                for step in steps {
                    if let Some(text) = step.get("text").and_then(|t| t.as_str()) {
                        texts.push(text.to_string());
                    }
                }
            }
            for text in &texts {
                for width in [20u16, 38, 50, 80] {
                    for line in markdown::render(text, width, &t) {
                        let s: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                        assert!(
                            s.width() <= usize::from(width),
                            "{}: {width}: {s:?}",
                            path.display()
                        );
                    }
                }
            }
            seen += 1;
        }
    }
    assert!(seen >= 24, "only {seen} lesson files");
}
