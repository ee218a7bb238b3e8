//! The Rust API's own speed, measured in the same process as the Python paths, so that
//! the bench script in `examples/scaleout/` can report the boundary's cost as a ratio.
//!
//! [`rust_api_rate`] builds the typed engine (`E::from_config`, `E::attach_policy`), reads
//! the requests once into `E::Request`s, then calls `E::decide_with` over them in a loop:
//! exactly what a Rust caller of the engine's typed API does per decision, with no JSON on
//! the way. A request the engine refuses counts as a decision (its error is made too).

use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::{address, refunds, returns, routing, Error};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

fn measure<E: backoffice::engine::Engine>(
    config: Option<&str>,
    policy: Option<Policy>,
    requests: &str,
    seconds: f64,
) -> Result<(u64, f64), Error> {
    fn read<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
        serde_json::from_str(text).map_err(|e| Error::from_json(&e))
    }
    let config: E::Config = match config {
        None => E::Config::default(),
        Some(text) => read(text)?,
    };
    let mut engine = E::from_config(config)?;
    if let Some(policy) = policy {
        engine = engine.attach_policy(policy)?;
    }
    let requests: Vec<E::Request> = read(requests)?;
    if requests.is_empty() {
        return Err(Error::invalid("requests", "no request to measure"));
    }
    let options = DecideOptions::default();
    // Warm-up: one round, then whole rounds until the time is up.
    for request in &requests {
        let _ = std::hint::black_box(engine.decide_with(request, &options));
    }
    let budget = Duration::from_secs_f64(seconds.max(0.01));
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < budget {
        for request in &requests {
            let _ =
                std::hint::black_box(engine.decide_with(std::hint::black_box(request), &options));
        }
        count += requests.len() as u64;
    }
    Ok((count, start.elapsed().as_secs_f64()))
}

/// Decisions per second of the typed Rust API over `requests` (a JSON array), for about
/// `seconds`; returns `(decisions, elapsed seconds)`.
pub fn rust_api_rate(
    kind: &str,
    config: Option<&str>,
    policy: Option<(&str, &str)>,
    requests: &str,
    seconds: f64,
) -> Result<(u64, f64), Error> {
    let policy = match policy {
        Some((name, source)) => Some(Policy::compile(name, source, &PolicyRuntime::new())?),
        None => None,
    };
    match kind {
        "returns" => measure::<returns::ReturnsEngine>(config, policy, requests, seconds),
        "address" => measure::<address::AddressEngine>(config, policy, requests, seconds),
        "routing" => measure::<routing::RoutingEngine>(config, policy, requests, seconds),
        "refunds" => measure::<refunds::RefundsEngine>(config, policy, requests, seconds),
        _ => Err(Error::invalid(
            "kind",
            format!("unknown engine kind `{kind}`"),
        )),
    }
}
