//! How long `Emulator::start()` takes in a dependent crate's build (by default its unoptimised
//! debug build): the first start of the process (what each test binary pays), then `--warm N`
//! more. BENCHMARKS.md records the figures.
//!
//! `cargo run --example emulator_start -- --warm 20` (from tests/separate-crate)

use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut warm = 20;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--warm" => warm = args.next().ok_or("--warm N")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let started = Instant::now();
    let first = ocisdk_emulator::Emulator::start()?;
    let cold = started.elapsed();
    drop(first);
    let mut times = Vec::with_capacity(warm);
    for _ in 0..warm {
        let started = Instant::now();
        let emulator = ocisdk_emulator::Emulator::start()?;
        times.push(started.elapsed());
        drop(emulator);
    }
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let max = times.last().copied().unwrap_or_default();
    println!(
        "first start {:.1} ms; {} more: median {:.1} ms, max {:.1} ms",
        ms(cold),
        times.len(),
        ms(median),
        ms(max)
    );
    Ok(())
}
