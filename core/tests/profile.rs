//! From config file to signer: every bad input gets its own typed error naming where it is.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;

use ocisdk_core::auth::{KeyErrorKind, signer_from_profile};
use ocisdk_core::config::{ConfigErrorKind, load_config};
use ocisdk_core::error::Error;

const FP: &str = "24:95:79:4c:74:08:af:f9:05:3d:5f:a7:19:8e:39:97";
const USER: &str = "ocid1.user.oc1..aaaaaaaauser";
const TENANCY: &str = "ocid1.tenancy.oc1..aaaaaaaatenancy";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/keys")
            .join(name),
    )
    .unwrap()
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        Setup {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }

    fn signer(&self, config: &str, profile: &str) -> Result<ocisdk_core::auth::ProfileAuth, Error> {
        let path = self.file("config", config);
        let (_, profile) = load_config(Some(Path::new(&path)), Some(profile))?;
        signer_from_profile(&profile, [0; 32])
    }
}

fn profile_text(key_file: &str, extra: &str) -> String {
    format!(
        "[DEFAULT]\nuser={USER}\nfingerprint={FP}\nkey_file={key_file}\ntenancy={TENANCY}\nregion=us-phoenix-1\n{extra}"
    )
}

#[test]
fn a_good_profile_gives_an_api_key_signer() {
    let s = Setup::new();
    let key = s.file("key.pem", &fixture("pkcs1.pem"));
    let auth = s.signer(&profile_text(&key, ""), "DEFAULT").unwrap();
    assert_eq!(auth.tenancy, TENANCY);
    assert_eq!(auth.region.as_deref(), Some("us-phoenix-1"));
    let debug = format!("{:?}", auth.signer);
    assert!(debug.contains(&format!("{TENANCY}/{USER}/{FP}")), "{debug}");
}

#[test]
fn fingerprint_that_does_not_match_the_key_names_the_line() {
    let s = Setup::new();
    let key = s.file("key.pem", &fixture("pkcs1.pem"));
    let text =
        profile_text(&key, "").replace(FP, "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99");
    match s.signer(&text, "DEFAULT").unwrap_err() {
        Error::Config(e) => {
            assert_eq!(e.key(), Some("fingerprint"));
            assert_eq!(e.line(), Some(3));
            let msg = e.to_string();
            assert!(
                msg.contains(FP),
                "the key's real fingerprint is shown: {msg}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_fingerprint() {
    let s = Setup::new();
    let key = s.file("key.pem", &fixture("pkcs1.pem"));
    let text = profile_text(&key, "").replace(FP, "24-95-79");
    match s.signer(&text, "DEFAULT").unwrap_err() {
        Error::Config(e) => {
            assert_eq!(e.key(), Some("fingerprint"));
            assert_eq!(e.line(), Some(3));
            assert!(matches!(e.kind(), ConfigErrorKind::InvalidValue { .. }));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_key_and_missing_profile() {
    let s = Setup::new();
    let text = format!("[DEFAULT]\nuser={USER}\nfingerprint={FP}\ntenancy={TENANCY}\n");
    match s.signer(&text, "DEFAULT").unwrap_err() {
        Error::Config(e) => {
            assert_eq!(e.key(), Some("key_file"));
            assert_eq!(e.profile(), Some("DEFAULT"));
            assert!(matches!(e.kind(), ConfigErrorKind::MissingKey));
        }
        other => panic!("{other:?}"),
    }
    match s.signer(&text, "ADMIN").unwrap_err() {
        Error::Config(e) => match e.kind() {
            ConfigErrorKind::MissingProfile { available } => {
                assert_eq!(available, &vec!["DEFAULT".to_string()]);
                assert!(e.to_string().contains("ADMIN"));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_line_names_file_and_line() {
    let s = Setup::new();
    let text = "[DEFAULT]\nuser=x\nthis line has no equals sign\n";
    match s.signer(text, "DEFAULT").unwrap_err() {
        Error::Config(e) => {
            assert_eq!(e.line(), Some(3));
            assert!(e.file().unwrap().ends_with("config"));
            assert!(matches!(e.kind(), ConfigErrorKind::MalformedLine { .. }));
        }
        other => panic!("{other:?}"),
    }
}

fn key_error(s: &Setup, key_text: Option<&str>, extra: &str) -> (String, KeyErrorKind) {
    let key = match key_text {
        Some(t) => s.file("key.pem", t),
        None => s
            .dir
            .path()
            .join("absent.pem")
            .to_string_lossy()
            .into_owned(),
    };
    match s.signer(&profile_text(&key, extra), "DEFAULT").unwrap_err() {
        Error::Key(e) => {
            assert_eq!(e.source_name(), key, "the error names the key file");
            (e.to_string(), e.kind().clone())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn key_problems_are_diagnosed() {
    let s = Setup::new();
    let (_, kind) = key_error(&s, None, "");
    assert!(matches!(kind, KeyErrorKind::Unreadable { .. }), "{kind:?}");
    let (_, kind) = key_error(&s, Some(&fixture("public.pem")), "");
    assert!(matches!(kind, KeyErrorKind::PublicKeyGiven), "{kind:?}");
    let (_, kind) = key_error(&s, Some(&fixture("pkcs8_encrypted.pem")), "");
    assert!(matches!(kind, KeyErrorKind::PassphraseMissing), "{kind:?}");
    let (msg, kind) = key_error(
        &s,
        Some(&fixture("legacy_aes256.pem")),
        "pass_phrase=not-it\n",
    );
    assert!(matches!(kind, KeyErrorKind::PassphraseWrong), "{kind:?}");
    assert!(
        !msg.contains("not-it"),
        "the passphrase never appears: {msg}"
    );
    let (_, kind) = key_error(&s, Some(&fixture("ec.pem")), "");
    assert!(
        matches!(kind, KeyErrorKind::UnsupportedKeyType { .. }),
        "{kind:?}"
    );
    let (_, kind) = key_error(&s, Some("not a key at all"), "");
    assert!(matches!(kind, KeyErrorKind::NotPem), "{kind:?}");
}

#[test]
fn encrypted_keys_with_the_right_pass_phrase_work() {
    for (name, spelling) in [
        ("pkcs8_encrypted.pem", "pass_phrase"),
        ("legacy_aes128.pem", "passphrase"),
        ("legacy_des3.pem", "pass_phrase"),
    ] {
        let s = Setup::new();
        let key = s.file("key.pem", &fixture(name));
        let auth = s
            .signer(
                &profile_text(&key, &format!("{spelling}=secret\n")),
                "DEFAULT",
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(auth.tenancy, TENANCY);
    }
}

#[test]
fn inherited_pass_phrase_is_ignored_for_an_unencrypted_key() {
    let s = Setup::new();
    let key = s.file("key.pem", &fixture("pkcs8.pem"));
    let text = format!(
        "{}\n[OTHER]\nregion=eu-frankfurt-1\n",
        profile_text(&key, "pass_phrase=secret\n")
    );
    let auth = s.signer(&text, "OTHER").unwrap();
    assert_eq!(auth.region.as_deref(), Some("eu-frankfurt-1"));
}

#[test]
fn session_token_profile_signs_with_st_key_id() {
    let s = Setup::new();
    let key = s.file("key.pem", &fixture("pkcs1.pem"));
    // A JWT (header.payload.signature) whose payload is {"exp":4102444800}: the client reads
    // `exp` to refresh in time, so a token must be one.
    let token = s.file(
        "token",
        "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.token-value\n",
    );
    let text = format!(
        "[SESSION]\nfingerprint={FP}\nkey_file={key}\ntenancy={TENANCY}\nregion=us-ashburn-1\nsecurity_token_file={token}\n"
    );
    let auth = s.signer(&text, "SESSION").unwrap();
    let mut req =
        http::Request::get("https://identity.us-ashburn-1.oci.oraclecloud.com/20160918/users")
            .body(())
            .unwrap();
    auth.signer
        .sign(
            &mut req,
            ocisdk_core::auth::SignBody::Unsigned,
            std::time::SystemTime::now(),
        )
        .unwrap();
    let header = req.headers()["authorization"].to_str().unwrap();
    assert!(
        header.contains("keyId=\"ST$eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.token-value\""),
        "{header}"
    );
    assert!(!format!("{:?}", auth.signer).contains("token-value"));
    assert!(!format!("{:?}", auth.session).contains("token-value"));
    assert!(auth.session.is_some());
}

#[test]
fn a_session_token_that_is_not_a_jwt_is_a_token_error_naming_the_file() {
    let s = Setup::new();
    let key = s.file("key.pem", &fixture("pkcs1.pem"));
    let token = s.file("token", "SECRET-opaque-token-value\n");
    let text = format!(
        "[SESSION]\nfingerprint={FP}\nkey_file={key}\ntenancy={TENANCY}\nregion=us-ashburn-1\nsecurity_token_file={token}\n"
    );
    let e = s.signer(&text, "SESSION").unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Token(ocisdk_core::auth::TokenError::Malformed { source_name, .. })
                if *source_name == token
        ),
        "{e:?}"
    );
    let shown = format!("{e} {e:?} {e:#?}");
    assert!(shown.contains("three parts"), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
}
