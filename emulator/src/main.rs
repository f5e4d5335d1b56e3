//! `ocisdk-emulator` binary: runs the emulator until Ctrl-C.
//!
//! The first line on stdout is the base URL; human-readable details follow.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ocisdk_emulator::{
    Emulator, EmulatorConfig, Fault, FaultKind, fingerprint, generate_key_pem, operation_names,
    parse_private_pem,
};
use rsa::pkcs8::{EncodePublicKey, LineEnding};

const USAGE: &str = "\
usage: ocisdk-emulator [--listen ADDR] [--config FILE [--profile NAME]] [--state-dir DIR]
                       [--page-size N] [--empty-pages] [--namespace NS] [--region REGION]
                       [--home-region REGION] [--secret NAME=VALUE]... [--fault SPEC]...
                       [--session-token-lifetime SECS]

  --listen ADDR     address to listen on (default 127.0.0.1:0, a free port)
  --config FILE     trust the API key of a profile in this OCI config file
  --profile NAME    profile to read from --config (default DEFAULT)
  --state-dir DIR   without --config: where to write the generated config and key.pem
                    (created with mode 0700 if missing; the files are created afresh with
                    mode 0600 and replace any of that name, symlinks not followed).
                    Default: a new private directory (0700, random name) under the
                    system temp dir, removed on Ctrl-C or SIGTERM
  --page-size N     default page size of list operations (default 3)
  --empty-pages     insert empty pages that still carry a continuation token
  --namespace NS    Object Storage namespace (default ocisdkemulator)
  --region REGION   the region this emulator plays, written into the generated config
                    (default ocisdk-emulator: no real region, so a client built from the
                    generated config without the emulator's URL as endpoint fails instead of
                    reaching real OCI)
  --home-region REGION
                    the tenancy's home region: when it is not --region, Identity creates,
                    updates and deletes are refused as OCI refuses them outside the home
                    region (403 NotAllowed); reads still work. Default: no such rule
  --secret NAME=VALUE
                    put a secret into the emulator's vault (repeatable; the same NAME again
                    adds a version, which becomes CURRENT and the one before PREVIOUS), for
                    GetSecretBundle, GetSecretBundleByName and ListSecretBundleVersions
  --session-token-lifetime SECS
                    how long the session tokens issued by the refresh endpoint
                    (POST /v1/authentication/refresh) live (default 3600)
  --fault SPEC      inject a fault (repeatable; consulted in the order given, the first that
                    fires wins). SPEC is comma-separated key=value:
                      kind=KIND           required, one of:
                        429, 500, 503, 409-incorrect-state
                                          answer that status (TooManyRequests,
                                          InternalServerError, ServiceUnavailable,
                                          IncorrectState) before processing; nothing applied
                        commit-then-500   apply the request, then answer 500
                        commit-then-drop  apply, then close the connection with no response
                        reset-response-body     apply, send the head and half the body, RST
                        truncate-response-body  apply, send the head and half the body, FIN
                        stall             hold the request stall-ms, then close without a
                                          response; nothing applied
                        reset-request-body      read half the request body, then RST;
                                          nothing applied
                      op=NAME             only this operation (CreateGroup, PutObject,
                                          GetObject, ListUsers, ...); default: every one
                      skip=N              let the first N matching requests through
                      times=N             then hit at most N matching requests
                      p=P[,seed=S]        hit each with probability P (0..1), drawn from a
                                          generator seeded with S (default 0): reproducible
                      retry-after=SECS    with 429/500/503/409-incorrect-state: add
                                          retry-after: SECS
                      stall-ms=MS         with stall: how long (default 70000, past the usual
                                          60 s read timeout)
                    e.g. --fault kind=503,op=CreateGroup,times=2
                         --fault kind=commit-then-drop,op=PutObject,p=0.3,seed=7
  -h, --help        show this help

The first line printed on stdout is the base URL. Stop with Ctrl-C.";

/// Stall length when `stall-ms` is not given: past the SDKs' default 60 s read timeout.
const DEFAULT_STALL: Duration = Duration::from_secs(70);

#[derive(Debug, Default)]
struct Args {
    listen: Option<SocketAddr>,
    config: Option<PathBuf>,
    profile: Option<String>,
    state_dir: Option<PathBuf>,
    page_size: Option<usize>,
    empty_pages: bool,
    namespace: Option<String>,
    region: Option<String>,
    home_region: Option<String>,
    secrets: Vec<(String, String)>,
    faults: Vec<Fault>,
    session_token_lifetime: Option<u64>,
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
            "--session-token-lifetime" => {
                let v = value("--session-token-lifetime")?;
                let n: u64 = v.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    format!("--session-token-lifetime: \"{v}\" is not a positive number of seconds")
                })?;
                out.session_token_lifetime = Some(n);
            }
            "--namespace" => out.namespace = Some(value("--namespace")?),
            "--region" => out.region = Some(region_value("--region", value("--region")?)?),
            "--home-region" => {
                out.home_region = Some(region_value("--home-region", value("--home-region")?)?);
            }
            "--secret" => {
                let spec = value("--secret")?;
                // The value is a secret: it is never repeated in a message.
                let (name, secret) = spec
                    .split_once('=')
                    .filter(|(n, _)| !n.trim().is_empty())
                    .ok_or_else(|| "--secret needs NAME=VALUE".to_string())?;
                out.secrets
                    .push((name.trim().to_string(), secret.to_string()));
            }
            "--fault" => {
                let spec = value("--fault")?;
                let fault =
                    parse_fault_spec(&spec).map_err(|e| format!("--fault \"{spec}\": {e}"))?;
                out.faults.push(fault);
            }
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

/// A region identifier given on the command line (`us-phoenix-1`): lowercase letters, digits and
/// dashes.
fn region_value(flag: &str, v: String) -> Result<String, String> {
    let ok = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(v)
    } else {
        Err(format!(
            "{flag}: \"{v}\" is not a region identifier like us-phoenix-1"
        ))
    }
}

/// Parses one `--fault` SPEC (see the usage text). Errors name the offending part.
fn parse_fault_spec(spec: &str) -> Result<Fault, String> {
    let mut kind: Option<String> = None;
    let mut op: Option<String> = None;
    let mut skip: Option<u32> = None;
    let mut times: Option<u32> = None;
    let mut p: Option<f64> = None;
    let mut seed: Option<u64> = None;
    let mut retry_after: Option<u64> = None;
    let mut stall_ms: Option<u64> = None;

    fn set<T>(slot: &mut Option<T>, value: T, part: &str) -> Result<(), String> {
        if slot.is_some() {
            return Err(format!("\"{part}\" repeats a key already given"));
        }
        *slot = Some(value);
        Ok(())
    }
    fn number<T: std::str::FromStr>(v: &str, part: &str, what: &str) -> Result<T, String> {
        v.parse()
            .map_err(|_| format!("\"{part}\": \"{v}\" is not {what}"))
    }

    for part in spec.split(',') {
        let part = part.trim();
        let (key, v) = part
            .split_once('=')
            .map(|(k, v)| (k.trim(), v.trim()))
            .ok_or_else(|| format!("\"{part}\" is not key=value"))?;
        match key {
            "kind" => set(&mut kind, v.to_string(), part)?,
            "op" => {
                if !operation_names().contains(&v) {
                    return Err(format!(
                        "\"{part}\": unknown operation \"{v}\" (known: the operations of \
                         spec/*.json, e.g. CreateGroup, PutObject)"
                    ));
                }
                set(&mut op, v.to_string(), part)?;
            }
            "skip" => set(&mut skip, number(v, part, "a count")?, part)?,
            "times" => {
                let n: u32 = number(v, part, "a count")?;
                if n == 0 {
                    return Err(format!("\"{part}\": times must be at least 1"));
                }
                set(&mut times, n, part)?;
            }
            "p" => {
                let x: f64 = number(v, part, "a probability")?;
                if !(0.0..=1.0).contains(&x) {
                    return Err(format!(
                        "\"{part}\": the probability must be between 0 and 1"
                    ));
                }
                set(&mut p, x, part)?;
            }
            "seed" => set(&mut seed, number(v, part, "an unsigned integer")?, part)?,
            "retry-after" => set(&mut retry_after, number(v, part, "seconds")?, part)?,
            "stall-ms" => set(&mut stall_ms, number(v, part, "milliseconds")?, part)?,
            _ => {
                return Err(format!(
                    "\"{part}\": unknown key \"{key}\" (keys: kind, op, skip, times, p, seed, retry-after, stall-ms)"
                ));
            }
        }
    }

    let kind_name = kind.ok_or("kind=... is required")?;
    let status = |status: u16, code: &str| FaultKind::Status {
        status,
        code: code.to_string(),
        retry_after,
    };
    let kind = match kind_name.as_str() {
        "429" => status(429, "TooManyRequests"),
        "500" => status(500, "InternalServerError"),
        "503" => status(503, "ServiceUnavailable"),
        "409-incorrect-state" => status(409, "IncorrectState"),
        "commit-then-500" => FaultKind::CommitThenStatus {
            status: 500,
            code: "InternalServerError".to_string(),
        },
        "commit-then-drop" => FaultKind::CommitThenDrop,
        "reset-response-body" => FaultKind::ResetResponseBody,
        "truncate-response-body" => FaultKind::TruncateResponseBody,
        "stall" => FaultKind::Stall {
            duration: stall_ms.map_or(DEFAULT_STALL, Duration::from_millis),
        },
        "reset-request-body" => FaultKind::ResetRequestBody,
        other => {
            return Err(format!(
                "\"kind={other}\": unknown kind (kinds: 429, 500, 503, 409-incorrect-state, commit-then-500, commit-then-drop, reset-response-body, truncate-response-body, stall, reset-request-body)"
            ));
        }
    };
    if retry_after.is_some() && !matches!(kind, FaultKind::Status { .. }) {
        return Err(format!(
            "\"retry-after\" only goes with kind 429, 500, 503 or 409-incorrect-state, not {kind_name}"
        ));
    }
    if stall_ms.is_some() && !matches!(kind, FaultKind::Stall { .. }) {
        return Err(format!(
            "\"stall-ms\" only goes with kind=stall, not {kind_name}"
        ));
    }
    if seed.is_some() && p.is_none() {
        return Err("\"seed\" needs p=...".to_string());
    }

    let mut fault = Fault::new(kind);
    fault.operation = op;
    fault.skip = skip.unwrap_or(0);
    fault.times = times;
    if let Some(p) = p {
        fault = fault.probability(p, seed.unwrap_or(0));
    }
    Ok(fault)
}

/// A parsed INI file: section → key → (value, line).
type Ini = HashMap<String, HashMap<String, (String, usize)>>;

/// The keys of OCI's config file format: the only keys an error message names by themselves.
/// Anything else left of an `=` may be a pasted secret (a key's base64 ends in `=`), so a
/// message gives just its line.
const KNOWN_KEYS: &[&str] = &[
    "user",
    "fingerprint",
    "key_file",
    "tenancy",
    "region",
    "pass_phrase",
    "security_token_file",
    "delegation_token_file",
    "authentication_type",
    "log_requests",
    "additional_user_agent",
    "generic_headers",
    "connection_timeout",
    "read_timeout",
];

/// How an error names the key of a `key=value` line: the key itself when it is one of
/// [`KNOWN_KEYS`], otherwise only that the line has one.
fn key_label(key: &str) -> String {
    if KNOWN_KEYS.contains(&key) {
        format!("key {key}")
    } else {
        "a key that is not an OCI config key".to_string()
    }
}

/// A tiny INI reader with OCI's conventions: `[SECTION]`, `key=value` split at the first `=`,
/// `#`/`;` comments, CRLF tolerated.
///
/// No error quotes the file's text: a config file holds secrets (`pass_phrase`, a key pasted by
/// mistake), so errors name the file, the line number and, for an OCI config key, the key, never
/// a line or a value.
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
                    "{}:{line_no}: malformed section header (a line starting with [ must end with ])",
                    file.display()
                )
            })?;
            section = Some(name.trim().to_string());
            out.entry(name.trim().to_string()).or_default();
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            format!(
                "{}:{line_no}: expected key=value or [section] (the line is not shown: it may hold a secret)",
                file.display()
            )
        })?;
        let sec = section.clone().ok_or_else(|| {
            format!(
                "{}:{line_no}: {} appears before any [section]",
                file.display(),
                key_label(k.trim())
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
    profile_entry(ini, profile, key).map(|(v, _)| v)
}

/// A profile's value and its line number, inheriting from `[DEFAULT]`.
fn profile_entry<'a>(ini: &'a Ini, profile: &str, key: &str) -> Option<(&'a str, usize)> {
    ini.get(profile)
        .and_then(|s| s.get(key))
        .or_else(|| ini.get("DEFAULT").and_then(|s| s.get(key)))
        .map(|(v, line)| (v.as_str(), *line))
}

fn expand_home(p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    PathBuf::from(p)
}

struct TrustedProfile {
    tenancy: String,
    user: String,
    fingerprint: String,
    key_pem: String,
    key_file: PathBuf,
    /// The line of `key_file` in the config file, for errors about the key.
    key_file_line: usize,
    security_token: Option<String>,
}

/// Reads profile `profile` of the config file at `path` and the files it names.
///
/// Like [`parse_ini`], no error quotes a value of the file or the content of a file it names:
/// errors say `<config>:<line>: <key>: ...` (the paths of the key and token files are named, as
/// the files at fault, but nothing read from them).
fn load_profile(path: &Path, profile: &str) -> Result<TrustedProfile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let ini = parse_ini(&text, path)?;
    if !ini.contains_key(profile) {
        return Err(format!("{}: no profile [{profile}]", path.display()));
    }
    let at = |key: &str, line: usize| format!("{}:{line}: {key}", path.display());
    let need = |key: &str| -> Result<(String, usize), String> {
        profile_entry(&ini, profile, key)
            .map(|(v, line)| (v.to_string(), line))
            .ok_or_else(|| format!("{}: profile [{profile}] has no {key}", path.display()))
    };
    let (tenancy, _) = need("tenancy")?;
    let (fingerprint, _) = need("fingerprint")?;
    let (key_file, key_file_line) = need("key_file")?;
    let key_file = expand_home(&key_file);
    let key_file = if key_file.is_relative() {
        path.parent().unwrap_or(Path::new(".")).join(key_file)
    } else {
        key_file
    };
    let security_token = match profile_entry(&ini, profile, "security_token_file") {
        Some((f, line)) => {
            let f = expand_home(f);
            Some(
                std::fs::read_to_string(&f)
                    .map_err(|e| {
                        format!(
                            "{}: cannot read {}: {e}",
                            at("security_token_file", line),
                            f.display()
                        )
                    })?
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
    let key_pem = std::fs::read_to_string(&key_file).map_err(|e| {
        format!(
            "{}: cannot read {}: {e}",
            at("key_file", key_file_line),
            key_file.display()
        )
    })?;
    Ok(TrustedProfile {
        tenancy,
        user,
        fingerprint,
        key_pem,
        key_file,
        key_file_line,
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
    if let Some(secs) = args.session_token_lifetime {
        config.session_token_lifetime = Duration::from_secs(secs);
    }
    if let Some(ns) = &args.namespace {
        config.namespace = ns.clone();
    }
    if let Some(r) = &args.region {
        config.region = r.clone();
    }
    config.home_region = args.home_region.clone();
    config.empty_pages = args.empty_pages;
    config.faults = args.faults.clone();
    config.secrets = args.secrets.clone();

    let trusted = match &args.config {
        Some(path) => {
            let profile = args
                .profile
                .clone()
                .unwrap_or_else(|| "DEFAULT".to_string());
            let t = load_profile(path, &profile)?;
            // Checked here so that the error names where the key came from (and nothing in it).
            parse_private_pem(&t.key_pem).map_err(|e| {
                format!(
                    "{}:{}: key_file: {}: {e}",
                    path.display(),
                    t.key_file_line,
                    t.key_file.display()
                )
            })?;
            config.tenancy_id = Some(t.tenancy.clone());
            if !t.user.is_empty() {
                config.user_id = Some(t.user.clone());
            }
            config.key_pem = Some(t.key_pem.clone());
            Some((path.clone(), profile, t))
        }
        None => {
            // A key of its own for each run: the library's built-in test key is published, and
            // a program may run for long, beside other users. Generating takes well under a
            // second in the workspace's builds (its bigint crates are optimised) and in release.
            config.key_pem = Some(generate_key_pem().map_err(|e| e.to_string())?);
            None
        }
    };

    let emu = Emulator::start_with(config).map_err(|e| e.to_string())?;
    // Without --state-dir: a private directory made for this run, removed at Ctrl-C. Made before
    // the URL is printed, so that a caller who sees the URL finds the config written.
    let mut generated_dir = None;
    let state_dir = match (&trusted, &args.state_dir) {
        (Some(_), _) => None,
        (None, Some(d)) => Some(d.clone()),
        (None, None) => {
            let d = GeneratedDir(create_private_dir(&std::env::temp_dir())?);
            let path = d.0.clone();
            generated_dir = Some(d);
            Some(path)
        }
    };
    let config_path = match &state_dir {
        Some(dir) => Some(
            emu.write_config(dir)
                .map_err(|e| format!("cannot write the config into {}: {e}", dir.display()))?,
        ),
        None => None,
    };
    // Beside the generated config, a resource-principal (2.2) environment's files, written
    // before the URL is printed for the same reason as the config.
    let resource_principal = match &state_dir {
        Some(dir) => {
            let lifetime = Duration::from_secs(args.session_token_lifetime.unwrap_or(3600));
            let written = emu.write_resource_principal(dir, lifetime).map_err(|e| {
                format!(
                    "cannot write the resource principal into {}: {e}",
                    dir.display()
                )
            })?;
            // The same key is the resource's own for versions 2.1.x (token endpoints here).
            emu.add_resource_principal_key(emu.public_key_pem())
                .map_err(|e| e.to_string())?;
            Some(written)
        }
        None => None,
    };
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
            // That profile names a real region: only the endpoint keeps a client here.
            let _ = writeln!(
                out,
                "use it with: that profile AND the endpoint {}; without the endpoint a client \
                 goes to the profile's region, that is to real OCI",
                emu.url()
            );
        }
        None => {
            if let Some(config_path) = &config_path {
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
                // The config's path and the endpoint, both explicit: `OCI_CONFIG_FILE` loses to
                // an existing ~/.oci/config, and a client without the endpoint goes to the
                // profile's region (here one that resolves nowhere, unless --region was given).
                let _ = writeln!(
                    out,
                    "use it with: the config file above AND the endpoint {url}, both explicitly:\n  \
                     Rust:   Client::builder_from_config_file(Some(Path::new(\"{config}\")), None)?.endpoint(\"{url}\").build()?\n  \
                     Python: oci.identity.IdentityClient(oci.config.from_file(\"{config}\"), service_endpoint=\"{url}\")\n  \
                     OCI CLI: oci --config-file {config} --endpoint {url} ...\n\
                     (for ocisdk, OCI_CONFIG_FILE alone is not enough: an existing ~/.oci/config wins over it)",
                    url = emu.url(),
                    config = config_path.display(),
                );
            }
        }
    }
    let _ = writeln!(out, "tenancy:     {}", emu.tenancy_id());
    let _ = writeln!(out, "user:        {}", emu.user_id());
    let _ = writeln!(out, "fingerprint: {}", emu.fingerprint());
    let _ = writeln!(out, "namespace:   {}", emu.namespace());
    let _ = writeln!(
        out,
        "endpoints:   identity {0}/20160918, object storage {0}, secrets {0}/20190301",
        emu.url()
    );
    let _ = writeln!(out, "vault:       {}", emu.vault_id());
    let _ = writeln!(
        out,
        "imds:        {} (instance principals: OCI_METADATA_BASE_URL; federation at {}/v1/x509)",
        emu.imds_url(),
        emu.url()
    );
    if let Some((key, rpst)) = &resource_principal {
        let _ = writeln!(out, "rp rpst:     {}", rpst.display());
        let _ = writeln!(out, "rp key:      {}", key.display());
        let _ = writeln!(
            out,
            "resource principal: OCI_RESOURCE_PRINCIPAL_VERSION=2.2 OCI_RESOURCE_PRINCIPAL_RPST={} OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM={} OCI_RESOURCE_PRINCIPAL_REGION={}",
            rpst.display(),
            key.display(),
            emu.region()
        );
        let _ = writeln!(
            out,
            "resource principal 2.1.1: OCI_RESOURCE_PRINCIPAL_VERSION=2.1.1 OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT={url} OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT={url} OCI_RESOURCE_PRINCIPAL_RESOURCE_ID={} OCI_RESOURCE_PRINCIPAL_TENANCY_ID={} OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM={} OCI_RESOURCE_PRINCIPAL_REGION={}",
            ocisdk_emulator::RESOURCE_ID,
            emu.tenancy_id(),
            key.display(),
            emu.region(),
            url = emu.url(),
        );
        let _ = writeln!(
            out,
            "resource principal 1.1: OCI_RESOURCE_PRINCIPAL_VERSION=1.1 OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT={url} OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT={url} OCI_METADATA_BASE_URL={} (and the client's auth endpoint {url}, for the federation)",
            emu.imds_url(),
            url = emu.url(),
        );
    }
    let _ = writeln!(
        out,
        "proxymux:    {} (OKE workload identity; service-account tokens come from the library API)",
        emu.proxymux_url()
    );
    let mut names: Vec<&str> = args.secrets.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let _ = writeln!(out, "secret:      {name}");
    }
    for f in &args.faults {
        let _ = writeln!(out, "fault:       {f:?}");
    }
    let _ = writeln!(out, "press Ctrl-C to stop");
    let _ = out.flush();
    drop(out);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build runtime for signal handling: {e}"))?;
    runtime.block_on(stop_signal())?;
    emu.shutdown();
    drop(generated_dir);
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn stop_signal() -> Result<(), String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term =
            signal(SignalKind::terminate()).map_err(|e| format!("cannot wait for SIGTERM: {e}"))?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map_err(|e| format!("cannot wait for Ctrl-C: {e}")),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))
    }
}

/// A directory of [`create_private_dir`]: removed (what the emulator wrote into it, then the
/// directory if that emptied it) when dropped, i.e. when the emulator stops on a signal or
/// fails after creating it.
struct GeneratedDir(PathBuf);

impl Drop for GeneratedDir {
    fn drop(&mut self) {
        remove_private_dir(&self.0);
    }
}

/// Creates a new private directory under `parent` for the generated config and key:
/// `ocisdk-emulator-<32 random hex digits>`, on Unix with mode 0700. Fails if the name exists (a
/// directory or a symlink planted there is never used): nobody else can have prepared it.
fn create_private_dir(parent: &Path) -> Result<PathBuf, String> {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random)
        .map_err(|e| format!("cannot draw a random directory name: {e}"))?;
    let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let dir = parent.join(format!("ocisdk-emulator-{name}"));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .map_err(|e| format!("cannot create the private directory {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Removes what [`Emulator::write_config`] wrote into a directory of [`create_private_dir`],
/// then the directory if that left it empty (nothing else in it is touched).
fn remove_private_dir(dir: &Path) {
    // The files this program writes there (the config, and a resource principal's token and key).
    for name in ["key.pem", "config", "rpst", "rp_key.pem"] {
        let _ = std::fs::remove_file(dir.join(name));
    }
    let _ = std::fs::remove_dir(dir);
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
        let a = parse_args(["--session-token-lifetime=90".to_string()]).unwrap();
        assert_eq!(a.session_token_lifetime, Some(90));
        assert!(parse_args(["--session-token-lifetime=0".to_string()]).is_err());
        assert!(parse_args(["--listen".to_string()]).is_err());
        assert!(parse_args(["--profile".to_string(), "X".to_string()]).is_err());
    }

    #[test]
    fn fault_specs() {
        let f = parse_fault_spec("kind=503").unwrap();
        assert_eq!(f, Fault::new(FaultKind::unavailable()));

        let f =
            parse_fault_spec("kind=429, op=CreateGroup,skip=1,times=2,p=0.3,seed=7,retry-after=2")
                .unwrap();
        assert_eq!(
            f,
            Fault::new(FaultKind::too_many_requests(Some(2)))
                .on("CreateGroup")
                .skip(1)
                .times(2)
                .probability(0.3, 7)
        );

        let kinds = [
            ("500", FaultKind::internal_error()),
            ("409-incorrect-state", FaultKind::incorrect_state()),
            (
                "commit-then-500",
                FaultKind::CommitThenStatus {
                    status: 500,
                    code: "InternalServerError".into(),
                },
            ),
            ("commit-then-drop", FaultKind::CommitThenDrop),
            ("reset-response-body", FaultKind::ResetResponseBody),
            ("truncate-response-body", FaultKind::TruncateResponseBody),
            (
                "stall",
                FaultKind::Stall {
                    duration: DEFAULT_STALL,
                },
            ),
            ("reset-request-body", FaultKind::ResetRequestBody),
        ];
        for (name, kind) in kinds {
            assert_eq!(
                parse_fault_spec(&format!("kind={name}")).unwrap().kind,
                kind
            );
        }
        assert_eq!(
            parse_fault_spec("kind=stall,stall-ms=1500").unwrap().kind,
            FaultKind::Stall {
                duration: Duration::from_millis(1500)
            }
        );
        assert_eq!(
            parse_fault_spec("p=1,kind=500").unwrap().probability,
            Some(1.0)
        );

        // Each error names the part at fault.
        let bad = [
            ("kind=504", "kind=504"),
            ("op=CreateGroup", "kind=... is required"),
            ("kind=503,op=CreateGroops", "op=CreateGroops"),
            ("kind=503,skip=-1", "skip=-1"),
            ("kind=503,times=0", "times=0"),
            ("kind=503,times=x", "times=x"),
            ("kind=503,p=1.5", "p=1.5"),
            ("kind=503,p=abc", "p=abc"),
            ("kind=503,seed=7", "seed"),
            ("kind=commit-then-drop,retry-after=2", "retry-after"),
            ("kind=503,stall-ms=10", "stall-ms"),
            ("kind=503,bogus=1", "bogus=1"),
            ("kind=503,op", "\"op\""),
            ("kind=503,", "\"\""),
            ("kind=503,kind=500", "kind=500"),
        ];
        for (spec, names) in bad {
            let e = parse_fault_spec(spec).unwrap_err();
            assert!(e.contains(names), "{spec}: {e}");
        }
    }

    #[test]
    fn secret_flags() {
        let a = parse_args(
            [
                "--secret",
                "db=one",
                "--secret=db=two=2",
                "--secret",
                "api= x ",
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(
            a.secrets,
            [
                ("db".to_string(), "one".to_string()),
                ("db".to_string(), "two=2".to_string()),
                ("api".to_string(), " x ".to_string()),
            ]
        );
        let e = parse_args(["--secret".to_string(), "=hunter2".to_string()]).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(parse_args(["--secret".to_string(), "novalue".to_string()]).is_err());
    }

    #[test]
    fn fault_flags() {
        let a = parse_args(
            [
                "--fault",
                "kind=503,op=CreateGroup,times=2",
                "--fault=kind=commit-then-drop,op=PutObject",
            ]
            .map(String::from),
        )
        .unwrap();
        assert_eq!(a.faults.len(), 2);
        assert_eq!(a.faults[1].kind, FaultKind::CommitThenDrop);
        let e = parse_args(["--fault".to_string(), "kind=nope".to_string()]).unwrap_err();
        assert!(
            e.contains("--fault \"kind=nope\"") && e.contains("kind=nope"),
            "{e}"
        );
        assert!(parse_args(["--fault".to_string()]).is_err());
    }

    #[test]
    fn region_flags() {
        let a = parse_args(
            ["--region", "eu-frankfurt-1", "--home-region=us-phoenix-1"].map(String::from),
        )
        .unwrap();
        assert_eq!(a.region.as_deref(), Some("eu-frankfurt-1"));
        assert_eq!(a.home_region.as_deref(), Some("us-phoenix-1"));
        let e = parse_args(["--home-region".to_string(), "PHX key".to_string()]).unwrap_err();
        assert!(e.contains("--home-region"), "{e}");
        assert!(parse_args(["--home-region".to_string()]).is_err());
        assert!(parse_args(["--region".to_string(), String::new()]).is_err());
    }

    /// Broken config text: every error names the file, the line and (for an OCI config key)
    /// the key, and never repeats a line or a value.
    #[test]
    fn ini_errors_repeat_no_secret() {
        const SECRET: &str = "hunter2-S3CR3T";
        let cases = [
            (
                format!("[DEFAULT]\npass_phrase={SECRET}\n{SECRET}\n"),
                "cfg:3: expected key=value",
            ),
            (format!("[{SECRET}\n"), "cfg:1: malformed section header"),
            (
                format!("\n# c\npass_phrase = {SECRET}\n"),
                "cfg:3: key pass_phrase appears before any [section]",
            ),
            (
                format!("{SECRET}={SECRET}\n[DEFAULT]\n"),
                "cfg:1: a key that is not an OCI config key appears before any [section]",
            ),
        ];
        for (text, wanted) in cases {
            let e = parse_ini(&text, Path::new("cfg")).unwrap_err();
            assert!(e.starts_with(wanted), "{text:?}: {e}");
            assert!(!e.contains("S3CR3T"), "{text:?}: {e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn private_dir_is_new_and_0700() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let a = create_private_dir(parent.path()).unwrap();
        let b = create_private_dir(parent.path()).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(parent.path()));
        let mode = std::fs::metadata(&a).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        // A name that exists (here a planted symlink) is never used.
        let planted = parent.path().join("planted");
        std::os::unix::fs::symlink(parent.path(), &planted).unwrap();
        let e = std::fs::DirBuilder::new().create(&planted).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);

        // Removal takes what the emulator wrote, and the directory only once empty.
        std::fs::write(a.join("key.pem"), "k").unwrap();
        std::fs::write(a.join("config"), "c").unwrap();
        remove_private_dir(&a);
        assert!(!a.exists());
        std::fs::write(b.join("mine"), "m").unwrap();
        remove_private_dir(&b);
        assert!(b.join("mine").exists());
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
