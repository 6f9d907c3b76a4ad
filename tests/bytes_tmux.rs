//! The TLS pane's byte view in a real terminal (tmux): on a TLS 1.2 lab,
//! choose the server's Certificate with the arrows, open its bytes with
//! Enter, see that the eavesdropper reads it in clear, and close it with
//! Esc: the pane keeps the step chosen. Needs tmux.

#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

#[test]
fn the_certificate_of_a_tls12_handshake_opens_byte_by_byte() {
    let state = tempfile::tempdir().unwrap();
    let script = format!(
        "LANG=C.UTF-8 XDG_STATE_HOME={state} POPSCOPE_DATA_DIR={state} HOME={state} {bin} --scenario pop3s --tls-version 1.2; echo EXIT=$?; sleep 60",
        state = state.path().display(),
        bin = env!("CARGO_BIN_EXE_popscope"),
    );
    let tmux = Tmux::start("-bytes", &["sh", "-c", &script]);
    tmux.wait_for("the handshake", |s| s.contains("TLS up"));
    // ClientHello, ServerHello, Certificate: the third step.
    tmux.keys(&["Escape", "4", "Down", "Down", "Down"]);
    tmux.wait_for("the choice", |s| s.contains("▶ ← server Certificate"));
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the byte view", |s| s.contains("bytes: Certificate"));
    assert!(s.contains("What the eavesdropper reads"), "{s}");
    assert!(
        s.contains("crossed in clear"),
        "TLS 1.2 sends it in clear:\n{s}"
    );
    assert!(s.contains("certificate chain"), "{s}");
    // Down walks the fields; the explanation follows.
    tmux.keys(&["Down", "Down"]);
    tmux.wait_for("a field", |s| {
        s.contains("message length: 3 bytes from byte 1")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("the pane again", |s| {
        s.contains("▶ ← server Certificate") && !s.contains("bytes: Certificate")
    });
    tmux.keys(&["C-c"]);
    let s = tmux.wait_for("the exit", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=0"), "{s}");
}
