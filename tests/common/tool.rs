//! Whether an outside program a test drives (tshark, neomutt) can run.
//! On a developer's machine a missing one skips the test with a message;
//! under CI, where `.ci/run` installs it, it fails the test instead.
//! Included with `#[path]`.

/// True if `program VERSION_ARG` runs; `package` is what to install.
pub fn available(program: &str, version_arg: &str, package: &str) -> bool {
    let ok = std::process::Command::new(program)
        .arg(version_arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is missing and CI is set: .ci/run should have installed it"
        );
        eprintln!("SKIPPED: {program} is not installed (apt-get install {package})");
    }
    ok
}
