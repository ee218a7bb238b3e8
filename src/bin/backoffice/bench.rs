//! `backoffice bench`: evaluations per second and median latency of one request.

use crate::args::{BenchArgs, Format};
use crate::check::pretty;
use crate::common::{load_engine, read_text, stdin_once, Failure};
use backoffice::engine::AnyEngine;
use backoffice::policy::{DecideOptions, PolicyRuntime};
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// What one measurement found.
struct Measured {
    iterations: u64,
    elapsed: Duration,
    median: Duration,
    p90: Duration,
    min: Duration,
}

impl Measured {
    fn per_second(&self) -> u64 {
        let nanos = self.elapsed.as_nanos().max(1);
        u64::try_from(u128::from(self.iterations) * 1_000_000_000 / nanos).unwrap_or(u64::MAX)
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "iterations": self.iterations,
            "elapsed_ns": u64::try_from(self.elapsed.as_nanos()).unwrap_or(u64::MAX),
            "evaluations_per_second": self.per_second(),
            "median_ns": u64::try_from(self.median.as_nanos()).unwrap_or(u64::MAX),
            "p90_ns": u64::try_from(self.p90.as_nanos()).unwrap_or(u64::MAX),
            "min_ns": u64::try_from(self.min.as_nanos()).unwrap_or(u64::MAX),
        })
    }
}

/// Measures `engine` on `input` for `budget` (after a warm-up of a tenth of it), or for
/// `max` evaluations when that comes first (after a warm-up of a tenth of them). At
/// least one evaluation is measured, however slow the machine, and with `max` the count
/// of measured evaluations is exactly `max` whenever the budget is long enough.
fn measure(engine: &AnyEngine, input: &str, budget: Duration, max: Option<u64>) -> Measured {
    let options = DecideOptions::default();
    let warm_up = budget / 10;
    let warm_up_max = max.map(|m| m / 10);
    let start = Instant::now();
    let mut warmed = 0u64;
    while start.elapsed() < warm_up && warm_up_max.is_none_or(|m| warmed < m) {
        let _ = engine.decide_json(input, &options);
        warmed += 1;
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    loop {
        let t = Instant::now();
        let _ = engine.decide_json(input, &options);
        samples.push(t.elapsed());
        if start.elapsed() >= budget || max.is_some_and(|m| samples.len() as u64 >= m) {
            break;
        }
    }
    let elapsed = start.elapsed();
    samples.sort_unstable();
    let at = |fraction_percent: usize| {
        samples
            .get(samples.len().saturating_sub(1) * fraction_percent / 100)
            .copied()
            .unwrap_or_default()
    };
    Measured {
        iterations: samples.len() as u64,
        elapsed,
        median: at(50),
        p90: at(90),
        min: samples.first().copied().unwrap_or_default(),
    }
}

/// `12.3 µs`, `1.20 ms`, `850 ns`.
fn human(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos < 1_000 {
        format!("{nanos} ns")
    } else if nanos < 1_000_000 {
        format!("{}.{} µs", nanos / 1_000, (nanos % 1_000) / 100)
    } else {
        format!(
            "{}.{:02} ms",
            nanos / 1_000_000,
            (nanos % 1_000_000) / 10_000
        )
    }
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> Result<ExitCode, Failure> {
    stdin_once(args.config.as_deref(), &args.input)?;
    let runtime = PolicyRuntime::new();
    let loaded = load_engine(
        args.engine.as_deref(),
        args.policy.as_deref(),
        args.config.as_deref(),
        &runtime,
        None,
    )?;
    let input = read_text(&args.input)?;
    // A request that fails would measure the error path: refuse it.
    loaded
        .engine
        .decide_json(&input, &DecideOptions::default())?;
    let millis = (args.seconds * rust_decimal::Decimal::ONE_THOUSAND)
        .to_u64()
        .filter(|m| *m > 0)
        .ok_or_else(|| Failure::new("--seconds must be positive"))?;
    let budget = Duration::from_millis(millis);

    let with_policy = measure(&loaded.engine, &input, budget, args.max_iterations);
    let baseline = match &loaded.policy {
        Some(_) => {
            let plain = AnyEngine::new(&loaded.kind, loaded.config.as_deref(), None)?;
            Some(measure(&plain, &input, budget, args.max_iterations))
        }
        None => None,
    };

    match args.format {
        Format::Json => {
            let report = json!({
                "engine": loaded.kind,
                "policy": loaded.policy.as_ref().map(|p| p.name()),
                "digest": loaded.policy.as_ref().map(|p| p.digest()),
                "measured": with_policy.to_json(),
                "builtin_baseline": baseline.as_ref().map(Measured::to_json),
            });
            println!("{}", pretty(&report));
        }
        Format::Human => {
            println!(
                "engine {}, policy {}",
                loaded.kind,
                loaded.policy.as_ref().map_or_else(
                    || "none (built-in behaviour)".to_string(),
                    |p| p.name().to_string()
                )
            );
            println!("measures JSON in -> decision -> JSON out, one thread, like the C ABI");
            let line = |label: &str, m: &Measured| {
                println!(
                    "{label:<10} {:>9} evaluations/s   median {:>9}   p90 {:>9}   min {:>9}   ({} runs)",
                    m.per_second(),
                    human(m.median),
                    human(m.p90),
                    human(m.min),
                    m.iterations
                );
            };
            line(
                if loaded.policy.is_some() {
                    "policy"
                } else {
                    "built-in"
                },
                &with_policy,
            );
            if let Some(baseline) = &baseline {
                line("built-in", baseline);
                let base = baseline.median.as_nanos().max(1);
                let ratio_x100 = with_policy.median.as_nanos() * 100 / base;
                println!(
                    "policy overhead: {}.{:02}x the built-in median",
                    ratio_x100 / 100,
                    ratio_x100 % 100
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
