//! Fuzz target `policy_compile`: arbitrary source text → compile, render the diagnostics,
//! and bind to every engine. Asserts: no panic; every diagnostic has a `policy.` code.
#![no_main]

use backoffice::engine::{hooks_of, ENGINE_KINDS};
use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::Error;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn runtime() -> &'static PolicyRuntime {
    static RUNTIME: OnceLock<PolicyRuntime> = OnceLock::new();
    RUNTIME.get_or_init(PolicyRuntime::new)
}

fn check(err: &Error) {
    let _ = err.to_string();
    if let Error::Policy { diagnostics } = err {
        for d in diagnostics {
            assert!(d.code.starts_with("policy."), "{d:?}");
            let _ = d.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match Policy::compile("fuzz.rhai", source, runtime()) {
        Ok(policy) => {
            for kind in ENGINE_KINDS {
                let hooks = hooks_of(kind).expect("every listed kind has hooks");
                if let Err(err) = policy.bind(kind, hooks) {
                    check(&err);
                }
            }
        }
        Err(err) => check(&err),
    }
});
