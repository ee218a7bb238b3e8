//! Hostile policies against every hook of every engine.
//!
//! Each script in `tests/fixtures/hostile/` defines `fn _attack()` and names, in its first
//! line, how it must end: `// expect: compile <code>` (rejected by `Policy::compile`),
//! `// expect: run <code>` (the hook call fails with that diagnostic) or `// expect: ok`.
//! The suite wires `_attack()` into each hook of each engine listed in
//! [`ENGINE_KINDS`] (so engines are covered as they are registered), runs it on a golden
//! fixture of that engine that reaches the hook, and checks that:
//! - the decision ends with the documented diagnostic after one hook call, stopped by
//!   the runtime's limits (no clock is read: each call is ended by the operation,
//!   call-depth, size or variable limit that the diagnostic names);
//! - with `OnHookError::Fallback` the engine calls the hostile hook no more often than it
//!   calls a hook that abstains (`()`) on the same request, so a decision's work is
//!   bounded by that count times the per-call limits;
//! - the same engine is usable for the next call: with `OnHookError::Fallback` it decides
//!   and records a `policy_error` reason, and failing again gives the same diagnostic;
//! - a hook returning a value of the wrong shape is `policy.bad_return` naming the hook.
//!
//! The runtime-level tests of each limit (positions, messages) live in
//! `tests/policy_sandbox.rs` and `tests/policy_diagnostics.rs`; this suite drives the
//! same attacks through the engines.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::engine::{hooks_of, AnyEngine, ENGINE_KINDS};
use backoffice::policy::{
    CallObserver, DecideOptions, HookCall, HookSpec, OnHookError, Policy, PolicyRuntime,
};
use backoffice::Error;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The hook calls of one policy (and its clones), as its observer saw them.
#[derive(Default)]
struct Calls(Mutex<Vec<HookCall>>);

impl CallObserver for Calls {
    fn started(&self, _hook: &str) {}
    fn finished(&self, call: HookCall) {
        self.0.lock().unwrap().push(call);
    }
}

impl Calls {
    /// The calls since the last `take`.
    fn take(&self) -> Vec<HookCall> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// How often the engine calls `hook` on `fixture` when the hook abstains (`()`), under
/// `options`.
fn calm_calls(kind: &str, hook: &HookSpec, fixture: &Fixture, options: &DecideOptions) -> usize {
    let calls = Arc::new(Calls::default());
    let calm = compile(&hook_fn(hook, "()"))
        .unwrap()
        .with_observer(calls.clone());
    let _ = engine(kind, fixture, calm).decide_json(&fixture.request, options);
    let calls = calls.take();
    assert!(
        !calls.is_empty(),
        "{kind}.{} is not called on {}",
        hook.name,
        fixture.name
    );
    calls.len()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One golden fixture: (file name, engine config JSON, request JSON).
#[derive(Debug, Clone)]
struct Fixture {
    name: String,
    config: Option<String>,
    request: String,
}

fn fixtures(kind: &str) -> Vec<Fixture> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(kind))
        .map(|dir| dir.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Fixture {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                config: match &value["config"] {
                    Value::Null => None,
                    config => Some(config.to_string()),
                },
                request: value["request"].to_string(),
            }
        })
        .collect()
}

fn hook_fn(hook: &HookSpec, body: &str) -> String {
    format!("fn {}({}) {{ {body} }}", hook.name, hook.params.join(", "))
}

fn compile(source: &str) -> Result<Policy, Error> {
    static RUNTIME: OnceLock<PolicyRuntime> = OnceLock::new();
    Policy::compile(
        "hostile.rhai",
        source,
        RUNTIME.get_or_init(PolicyRuntime::new),
    )
}

fn engine(kind: &str, fixture: &Fixture, policy: Policy) -> AnyEngine {
    AnyEngine::new(kind, fixture.config.as_deref(), Some(policy))
        .unwrap_or_else(|e| panic!("{kind} engine for {}: {e}", fixture.name))
}

const FAIL: DecideOptions = DecideOptions {
    trace: true,
    on_hook_error: OnHookError::Fail,
};
const FALLBACK: DecideOptions = DecideOptions {
    trace: true,
    on_hook_error: OnHookError::Fallback,
};

fn policy_code(err: &Error) -> Option<&str> {
    match err {
        Error::Policy { diagnostics } => diagnostics.first().map(|d| d.code.as_str()),
        _ => None,
    }
}

/// For every engine and hook, the first golden fixture whose decision calls the hook
/// (found with a hook that throws), so each attack runs once per hook.
fn reaching() -> &'static Vec<(&'static str, &'static HookSpec, Fixture)> {
    static REACHING: OnceLock<Vec<(&'static str, &'static HookSpec, Fixture)>> = OnceLock::new();
    REACHING.get_or_init(|| {
        let mut out = Vec::new();
        for kind in ENGINE_KINDS {
            let all = fixtures(kind);
            for hook in hooks_of(kind).unwrap() {
                let probe = compile(&hook_fn(hook, "throw \"probe\"")).unwrap();
                let found = all.iter().find(|f| {
                    let e = engine(kind, f, probe.clone());
                    e.decide_json(&f.request, &FAIL).is_err_and(|err| {
                        policy_code(&err) == Some("policy.runtime")
                            && err.to_string().contains("probe")
                    })
                });
                let found = found.unwrap_or_else(|| {
                    panic!(
                        "no golden fixture of `{kind}` reaches hook `{}`: add one",
                        hook.name
                    )
                });
                out.push((*kind, hook, found.clone()));
            }
        }
        out
    })
}

enum Expect {
    Compile(String),
    Run(String),
    Ok,
}

fn expectation(script: &str) -> Expect {
    let first = script.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix("// expect: ")
        .unwrap_or_else(|| panic!("first line must be `// expect: ...`, got {first:?}"));
    match rest.split_once(' ') {
        Some(("compile", code)) => Expect::Compile(code.to_string()),
        Some(("run", code)) => Expect::Run(code.to_string()),
        None if rest == "ok" => Expect::Ok,
        _ => panic!("bad expectation {rest:?}"),
    }
}

/// Runs one hostile script through every hook of every engine.
fn attack(file: &str) {
    let script = std::fs::read_to_string(root().join("hostile").join(file)).unwrap();
    let expect = expectation(&script);
    for (kind, hook, fixture) in reaching() {
        let source = format!("{script}\n{}\n", hook_fn(hook, "_attack()"));
        let context = format!("{file} in {kind}.{} on {}", hook.name, fixture.name);
        let policy = match (&expect, compile(&source)) {
            (Expect::Compile(code), Err(err)) => {
                assert_eq!(policy_code(&err), Some(code.as_str()), "{context}: {err}");
                continue;
            }
            (Expect::Compile(code), Ok(_)) => panic!("{context}: compiled, expected {code}"),
            (_, Err(err)) => panic!("{context}: does not compile: {err}"),
            (_, Ok(policy)) => policy,
        };
        let calls = Arc::new(Calls::default());
        let engine = engine(kind, fixture, policy.with_observer(calls.clone()));
        let first = engine.decide_json(&fixture.request, &FAIL);
        let made = calls.take();
        match &expect {
            Expect::Run(code) => {
                let err = first.expect_err(&context);
                assert_eq!(policy_code(&err), Some(code.as_str()), "{context}: {err}");
                assert!(err.to_string().contains(hook.name), "{context}: {err}");
                // One call, ended by the limit (or refusal) the diagnostic names.
                assert_eq!(made.len(), 1, "{context}: {made:?}");
                assert_eq!(made[0].hook, hook.name, "{context}");
                assert_eq!(made[0].error.as_deref(), Some(code.as_str()), "{context}");
                // Still usable: the documented fallback decides, with a policy_error reason.
                let fallback = engine
                    .decide_json(&fixture.request, &FALLBACK)
                    .unwrap_or_else(|e| panic!("{context}: fallback failed: {e}"));
                // A fallback may call the hook more than once (e.g. once per node), but
                // not more often than it calls an abstaining hook, and every call is
                // ended by its limit.
                let made = calls.take();
                let calm = calm_calls(kind, hook, fixture, &FALLBACK);
                assert!(
                    !made.is_empty() && made.len() <= calm,
                    "{context}: {} calls in the fallback, {calm} for an abstaining hook",
                    made.len()
                );
                assert!(
                    made.iter()
                        .all(|c| c.error.as_deref() == Some(code.as_str())),
                    "{context}: {made:?}"
                );
                let codes: Vec<&str> = fallback["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|r| r["code"].as_str())
                    .collect();
                assert!(codes.contains(&"policy_error"), "{context}: {codes:?}");
                // And failing again gives the same diagnostic (no state left behind).
                let again = engine.decide_json(&fixture.request, &FAIL).unwrap_err();
                assert_eq!(again.to_string(), err.to_string(), "{context}");
            }
            Expect::Ok => {
                let decision = first.unwrap_or_else(|e| panic!("{context}: {e}"));
                // As many calls as for an abstaining hook, each of which returned.
                assert_eq!(
                    made.len(),
                    calm_calls(kind, hook, fixture, &FAIL),
                    "{context}"
                );
                assert!(
                    made.iter().all(|c| c.error.is_none()),
                    "{context}: {made:?}"
                );
                let output = decision["trace"]["policy_output"].as_array().unwrap();
                assert!(
                    !output.is_empty(),
                    "{context}: no policy output in the trace"
                );
                let last = output.last().unwrap().as_str().unwrap();
                assert!(last.contains("output limit reached"), "{context}: {last}");
            }
            Expect::Compile(_) => unreachable!(),
        }
        // The engine decides the same request again after the attack.
        assert!(
            engine.decide_json(&fixture.request, &FALLBACK).is_ok(),
            "{context}: not usable after the attack"
        );
    }
}

macro_rules! hostile {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                attack(concat!(stringify!($name), ".rhai"));
            }
        )*

        #[test]
        fn every_hostile_script_has_a_test() {
            let mut tested: Vec<&str> = vec![$(concat!(stringify!($name), ".rhai")),*];
            tested.sort_unstable();
            let mut files: Vec<String> = std::fs::read_dir(root().join("hostile"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".rhai"))
                .collect();
            files.sort();
            assert_eq!(files, tested);
        }
    };
}

hostile!(
    infinite_loop,
    busy_while,
    deep_recursion,
    mutual_recursion,
    string_doubling,
    array_doubling,
    nested_arrays,
    huge_map,
    huge_map_by_index,
    nested_maps,
    self_capturing_closure,
    self_applying_closure,
    many_variables,
    eval,
    import,
    clock,
    eval_by_pointer,
    sleep_by_pointer,
    stdout_flood,
    file_access,
);

/// Every engine lists hooks, and the golden fixtures reach every one of them.
#[test]
fn every_hook_of_every_engine_is_reached_by_a_fixture() {
    let reached: Vec<String> = reaching()
        .iter()
        .map(|(kind, hook, _)| format!("{kind}.{}", hook.name))
        .collect();
    let all: Vec<String> = ENGINE_KINDS
        .iter()
        .flat_map(|kind| {
            hooks_of(kind)
                .unwrap()
                .iter()
                .map(move |h| format!("{kind}.{}", h.name))
        })
        .collect();
    assert_eq!(reached, all);
}

/// Values no hook accepts: a function pointer, alone or inside an array.
const NEVER_VALID: [&str; 2] = ["Fn(\"_w\")", "[Fn(\"_w\"), Fn(\"_w\")]"];

/// Values some hooks accept and others do not: each must decide, be refused with a
/// typed error, or fail with a policy diagnostic after which the fallback decides.
const ODD: [&str; 9] = [
    "\"definitely-not-a-valid-choice\"",
    "-1",
    "true",
    "false",
    "#{}",
    "[]",
    "#{nonsense: [1, 2], code: 7}",
    "9223372036854775807",
    "0.000000000000000000000000001",
];

#[test]
fn wrong_shapes_from_every_hook_are_bad_return_and_the_fallback_decides() {
    for (kind, hook, fixture) in reaching() {
        for (value, strict) in NEVER_VALID
            .iter()
            .map(|v| (v, true))
            .chain(ODD.iter().map(|v| (v, false)))
        {
            let source = format!("fn _w() {{ 1 }}\n{}", hook_fn(hook, value));
            let context = format!("{kind}.{} returning {value} on {}", hook.name, fixture.name);
            let engine = engine(kind, fixture, compile(&source).unwrap());
            match engine.decide_json(&fixture.request, &FAIL) {
                Ok(_) => assert!(!strict, "{context}: accepted"),
                Err(err) => {
                    // A value of the right shape may lead to a business refusal (e.g. a
                    // huge `minimum_refund`): a typed error, not a policy failure.
                    let Some(code) = policy_code(&err) else {
                        assert!(!strict, "{context}: {err}");
                        continue;
                    };
                    if strict {
                        assert_eq!(code, "policy.bad_return", "{context}: {err}");
                    } else {
                        assert!(code.starts_with("policy."), "{context}: {err}");
                    }
                    if code == "policy.bad_return" {
                        let message = err.to_string();
                        assert!(message.contains(hook.name), "{context}: {message}");
                    }
                    let fallback = engine
                        .decide_json(&fixture.request, &FALLBACK)
                        .unwrap_or_else(|e| panic!("{context}: fallback failed: {e}"));
                    assert!(
                        fallback["reasons"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|r| r["code"] == "policy_error"),
                        "{context}: no policy_error reason"
                    );
                }
            }
        }
    }
}

/// A policy that failed does not poison the runtime it was compiled with: a well-behaved
/// policy compiled on the same runtime right after every attack still decides.
#[test]
fn the_shared_runtime_stays_usable_after_attacks() {
    for (kind, hook, fixture) in reaching() {
        let hostile = compile(&hook_fn(hook, "loop {}")).unwrap();
        let e = engine(kind, fixture, hostile);
        assert_eq!(
            policy_code(&e.decide_json(&fixture.request, &FAIL).unwrap_err()),
            Some("policy.limit.operations")
        );
        let calm = compile(&hook_fn(hook, "()")).unwrap();
        let with_calm = engine(kind, fixture, calm);
        let a = with_calm.decide_json(&fixture.request, &FAIL).unwrap();
        // Without a policy the same decision, unless the configuration needs a policy
        // (e.g. routing's `policy` rule).
        if let Ok(plain) = AnyEngine::new(kind, fixture.config.as_deref(), None) {
            if let Ok(b) = plain.decide_json(&fixture.request, &FAIL) {
                assert_eq!(
                    a["outcome"], b["outcome"],
                    "{kind}.{}: abstaining hook changed the outcome",
                    hook.name
                );
            }
        }
    }
}

/// Every value an engine passes to a hook, and every value nested inside it, can be copied
/// into arrays and maps and changed there. (Rhai's size check stops the process with an
/// internal error when it meets a shared value nested inside an array or a map, so an
/// engine must pass nested values as plain copies; a shared value may only be a whole
/// argument.)
#[test]
fn hook_arguments_can_be_copied_into_containers() {
    const COPY: &str = r#"
fn _copy(v) {
    let a = [v];
    a.push(v);
    let m = #{};
    m.v = v;
    m.w = [v, a];
    let t = type_of(v);
    if t == "map" {
        let c = v;
        c.added_by_policy = a;
        for k in v.keys() { _copy(v[k]); }
    }
    if t == "array" {
        let b = v;
        b.push(m);
        let joined = v + a;
        for x in v { _copy(x); }
    }
}
"#;
    for (kind, hook, fixture) in reaching() {
        let copies: String = hook
            .params
            .iter()
            .map(|p| format!("_copy({p}); "))
            .collect();
        let source = format!("{}\n{COPY}", hook_fn(hook, &format!("{copies}()")));
        let policy = compile(&source).unwrap();
        let engine = engine(kind, fixture, policy);
        if let Err(err) = engine.decide_json(&fixture.request, &FAIL) {
            assert_eq!(
                policy_code(&err),
                Some("policy.bad_return"),
                "{kind}.{} on {}: copying the arguments failed: {err}",
                hook.name,
                fixture.name
            );
        }
    }
}
