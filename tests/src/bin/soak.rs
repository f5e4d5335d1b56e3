//! The soak (`scripts/soak.sh`, not CI): the async client (`ocisdk-hyper`) through an emulator
//! process that injects every fault kind, for a long time, from many tasks at once. It checks
//! what retries must never do (duplicate a create, hand back a corrupt object) and what a long
//! run must never do (grow its memory or its open file descriptors after warm-up), and prints
//! the figures RELIABILITY.md records.
//!
//! `soak [--minutes M] [--tasks N] [--p P] [--warmup-secs S] [--emulator PATH]`; the emulator
//! binary defaults to `ocisdk-emulator` next to this one. Exit status 0 only when no duplicate,
//! no corrupt object, and no growth were seen.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::collections::{BTreeMap, BTreeSet};
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, ExitCode, Stdio};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    use futures_util::StreamExt;
    use ocisdk_core::Error;
    use ocisdk_identity::{CreateGroup, CreateGroupDetails, DeleteGroup, ListGroups};
    use ocisdk_object_storage::{
        CreateBucket, CreateBucketDetails, DeleteObject, GetNamespace, GetObject, ListObjects,
        PutObject,
    };

    struct Args {
        minutes: f64,
        tasks: usize,
        p: f64,
        warmup: Duration,
        emulator: PathBuf,
    }

    fn parse_args() -> Result<Args, String> {
        let here = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut args = Args {
            minutes: 20.0,
            tasks: 64,
            p: 0.05,
            warmup: Duration::from_secs(120),
            emulator: here.with_file_name("ocisdk-emulator"),
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
            let bad = |v: &str| format!("{flag}: \"{v}\" is not a number");
            match flag.as_str() {
                "--minutes" => {
                    let v = value()?;
                    args.minutes = v.parse().map_err(|_| bad(&v))?;
                }
                "--tasks" => {
                    let v = value()?;
                    args.tasks = v.parse().map_err(|_| bad(&v))?;
                }
                "--p" => {
                    let v = value()?;
                    args.p = v.parse().map_err(|_| bad(&v))?;
                }
                "--warmup-secs" => {
                    let v = value()?;
                    args.warmup = Duration::from_secs(v.parse().map_err(|_| bad(&v))?);
                }
                "--emulator" => args.emulator = PathBuf::from(value()?),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(args)
    }

    /// Every fault kind the emulator has, each at probability `p` (first that fires wins).
    fn fault_flags(p: f64) -> Vec<String> {
        [
            "kind=503",
            "kind=429",
            "kind=commit-then-500",
            "kind=commit-then-drop",
            "kind=reset-response-body",
            "kind=truncate-response-body",
            "kind=stall,stall-ms=3000",
            "kind=reset-request-body",
        ]
        .iter()
        .enumerate()
        .flat_map(|(i, kind)| {
            [
                "--fault".to_string(),
                format!("{kind},p={p},seed={}", i + 1),
            ]
        })
        .collect()
    }

    struct Emulator {
        child: Child,
        url: String,
        config: PathBuf,
        _state: tempfile::TempDir,
    }

    impl Drop for Emulator {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn start_emulator(args: &Args) -> Result<Emulator, String> {
        let state = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut child = Command::new(&args.emulator)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--page-size",
                "50",
                "--state-dir",
            ])
            .arg(state.path().join("emulator"))
            .args(fault_flags(args.p))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", args.emulator.display()))?;
        let stdout = child.stdout.take().ok_or("no emulator stdout")?;
        let (mut url, mut config) = (None, None);
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(rest) = line.strip_prefix("config file: ") {
                config = rest.split(" (").next().map(PathBuf::from);
            }
            if let Some(rest) = line.strip_prefix("endpoints:   identity ") {
                url = rest.split("/20160918").next().map(str::to_string);
            }
            if line.starts_with("press Ctrl-C") {
                break;
            }
        }
        match (url, config) {
            (Some(url), Some(config)) => Ok(Emulator {
                child,
                url,
                config,
                _state: state,
            }),
            _ => Err("the emulator did not print its URL and config file".into()),
        }
    }

    /// The bytes of version `version` of object `name` of task `task`: a header naming them,
    /// then a pattern of a length drawn from them, so any body read back says which write it
    /// claims to be, and can be checked against that write exactly.
    fn content(task: usize, name: usize, version: u64) -> Vec<u8> {
        let mut x = (task as u64) << 40 ^ (name as u64) << 32 ^ version;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let len = (next() % (256 * 1024)) as usize;
        let mut out = format!("{task}:{name}:{version}\n").into_bytes();
        out.extend((0..len).map(|_| next() as u8));
        out
    }

    fn claimed(body: &[u8]) -> Option<(usize, usize, u64)> {
        let end = body.iter().position(|b| *b == b'\n')?;
        let text = std::str::from_utf8(&body[..end]).ok()?;
        let mut parts = text.split(':');
        Some((
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        ))
    }

    #[derive(Default)]
    struct Tally {
        calls: AtomicU64,
        ok: AtomicU64,
        not_found: AtomicU64,
        failed: AtomicU64,
        failures: std::sync::Mutex<BTreeMap<String, u64>>,
        maybe_applied: AtomicU64,
        duplicates: AtomicU64,
        corrupt: AtomicU64,
        stale_reads: AtomicU64,
        bytes_up: AtomicU64,
        bytes_down: AtomicU64,
    }

    fn note(tally: &Tally, op: &str, result: &Result<impl Sized, Error>) {
        tally.calls.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(_) => tally.ok.fetch_add(1, Ordering::Relaxed),
            // A read or delete of an object this task deleted: the answer, not a failure.
            Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => {
                tally.not_found.fetch_add(1, Ordering::Relaxed)
            }
            Err(e) => {
                let class = match e {
                    Error::Service(s) => format!("{op}: {} {}", s.status.as_u16(), s.code),
                    Error::Transport(t) => format!("{op}: transport {}", t.kind),
                    other => format!(
                        "{op}: {}",
                        format!("{other}").chars().take(60).collect::<String>()
                    ),
                };
                if let Ok(mut classes) = tally.failures.lock() {
                    *classes.entry(class).or_insert(0) += 1;
                }
                if e.earlier_attempt_may_have_succeeded() {
                    tally.maybe_applied.fetch_add(1, Ordering::Relaxed);
                }
                tally.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    /// What object `name` may hold: versions that may have been written since the last one known
    /// to be, and whether it may be absent.
    #[derive(Default, Clone)]
    struct Possible {
        versions: BTreeSet<u64>,
        absent: bool,
    }

    const NAMES: usize = 8;

    async fn task(
        client: ocisdk_hyper::Client,
        ns: String,
        tenancy: String,
        t: usize,
        until: Instant,
        tally: Arc<Tally>,
    ) {
        let bucket = format!("soak-{t}");
        loop {
            let made = client
                .send(CreateBucket::new(
                    &ns,
                    CreateBucketDetails::new(&bucket, &tenancy),
                ))
                .await;
            note(&tally, "CreateBucket", &made);
            match made {
                Ok(_) => break,
                // The documented outcome of a lost CreateBucket response: the bucket is there.
                Err(e) if e.earlier_attempt_may_have_succeeded() => break,
                Err(_) if Instant::now() < until => continue,
                Err(_) => return,
            }
        }
        let mut state: Vec<Possible> = vec![
            Possible {
                versions: BTreeSet::new(),
                absent: true,
            };
            NAMES
        ];
        let mut i: u64 = 0;
        while Instant::now() < until {
            i += 1;
            let n = (i as usize / 6) % NAMES;
            let object = format!("o-{n}");
            match i % 6 {
                0 | 3 => {
                    let body = content(t, n, i);
                    let len = body.len() as u64;
                    let put = client
                        .send_upload(PutObject::new(&ns, &bucket, &object, len), body)
                        .await;
                    note(&tally, "PutObject", &put);
                    if put.is_ok() {
                        tally.bytes_up.fetch_add(len, Ordering::Relaxed);
                        state[n] = Possible {
                            versions: BTreeSet::from([i]),
                            absent: false,
                        };
                    } else {
                        state[n].versions.insert(i);
                    }
                }
                1 | 4 => {
                    let got = match client
                        .send_download(GetObject::new(&ns, &bucket, &object))
                        .await
                    {
                        Ok(got) => got.body.bytes_up_to(1 << 20).await.map_err(|e| {
                            Error::Transport(ocisdk_core::error::TransportError::from_io(
                                &e,
                                "reading the object",
                            ))
                        }),
                        Err(e) => Err(e),
                    };
                    note(&tally, "GetObject", &got);
                    match got {
                        Ok(body) => {
                            tally
                                .bytes_down
                                .fetch_add(body.len() as u64, Ordering::Relaxed);
                            match claimed(&body) {
                                Some((ct, cn, v))
                                    if ct == t && cn == n && body[..] == content(t, n, v)[..] =>
                                {
                                    if !state[n].versions.contains(&v) {
                                        tally.stale_reads.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                                _ => {
                                    tally.corrupt.fetch_add(1, Ordering::Relaxed);
                                    eprintln!("CORRUPT: {bucket}/{object}: {} bytes", body.len());
                                }
                            }
                        }
                        Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => {
                            if !state[n].absent {
                                tally.stale_reads.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(_) => {}
                    }
                }
                2 => {
                    let del = client.send(DeleteObject::new(&ns, &bucket, &object)).await;
                    note(&tally, "DeleteObject", &del);
                    match &del {
                        Ok(_) => {
                            state[n] = Possible {
                                versions: BTreeSet::new(),
                                absent: true,
                            }
                        }
                        // Deleting what is not there is a 404: absent either way.
                        Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => {
                            state[n] = Possible {
                                versions: BTreeSet::new(),
                                absent: true,
                            }
                        }
                        Err(_) => state[n].absent = true,
                    }
                }
                _ => {
                    if i % 12 == 5 {
                        let mut pages = client.paginate(ListObjects::new(&ns, &bucket));
                        let mut listed = Ok(0u64);
                        while let Some(item) = pages.next().await {
                            match item {
                                Ok(_) => {
                                    if let Ok(n) = &mut listed {
                                        *n += 1;
                                    }
                                }
                                Err(e) => {
                                    listed = Err(e);
                                    break;
                                }
                            }
                        }
                        note(&tally, "ListObjects", &listed);
                    } else {
                        group_round(&client, &tenancy, t, i, &tally).await;
                    }
                }
            }
        }
    }

    /// A group created (retry token: a lost response is retried into the same group), looked up
    /// by name (exactly one, or it was duplicated), then deleted.
    async fn group_round(
        client: &ocisdk_hyper::Client,
        tenancy: &str,
        t: usize,
        i: u64,
        tally: &Tally,
    ) {
        let name = format!("soak-g-{t}-{i}");
        let created = client
            .send(CreateGroup::new(CreateGroupDetails::new(
                tenancy, &name, "soak",
            )))
            .await;
        note(tally, "CreateGroup", &created);
        let mut found = Vec::new();
        let mut pages = client.paginate(ListGroups::new(tenancy).name(&name));
        while let Some(item) = pages.next().await {
            match item {
                Ok(g) => found.push(g.id),
                Err(_) => return,
            }
        }
        if found.len() > 1 {
            tally.duplicates.fetch_add(1, Ordering::Relaxed);
            eprintln!("DUPLICATE: {} groups named {name}", found.len());
        }
        if created.is_ok() && found.is_empty() {
            eprintln!("LOST: CreateGroup {name} succeeded but no group has that name");
            tally.corrupt.fetch_add(1, Ordering::Relaxed);
        }
        for id in found {
            let deleted = client.send(DeleteGroup::new(&id)).await;
            note(tally, "DeleteGroup", &deleted);
        }
    }

    fn rss_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }

    fn open_fds() -> u64 {
        std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64)
    }

    pub fn main() -> ExitCode {
        let args = match parse_args() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("soak: {e}");
                return ExitCode::from(2);
            }
        };
        let emulator = match start_emulator(&args) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("soak: {e}");
                return ExitCode::from(2);
            }
        };
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("soak: no runtime: {e}");
                return ExitCode::from(2);
            }
        };
        runtime.block_on(run(args, emulator))
    }

    async fn run(args: Args, emulator: Emulator) -> ExitCode {
        let client =
            match ocisdk_hyper::Client::builder_from_config_file(Some(&emulator.config), None)
                .and_then(|b| {
                    b.endpoint(&emulator.url)
                        .read_timeout(Duration::from_secs(2))
                        .build()
                }) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("soak: client: {e}");
                    return ExitCode::from(2);
                }
            };
        let tenancy = client.tenancy().to_string();
        let ns = loop {
            if let Ok(ns) = client.send(GetNamespace::new()).await {
                break ns.data;
            }
        };
        let started = Instant::now();
        let until = started + Duration::from_secs_f64(args.minutes * 60.0);
        let tally = Arc::new(Tally::default());
        let tasks: Vec<_> = (0..args.tasks)
            .map(|t| {
                tokio::spawn(task(
                    client.clone(),
                    ns.clone(),
                    tenancy.clone(),
                    t,
                    until,
                    tally.clone(),
                ))
            })
            .collect();
        let mut samples: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let at = started.elapsed().as_secs();
            let (rss, fds) = (rss_kib(), open_fds());
            samples.insert(at, (rss, fds));
            eprintln!(
                "t={at:>5}s rss={rss} KiB fds={fds} calls={} ok={} not-found={} failed={} maybe-applied={} dup={} corrupt={}",
                tally.calls.load(Ordering::Relaxed),
                tally.ok.load(Ordering::Relaxed),
                tally.not_found.load(Ordering::Relaxed),
                tally.failed.load(Ordering::Relaxed),
                tally.maybe_applied.load(Ordering::Relaxed),
                tally.duplicates.load(Ordering::Relaxed),
                tally.corrupt.load(Ordering::Relaxed),
            );
        }
        for t in tasks {
            let _ = t.await;
        }
        drop(emulator);

        let warm = args.warmup.as_secs();
        let after: Vec<(u64, u64)> = samples.range(warm..).map(|(_, v)| *v).collect();
        let (Some(first), Some(last)) = (after.first(), after.last()) else {
            eprintln!("soak: the run was shorter than the warm-up; no growth figures");
            return ExitCode::from(2);
        };
        let max_rss = after.iter().map(|s| s.0).max().unwrap_or(0);
        let max_fds = after.iter().map(|s| s.1).max().unwrap_or(0);
        let secs = started.elapsed().as_secs_f64();
        let calls = tally.calls.load(Ordering::Relaxed);
        let duplicates = tally.duplicates.load(Ordering::Relaxed);
        let corrupt = tally.corrupt.load(Ordering::Relaxed);
        // Growth: the last sample against the first after warm-up, allowing for allocator noise.
        let rss_grew = last.0 > first.0 + first.0 / 10 + 8 * 1024;
        let fds_grew = last.1 > first.1 + 8;
        println!(
            "soak: {} tasks, {:.1} min, fault p={} per kind (8 kinds)",
            args.tasks,
            secs / 60.0,
            args.p
        );
        println!(
            "calls: {calls} ({:.0}/s), ok {}, not found {}, failed after retries {}, of which may-have-applied {}",
            calls as f64 / secs,
            tally.ok.load(Ordering::Relaxed),
            tally.not_found.load(Ordering::Relaxed),
            tally.failed.load(Ordering::Relaxed),
            tally.maybe_applied.load(Ordering::Relaxed),
        );
        println!(
            "404 of an object deleted before: {}",
            tally.not_found.load(Ordering::Relaxed)
        );
        if let Ok(classes) = tally.failures.lock() {
            for (class, n) in classes.iter() {
                println!("  failed: {n} x {class}");
            }
        }
        println!(
            "bytes: up {} MiB, down {} MiB",
            tally.bytes_up.load(Ordering::Relaxed) >> 20,
            tally.bytes_down.load(Ordering::Relaxed) >> 20
        );
        println!(
            "duplicates: {duplicates}; corrupt or lost: {corrupt}; reads of a version not known possible: {}",
            tally.stale_reads.load(Ordering::Relaxed)
        );
        println!(
            "rss KiB after warm-up ({warm} s): first {}, last {}, max {max_rss}; open fds: first {}, last {}, max {max_fds}",
            first.0, last.0, first.1, last.1
        );
        if duplicates > 0 || corrupt > 0 || rss_grew || fds_grew {
            println!("soak: FAILED");
            ExitCode::FAILURE
        } else {
            println!("soak: passed");
            ExitCode::SUCCESS
        }
    }
}
