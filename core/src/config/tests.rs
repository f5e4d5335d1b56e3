#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use super::*;

const USER: &str = "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
const TENANCY: &str =
    "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
const FP: &str = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";

fn sample() -> String {
    format!(
        "# OCI config\n\
         [DEFAULT]\n\
         user={USER}\n\
         fingerprint={FP}\n\
         key_file=~/.oci/oci_api_key.pem\n\
         tenancy={TENANCY}\n\
         region=us-ashburn-1\n\
         \n\
         ; the admin profile\n\
         [ADMIN]\n\
         user = ocid1.user.oc1..admin\n\
         region = eu-frankfurt-1\n"
    )
}

fn parse(text: &str) -> ConfigFile {
    ConfigFile::parse(text, "/home/u/.oci/config").unwrap()
}

fn parse_err(text: &str) -> ConfigError {
    ConfigFile::parse(text, "/home/u/.oci/config").unwrap_err()
}

fn malformed_reason(err: &ConfigError) -> &str {
    match err.kind() {
        ConfigErrorKind::MalformedLine { reason } => reason,
        other => panic!("expected MalformedLine, got {other:?}"),
    }
}

fn invalid_reason(err: &ConfigError) -> &str {
    match err.kind() {
        ConfigErrorKind::InvalidValue { reason } => reason,
        other => panic!("expected InvalidValue, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing and inheritance

#[test]
fn default_inheritance_and_overriding() {
    let file = parse(&sample());
    assert_eq!(file.source(), "/home/u/.oci/config");
    assert_eq!(file.profile_names(), ["DEFAULT", "ADMIN"]);

    let admin = file.profile("ADMIN").unwrap();
    assert_eq!(admin.name(), "ADMIN");
    assert_eq!(admin.source(), "/home/u/.oci/config");
    assert_eq!(admin.get("user"), Some("ocid1.user.oc1..admin"));
    assert_eq!(admin.line_of("user"), Some(11));
    assert!(!admin.is_inherited("user"));
    assert_eq!(admin.region(), Some("eu-frankfurt-1"));
    assert_eq!(admin.tenancy().unwrap(), TENANCY);
    assert_eq!(admin.line_of("tenancy"), Some(6));
    assert!(admin.is_inherited("tenancy"));
    assert_eq!(admin.fingerprint().unwrap(), FP);
    assert_eq!(admin.get("nope"), None);
    assert_eq!(admin.line_of("nope"), None);
    assert_eq!(
        admin.keys().collect::<Vec<_>>(),
        ["user", "region", "fingerprint", "key_file", "tenancy"]
    );

    let default = file.profile("DEFAULT").unwrap();
    assert_eq!(default.user().unwrap(), USER);
    assert_eq!(default.region(), Some("us-ashburn-1"));
    assert!(!default.is_inherited("user"));
}

#[test]
fn profile_without_default_section() {
    let file = parse("[ONLY]\nregion=us-phoenix-1\n");
    assert_eq!(file.profile("ONLY").unwrap().region(), Some("us-phoenix-1"));
    assert!(file.has_profile("ONLY"));
    assert!(!file.has_profile("DEFAULT"));
    let err = file.profile("DEFAULT").unwrap_err();
    assert_eq!(
        err.kind(),
        &ConfigErrorKind::MissingProfile {
            available: vec!["ONLY".into()]
        }
    );
}

#[test]
fn comments_and_blank_lines() {
    let text = "\n# leading comment\n  ; indented comment\n[DEFAULT]\n# user=ignored\n\n   \n\
                key_file=/keys/a#b.pem\nregion=us-ashburn-1 ; not a comment\n";
    let p = parse(text).profile("DEFAULT").unwrap();
    assert_eq!(p.get("user"), None);
    // Inline comments are not a thing in OCI config files (nor in Python's configparser).
    assert_eq!(p.get("key_file"), Some("/keys/a#b.pem"));
    assert_eq!(p.region(), Some("us-ashburn-1 ; not a comment"));
    assert_eq!(p.line_of("key_file"), Some(8));
}

#[test]
fn crlf_and_bom() {
    let text = format!("\u{feff}{}", sample().replace('\n', "\r\n"));
    let file = parse(&text);
    let admin = file.profile("ADMIN").unwrap();
    assert_eq!(admin.region(), Some("eu-frankfurt-1"));
    assert_eq!(admin.user().unwrap(), "ocid1.user.oc1..admin");
    assert_eq!(admin.fingerprint().unwrap(), FP);
    assert_eq!(admin.line_of("region"), Some(12));
}

#[test]
fn values_containing_equals() {
    let p = parse("[DEFAULT]\ntoken = abc==\nurl=https://x/?a=b&c=d\nempty=\n")
        .profile("DEFAULT")
        .unwrap();
    assert_eq!(p.get("token"), Some("abc=="));
    assert_eq!(p.get("url"), Some("https://x/?a=b&c=d"));
    assert_eq!(p.get("empty"), Some(""));
}

#[test]
fn keys_are_case_insensitive_profiles_are_not() {
    let file = parse("[Admin]\nUser=ocid1.user.oc1..x\nREGION=us-ashburn-1\n");
    let p = file.profile("Admin").unwrap();
    assert_eq!(p.get("user"), Some("ocid1.user.oc1..x"));
    assert_eq!(p.get("USER"), Some("ocid1.user.oc1..x"));
    assert_eq!(p.region(), Some("us-ashburn-1"));
    assert!(file.profile("ADMIN").is_err());
}

#[test]
fn header_whitespace_is_trimmed() {
    let file = parse("[ ADMIN ]\nregion=x\n");
    assert_eq!(file.profile_names(), ["ADMIN"]);
}

// ---------------------------------------------------------------------------------------------
// Paths

#[test]
fn tilde_expansion() {
    assert_eq!(
        expand_tilde("~/.oci/key.pem", Some("/home/u")),
        "/home/u/.oci/key.pem"
    );
    assert_eq!(
        expand_tilde("~/.oci/key.pem", Some("/home/u/")),
        "/home/u/.oci/key.pem"
    );
    assert_eq!(expand_tilde("~", Some("/home/u")), "/home/u");
    assert_eq!(
        expand_tilde("~\\key.pem", Some("C:\\Users\\u")),
        "C:\\Users\\u\\key.pem"
    );
    assert_eq!(
        expand_tilde("~bob/key.pem", Some("/home/u")),
        "~bob/key.pem"
    );
    assert_eq!(
        expand_tilde("/abs/~/key.pem", Some("/home/u")),
        "/abs/~/key.pem"
    );
    assert_eq!(expand_tilde("~/key.pem", None), "~/key.pem");

    let admin = parse(&sample()).profile("ADMIN").unwrap();
    assert_eq!(
        admin.key_file_with_home(Some("/home/u")).unwrap(),
        "/home/u/.oci/oci_api_key.pem"
    );
    let err = admin.key_file_with_home(None).unwrap_err();
    assert!(invalid_reason(&err).contains("HOME"), "{err}");
    assert_eq!(err.line(), Some(5));
    assert_eq!(err.profile(), Some("ADMIN"));
    assert_eq!(err.key(), Some("key_file"));

    let p = parse("[DEFAULT]\nkey_file=/abs/key.pem\n")
        .profile("DEFAULT")
        .unwrap();
    assert_eq!(p.key_file_with_home(None).unwrap(), "/abs/key.pem");
}

// ---------------------------------------------------------------------------------------------
// Passphrases and secrets

#[test]
fn pass_phrase_spellings() {
    let p = |text: &str, profile: &str| parse(text).profile(profile).unwrap().pass_phrase();

    assert!(p("[DEFAULT]\nregion=x\n", "DEFAULT").is_none());
    assert_eq!(
        p("[DEFAULT]\npass_phrase=one\n", "DEFAULT")
            .unwrap()
            .expose(),
        "one"
    );
    assert_eq!(
        p("[DEFAULT]\npassphrase=two\n", "DEFAULT")
            .unwrap()
            .expose(),
        "two"
    );
    assert_eq!(
        p("[DEFAULT]\npassphrase=two\npass_phrase=one\n", "DEFAULT")
            .unwrap()
            .expose(),
        "one"
    );
    // The profile's own passphrase wins over [DEFAULT]'s, whichever the spelling.
    assert_eq!(
        p("[DEFAULT]\npass_phrase=one\n[A]\npassphrase=mine\n", "A")
            .unwrap()
            .expose(),
        "mine"
    );
    assert_eq!(
        p("[DEFAULT]\npass_phrase=one\n[A]\nregion=x\n", "A")
            .unwrap()
            .expose(),
        "one"
    );
    assert!(p("[DEFAULT]\npass_phrase=\n", "DEFAULT").is_none());
    // `=` inside a passphrase is kept.
    assert_eq!(
        p("[DEFAULT]\npass_phrase=a=b\n", "DEFAULT")
            .unwrap()
            .expose(),
        "a=b"
    );
}

#[test]
fn secrets_never_printed() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "<redacted>");
    assert_eq!(format!("{secret}"), "<redacted>");
    assert_eq!(secret.expose(), "hunter2");
    assert_eq!(secret.expose_bytes(), b"hunter2");

    let text = "[DEFAULT]\npass_phrase=hunter2\n[A]\npassphrase=swordfish\nregion=r\n";
    let file = parse(text);
    let profile = file.profile("A").unwrap();
    for debug in [format!("{file:?}"), format!("{profile:?}")] {
        assert!(
            !debug.contains("hunter2") && !debug.contains("swordfish"),
            "{debug}"
        );
        assert!(
            debug.contains("<redacted>") && debug.contains("\"r\""),
            "{debug}"
        );
    }
    // A passphrase line missing its `=` is reported without quoting the line.
    let err = parse_err("[DEFAULT]\npass_phrase hunter2\n");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[test]
fn security_token_profile_without_user() {
    let text = format!(
        "[DEFAULT]\nregion=us-ashburn-1\n[SESSION]\nfingerprint={FP}\n\
         key_file=~/.oci/sessions/SESSION/oci_api_key.pem\ntenancy={TENANCY}\n\
         security_token_file=~/.oci/sessions/SESSION/token\n"
    );
    let p = parse(&text).profile("SESSION").unwrap();
    assert_eq!(
        p.security_token_file_with_home(Some("/home/u")).as_deref(),
        Some("/home/u/.oci/sessions/SESSION/token")
    );
    assert_eq!(p.tenancy().unwrap(), TENANCY);
    assert_eq!(p.fingerprint().unwrap(), FP);
    assert_eq!(p.region(), Some("us-ashburn-1"));
    let err = p.user().unwrap_err();
    assert_eq!(err.kind(), &ConfigErrorKind::MissingKey);
    assert_eq!(p.get("user"), None);

    let none = parse("[DEFAULT]\nregion=x\n").profile("DEFAULT").unwrap();
    assert_eq!(none.security_token_file_with_home(Some("/h")), None);
}

// ---------------------------------------------------------------------------------------------
// Parse errors

#[test]
fn error_line_before_first_header() {
    let err = parse_err("# fine\n\nuser=ocid1.user.oc1..x\n[DEFAULT]\n");
    assert_eq!(err.file(), Some("/home/u/.oci/config"));
    assert_eq!(err.line(), Some(3));
    assert_eq!(err.profile(), None);
    assert_eq!(err.key(), None);
    assert!(malformed_reason(&err).contains("before the first `[PROFILE]` header"));
    assert_eq!(
        err.to_string(),
        "/home/u/.oci/config:3: `key=value` before the first `[PROFILE]` header; \
         start the file with `[DEFAULT]`"
    );
    // Any content before a header is rejected, not just key=value.
    assert_eq!(parse_err("stray\n[DEFAULT]\n").line(), Some(1));
}

#[test]
fn error_line_without_equals() {
    let err = parse_err("[DEFAULT]\nregion=x\nthis is not a pair\n");
    assert_eq!(
        (err.line(), err.file()),
        (Some(3), Some("/home/u/.oci/config"))
    );
    assert!(malformed_reason(&err).starts_with("expected `key=value`"));
    let err = parse_err("[DEFAULT]\nuser: ocid1.user.oc1..x\n");
    assert_eq!(err.line(), Some(2));
    assert!(malformed_reason(&err).contains("use `=`, not `:`"));
}

#[test]
fn error_empty_key() {
    let err = parse_err("[DEFAULT]\n  = value\n");
    assert_eq!(err.line(), Some(2));
    assert_eq!(malformed_reason(&err), "missing key before `=`");
}

#[test]
fn error_bad_headers() {
    let err = parse_err("[DEFAULT]\nregion=x\n[ADMIN\nuser=y\n");
    assert_eq!(err.line(), Some(3));
    assert!(malformed_reason(&err).starts_with("unterminated profile header"));

    let err = parse_err("[ADMIN] trailing\n");
    assert_eq!(err.line(), Some(1));
    assert!(malformed_reason(&err).contains("after the `]`"));

    let err = parse_err("[DEFAULT]\n[]\n");
    assert_eq!(err.line(), Some(2));
    assert_eq!(malformed_reason(&err), "empty profile name `[]`");
}

#[test]
fn error_duplicate_profile_header() {
    let err = parse_err("[DEFAULT]\nregion=x\n[A]\nregion=y\n\n[A]\nregion=z\n");
    assert_eq!(err.line(), Some(6));
    assert_eq!(err.file(), Some("/home/u/.oci/config"));
    assert_eq!(
        err.to_string(),
        "/home/u/.oci/config:6: profile [A] is defined twice; merge the two sections"
    );
}

#[test]
fn error_duplicate_key() {
    let err = parse_err("[DEFAULT]\nregion=x\nRegion=y\n");
    assert_eq!(err.line(), Some(3));
    assert_eq!(
        malformed_reason(&err),
        "key `region` is already set on line 2 of profile [DEFAULT]"
    );
}

// ---------------------------------------------------------------------------------------------
// Profile and value errors

#[test]
fn error_missing_profile() {
    let err = parse(&sample()).profile("DEV").unwrap_err();
    assert_eq!(err.file(), Some("/home/u/.oci/config"));
    assert_eq!(err.profile(), Some("DEV"));
    assert_eq!((err.key(), err.line()), (None, None));
    assert_eq!(
        err.kind(),
        &ConfigErrorKind::MissingProfile {
            available: vec!["DEFAULT".into(), "ADMIN".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "/home/u/.oci/config: profile [DEV]: no such profile in this file; \
         profiles present: [DEFAULT], [ADMIN]"
    );
    let empty = ConfigFile::parse("# nothing\n", "<inline>").unwrap();
    assert!(
        empty
            .profile("DEFAULT")
            .unwrap_err()
            .to_string()
            .contains("has no profiles")
    );
}

#[test]
fn error_missing_key() {
    let p = parse("[DEFAULT]\nregion=x\n[A]\nuser=ocid1.user.oc1..x\n")
        .profile("A")
        .unwrap();
    let err = p.fingerprint().unwrap_err();
    assert_eq!(err.kind(), &ConfigErrorKind::MissingKey);
    assert_eq!(err.file(), Some("/home/u/.oci/config"));
    assert_eq!(err.profile(), Some("A"));
    assert_eq!(err.key(), Some("fingerprint"));
    assert_eq!(err.line(), None);
    assert_eq!(
        err.to_string(),
        "/home/u/.oci/config: profile [A], key `fingerprint`: required but not set, \
         neither in the profile nor in [DEFAULT]"
    );
    assert_eq!(p.require("key_file").unwrap_err().key(), Some("key_file"));
    assert_eq!(
        p.key_file().unwrap_err().kind(),
        &ConfigErrorKind::MissingKey
    );
    assert_eq!(
        p.tenancy().unwrap_err().kind(),
        &ConfigErrorKind::MissingKey
    );

    let empty = parse("[DEFAULT]\nuser=\n").profile("DEFAULT").unwrap();
    let err = empty.user().unwrap_err();
    assert_eq!(invalid_reason(&err), "is empty");
    assert_eq!(err.line(), Some(2));
}

#[test]
fn error_invalid_fingerprint_inherited_from_default() {
    let text = "[DEFAULT]\nfingerprint=20:3B:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34\n\n\
                [ADMIN]\nregion=x\n";
    let err = parse(text)
        .profile("ADMIN")
        .unwrap()
        .fingerprint()
        .unwrap_err();
    assert_eq!(err.file(), Some("/home/u/.oci/config"));
    assert_eq!(err.line(), Some(2));
    assert_eq!(err.profile(), Some("ADMIN"));
    assert_eq!(err.key(), Some("fingerprint"));
    assert_eq!(
        err.to_string(),
        "/home/u/.oci/config:2: profile [ADMIN], key `fingerprint`: \
         `20:3B:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34` has uppercase hex digits; \
         write it in lowercase: `20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34` \
         (inherited from [DEFAULT])"
    );
}

#[test]
fn fingerprint_shapes() {
    let check = |fp: &str| {
        parse(&format!("[DEFAULT]\nfingerprint={fp}\n"))
            .profile("DEFAULT")
            .unwrap()
            .fingerprint()
            .map(str::to_owned)
    };
    assert_eq!(check(FP).unwrap(), FP);
    for bad in [
        "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a",
        "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34:",
        "203b9713551c5b0dd337d8504ec53a34",
        "20-3b-97-13-55-1c-5b-0d-d3-37-d8-50-4e-c5-3a-34",
        "2g:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34",
        "SHA256:abcdef",
    ] {
        let err = check(bad).unwrap_err();
        let reason = invalid_reason(&err);
        assert!(
            reason.contains("expected 16 lowercase hex pairs"),
            "{bad}: {reason}"
        );
        assert!(reason.contains("12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0"));
    }
}

#[test]
fn ocid_shapes() {
    let user = |v: &str| {
        parse(&format!("[DEFAULT]\nuser={v}\n"))
            .profile("DEFAULT")
            .unwrap()
            .user()
            .map(str::to_owned)
    };
    for good in [
        USER,
        "ocid1.user.oc1.phx.aaaa",
        "ocid1.user.oc1.iad.future.aaaa",
        "ocid1.user.region1.sea.aaaa-bb_cc",
    ] {
        assert_eq!(user(good).unwrap(), good);
    }
    for bad in [
        "ocid1.user",
        "ocid1.user.oc1",
        "ocid1.user.oc1..",
        "ocid1..oc1..aaaa",
        "ocid1.user...aaaa",
        "ocid2.user.oc1..aaaa",
        "user.oc1..aaaa",
        "\"ocid1.user.oc1..aaaa\"",
        "ocid1.user.oc1..aa aa",
    ] {
        let err = user(bad).unwrap_err();
        assert!(
            invalid_reason(&err).contains("ocid1.user.oc1..<unique id>"),
            "{bad}: {err}"
        );
        assert_eq!(err.line(), Some(2));
    }
    assert!(
        invalid_reason(&user("'ocid1.user.oc1..aaaa'").unwrap_err()).contains("remove the quotes")
    );

    let swapped = parse(&format!("[DEFAULT]\nuser={TENANCY}\ntenancy={USER}\n"))
        .profile("DEFAULT")
        .unwrap();
    let err = swapped.user().unwrap_err();
    assert!(invalid_reason(&err).contains("is a tenancy OCID; are `user` and `tenancy` swapped?"));
    let err = swapped.tenancy().unwrap_err();
    assert_eq!((err.key(), err.line()), (Some("tenancy"), Some(3)));
    assert!(invalid_reason(&err).contains("is a user OCID"));
}

#[test]
fn region_empty_is_none() {
    let p = parse("[DEFAULT]\nregion=\n").profile("DEFAULT").unwrap();
    assert_eq!(p.region(), None);
}

#[test]
fn display_without_file_parts() {
    let err = ConfigError::new(ConfigErrorKind::MissingKey).for_key("user");
    assert_eq!(
        err.to_string(),
        "key `user`: required but not set, neither in the profile nor in [DEFAULT]"
    );
}

// ---------------------------------------------------------------------------------------------
// Lookup

fn existing(paths: &[&str]) -> impl Fn(&Path) -> bool {
    let set: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    move |p: &Path| set.iter().any(|s| s == p)
}

fn not_found(err: ConfigError) -> Vec<String> {
    match err.kind() {
        ConfigErrorKind::NotFound { searched } => searched.clone(),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

const OCI: &str = "/home/u/.oci/config";
const BMC: &str = "/home/u/.oraclebmc/config";

#[test]
fn locate_explicit_path() {
    let all = existing(&[OCI, BMC, "/etc/oci.conf", "/home/u/cfg"]);
    let found = locate_config(
        Some(Path::new("/etc/oci.conf")),
        Some("/home/u"),
        None,
        &all,
    );
    assert_eq!(found.unwrap(), PathBuf::from("/etc/oci.conf"));
    let found = locate_config(Some(Path::new("~/cfg")), Some("/home/u"), None, &all);
    assert_eq!(found.unwrap(), PathBuf::from("/home/u/cfg"));

    let err = locate_config(
        Some(Path::new("/nope")),
        Some("/home/u"),
        Some("/etc/oci.conf"),
        &all,
    )
    .unwrap_err();
    assert_eq!(err.file(), None);
    assert_eq!(not_found(err), ["/nope"]);
}

#[test]
fn locate_default_beats_env() {
    let found = locate_config(
        None,
        Some("/home/u"),
        Some("/env/config"),
        existing(&[OCI, "/env/config"]),
    );
    assert_eq!(found.unwrap(), PathBuf::from(OCI));
}

#[test]
fn locate_env_when_default_missing() {
    let exists = existing(&["/env/config", BMC, "/home/u/env2"]);
    let found = locate_config(None, Some("/home/u"), Some("/env/config"), &exists);
    assert_eq!(found.unwrap(), PathBuf::from("/env/config"));
    let found = locate_config(None, Some("/home/u"), Some("~/env2"), &exists);
    assert_eq!(found.unwrap(), PathBuf::from("/home/u/env2"));

    // A set but wrong OCI_CONFIG_FILE is reported, not silently skipped.
    let err = locate_config(None, Some("/home/u"), Some("/env/missing"), &exists).unwrap_err();
    assert_eq!(not_found(err), [OCI, "/env/missing"]);
    // An empty one counts as unset.
    let found = locate_config(None, Some("/home/u"), Some("  "), &exists);
    assert_eq!(found.unwrap(), PathBuf::from(BMC));
}

#[test]
fn locate_fallback_and_nothing() {
    let found = locate_config(None, Some("/home/u"), None, existing(&[BMC]));
    assert_eq!(found.unwrap(), PathBuf::from(BMC));

    let err = locate_config(None, Some("/home/u"), None, existing(&[])).unwrap_err();
    assert!(err.to_string().starts_with(
        "no OCI config file found (looked for /home/u/.oci/config, /home/u/.oraclebmc/config)"
    ));
    assert_eq!(not_found(err), [OCI, BMC]);

    let err = locate_config(None, None, None, existing(&[OCI])).unwrap_err();
    assert!(not_found(err).is_empty());
    let found = locate_config(None, None, Some("/env/config"), existing(&["/env/config"]));
    assert_eq!(found.unwrap(), PathBuf::from("/env/config"));
}

#[test]
fn profile_name_selection() {
    assert_eq!(select_profile_name(Some("A"), Some("B")), "A");
    assert_eq!(select_profile_name(None, Some("B")), "B");
    assert_eq!(select_profile_name(None, Some("")), "DEFAULT");
    assert_eq!(select_profile_name(None, None), "DEFAULT");
}

#[cfg(feature = "fs")]
#[test]
fn load_config_from_explicit_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, sample()).unwrap();
    let (file, profile) = load_config(Some(&path), Some("ADMIN")).unwrap();
    assert_eq!(file.source(), path.display().to_string());
    assert_eq!(profile.name(), "ADMIN");
    assert_eq!(profile.region(), Some("eu-frankfurt-1"));

    let err = load_config(Some(&path), Some("NOPE")).unwrap_err();
    assert_eq!(err.file(), Some(path.display().to_string().as_str()));
    assert_eq!(err.profile(), Some("NOPE"));

    let err = load_config(Some(&dir.path().join("missing")), Some("ADMIN")).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::NotFound { .. }));

    let bad = dir.path().join("bad");
    std::fs::write(&bad, "[DEFAULT]\nregion=x\n[DEFAULT\n").unwrap();
    let err = load_config(Some(&bad), Some("DEFAULT")).unwrap_err();
    assert_eq!(
        (err.file(), err.line()),
        (Some(bad.display().to_string().as_str()), Some(3))
    );
}

#[cfg(feature = "fs")]
#[test]
fn read_errors_are_io() {
    let dir = tempfile::tempdir().unwrap();
    let err = ConfigFile::read(&dir.path().join("missing")).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::Io { .. }));
    assert_eq!(
        err.file(),
        Some(dir.path().join("missing").display().to_string().as_str())
    );
    assert!(err.to_string().contains("cannot read the config file"));

    let latin1 = dir.path().join("latin1");
    std::fs::write(&latin1, b"[DEFAULT]\nregion=\xe9\n").unwrap();
    let err = ConfigFile::read(&latin1).unwrap_err();
    let ConfigErrorKind::Io { reason } = err.kind() else {
        panic!("{err:?}");
    };
    assert!(reason.contains("UTF-8"), "{reason}");
}
