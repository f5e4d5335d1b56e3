//! Repository tasks.
//!
//! - `cargo xtask codegen`: writes `services/<name>/src` from `spec/<name>.json` for every
//!   shipped service, then formats it with rustfmt.
//! - `cargo xtask codegen --check`: the same into a temporary directory, failing with the list
//!   of files that differ from the checked-in ones (CI runs this).
//! - `cargo xtask codegen-crate SPEC OUT`: a whole crate (with `Cargo.toml`) for any extracted
//!   spec, to show the generator is service-agnostic (`scripts/codegen-all.sh`).

mod codegen;
mod js;
mod names;
mod spec;
mod types;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use codegen::{Config, Doctests, Files, Overrides};

/// The services this repository ships.
fn shipped() -> Vec<(&'static str, &'static str, Config)> {
    vec![
        (
            "identity",
            "services/identity",
            Config {
                crate_name: "ocisdk-identity".into(),
                spec_file: "spec/identity.json".into(),
                title: "Identity and Access Management".into(),
                overrides: Overrides::default(),
                doctests: Doctests::Covering(vec![
                    "CreateGroup",
                    "UpdateGroup",
                    "ListUsers",
                    "DeleteGroup",
                ]),
            },
        ),
        (
            "object_storage",
            "services/object_storage",
            Config {
                crate_name: "ocisdk-object-storage".into(),
                spec_file: "spec/object_storage.json".into(),
                title: "Object Storage".into(),
                overrides: Overrides {
                    // The model has no response headers; these outputs are typed from them.
                    outputs: vec![
                        (
                            "GetObject",
                            "ObjectMetadata",
                            "crate::overrides::object_metadata",
                        ),
                        (
                            "HeadObject",
                            "ObjectMetadata",
                            "crate::overrides::object_metadata",
                        ),
                        (
                            "PutObject",
                            "PutObjectOutput",
                            "crate::overrides::put_object_output",
                        ),
                        (
                            "UploadPart",
                            "UploadPartOutput",
                            "crate::overrides::upload_part_output",
                        ),
                    ],
                    object_name_params: vec!["objectName"],
                    module: true,
                },
                doctests: Doctests::Covering(vec![
                    "CreateBucket",
                    "PutObject",
                    "GetObject",
                    "HeadObject",
                    "ListObjects",
                ]),
            },
        ),
        (
            "secrets",
            "services/secrets",
            Config {
                crate_name: "ocisdk-secrets".into(),
                spec_file: "spec/secrets.json".into(),
                title: "Secrets (secret retrieval)".into(),
                overrides: Overrides::default(),
                doctests: Doctests::Covering(vec!["GetSecretBundle"]),
            },
        ),
    ]
}

fn root() -> PathBuf {
    // xtask/ sits in the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn load(path: &Path) -> Result<spec::Spec, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_files(dir: &Path, files: &Files) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn rustfmt(files: &[PathBuf]) -> Result<(), String> {
    for chunk in files.chunks(200) {
        let status = Command::new("rustfmt")
            .args(["--edition", "2024"])
            .args(chunk)
            .status()
            .map_err(|e| format!("cannot run rustfmt: {e}"))?;
        if !status.success() {
            return Err("rustfmt failed on the generated code".into());
        }
    }
    Ok(())
}

/// The generated files under `dir/src` that are not hand-written overrides.
fn generated_under(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.join("src")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "overrides.rs")
                && std::fs::read_to_string(&p).is_ok_and(|t| t.starts_with(codegen::HEADER_START))
            {
                out.insert(p);
            }
        }
    }
    out
}

fn codegen(check: bool, only: &[String]) -> Result<(), String> {
    let root = root();
    let tmp = std::env::temp_dir().join(format!("ocisdk-codegen-{}", std::process::id()));
    let mut stale = Vec::new();
    let shipped = shipped();
    let mut specs = Vec::new();
    for (name, dir, cfg) in &shipped {
        let (name, dir) = (*name, *dir);
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let spec = load(&root.join(&cfg.spec_file))?;
        let (files, report) = codegen::generate(&spec, cfg)?;
        for problem in &report.unsupported {
            eprintln!("{name}: {problem}");
        }
        let target = root.join(dir);
        if check {
            let scratch = tmp.join(name);
            let written = write_files(&scratch, &files)?;
            // rustfmt follows `mod overrides;` into the hand-written file.
            let overrides = target.join("src/overrides.rs");
            if overrides.exists() {
                std::fs::copy(&overrides, scratch.join("src/overrides.rs"))
                    .map_err(|e| format!("cannot copy {}: {e}", overrides.display()))?;
            }
            rustfmt(&written)?;
            let mut seen = BTreeSet::new();
            for rel in files.keys() {
                let fresh = std::fs::read_to_string(scratch.join(rel)).unwrap_or_default();
                let current = std::fs::read_to_string(target.join(rel)).unwrap_or_default();
                seen.insert(target.join(rel));
                if fresh != current {
                    stale.push(format!("{dir}/{rel}"));
                }
            }
            for extra in generated_under(&target).difference(&seen) {
                stale.push(format!("{} (no longer generated)", extra.display()));
            }
        } else {
            for old in generated_under(&target) {
                let _ = std::fs::remove_file(old);
            }
            let written = write_files(&target, &files)?;
            rustfmt(&written)?;
            println!(
                "{dir}: {} operations, {} models, {} files; examples compiled as doctests: {}",
                spec.operations.len(),
                spec.models.len(),
                files.len(),
                report
                    .doctests
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        specs.push((spec, cfg, report.list_operations));
    }
    // The JavaScript API covers every shipped service at once.
    if specs.len() == shipped.len() {
        let services: Vec<js::JsService<'_>> = specs
            .iter()
            .map(|(spec, cfg, lists)| js::JsService {
                spec,
                config: cfg,
                list_operations: lists,
                krate: Box::leak(cfg.crate_name.replace('-', "_").into_boxed_str()),
                namespace: Box::leak(names::pascal(&spec.service.name).into_boxed_str()),
            })
            .collect();
        let text = js::generate(&services);
        let rel = "js/src/generated.rs";
        let scratch = tmp.join(rel);
        let path = if check {
            scratch.clone()
        } else {
            root.join(rel)
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        rustfmt(std::slice::from_ref(&path))?;
        if check {
            let fresh = std::fs::read_to_string(&scratch).unwrap_or_default();
            if fresh != std::fs::read_to_string(root.join(rel)).unwrap_or_default() {
                stale.push(rel.to_string());
            }
        } else {
            println!("{rel}: the JavaScript API of {} services", services.len());
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "generated code is stale; run `cargo xtask codegen`:\n  {}",
            stale.join("\n  ")
        ))
    }
}

/// The repository's crates that are not service crates: no generated crate may take their name.
const RESERVED_CRATES: &[&str] = &[
    "ocisdk-core",
    "ocisdk-blocking",
    "ocisdk-hyper",
    "ocisdk-wasm",
    "ocisdk-emulator",
    "ocisdk-tests",
];

/// A whole crate for any spec file, for trying the generator on other services.
fn codegen_crate(spec_path: &Path, out: &Path) -> Result<(), String> {
    let spec = load(spec_path)?;
    let name = spec.service.name.replace('_', "-");
    // `core` (compute, network, block storage) would be `ocisdk-core`, the crate every service
    // crate depends on: names of the repository's own crates get a suffix.
    let mut crate_name = format!("ocisdk-{name}");
    if RESERVED_CRATES.contains(&crate_name.as_str()) {
        crate_name.push_str("-api");
    }
    let cfg = Config {
        crate_name,
        spec_file: spec_path.display().to_string(),
        title: names::pascal(&spec.service.name),
        overrides: Overrides::default(),
        doctests: Doctests::None,
    };
    let (mut files, report) = codegen::generate(&spec, &cfg)?;
    let core = root().join("core");
    files.insert(
        "Cargo.toml".into(),
        format!(
            "[package]\nname = {:?}\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nocisdk-core = {{ path = {:?}, default-features = false }}\n\n[workspace]\n",
            cfg.crate_name,
            core.display().to_string()
        ),
    );
    let written = write_files(out, &files)?;
    let rs: Vec<PathBuf> = written
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    rustfmt(&rs)?;
    println!(
        "{}: {} operations, {} models, {} files, {} unsupported constructs",
        cfg.crate_name,
        spec.operations.len(),
        spec.models.len(),
        files.len(),
        report.unsupported.len()
    );
    for problem in &report.unsupported {
        println!("  unsupported: {problem}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => {
            let check = args.iter().any(|a| a == "--check");
            let only: Vec<String> = args[1..]
                .iter()
                .filter(|a| !a.starts_with("--"))
                .cloned()
                .collect();
            codegen(check, &only)
        }
        Some("codegen-crate") if args.len() == 3 => {
            codegen_crate(Path::new(&args[1]), Path::new(&args[2]))
        }
        _ => Err("usage: cargo xtask codegen [--check] [SERVICE...] | cargo xtask codegen-crate SPEC.json OUT_DIR".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
