//! Unit tests of the POP3 dissector on its own: line splitting, reply
//! classification, SASL decoding, the STLS switch point and the limits.

use proptest::prelude::*;

use super::*;
use crate::wire::Direction::{ClientToServer as C, ServerToClient as S};

/// Every piece a splitter produces, as (line or None for too long, offset).
fn pieces(chunks: &[&[u8]]) -> Vec<(Option<Vec<u8>>, u64)> {
    let mut lines = Lines::default();
    let mut out = Vec::new();
    for chunk in chunks {
        let used = lines.split(chunk, |p| {
            out.push(match p {
                Piece::Line(l, o) => (Some(l.to_vec()), o),
                Piece::TooLong(o) => (None, o),
            });
            Flow::Continue
        });
        assert_eq!(used, chunk.len());
    }
    out
}

#[test]
fn lines_keep_their_line_ends_and_offsets() {
    let got = pieces(&[b"+OK hi\r\nab", b"c\nd", b"\r\n"]);
    assert_eq!(
        got,
        [
            (Some(b"+OK hi\r\n".to_vec()), 0),
            (Some(b"abc\n".to_vec()), 8),
            (Some(b"d\r\n".to_vec()), 12)
        ]
    );
}

#[test]
fn the_line_limit_is_exact_and_chunking_does_not_move_it() {
    let ok = [vec![b'a'; MAX_LINE - 1], b"\n".to_vec()].concat();
    let long = [vec![b'a'; MAX_LINE], b"\n".to_vec()].concat();
    let input = [ok.clone(), long, b"next\n".to_vec()].concat();
    let whole = pieces(&[&input]);
    assert_eq!(whole.len(), 3);
    assert_eq!(whole[0], (Some(ok.clone()), 0));
    assert_eq!(whole[1], (None, MAX_LINE as u64));
    assert_eq!(
        whole[2],
        (Some(b"next\n".to_vec()), 2 * MAX_LINE as u64 + 1)
    );
    let small: Vec<&[u8]> = input.chunks(1000).collect();
    assert_eq!(pieces(&small), whole);
}

#[test]
fn status_lines() {
    assert_eq!(status(b"+OK"), Status::Ok);
    assert_eq!(status(b"+ok 2 messages"), Status::Ok);
    assert_eq!(status(b"-ERR no"), Status::Err);
    assert_eq!(status(b"+ "), Status::Continuation);
    assert_eq!(status(b"+"), Status::Continuation);
    assert_eq!(status(b"+ VXNlcm5hbWU6"), Status::Continuation);
    assert_eq!(status(b"* OK IMAP"), Status::Unknown);
    assert_eq!(status(b""), Status::Unknown);
    assert_eq!(after_status(b"+OK ready <1@x>"), b"ready <1@x>");
    assert_eq!(after_status(b"+OK"), b"");
}

#[test]
fn greeting_timestamps() {
    assert_eq!(
        find_timestamp("POP3 ready <1896.697170952@dbc.mtview.ca.us>"),
        Some("<1896.697170952@dbc.mtview.ca.us>".into())
    );
    assert_eq!(find_timestamp("ready"), None);
    assert_eq!(find_timestamp("ready <unclosed"), None);
}

fn run(d: &mut Pop3Dissector, chunks: &[(Direction, &[u8])]) -> Vec<Item> {
    let mut out = Vec::new();
    for (dir, bytes) in chunks {
        match dir {
            C => d.feed_client(bytes, &mut out),
            S => assert!(d.feed_server(bytes, &mut out).is_none()),
        }
    }
    out
}

fn leaks(items: &[Item]) -> Vec<Leak> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Leak(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn stls_switch_points_are_exact() {
    let mut d = Pop3Dissector::new();
    let mut out = run(
        &mut d,
        &[(S, b"+OK ready\r\n"), (C, b"STLS\r\n\x16\x03\x01\x00")],
    );
    // The client's TLS bytes are held, not read as a command.
    assert_eq!(
        out.iter()
            .filter(|i| matches!(i, Item::Pop3Command { .. }))
            .count(),
        1
    );
    let switch = d
        .feed_server(b"+OK begin TLS\r\n\x16\x03\x03", &mut out)
        .expect("switch");
    assert_eq!(
        switch,
        StlsSwitch {
            client_offset: 6,
            client_bytes: b"\x16\x03\x01\x00".to_vec(),
            client_lost: false,
            server_offset: 11 + 15,
            server_consumed: 15,
        }
    );
    assert_eq!(d.cleartext_bytes(), 6 + 26);
}

#[test]
fn sasl_plain_without_padding_and_empty_and_cancelled() {
    let mut d = Pop3Dissector::new();
    let out = run(
        &mut d,
        &[
            (S, b"+OK ready\r\n"),
            (C, b"AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ\r\n"),
            (S, b"-ERR [AUTH] invalid user name or password\r\n"),
            (C, b"AUTH PLAIN =\r\n"),
            (S, b"-ERR bad\r\n"),
            (C, b"AUTH PLAIN\r\n"),
            (S, b"+ \r\n"),
            (C, b"*\r\n"),
            (S, b"-ERR authentication cancelled\r\n"),
            (C, b"AUTH PLAIN !!!\r\n"),
            (S, b"-ERR bad\r\n"),
        ],
    );
    assert_eq!(
        leaks(&out)[1..],
        [Leak::AuthPlain {
            authzid: String::new(),
            authcid: "alice".into(),
            password: "wonderland".into()
        }]
    );
    // Checked in the English words the learner reads.
    let reasons: Vec<String> = out
        .iter()
        .filter_map(|i| match i {
            Item::Undecodable { reason, .. } => Some(crate::lab::describe::undecodable(
                reason,
                crate::lang::Lang::En,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "the AUTH PLAIN response is not authzid NUL authcid NUL password",
            "the SASL response is not base64"
        ]
    );
}

#[test]
fn auth_login_with_initial_response() {
    let mut d = Pop3Dissector::new();
    let out = run(
        &mut d,
        &[
            (S, b"+OK ready\r\n"),
            (C, b"AUTH LOGIN Ym9i\r\n"),
            (S, b"+ UGFzc3dvcmQ6\r\n"),
            (C, b"YnVpbGRlcg==\r\n"),
            (S, b"+OK welcome\r\n"),
        ],
    );
    assert_eq!(
        leaks(&out)[1..],
        [
            Leak::User { name: "bob".into() },
            Leak::AuthLogin {
                user: "bob".into(),
                password: "builder".into()
            }
        ]
    );
}

#[test]
fn pass_without_user_and_user_without_pass() {
    let mut d = Pop3Dissector::new();
    let out = run(
        &mut d,
        &[
            (S, b"+OK ready\r\n"),
            (C, b"PASS two words \r\nUSER carol\r\n"),
            (S, b"-ERR send USER first\r\n+OK\r\n"),
        ],
    );
    assert_eq!(
        leaks(&out)[1..],
        [
            Leak::Password {
                user: None,
                password: "two words ".into()
            },
            Leak::User {
                name: "carol".into()
            }
        ]
    );
}

#[test]
fn multi_line_replies_only_after_ok_and_only_when_expected() {
    let mut d = Pop3Dissector::new();
    let out = run(
        &mut d,
        &[
            (S, b"+OK ready\r\n"),
            (C, b"LIST 1\r\nLIST\r\nRETR 9\r\nUIDL\r\nTOP 1 0\r\n"),
            (
                S,
                b"+OK 1 120\r\n+OK\r\n1 120\r\n.\r\n-ERR no such message\r\n+OK\r\n1 abc\r\n.\n+OK\r\nSubject: hi\r\n\r\n.\r\n",
            ),
        ],
    );
    let replies: Vec<(bool, Option<usize>)> = out
        .iter()
        .filter_map(|i| match i {
            Item::Pop3Reply { ok, body_len, .. } => Some((*ok, *body_len)),
            _ => None,
        })
        .collect();
    // Greeting, LIST 1, LIST, RETR (refused), UIDL (ended by a bare ".\n"), TOP.
    assert_eq!(
        replies,
        [
            (true, None),
            (true, None),
            (true, Some(7)),
            (false, None),
            (true, Some(7)),
            (true, Some(15))
        ]
    );
    assert_eq!(
        leaks(&out).last(),
        Some(&Leak::MessageHeaders {
            from: None,
            to: None,
            subject: Some("hi".into())
        })
    );
}

#[test]
fn greeting_errors_and_garbage() {
    let mut d = Pop3Dissector::new();
    let out = run(&mut d, &[(S, b"* OK IMAP4rev1 ready\r\n+OK\r\nwhat\r\n")]);
    let kinds: Vec<&str> = out
        .iter()
        .map(|i| match i {
            Item::Undecodable { .. } => "undecodable",
            Item::Pop3Reply { .. } => "reply",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["undecodable", "reply", "undecodable"]);
    assert_eq!(d.timestamp(), None);
}

#[test]
fn unanswered_commands_are_bounded() {
    let mut d = Pop3Dissector::new();
    let many = "NOOP\r\n".repeat(MAX_PENDING + 5);
    let out = run(&mut d, &[(C, many.as_bytes())]);
    assert_eq!(
        out.iter()
            .filter(|i| matches!(i, Item::Undecodable { .. }))
            .count(),
        5
    );
    assert_eq!(d.state.pending.len(), MAX_PENDING);
}

proptest! {
    #[test]
    fn line_pieces_do_not_depend_on_chunking(
        bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'.'), any::<u8>()], 0..3000),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        let chunks: Vec<&[u8]> = points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
        prop_assert_eq!(pieces(&[&bytes]), pieces(&chunks));
    }
}
