//! `ocisdk-emulator` binary: runs the emulator until Ctrl-C.
//!
//! The first line on stdout is the base URL; human-readable details follow.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ocisdk_emulator::{Emulator, EmulatorConfig, fingerprint, parse_private_pem};
use rsa::pkcs8::{EncodePublicKey, LineEnding};

const USAGE: &str = "\
usage: ocisdk-emulator [--listen ADDR] [--config FILE [--profile NAME]] [--state-dir DIR]
                       [--page-size N] [--empty-pages] [--namespace NS]

  --listen ADDR     address to listen on (default 127.0.0.1:0, a free port)
  --config FILE     trust the API key of a profile in this OCI config file
  --profile NAME    profile to read from --config (default DEFAULT)
  --state-dir DIR   without --config: where to write the generated config and key.pem
                    (default: a new directory under the system temp dir)
  --page-size N     default page size of list operations (default 3)
  --empty-pages     insert empty pages that still carry a continuation token
  --namespace NS    Object Storage namespace (default ocisdkemulator)
  -h, --help        show this help

The first line printed on stdout is the base URL. Stop with Ctrl-C.";

#[derive(Debug, Default)]
struct Args {
    listen: Option<SocketAddr>,
    config: Option<PathBuf>,
    profile: Option<String>,
    state_dir: Option<PathBuf>,
    page_size: Option<usize>,
    empty_pages: bool,
    namespace: Option<String>,
    help: bool,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut out = Args::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => out.help = true,
            "--listen" => {
                let v = value("--listen")?;
                out.listen = Some(v.parse().map_err(|_| {
                    format!("--listen: \"{v}\" is not an address like 127.0.0.1:8080")
                })?);
            }
            "--config" => out.config = Some(PathBuf::from(value("--config")?)),
            "--profile" => out.profile = Some(value("--profile")?),
            "--state-dir" => out.state_dir = Some(PathBuf::from(value("--state-dir")?)),
            "--page-size" => {
                let v = value("--page-size")?;
                let n: usize = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("--page-size: \"{v}\" is not a positive integer"))?;
                out.page_size = Some(n);
            }
            "--empty-pages" => out.empty_pages = true,
            "--namespace" => out.namespace = Some(value("--namespace")?),
            other => return Err(format!("unknown argument \"{other}\"")),
        }
    }
    if out.profile.is_some() && out.config.is_none() {
        return Err("--profile needs --config".into());
    }
    if out.state_dir.is_some() && out.config.is_some() {
        return Err("--state-dir is only used without --config".into());
    }
    Ok(out)
}

/// A parsed INI file: section → key → (value, line).
type Ini = HashMap<String, HashMap<String, (String, usize)>>;

/// A tiny INI reader with OCI's conventions: `[SECTION]`, `key=value` split at the first `=`,
/// `#`/`;` comments, CRLF tolerated.
fn parse_ini(text: &str, file: &Path) -> Result<Ini, String> {
    let mut out: Ini = HashMap::new();
    let mut section: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let name = name.strip_suffix(']').ok_or_else(|| {
                format!(
                    "{}:{line_no}: malformed section header \"{line}\"",
                    file.display()
                )
            })?;
            section = Some(name.trim().to_string());
            out.entry(name.trim().to_string()).or_default();
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            format!(
                "{}:{line_no}: expected key=value, got \"{line}\"",
                file.display()
            )
        })?;
        let sec = section.clone().ok_or_else(|| {
            format!(
                "{}:{line_no}: key \"{}\" appears before any [section]",
                file.display(),
                k.trim()
            )
        })?;
        out.entry(sec)
            .or_default()
            .insert(k.trim().to_string(), (v.trim().to_string(), line_no));
    }
    Ok(out)
}

/// A profile's value, inheriting from `[DEFAULT]`.
fn profile_value<'a>(ini: &'a Ini, profile: &str, key: &str) -> Option<&'a str> {
    ini.get(profile)
        .and_then(|s| s.get(key))
        .or_else(|| ini.get("DEFAULT").and_then(|s| s.get(key)))
        .map(|(v, _)| v.as_str())
}

fn expand_home(p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest);
        }
    }
    PathBuf::from(p)
}

struct TrustedProfile {
    tenancy: String,
    user: String,
    fingerprint: String,
    key_pem: String,
    key_file: PathBuf,
    security_token: Option<String>,
}

fn load_profile(path: &Path, profile: &str) -> Result<TrustedProfile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let ini = parse_ini(&text, path)?;
    if !ini.contains_key(profile) {
        return Err(format!("{}: no profile [{profile}]", path.display()));
    }
    let need = |key: &str| -> Result<String, String> {
        profile_value(&ini, profile, key)
            .map(str::to_string)
            .ok_or_else(|| format!("{}: profile [{profile}] has no {key}", path.display()))
    };
    let tenancy = need("tenancy")?;
    let fingerprint = need("fingerprint")?;
    let key_file = expand_home(&need("key_file")?);
    let key_file = if key_file.is_relative() {
        path.parent().unwrap_or(Path::new(".")).join(key_file)
    } else {
        key_file
    };
    let security_token = match profile_value(&ini, profile, "security_token_file") {
        Some(f) => {
            let f = expand_home(f);
            Some(
                std::fs::read_to_string(&f)
                    .map_err(|e| format!("cannot read security_token_file {}: {e}", f.display()))?
                    .trim()
                    .to_string(),
            )
        }
        None => None,
    };
    let user = match (profile_value(&ini, profile, "user"), &security_token) {
        (Some(u), _) => u.to_string(),
        (None, Some(_)) => String::new(),
        (None, None) => {
            return Err(format!(
                "{}: profile [{profile}] has no user",
                path.display()
            ));
        }
    };
    let key_pem = std::fs::read_to_string(&key_file)
        .map_err(|e| format!("cannot read key_file {}: {e}", key_file.display()))?;
    Ok(TrustedProfile {
        tenancy,
        user,
        fingerprint,
        key_pem,
        key_file,
        security_token,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ocisdk-emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ocisdk-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut config = EmulatorConfig::default();
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(n) = args.page_size {
        config.page_size = n;
    }
    if let Some(ns) = &args.namespace {
        config.namespace = ns.clone();
    }
    config.empty_pages = args.empty_pages;

    let trusted = match &args.config {
        Some(path) => {
            let profile = args
                .profile
                .clone()
                .unwrap_or_else(|| "DEFAULT".to_string());
            let t = load_profile(path, &profile)?;
            config.tenancy_id = Some(t.tenancy.clone());
            if !t.user.is_empty() {
                config.user_id = Some(t.user.clone());
            }
            config.key_pem = Some(t.key_pem.clone());
            Some((path.clone(), profile, t))
        }
        None => None,
    };

    let emu = Emulator::start_with(config).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", emu.url());
    let _ = out.flush();

    match trusted {
        Some((path, profile, t)) => {
            let key = parse_private_pem(&t.key_pem).map_err(|e| e.to_string())?;
            let public = key.to_public_key();
            let public_pem = public
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| e.to_string())?;
            let computed = fingerprint(&public).map_err(|e| e.to_string())?;
            if !t.user.is_empty() && computed != t.fingerprint {
                emu.add_api_key(&t.tenancy, &t.user, &t.fingerprint, &public_pem)
                    .map_err(|e| e.to_string())?;
                let _ = writeln!(
                    out,
                    "warning: fingerprint {} in the profile differs from the key's {computed}; both are trusted",
                    t.fingerprint
                );
            }
            if let Some(token) = &t.security_token {
                emu.add_session_token(token, &public_pem)
                    .map_err(|e| e.to_string())?;
                let _ = writeln!(
                    out,
                    "trusting the session token of the profile (keyId ST$...)"
                );
            }
            let _ = writeln!(out, "trusting profile [{profile}] of {}", path.display());
            let _ = writeln!(out, "key file:    {}", t.key_file.display());
        }
        None => {
            let dir = match &args.state_dir {
                Some(d) => d.clone(),
                None => {
                    std::env::temp_dir().join(format!("ocisdk-emulator-{}", std::process::id()))
                }
            };
            let config_path = emu.write_config(&dir).map_err(|e| e.to_string())?;
            let _ = writeln!(
                out,
                "config file: {} (profile DEFAULT)",
                config_path.display()
            );
            let _ = writeln!(
                out,
                "key file:    {}",
                config_path.with_file_name("key.pem").display()
            );
            let _ = writeln!(
                out,
                "use it with: OCI_CONFIG_FILE={}",
                config_path.display()
            );
        }
    }
    let _ = writeln!(out, "tenancy:     {}", emu.tenancy_id());
    let _ = writeln!(out, "user:        {}", emu.user_id());
    let _ = writeln!(out, "fingerprint: {}", emu.fingerprint());
    let _ = writeln!(out, "namespace:   {}", emu.namespace());
    let _ = writeln!(
        out,
        "endpoints:   identity {0}/20160918, object storage {0}",
        emu.url()
    );
    let _ = writeln!(out, "press Ctrl-C to stop");
    let _ = out.flush();
    drop(out);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build runtime for signal handling: {e}"))?;
    runtime
        .block_on(tokio::signal::ctrl_c())
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    emu.shutdown();
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn args() {
        let a = parse_args(
            [
                "--listen",
                "127.0.0.1:8080",
                "--page-size=5",
                "--empty-pages",
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(a.listen, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(a.page_size, Some(5));
        assert!(a.empty_pages);
        assert!(parse_args(["--bogus".to_string()]).is_err());
        assert!(parse_args(["--page-size".to_string(), "0".to_string()]).is_err());
        assert!(parse_args(["--listen".to_string()]).is_err());
        assert!(parse_args(["--profile".to_string(), "X".to_string()]).is_err());
    }

    #[test]
    fn ini_with_default_inheritance() {
        let text = "# c\r\n[DEFAULT]\r\ntenancy=t\r\nregion = us-ashburn-1\n\n[P]\nuser=u\nkey_file=/k=1\n";
        let ini = parse_ini(text, Path::new("cfg")).unwrap();
        assert_eq!(profile_value(&ini, "P", "tenancy"), Some("t"));
        assert_eq!(profile_value(&ini, "P", "user"), Some("u"));
        assert_eq!(profile_value(&ini, "P", "key_file"), Some("/k=1"));
        assert_eq!(profile_value(&ini, "DEFAULT", "user"), None);
        let err = parse_ini("x=1\n", Path::new("cfg")).unwrap_err();
        assert!(err.contains("cfg:1"), "{err}");
    }
}
