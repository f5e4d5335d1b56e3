//! The provider chain: which step finds credentials, what it says when none does, and that a
//! step configured but broken fails instead of falling through. The environment is a map and
//! the files live in a temporary directory, so nothing here touches the process's own.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ocisdk_core::Error;
use ocisdk_core::auth::PrivateKey;
use ocisdk_core::auth::chain::{ChainOptions, NoCredentials};
use ocisdk_core::auth::{SignBody, TokenError};
use ocisdk_core::context::ClientConfig;

const KEY: &str = include_str!("fixtures/keys/pkcs8.pem");
const TENANCY: &str = "ocid1.tenancy.oc1..chain";
const USER: &str = "ocid1.user.oc1..chain";

fn fingerprint() -> String {
    PrivateKey::from_pem(KEY, None, "fixture")
        .unwrap()
        .fingerprint()
}

struct Env {
    vars: HashMap<String, String>,
    dir: tempfile::TempDir,
}

impl Env {
    /// An environment whose HOME is an empty directory.
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = HashMap::new();
        vars.insert("HOME".to_string(), dir.path().display().to_string());
        Env { vars, dir }
    }

    fn set(mut self, name: &str, value: &str) -> Env {
        self.vars.insert(name.to_string(), value.to_string());
        self
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn chain(&self, options: &ChainOptions) -> Result<ClientConfig, Error> {
        ClientConfig::from_chain(options, &|name| self.vars.get(name).cloned(), [3; 32])
    }

    fn with_api_key_vars(self) -> Env {
        let key_file = self.file("key.pem", KEY);
        self.set("OCI_CLI_USER", USER)
            .set("OCI_CLI_TENANCY", TENANCY)
            .set("OCI_CLI_FINGERPRINT", &fingerprint())
            .set("OCI_CLI_KEY_FILE", &key_file)
    }

    fn with_config_file(self, text: &str) -> Env {
        self.file(".oci/config", text);
        self
    }
}

/// The keyId a configuration signs with.
fn key_id(config: &ClientConfig) -> String {
    let mut req = http::Request::get("https://identity.test/20160918/users/x")
        .body(())
        .unwrap();
    config
        .signer()
        .sign(
            &mut req,
            SignBody::Unsigned,
            UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap();
    let auth = req.headers()["authorization"].to_str().unwrap();
    let start = auth.find("keyId=\"").unwrap() + 7;
    auth[start..].split('"').next().unwrap().to_string()
}

fn profile_text(key_file: &str, extra: &str) -> String {
    format!(
        "[DEFAULT]\nuser={USER}\nfingerprint={}\nkey_file={key_file}\ntenancy={TENANCY}\nregion=us-phoenix-1\n{extra}",
        fingerprint()
    )
}

#[test]
fn nothing_found_lists_every_step() {
    let env = Env::new();
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    let Error::Credentials(NoCredentials { steps }) = &err else {
        panic!("{err:?}")
    };
    let names: Vec<_> = steps.iter().map(|s| s.step).collect();
    assert_eq!(
        names,
        [
            "environment",
            "config profile",
            "resource principal",
            "instance principal"
        ]
    );
    let text = err.to_string();
    for needle in [
        "OCI_CLI_USER",
        ".oci/config",
        "OCI_RESOURCE_PRINCIPAL_VERSION",
        "not tried",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn the_environment_gives_an_api_key_and_region() {
    let env = Env::new()
        .with_api_key_vars()
        .set("OCI_CLI_REGION", "eu-frankfurt-1");
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert_eq!(config.tenancy(), TENANCY);
    assert_eq!(config.region(), Some("eu-frankfurt-1"));
    assert_eq!(
        key_id(&config),
        format!("{TENANCY}/{USER}/{}", fingerprint())
    );

    // The key as content, on one line with literal \n as CI secrets hold it.
    let one_line = KEY.trim_end().replace('\n', "\\n");
    let env = Env::new()
        .set("OCI_CLI_USER", USER)
        .set("OCI_CLI_TENANCY", TENANCY)
        .set("OCI_CLI_FINGERPRINT", &fingerprint())
        .set("OCI_CLI_KEY_CONTENT", &one_line);
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert_eq!(
        key_id(&config),
        format!("{TENANCY}/{USER}/{}", fingerprint())
    );
}

#[test]
fn the_environment_wins_over_the_config_file() {
    let env = Env::new().with_api_key_vars();
    let other = env.file("other.pem", KEY);
    let env = env.with_config_file(&profile_text(&other, "").replace(USER, "ocid1.user.oc1..file"));
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert!(key_id(&config).contains(USER), "{}", key_id(&config));
}

#[test]
fn incomplete_or_wrong_environment_fails_naming_the_variable() {
    let env = Env::new().set("OCI_CLI_USER", USER);
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.key() == Some("OCI_CLI_TENANCY")),
        "{err:?}"
    );

    let env = Env::new()
        .with_api_key_vars()
        .set("OCI_CLI_FINGERPRINT", "aa:bb");
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.key() == Some("OCI_CLI_FINGERPRINT")),
        "{err:?}"
    );
    assert!(err.to_string().contains(&fingerprint()), "{err}");

    let env = Env::new()
        .with_api_key_vars()
        .set("OCI_CLI_KEY_FILE", "/nonexistent/key.pem");
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.key() == Some("OCI_CLI_KEY_FILE")),
        "{err:?}"
    );
    assert!(err.to_string().contains("/nonexistent/key.pem"), "{err}");

    // A key's content never shows up in an error, even a broken one.
    let env = Env::new().with_api_key_vars().set(
        "OCI_CLI_KEY_CONTENT",
        "-----BEGIN PRIVATE KEY-----\nSECRETBYTES\n-----END PRIVATE KEY-----",
    );
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("OCI_CLI_KEY_CONTENT"), "{shown}");
    assert!(!shown.contains("SECRETBYTES"), "{shown}");
}

#[test]
fn the_config_profile_is_found_and_selected() {
    let env = Env::new();
    let key_file = env.file("key.pem", KEY);
    let text = format!(
        "{}\n[OTHER]\nregion=ap-tokyo-1\n",
        profile_text(&key_file, "")
    );
    let env = env.with_config_file(&text);
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert_eq!(config.region(), Some("us-phoenix-1"));
    assert_eq!(config.tenancy(), TENANCY);

    let env = env.set("OCI_CLI_PROFILE", "OTHER");
    assert_eq!(
        env.chain(&ChainOptions::default()).unwrap().region(),
        Some("ap-tokyo-1")
    );
    // OCI_CLI_REGION overrides the profile's region, as for the CLI.
    let env = env.set("OCI_CLI_REGION", "sa-saopaulo-1");
    assert_eq!(
        env.chain(&ChainOptions::default()).unwrap().region(),
        Some("sa-saopaulo-1")
    );

    // OCI_CLI_CONFIG_FILE names the file.
    let env = Env::new();
    let key_file = env.file("key.pem", KEY);
    let path = env.file("elsewhere/cfg", &profile_text(&key_file, ""));
    let env = env.set("OCI_CLI_CONFIG_FILE", &path);
    assert_eq!(
        env.chain(&ChainOptions::default()).unwrap().tenancy(),
        TENANCY
    );
}

#[test]
fn a_broken_profile_fails_instead_of_falling_through() {
    let env = Env::new().with_config_file(&format!(
        "[DEFAULT]\nuser={USER}\nfingerprint={}\ntenancy={TENANCY}\n",
        fingerprint()
    ));
    let options = ChainOptions {
        instance_principal: true,
        ..ChainOptions::default()
    };
    let err = env.chain(&options).unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.key() == Some("key_file")),
        "{err:?}"
    );

    // An explicit file that is not there is an error, not a reason to look elsewhere.
    let env = Env::new().with_api_key_vars();
    let options = ChainOptions {
        config_file: Some(Path::new("/nonexistent/config").to_path_buf()),
        ..ChainOptions::default()
    };
    let err = env.chain(&options).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/config"), "{err}");
}

#[test]
fn oci_cli_auth_picks_the_method() {
    let env = Env::new().set("OCI_CLI_AUTH", "bogus");
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.key() == Some("OCI_CLI_AUTH")),
        "{err:?}"
    );
    assert!(err.to_string().contains("bogus"), "{err}");

    // api_key with nothing in the environment reads the profile.
    let env = Env::new();
    let key_file = env.file("key.pem", KEY);
    let env = env
        .with_config_file(&profile_text(&key_file, ""))
        .set("OCI_CLI_AUTH", "api_key");
    assert_eq!(
        env.chain(&ChainOptions::default()).unwrap().tenancy(),
        TENANCY
    );
}

fn jwt(exp: u64) -> String {
    format!(
        "{}.{}.{}",
        B64URL.encode(br#"{"alg":"RS256"}"#),
        B64URL.encode(format!(r#"{{"exp":{exp},"iat":{}}}"#, exp - 3600)),
        B64URL.encode("sig")
    )
}

#[test]
fn a_security_token_file_in_the_environment_signs_as_st() {
    let env = Env::new();
    let token = jwt(1_700_003_600);
    let token_file = env.file("token", &token);
    let key_file = env.file("key.pem", KEY);
    let env = env
        .set("OCI_CLI_AUTH", "security_token")
        .set("OCI_CLI_SECURITY_TOKEN_FILE", &token_file)
        .set("OCI_CLI_KEY_FILE", &key_file)
        .set("OCI_CLI_TENANCY", TENANCY);
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert!(config.session_token().is_some());
    assert_eq!(key_id(&config), format!("ST${token}"));

    let bad = env.file("token", "not a jwt SECRET");
    let _ = bad;
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Token(TokenError::Malformed { .. })),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("SECRET"));
}

#[test]
fn resource_principal_variables_are_the_fifth_step() {
    let rpst = format!(
        "{}.{}.{}",
        B64URL.encode(br#"{"alg":"RS256"}"#),
        B64URL.encode(format!(
            r#"{{"exp":4102444800,"iat":1700000000,"res_tenant":"{TENANCY}"}}"#
        )),
        B64URL.encode("sig")
    );
    let env = Env::new()
        .set("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
        .set("OCI_RESOURCE_PRINCIPAL_RPST", &rpst)
        .set("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", KEY)
        .set("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1");
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert_eq!(config.tenancy(), TENANCY);
    assert_eq!(config.region(), Some("us-ashburn-1"));
    // Set but incomplete: the step's own error, naming the variable.
    let env = Env::new().set("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2");
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("OCI_RESOURCE_PRINCIPAL_RPST"),
        "{err}"
    );
}

#[test]
fn a_delegation_token_file_goes_with_instance_principals_only() {
    let env = Env::new().with_api_key_vars();
    let token_file = env.file("obo", "delegation-token-text\n");
    let env = env.set("OCI_CLI_DELEGATION_TOKEN_FILE", &token_file);
    // An API key does not act for anyone: the variable is not for it.
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert!(!config.has_delegation_token());
    let env = env.set("OCI_CLI_AUTH", "instance_obo_user");
    let config = env.chain(&ChainOptions::default()).unwrap();
    assert!(config.has_delegation_token());
    let env = env.set("OCI_CLI_DELEGATION_TOKEN_FILE", "/nonexistent/obo");
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.key() == Some("OCI_CLI_DELEGATION_TOKEN_FILE")),
        "{err:?}"
    );
    let empty = env.file("empty", "\n");
    let env = env.set("OCI_CLI_DELEGATION_TOKEN_FILE", &empty);
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
    // Cloud Shell's method without its token is an error naming the variable.
    let env = Env::new().set("OCI_CLI_AUTH", "instance_obo_user");
    let err = env.chain(&ChainOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("OCI_CLI_DELEGATION_TOKEN_FILE"),
        "{err}"
    );
}
