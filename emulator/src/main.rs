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
    Emulator, EmulatorConfig, Fault, FaultKind, fingerprint, operation_names, parse_private_pem,
};
use rsa::pkcs8::{EncodePublicKey, LineEnding};

const USAGE: &str = "\
usage: ocisdk-emulator [--listen ADDR] [--config FILE [--profile NAME]] [--state-dir DIR]
                       [--page-size N] [--empty-pages] [--namespace NS] [--fault SPEC]...

  --listen ADDR     address to listen on (default 127.0.0.1:0, a free port)
  --config FILE     trust the API key of a profile in this OCI config file
  --profile NAME    profile to read from --config (default DEFAULT)
  --state-dir DIR   without --config: where to write the generated config and key.pem
                    (default: a new directory under the system temp dir)
  --page-size N     default page size of list operations (default 3)
  --empty-pages     insert empty pages that still carry a continuation token
  --namespace NS    Object Storage namespace (default ocisdkemulator)
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
    faults: Vec<Fault>,
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
    config.faults = args.faults.clone();

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
