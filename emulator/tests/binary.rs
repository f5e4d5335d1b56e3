//! The `ocisdk-emulator` binary and the files the emulator writes: config errors that name the
//! file, line and key but never a secret; the private directory the binary makes without
//! `--config` (0700, random name, removed at exit) and its 0600 files; `write_config` never
//! following a symlink planted where it writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ocisdk-emulator");

/// A pass phrase, and base64 that stands for key material, planted in the broken configs.
const SECRET: &str = "hunter2-S3CR3T-pass";
const KEY_BASE64: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDS3CR3TKEY";

/// Runs the binary with `args` and waits (at most 60 s) for it to exit.
fn run_to_exit(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the emulator did not exit: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Every way the `--config` file or the files it names can be broken: the binary exits with an
/// error on stderr naming the config file, the line and the key, and repeats neither the pass
/// phrase nor any key material.
#[test]
fn config_errors_name_file_line_and_key_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let shown = config.display().to_string();
    let broken_key = dir.path().join("broken.pem");
    std::fs::write(
        &broken_key,
        format!("-----BEGIN PRIVATE KEY-----\n{KEY_BASE64}\n{SECRET}\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let no_end_key = dir.path().join("no-end.pem");
    std::fs::write(
        &no_end_key,
        format!("-----BEGIN RSA PRIVATE KEY\n{KEY_BASE64}\n"),
    )
    .unwrap();
    let good = |extra: &str| {
        format!(
            "[DEFAULT]\nuser=ocid1.user.oc1..u\nfingerprint=00:11\ntenancy=ocid1.tenancy.oc1..t\npass_phrase={SECRET}\n{extra}"
        )
    };

    // (config text, what the error must contain besides the file's path)
    let cases: Vec<(String, Vec<String>)> = vec![
        // A pass phrase continued on the next line.
        (
            good(&format!("{SECRET}-continued\n")),
            vec![format!("{shown}:6: expected key=value")],
        ),
        // A section header holding the secret.
        (
            format!("[DEFAULT {SECRET}\npass_phrase={SECRET}\n"),
            vec![format!("{shown}:1: malformed section header")],
        ),
        // A known key before any section: named.
        (
            format!("pass_phrase={SECRET}\n[DEFAULT]\n"),
            vec![format!(
                "{shown}:1: key pass_phrase appears before any [section]"
            )],
        ),
        // A pasted key (base64 ends in `=`) before any section: the "key" is not repeated.
        (
            format!("{KEY_BASE64}==\n[DEFAULT]\n"),
            vec![format!(
                "{shown}:1: a key that is not an OCI config key appears before any [section]"
            )],
        ),
        // A required key missing.
        (
            format!("[DEFAULT]\nuser=u\ntenancy=t\npass_phrase={SECRET}\nkey_file=k.pem\n"),
            vec![format!("{shown}: profile [DEFAULT] has no fingerprint")],
        ),
        // A key file that is not there.
        (
            good("key_file=/nonexistent/ocisdk-emulator-test.pem\n"),
            vec![format!(
                "{shown}:6: key_file: cannot read /nonexistent/ocisdk-emulator-test.pem"
            )],
        ),
        // A key file whose PEM body is broken, and one whose BEGIN line is cut short.
        (
            good(&format!("key_file={}\n", broken_key.display())),
            vec![format!("{shown}:6: key_file: {}", broken_key.display())],
        ),
        (
            good(&format!("key_file={}\n", no_end_key.display())),
            vec![format!("{shown}:6: key_file: {}", no_end_key.display())],
        ),
        // A session token file that is not there.
        (
            good("key_file=k.pem\nsecurity_token_file=/nonexistent/token\n"),
            vec![format!(
                "{shown}:7: security_token_file: cannot read /nonexistent/token"
            )],
        ),
    ];
    for (text, wanted) in cases {
        std::fs::write(&config, &text).unwrap();
        let out = run_to_exit(&["--listen", "127.0.0.1:0", "--config", &shown]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{text}\n{stdout}\n{stderr}");
        for w in &wanted {
            assert!(
                stderr.contains(w.as_str()),
                "{text}\nwanted {w}\ngot {stderr}"
            );
        }
        for secret in [SECRET, "S3CR3T", &KEY_BASE64[..16], &KEY_BASE64[30..]] {
            assert!(
                !stderr.contains(secret) && !stdout.contains(secret),
                "{text}\nrepeats {secret}:\n{stdout}\n{stderr}"
            );
        }
    }
}

/// A running binary, killed (by its id) if a test ends early.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts the binary with `args` and `TMPDIR=tmp`; returns it and its stdout lines up to
/// "press Ctrl-C to stop".
fn start(args: &[&str], tmp: &Path) -> (Running, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line == "press Ctrl-C to stop";
        lines.push(line);
        if done {
            break;
        }
    }
    assert_eq!(
        lines.last().map(String::as_str),
        Some("press Ctrl-C to stop"),
        "{lines:?}"
    );
    (running, lines)
}

fn line_value<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {lines:?}"))
        .trim()
}

/// Without `--config` or `--state-dir` the binary writes its config and key into a new
/// directory of random name under the temp dir, mode 0700, files 0600; the config works; SIGTERM
/// removes it all.
#[cfg(unix)]
#[test]
fn default_state_dir_is_new_private_and_removed_at_exit() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let tmp_path = std::fs::canonicalize(tmp.path()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    let (mut running, lines) = start(&["--listen", "127.0.0.1:0"], &tmp_path);
    let (running2, lines2) = start(&["--listen", "127.0.0.1:0"], &tmp_path);
    let config = PathBuf::from(
        line_value(&lines, "config file:")
            .trim_end_matches("(profile DEFAULT)")
            .trim(),
    );
    let dir = config.parent().unwrap().to_path_buf();
    assert_eq!(
        std::fs::canonicalize(dir.parent().unwrap()).unwrap(),
        tmp_path
    );
    let name = dir.file_name().unwrap().to_str().unwrap();
    let random = name.strip_prefix("ocisdk-emulator-").unwrap();
    assert!(
        random.len() == 32 && random.chars().all(|c| c.is_ascii_hexdigit()),
        "{name}"
    );
    // Two emulators: two directories.
    assert_ne!(
        line_value(&lines2, "config file:"),
        line_value(&lines, "config file:")
    );
    drop(running2);

    assert_eq!(mode(&dir), 0o700);
    let key = dir.join("key.pem");
    assert_eq!(line_value(&lines, "key file:"), key.display().to_string());
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&config), 0o600);
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains(&format!("key_file={}", key.display())),
        "{text}"
    );

    // SIGTERM (sent by `kill`, to this child's id only) stops it and removes the directory.
    let status = Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = running.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(!dir.exists(), "{} still exists", dir.display());
}

/// `--state-dir` (and [`Emulator::write_config`]): a missing directory is created 0700; files
/// already there are replaced by new 0600 files, and a symlink planted as `key.pem` or `config`
/// is replaced, never followed: the file it points to is untouched.
#[cfg(unix)]
#[test]
fn write_config_never_follows_a_planted_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let emu = common::emulator();

    // Created, 0700.
    let fresh = tmp.path().join("a/b");
    let config = emu.write_config(&fresh).unwrap();
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&config), 0o600);
    assert_eq!(mode(&fresh.join("key.pem")), 0o600);

    // Planted symlinks.
    let dir = tmp.path().join("state");
    std::fs::create_dir(&dir).unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("key.pem")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("config")).unwrap();
    let config = emu.write_config(&dir).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(mode(&victim), 0o644);
    for f in [dir.join("key.pem"), config.clone()] {
        let meta = std::fs::symlink_metadata(&f).unwrap();
        assert!(meta.file_type().is_file(), "{}", f.display());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("key.pem")).unwrap(),
        emu.private_key_pem()
    );

    // An earlier, readable key.pem is replaced by a 0600 one; nothing else is left behind.
    std::fs::set_permissions(dir.join("key.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
    emu.write_config(&dir).unwrap();
    assert_eq!(mode(&dir.join("key.pem")), 0o600);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["config", "key.pem"]);

    // The binary with --state-dir: the same files, and a client of them is accepted.
    let (running, lines) = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
            &dir.display().to_string(),
        ],
        tmp.path(),
    );
    let written = PathBuf::from(
        line_value(&lines, "config file:")
            .trim_end_matches("(profile DEFAULT)")
            .trim(),
    );
    assert_eq!(written, std::fs::canonicalize(&dir).unwrap().join("config"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    drop(running);
    // --state-dir is the user's: left in place.
    assert!(dir.join("key.pem").exists());
}
