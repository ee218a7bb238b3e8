//! Regression tests for problems the reliability programme found (fuzzing, the
//! hostile-policy suite, the invariant suites). Each replays the input that failed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::engine::{hooks_of, ENGINE_KINDS};
use backoffice::policy::{Policy, PolicyRuntime};

/// Found by `tests/hostile_policies.rs`: a closure compiles to an anonymous function
/// (`anon$<hash>`), which `Policy::bind` reported as an unknown hook, so no policy using
/// `filter(|x| ...)`, `map`, `sort` with a closure, etc. could be attached to an engine.
#[test]
fn policies_with_closures_bind_to_every_engine() {
    let runtime = PolicyRuntime::new();
    for kind in ENGINE_KINDS {
        let hook = &hooks_of(kind).unwrap()[0];
        let source = format!(
            "fn {}({}) {{ let big = [1, 5, 9].filter(|x| x > 4); let f = || big.len(); if f.call() > 5 {{ 1 }} else {{ () }} }}",
            hook.name,
            hook.params.join(", ")
        );
        let policy = Policy::compile("closures.rhai", &source, &runtime).unwrap();
        policy.bind(kind, hooks_of(kind).unwrap()).unwrap();
        // Closures are not listed as hooks.
        assert!(!policy.has_hook("anon"));
    }
}
