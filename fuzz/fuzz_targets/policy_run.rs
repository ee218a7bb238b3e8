//! Fuzz target `policy_run`: whole policies from the policy grammar
//! (`backoffice_fuzz::Script`: hooks of one engine with their real parameter names,
//! variables, branches, loops, comparisons, reads of the fields the engine passes,
//! arithmetic, a helper, results of the hook's shape or not) compiled, attached to that
//! engine and run on one of its golden requests, with either hook-error mode.
//!
//! Asserts: no panic; every policy failure is a `policy.` diagnostic other than
//! `policy.internal`; a decision ends within a bounded time; deciding twice gives the same
//! bytes (policies are pure). Every 2^k inputs it prints how many compiled, attached and
//! decided, so a run shows that the hooks are reached.
#![no_main]

use arbitrary::Arbitrary;
use backoffice::engine::{hooks_of, AnyEngine};
use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::Error;
use backoffice_fuzz::{Script, ENGINES};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Golden requests per engine (config, request), from `tests/fixtures/`.
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

/// A fixture split into its configuration and request texts.
struct Case {
    config: String,
    request: String,
}

fn cases() -> &'static Vec<Vec<Case>> {
    static CASES: OnceLock<Vec<Vec<Case>>> = OnceLock::new();
    CASES.get_or_init(|| {
        FIXTURES
            .iter()
            .map(|fixtures| {
                fixtures
                    .iter()
                    .map(|text| {
                        let v: serde_json::Value =
                            serde_json::from_str(text).expect("fixtures are JSON");
                        Case {
                            config: v["config"].to_string(),
                            request: v["request"].to_string(),
                        }
                    })
                    .collect()
            })
            .collect()
    })
}

fn runtime() -> &'static PolicyRuntime {
    static RUNTIME: OnceLock<PolicyRuntime> = OnceLock::new();
    RUNTIME.get_or_init(PolicyRuntime::new)
}

#[derive(Debug, Arbitrary)]
struct Input {
    engine: u8,
    case: u8,
    fallback: bool,
    script: Script,
}

static INPUTS: AtomicU64 = AtomicU64::new(0);
static COMPILED: AtomicU64 = AtomicU64::new(0);
static ATTACHED: AtomicU64 = AtomicU64::new(0);
static DECIDED: AtomicU64 = AtomicU64::new(0);
static HOOK_FAILED: AtomicU64 = AtomicU64::new(0);

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
            "policy_run: {n} inputs: {} compiled, {} attached, {} decided, {} failed in a hook",
            COMPILED.load(Ordering::Relaxed),
            ATTACHED.load(Ordering::Relaxed),
            DECIDED.load(Ordering::Relaxed),
            HOOK_FAILED.load(Ordering::Relaxed),
        );
    }
}

fuzz_target!(|input: Input| {
    report();
    let index = usize::from(input.engine) % ENGINES.len();
    let Some(grammar) = ENGINES.get(index) else {
        return;
    };
    let hooks: Vec<(&'static str, &[&'static str])> = hooks_of(grammar.kind)
        .expect("every grammar engine has hooks")
        .iter()
        .map(|h| (h.name, h.params))
        .collect();
    let source = input.script.render(grammar, &hooks);
    let policy = match Policy::compile("fuzz.rhai", &source, runtime()) {
        Ok(policy) => policy,
        Err(err) => return check_policy_error(&err),
    };
    COMPILED.fetch_add(1, Ordering::Relaxed);
    let Some(case) = cases()
        .get(index)
        .and_then(|c| c.get(usize::from(input.case) % c.len()))
    else {
        return;
    };
    let engine = match AnyEngine::new(grammar.kind, Some(&case.config), Some(policy)) {
        Ok(engine) => engine,
        Err(err) => return check_policy_error(&err),
    };
    ATTACHED.fetch_add(1, Ordering::Relaxed);
    let options = DecideOptions {
        trace: true,
        on_hook_error: if input.fallback {
            OnHookError::Fallback
        } else {
            OnHookError::Fail
        },
    };
    let start = Instant::now();
    let first = engine.decide_json_string(&case.request, &options);
    let elapsed = start.elapsed();
    // Generous: the operation limit ends a busy policy long before, even under ASan on a
    // loaded machine.
    assert!(
        elapsed < Duration::from_secs(10),
        "took {elapsed:?}:\n{source}"
    );
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
    let second = engine.decide_json_string(&case.request, &options);
    match (&first, &second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "deciding twice differed:\n{source}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{source}"),
        _ => panic!("deciding twice differed: {first:?} / {second:?}\n{source}"),
    }
});
