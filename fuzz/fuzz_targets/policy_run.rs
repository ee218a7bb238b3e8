//! Fuzz target `policy_run`: whole policies attached to an engine and run on one of its
//! golden requests, with either hook-error mode.
//!
//! An input is three header bytes (engine, golden request, flags) and a body. With flag
//! bit 1 clear the body is read by `arbitrary` as a script of the policy grammar
//! (`backoffice_fuzz::Script`: hooks of the engine with their real parameter names,
//! variables, branches, loops, comparisons, reads of the fields the engine passes,
//! arithmetic, a helper, results of the hook's shape or not); with it set the body is
//! policy source itself, so that the seeds `fuzz/run` writes from `examples/policies/` and
//! `tests/fixtures/hostile/` are real policies the fuzzer mutates. Flag bit 0 picks
//! `OnHookError::Fallback`.
//!
//! The engines and their requests are built once per process (configuration checked,
//! request parsed into its Rust type); per input the target compiles the policy, attaches
//! it to a clone of the prepared engine (`with_policy`, which binds the hooks) and
//! decides twice. The runtime's operation limit is 10,000 per hook call instead of
//! 200,000: real hooks need far fewer, and an endless loop still ends at the limit, only
//! sooner, so that the fuzzer's time goes into many inputs instead of a few loops.
//!
//! Asserts: no panic; every policy failure is a `policy.` diagnostic other than
//! `policy.internal`; deciding twice gives the same bytes (policies are pure), with the
//! same hook calls. Every 2^k inputs (from 1,024) it prints how many compiled, attached,
//! called at least one hook and decided, so a run shows that the hooks are reached.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use backoffice::address::AddressEngine;
use backoffice::engine::{from_json, Engine};
use backoffice::policy::{
    CallObserver, DecideOptions, HookCall, Limits, OnHookError, Policy, PolicyRuntime,
};
use backoffice::refunds::RefundsEngine;
use backoffice::returns::ReturnsEngine;
use backoffice::routing::RoutingEngine;
use backoffice::Error;
use backoffice_fuzz::{Script, ENGINES};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Golden requests per engine (config, request), from `tests/fixtures/`, in the order of
/// `backoffice_fuzz::ENGINES`.
const FIXTURES: [&[&str]; 4] = [
    &[
        include_str!("../../tests/fixtures/routing/policy_vip_oversized.json"),
        include_str!("../../tests/fixtures/routing/example4_kits_whole.json"),
        include_str!("../../tests/fixtures/routing/backorder_with_expected_date.json"),
    ],
    &[
        include_str!("../../tests/fixtures/returns/policy_dress_and_lipstick.json"),
        include_str!("../../tests/fixtures/returns/exchange.json"),
        include_str!("../../tests/fixtures/returns/fraud_review_at_threshold.json"),
    ],
    &[
        include_str!("../../tests/fixtures/refunds/policy_eu_store_currency.json"),
        include_str!("../../tests/fixtures/refunds/usd_cad_current_merchant_loss.json"),
        include_str!("../../tests/fixtures/refunds/chf_cash_rounding.json"),
    ],
    &[
        include_str!("../../tests/fixtures/address/ch_po_box_oversized.json"),
        include_str!("../../tests/fixtures/address/us_valid.json"),
        include_str!("../../tests/fixtures/address/ca_repair_and_missing.json"),
    ],
];

/// An engine built from a golden fixture's configuration, and the fixture's request.
struct Prepared<E: Engine> {
    engine: E,
    request: E::Request,
}

/// The fixtures of engine `index`, prepared. A fixture the engine refuses is a bug in
/// this target's list: it stops the run at once.
fn prepare<E: Engine>(index: usize) -> Vec<Prepared<E>> {
    let fixtures = FIXTURES.get(index).copied().unwrap_or_default();
    fixtures
        .iter()
        .map(|text| {
            let v: serde_json::Value = serde_json::from_str(text).expect("fixtures are JSON");
            let config = if v["config"].is_null() {
                "{}".to_string()
            } else {
                v["config"].to_string()
            };
            Prepared {
                engine: E::from_config_json(&config).expect("golden configurations are valid"),
                request: from_json(&v["request"].to_string()).expect("golden requests parse"),
            }
        })
        .collect()
}

fn runtime() -> &'static PolicyRuntime {
    static RUNTIME: OnceLock<PolicyRuntime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        PolicyRuntime::new().with_limits(Limits {
            max_operations: 10_000,
            ..Limits::default()
        })
    })
}

static INPUTS: AtomicU64 = AtomicU64::new(0);
static COMPILED: AtomicU64 = AtomicU64::new(0);
static ATTACHED: AtomicU64 = AtomicU64::new(0);
static REACHED: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);
static RETURNED: AtomicU64 = AtomicU64::new(0);
static DECIDED: AtomicU64 = AtomicU64::new(0);
static HOOK_FAILED: AtomicU64 = AtomicU64::new(0);

/// Counts the hook calls of one input's policy.
#[derive(Default)]
struct Counter {
    calls: AtomicU64,
    returned: AtomicU64,
}

impl CallObserver for Counter {
    fn started(&self, _hook: &str) {}
    fn finished(&self, call: HookCall) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if call.error.is_none() {
            self.returned.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(code) = &call.error {
            assert!(
                code.starts_with("policy.") && code != "policy.internal",
                "{call:?}"
            );
        }
    }
}

fn check_policy_error(err: &Error) {
    let _ = err.to_string();
    let _ = err.to_json_value();
    if let Error::Policy { diagnostics } = err {
        for d in diagnostics {
            assert!(
                d.code.starts_with("policy.") && d.code != "policy.internal",
                "{d:?}"
            );
            let _ = d.to_string();
        }
    }
}

fn report() {
    let n = INPUTS.fetch_add(1, Ordering::Relaxed) + 1;
    if n.is_power_of_two() && n >= 1024 {
        eprintln!(
            "policy_run: {n} inputs: {} compiled, {} attached, {} called a hook ({} hook calls, {} returned), {} decided, {} failed in a hook",
            COMPILED.load(Ordering::Relaxed),
            ATTACHED.load(Ordering::Relaxed),
            REACHED.load(Ordering::Relaxed),
            CALLS.load(Ordering::Relaxed),
            RETURNED.load(Ordering::Relaxed),
            DECIDED.load(Ordering::Relaxed),
            HOOK_FAILED.load(Ordering::Relaxed),
        );
    }
}

/// Attaches `policy` to a clone of `prepared`'s engine and decides its request twice.
fn decide<E: Engine + Clone>(
    prepared: &Prepared<E>,
    policy: Policy,
    options: &DecideOptions,
    source: &str,
) {
    let counter = Arc::new(Counter::default());
    let engine = match prepared
        .engine
        .clone()
        .attach_policy(policy.with_observer(counter.clone()))
    {
        Ok(engine) => engine,
        Err(err) => return check_policy_error(&err),
    };
    ATTACHED.fetch_add(1, Ordering::Relaxed);
    let decide_once = || {
        engine
            .decide_with(&prepared.request, options)
            .map(|decision| serde_json::to_string(&decision).expect("decisions serialise"))
    };
    let first = decide_once();
    let calls = counter.calls.swap(0, Ordering::Relaxed);
    let returned = counter.returned.swap(0, Ordering::Relaxed);
    if calls > 0 {
        REACHED.fetch_add(1, Ordering::Relaxed);
    }
    CALLS.fetch_add(calls, Ordering::Relaxed);
    RETURNED.fetch_add(returned, Ordering::Relaxed);
    match &first {
        Ok(_) => {
            DECIDED.fetch_add(1, Ordering::Relaxed);
        }
        Err(err) => {
            if matches!(err, Error::Policy { .. }) {
                HOOK_FAILED.fetch_add(1, Ordering::Relaxed);
            }
            check_policy_error(err);
        }
    }
    let second = decide_once();
    match (&first, &second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "deciding twice differed:\n{source}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{source}"),
        _ => panic!("deciding twice differed: {first:?} / {second:?}\n{source}"),
    }
    assert_eq!(
        (calls, returned),
        (
            counter.calls.load(Ordering::Relaxed),
            counter.returned.load(Ordering::Relaxed)
        ),
        "the second decision made other hook calls:\n{source}"
    );
}

/// Picks the prepared fixture `case` of an engine (modulo their number).
fn pick<E: Engine>(all: &[Prepared<E>], case: u8) -> Option<&Prepared<E>> {
    all.get(usize::from(case) % all.len().max(1))
}

fuzz_target!(|data: &[u8]| {
    report();
    let [engine_byte, case, flags, body @ ..] = data else {
        return;
    };
    let index = usize::from(*engine_byte) % ENGINES.len();
    let Some(grammar) = ENGINES.get(index) else {
        return;
    };
    let source = if flags & 2 != 0 {
        String::from_utf8_lossy(body).into_owned()
    } else {
        let Ok(script) = Script::arbitrary_take_rest(Unstructured::new(body)) else {
            return;
        };
        script.render_for(grammar)
    };
    let policy = match Policy::compile("fuzz.rhai", &source, runtime()) {
        Ok(policy) => policy,
        Err(err) => return check_policy_error(&err),
    };
    COMPILED.fetch_add(1, Ordering::Relaxed);
    let options = DecideOptions {
        trace: true,
        on_hook_error: if flags & 1 != 0 {
            OnHookError::Fallback
        } else {
            OnHookError::Fail
        },
    };
    static ROUTING: OnceLock<Vec<Prepared<RoutingEngine>>> = OnceLock::new();
    static RETURNS: OnceLock<Vec<Prepared<ReturnsEngine>>> = OnceLock::new();
    static REFUNDS: OnceLock<Vec<Prepared<RefundsEngine>>> = OnceLock::new();
    static ADDRESS: OnceLock<Vec<Prepared<AddressEngine>>> = OnceLock::new();
    // The order of `backoffice_fuzz::ENGINES` and `FIXTURES`.
    match grammar.kind {
        "routing" => {
            if let Some(p) = pick(ROUTING.get_or_init(|| prepare(index)), *case) {
                decide(p, policy, &options, &source);
            }
        }
        "returns" => {
            if let Some(p) = pick(RETURNS.get_or_init(|| prepare(index)), *case) {
                decide(p, policy, &options, &source);
            }
        }
        "refunds" => {
            if let Some(p) = pick(REFUNDS.get_or_init(|| prepare(index)), *case) {
                decide(p, policy, &options, &source);
            }
        }
        "address" => {
            if let Some(p) = pick(ADDRESS.get_or_init(|| prepare(index)), *case) {
                decide(p, policy, &options, &source);
            }
        }
        other => panic!("no prepared fixtures for engine `{other}`"),
    }
});
