//! The ocisdk side of the comparison against the official OCI Python SDK (BENCHMARKS.md,
//! "Against the official Python SDK"). Runs one workload against an already running
//! `ocisdk-emulator` and prints one JSON line: wall time, HTTP requests, requests per second and
//! the CPU time (user + sys) this process spent in the timed part.
//!
//! ```text
//! cargo build --release -p ocisdk-tests --bin compare
//! target/release/compare --endpoint URL --config STATE_DIR/config --workload NAME [--n N] [--repeat R]
//! ```
//!
//! `scripts/compare.sh` starts the emulator, seeds it (`--workload seed-users`) and runs every
//! workload against `tests/python/compare.py`, which prints the same JSON for the Python SDK.
//!
//! Only the workload itself is timed: building the client (reading the config, parsing the key)
//! and fetching the user OCIDs to get happen before the clock starts. CPU time comes from
//! `/proc/self/stat` (utime + stime of every thread, live or exited, in clock ticks of 10 ms), so
//! runs should take a few seconds of CPU for a precise per-request figure. Both SDKs keep their
//! default retry policy (8 attempts); the emulator injects no faults, so nothing is retried.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::PathBuf;
    use std::process::ExitCode;
    use std::sync::Arc;
    use std::time::Instant;

    use futures_util::StreamExt;
    use ocisdk_identity::{CreateUser, CreateUserDetails, GetUser, IdentityClient, ListUsers};

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

    const USAGE: &str = "\
    usage: compare --endpoint URL --config FILE --workload NAME [options]

    workloads:
      seed-users               create --users users (default 3000) with the blocking client
      seq-get-user-blocking    --n sequential GetUser on one blocking client
      seq-get-user-hyper       --n sequential GetUser on one hyper client
      conc-get-user-blocking   --threads threads (default 64) share one blocking client, --n in all
      conc-get-user-hyper      --threads tokio tasks share one hyper client, --n in all
      list-users-blocking      list every user through the paginator, --repeat times
      list-users-hyper         the same on the hyper client

    options:
      --n N               GetUser requests in all (default 2000)
      --repeat R          listings (default 5)
      --threads T         concurrency of the conc-* workloads (default 64)
      --users N           users to create with seed-users (default 3000)
      --pool N            idle connections the client keeps (blocking max_idle_connections,
                          hyper pool_max_idle_per_host; default: the client's own default,
                          10 for blocking and 32 for hyper)
      --worker-threads N  tokio worker threads for the hyper workloads (default: one per core,
                          as #[tokio::main])
      --current-thread    run the hyper workloads on a current-thread runtime instead";

    #[derive(Debug)]
    struct Args {
        endpoint: String,
        config: PathBuf,
        workload: String,
        n: usize,
        repeat: usize,
        threads: usize,
        users: usize,
        pool: Option<usize>,
        worker_threads: Option<usize>,
        current_thread: bool,
    }

    fn parse_args() -> Result<Args, String> {
        let mut endpoint = None;
        let mut config = None;
        let mut workload = None;
        let mut args = Args {
            endpoint: String::new(),
            config: PathBuf::new(),
            workload: String::new(),
            n: 2000,
            repeat: 5,
            threads: 64,
            users: 3000,
            pool: None,
            worker_threads: None,
            current_thread: false,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
            fn count(name: &str, v: String) -> Result<usize, String> {
                v.parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or(format!("{name} wants a positive number, got {v:?}"))
            }
            match flag.as_str() {
                "--endpoint" => endpoint = Some(value("--endpoint")?),
                "--config" => config = Some(PathBuf::from(value("--config")?)),
                "--workload" => workload = Some(value("--workload")?),
                "--n" => args.n = count("--n", value("--n")?)?,
                "--repeat" => args.repeat = count("--repeat", value("--repeat")?)?,
                "--threads" => args.threads = count("--threads", value("--threads")?)?,
                "--users" => args.users = count("--users", value("--users")?)?,
                "--pool" => args.pool = Some(count("--pool", value("--pool")?)?),
                "--worker-threads" => {
                    args.worker_threads =
                        Some(count("--worker-threads", value("--worker-threads")?)?);
                }
                "--current-thread" => args.current_thread = true,
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
            }
        }
        args.endpoint = endpoint.ok_or(format!("--endpoint is required\n\n{USAGE}"))?;
        args.config = config.ok_or(format!("--config is required\n\n{USAGE}"))?;
        args.workload = workload.ok_or(format!("--workload is required\n\n{USAGE}"))?;
        Ok(args)
    }

    pub fn main() -> ExitCode {
        let args = match parse_args() {
            Ok(a) => a,
            Err(msg) => {
                eprintln!("{msg}");
                return ExitCode::from(2);
            }
        };
        match run(&args) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("compare {}: error: {e}", args.workload);
                ExitCode::FAILURE
            }
        }
    }

    /// CPU time of this process so far (user, sys) in seconds: fields 14 and 15 of
    /// `/proc/self/stat`, which count every thread, including those that have exited.
    fn cpu_times() -> Result<(f64, f64), BoxError> {
        let stat = std::fs::read_to_string("/proc/self/stat")?;
        // The command name (field 2) is in parentheses and may contain spaces: start after it.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .ok_or("unreadable /proc/self/stat")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state), so field k is fields[k - 3].
        let ticks = |k: usize| -> Result<f64, BoxError> {
            let v: u64 = fields.get(k - 3).ok_or("short /proc/self/stat")?.parse()?;
            // USER_HZ: the kernel reports these in units of 1/100 s on every Linux ABI we run on.
            #[allow(clippy::cast_precision_loss)]
            Ok(v as f64 / 100.0)
        };
        Ok((ticks(14)?, ticks(15)?))
    }

    /// What a workload did, measured around its timed part only.
    struct Measured {
        requests: usize,
        /// Records returned (users listed) where that is not the same as `requests`.
        items: Option<usize>,
        concurrency: usize,
        wall: f64,
        user: f64,
        sys: f64,
    }

    /// Runs `work` (which returns the number of HTTP requests and of items) between two readings
    /// of the wall clock and the CPU counters.
    fn measure(
        concurrency: usize,
        work: impl FnOnce() -> Result<(usize, Option<usize>), BoxError>,
    ) -> Result<Measured, BoxError> {
        let (u0, s0) = cpu_times()?;
        let t0 = Instant::now();
        let (requests, items) = work()?;
        let wall = t0.elapsed().as_secs_f64();
        let (u1, s1) = cpu_times()?;
        Ok(Measured {
            requests,
            items,
            concurrency,
            wall,
            user: u1 - u0,
            sys: s1 - s0,
        })
    }

    #[allow(clippy::cast_precision_loss)]
    fn json_line(args: &Args, m: &Measured, extra: &str) -> String {
        let cpu = m.user + m.sys;
        let mut line = format!(
            concat!(
                r#"{{"sdk":"ocisdk","workload":"{}","requests":{},"concurrency":{},"#,
                r#""wall_s":{:.4},"req_per_s":{:.1},"cpu_user_s":{:.2},"cpu_sys_s":{:.2},"#,
                r#""cpu_s":{:.2},"cpu_us_per_req":{:.1}"#
            ),
            args.workload,
            m.requests,
            m.concurrency,
            m.wall,
            m.requests as f64 / m.wall,
            m.user,
            m.sys,
            cpu,
            cpu * 1e6 / m.requests as f64,
        );
        if let Some(items) = m.items {
            line.push_str(&format!(
                r#","items":{items},"items_per_s":{:.1}"#,
                items as f64 / m.wall
            ));
        }
        line.push_str(extra);
        line.push('}');
        line
    }

    fn blocking_client(args: &Args) -> Result<ocisdk_blocking::Client, BoxError> {
        let mut b = ocisdk_blocking::Client::builder_from_config_file(Some(&args.config), None)?
            .endpoint(&args.endpoint);
        if let Some(n) = args.pool {
            b = b.max_idle_connections(n);
        }
        Ok(b.build()?)
    }

    fn hyper_client(args: &Args) -> Result<ocisdk_hyper::Client, BoxError> {
        let mut b = ocisdk_hyper::Client::builder_from_config_file(Some(&args.config), None)?
            .endpoint(&args.endpoint);
        if let Some(n) = args.pool {
            b = b.pool_max_idle_per_host(n);
        }
        Ok(b.build()?)
    }

    fn runtime(args: &Args) -> Result<tokio::runtime::Runtime, BoxError> {
        let mut b = if args.current_thread {
            tokio::runtime::Builder::new_current_thread()
        } else {
            tokio::runtime::Builder::new_multi_thread()
        };
        if let Some(n) = args.worker_threads {
            b.worker_threads(n);
        }
        Ok(b.enable_all().build()?)
    }

    /// The OCIDs the GetUser workloads cycle through: one untimed page of up to 100 users.
    fn user_ids(client: &ocisdk_blocking::Client) -> Result<Arc<Vec<String>>, BoxError> {
        let op = ListUsers::new(client.tenancy()).limit(100);
        let ids: Vec<String> = IdentityClient::new(client.clone())
            .list_users(op)?
            .data
            .into_iter()
            .map(|u| u.id)
            .collect();
        if ids.is_empty() {
            return Err("the tenancy has no users: run --workload seed-users first".into());
        }
        Ok(Arc::new(ids))
    }

    /// Splits `n` requests over `parts` workers as evenly as possible.
    fn share(n: usize, parts: usize, i: usize) -> usize {
        n / parts + usize::from(i < n % parts)
    }

    fn run(args: &Args) -> Result<String, BoxError> {
        let extra;
        let m = match args.workload.as_str() {
            "seed-users" => {
                let client = blocking_client(args)?;
                let m = measure(8, || seed_users(&client, args.users))?;
                extra = String::new();
                m
            }
            "seq-get-user-blocking" => {
                let client = blocking_client(args)?;
                let ids = user_ids(&client)?;
                extra = String::new();
                measure(1, || {
                    get_users_blocking(&client, &ids, 0, args.n)?;
                    Ok((args.n, None))
                })?
            }
            "conc-get-user-blocking" => {
                let client = blocking_client(args)?;
                let ids = user_ids(&client)?;
                extra = String::new();
                measure(args.threads, || {
                    std::thread::scope(|s| {
                        let handles: Vec<_> = (0..args.threads)
                            .map(|i| {
                                let (client, ids) = (&client, &ids);
                                let n = share(args.n, args.threads, i);
                                s.spawn(move || get_users_blocking(client, ids, i, n))
                            })
                            .collect();
                        for h in handles {
                            h.join().map_err(|_| "a worker thread panicked")??;
                        }
                        Ok::<_, BoxError>(())
                    })?;
                    Ok((args.n, None))
                })?
            }
            "seq-get-user-hyper" | "conc-get-user-hyper" => {
                let blocking = blocking_client(args)?;
                let ids = user_ids(&blocking)?;
                drop(blocking);
                let rt = runtime(args)?;
                let client = hyper_client(args)?;
                let tasks = if args.workload.starts_with("seq") {
                    1
                } else {
                    args.threads
                };
                extra = runtime_note(args);
                measure(tasks, || {
                    rt.block_on(async {
                        if tasks == 1 {
                            return get_users_hyper(client, ids, 0, args.n).await;
                        }
                        let handles: Vec<_> = (0..tasks)
                            .map(|i| {
                                let n = share(args.n, tasks, i);
                                tokio::spawn(get_users_hyper(client.clone(), ids.clone(), i, n))
                            })
                            .collect();
                        for h in handles {
                            h.await??;
                        }
                        Ok(())
                    })?;
                    Ok((args.n, None))
                })?
            }
            "list-users-blocking" => {
                let client = blocking_client(args)?;
                let identity = IdentityClient::new(client.clone());
                // Untimed: how many pages (HTTP requests) one listing takes.
                let pages = identity
                    .pages(ListUsers::new(client.tenancy()))
                    .collect::<Result<Vec<_>, _>>()?
                    .len();
                extra = format!(r#","pages_per_listing":{pages},"repeat":{}"#, args.repeat);
                measure(1, || {
                    let mut users = 0;
                    for _ in 0..args.repeat {
                        for user in identity.paginate(ListUsers::new(client.tenancy())) {
                            std::hint::black_box(user?);
                            users += 1;
                        }
                    }
                    Ok((pages * args.repeat, Some(users)))
                })?
            }
            "list-users-hyper" => {
                let rt = runtime(args)?;
                let client = hyper_client(args)?;
                let identity = IdentityClient::new(client.clone());
                let pages = rt.block_on(async {
                    let mut pages = identity.pages(ListUsers::new(client.tenancy()));
                    let mut n = 0;
                    while let Some(page) = pages.next().await {
                        page?;
                        n += 1;
                    }
                    Ok::<_, BoxError>(n)
                })?;
                extra = format!(
                    r#","pages_per_listing":{pages},"repeat":{}{}"#,
                    args.repeat,
                    runtime_note(args)
                );
                measure(1, || {
                    let users = rt.block_on(async {
                        let mut users = 0;
                        for _ in 0..args.repeat {
                            let mut records = identity.paginate(ListUsers::new(client.tenancy()));
                            while let Some(user) = records.next().await {
                                std::hint::black_box(user?);
                                users += 1;
                            }
                        }
                        Ok::<_, BoxError>(users)
                    })?;
                    Ok((pages * args.repeat, Some(users)))
                })?
            }
            other => return Err(format!("unknown workload {other:?}\n\n{USAGE}").into()),
        };
        Ok(json_line(args, &m, &extra))
    }

    fn runtime_note(args: &Args) -> String {
        if args.current_thread {
            r#","runtime":"current-thread""#.to_string()
        } else {
            let workers = args.worker_threads.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(std::num::NonZero::get)
                    .unwrap_or(1)
            });
            format!(r#","runtime":"multi-thread","worker_threads":{workers}"#)
        }
    }

    /// `n` GetUser on the blocking client, starting at a different user per worker.
    fn get_users_blocking(
        client: &ocisdk_blocking::Client,
        ids: &[String],
        worker: usize,
        n: usize,
    ) -> Result<(), BoxError> {
        let identity = IdentityClient::new(client.clone());
        for k in 0..n {
            let id = &ids[(worker * 7 + k) % ids.len()];
            let user = identity.get_user(GetUser::new(id))?;
            if user.data.id != *id {
                return Err(format!("asked for {id}, got {}", user.data.id).into());
            }
        }
        Ok(())
    }

    /// `n` GetUser on the hyper client, starting at a different user per task.
    async fn get_users_hyper(
        client: ocisdk_hyper::Client,
        ids: Arc<Vec<String>>,
        worker: usize,
        n: usize,
    ) -> Result<(), BoxError> {
        let identity = IdentityClient::new(client.clone());
        for k in 0..n {
            let id = &ids[(worker * 7 + k) % ids.len()];
            let user = identity.get_user(GetUser::new(id)).await?;
            if user.data.id != *id {
                return Err(format!("asked for {id}, got {}", user.data.id).into());
            }
        }
        Ok(())
    }

    /// Creates `users` users (`bench-user-00000`, ...) from 8 threads, then checks that a listing
    /// sees at least that many.
    fn seed_users(
        client: &ocisdk_blocking::Client,
        users: usize,
    ) -> Result<(usize, Option<usize>), BoxError> {
        const THREADS: usize = 8;
        let tenancy = client.tenancy().to_string();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let tenancy = &tenancy;
                    s.spawn(move || {
                        let identity = IdentityClient::new(client.clone());
                        for i in (t..users).step_by(THREADS) {
                            let details = CreateUserDetails::new(
                                tenancy,
                                format!("bench-user-{i:05}"),
                                "a user of the SDK comparison",
                            )
                            .email(format!("bench-{i}@example.com"));
                            identity.create_user(CreateUser::new(details))?;
                        }
                        Ok::<_, BoxError>(())
                    })
                })
                .collect();
            for h in handles {
                h.join().map_err(|_| "a seeding thread panicked")??;
            }
            Ok::<_, BoxError>(())
        })?;
        let listed = IdentityClient::new(client.clone())
            .paginate(ListUsers::new(&tenancy))
            .count();
        if listed < users {
            return Err(format!("created {users} users but a listing shows {listed}").into());
        }
        Ok((users, Some(listed)))
    }
}
