//! The failing-hook switch, one test for every engine: a policy whose hooks all fail,
//! decided with `OnHookError::Fail` (the default everywhere) and `OnHookError::Fallback`,
//! gives the same answer through the typed Rust API, `AnyEngine`, the C ABI and the
//! `backoffice eval` command.
#![cfg(all(feature = "ffi", feature = "cli"))]
#![allow(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::engine::{
    config_from_json, from_json, visit_engine, AnyEngine, Engine, EngineVisitor, ENGINE_KINDS,
};
use backoffice::ffi::*;
use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use serde_json::Value;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::Command;

const MESSAGE: &str = "hook failed on purpose";

/// The configuration (`None` for the defaults) and request of an engine's fixture.
fn sample(kind: &str) -> (Option<String>, String) {
    let name = match kind {
        "returns" => "returns/discount_one_unit_96_67.json",
        "routing" => "routing/closest_default_chain.json",
        "refunds" => "refunds/usd_cad_current_merchant_loss.json",
        "address" => "address/us_valid.json",
        other => panic!("no sample for {other}"),
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let config = (!value["config"].is_null()).then(|| value["config"].to_string());
    (config, value["request"].to_string())
}

/// A policy in which every hook of `kind` throws.
fn failing_policy(kind: &str) -> String {
    let mut source = format!("// engine: {kind}\n");
    for hook in backoffice::engine::hooks_of(kind).unwrap() {
        source.push_str(&format!(
            "fn {}({}) {{ throw \"{MESSAGE}\" }}\n",
            hook.name,
            hook.params.join(", ")
        ));
    }
    source
}

fn options(on_hook_error: OnHookError) -> DecideOptions {
    DecideOptions {
        trace: false,
        on_hook_error,
    }
}

/// The decision's JSON text, or the error object.
type Answer = Result<String, Value>;

fn typed(
    kind: &str,
    config: Option<&str>,
    policy: &Policy,
    request: &str,
    o: DecideOptions,
) -> Answer {
    struct Typed<'a> {
        config: Option<&'a str>,
        policy: &'a Policy,
        request: &'a str,
        options: DecideOptions,
    }
    impl EngineVisitor for Typed<'_> {
        type Output = Result<String, backoffice::Error>;
        fn visit<E: Engine>(self) -> Self::Output {
            let engine = E::from_config(config_from_json(self.config)?)?
                .attach_policy(self.policy.clone())?;
            let request: E::Request = from_json(self.request)?;
            let decision = engine.decide_with(&request, &self.options)?;
            Ok(serde_json::to_string(&decision).unwrap())
        }
    }
    visit_engine(
        kind,
        Typed {
            config,
            policy,
            request,
            options: o,
        },
    )
    .and_then(|answer| answer)
    .map_err(|e| e.to_json_value())
}

/// Each engine's own `decide(&request)`, with no options at all.
fn plain_decide(kind: &str, config: Option<&str>, policy: &Policy, request: &str) -> Answer {
    fn json<T: serde::Serialize>(result: Result<T, backoffice::Error>) -> Answer {
        result
            .map(|decision| serde_json::to_string(&decision).unwrap())
            .map_err(|e| e.to_json_value())
    }
    let policy = policy.clone();
    match kind {
        "returns" => {
            use backoffice::returns::ReturnsEngine;
            let engine = ReturnsEngine::new(config_from_json(config).unwrap())
                .unwrap()
                .with_policy(policy)
                .unwrap();
            json(engine.decide(&from_json(request).unwrap()))
        }
        "routing" => {
            use backoffice::routing::RoutingEngine;
            let engine = RoutingEngine::new(config_from_json(config).unwrap())
                .unwrap()
                .with_policy(policy)
                .unwrap();
            json(engine.decide(&from_json(request).unwrap()))
        }
        "refunds" => {
            use backoffice::refunds::RefundsEngine;
            let engine = RefundsEngine::new(config_from_json(config).unwrap())
                .unwrap()
                .with_policy(policy)
                .unwrap();
            json(engine.decide(&from_json(request).unwrap()))
        }
        "address" => {
            use backoffice::address::AddressEngine;
            let engine = AddressEngine::new(config_from_json(config).unwrap())
                .unwrap()
                .with_policy(policy)
                .unwrap();
            json(engine.decide(&from_json(request).unwrap()))
        }
        other => panic!("unknown kind {other}"),
    }
}

fn any(
    kind: &str,
    config: Option<&str>,
    policy: &Policy,
    request: &str,
    o: DecideOptions,
) -> Answer {
    let engine = AnyEngine::new(kind, config, Some(policy.clone())).unwrap();
    engine
        .decide_json_string(request, &o)
        .map_err(|e| e.to_json_value())
}

fn take(result: *mut BoResult) -> (BoStatus, String) {
    // SAFETY: a live result from the library, freed once here.
    unsafe {
        let status = bo_result_status(result);
        let mut len = 0;
        let ptr = bo_result_json(result, &mut len);
        let text = std::str::from_utf8(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
            .unwrap()
            .to_string();
        bo_result_free(result);
        (status, text)
    }
}

/// Through the C ABI: the status and the answer. `options` is `None` for a null pointer.
fn c_abi(
    kind: &str,
    config: Option<&str>,
    source: &str,
    request: &str,
    options: Option<&str>,
) -> (BoStatus, Answer) {
    let kind = CString::new(kind).unwrap();
    let config = config.map(|c| CString::new(c).unwrap());
    let name = CString::new("failing.rhai").unwrap();
    let source = CString::new(source).unwrap();
    let mut engine = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings or null, and storage for the engine.
    let (status, text) = take(unsafe {
        bo_engine_new_named(
            kind.as_ptr(),
            config.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            name.as_ptr(),
            source.as_ptr(),
            &mut engine,
        )
    });
    assert_eq!(status, BoStatus::Ok, "{text}");
    let options = options.map(|o| CString::new(o).unwrap());
    // SAFETY: a live engine, `request.len()` readable bytes, options null or a string.
    let (status, text) = take(unsafe {
        bo_engine_decide_with(
            engine,
            request.as_ptr(),
            request.len(),
            options.as_ref().map_or(std::ptr::null(), |o| o.as_ptr()),
        )
    });
    // SAFETY: no longer in use.
    unsafe { bo_engine_free(engine) };
    let answer = if status == BoStatus::Ok {
        Ok(text)
    } else {
        Err(serde_json::from_str(&text).unwrap())
    };
    (status, answer)
}

/// A scratch directory of its own for each engine.
fn scratch(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "backoffice-hook-switch-{}-{kind}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Through `backoffice eval`: the decision as a JSON value, or the text on stderr.
fn cli(
    kind: &str,
    config: Option<&str>,
    source: &str,
    request: &str,
    fallback: bool,
) -> Result<Value, String> {
    let dir = scratch(kind);
    std::fs::write(dir.join("failing.rhai"), source).unwrap();
    std::fs::write(dir.join("request.json"), request).unwrap();
    let mut args = vec![
        "eval",
        "--policy",
        "failing.rhai",
        "--input",
        "request.json",
    ];
    if let Some(config) = config {
        std::fs::write(dir.join("config.json"), config).unwrap();
        args.extend(["--config", "config.json"]);
    }
    if fallback {
        args.push("--fallback");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(&args)
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        assert_eq!(out.status.code(), Some(1));
        Err(String::from_utf8(out.stderr).unwrap())
    }
}

#[test]
fn a_failing_hook_gives_the_same_answer_through_every_interface() {
    let runtime = PolicyRuntime::new();
    for kind in ENGINE_KINDS {
        let (config, request) = sample(kind);
        let config = config.as_deref();
        let source = failing_policy(kind);
        let policy = Policy::compile("failing.rhai", &source, &runtime).unwrap();

        // Fail, the default: the hook's diagnostic comes back as the error.
        let failed = typed(kind, config, &policy, &request, options(OnHookError::Fail));
        let error = failed.clone().unwrap_err();
        assert_eq!(error["code"], "policy_error", "{kind}");
        let diagnostic = &error["diagnostics"][0];
        assert_eq!(diagnostic["code"], "policy.runtime", "{kind}");
        assert_eq!(diagnostic["message"], MESSAGE, "{kind}");
        assert_eq!(diagnostic["policy"], "failing.rhai", "{kind}");
        assert!(diagnostic["hook"].is_string(), "{kind}: {error}");
        assert_eq!(
            typed(kind, config, &policy, &request, DecideOptions::default()),
            failed,
            "{kind}: DecideOptions::default()"
        );
        assert_eq!(
            plain_decide(kind, config, &policy, &request),
            failed,
            "{kind}: decide()"
        );
        assert_eq!(
            any(kind, config, &policy, &request, DecideOptions::default()),
            failed,
            "{kind}: AnyEngine"
        );
        for c_options in [None, Some("{}"), Some(r#"{"on_hook_error": "fail"}"#)] {
            assert_eq!(
                c_abi(kind, config, &source, &request, c_options),
                (BoStatus::PolicyError, failed.clone()),
                "{kind}: C ABI with options {c_options:?}"
            );
        }
        let rendered = backoffice::Error::Policy {
            diagnostics: vec![serde_json::from_value(diagnostic.clone()).unwrap()],
        }
        .to_string();
        assert_eq!(error["message"], rendered.as_str(), "{kind}");
        assert_eq!(
            cli(kind, config, &source, &request, false),
            Err(format!("{rendered}\n")),
            "{kind}: backoffice eval"
        );

        // Fallback, asked for: the engine's safe outcome, with a `policy_error` reason
        // carrying the diagnostic.
        let fell_back = typed(
            kind,
            config,
            &policy,
            &request,
            options(OnHookError::Fallback),
        );
        let decision_text = fell_back.clone().unwrap_or_else(|e| panic!("{kind}: {e}"));
        let decision: Value = serde_json::from_str(&decision_text).unwrap();
        let policy_errors: Vec<&Value> = decision["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["code"] == "policy_error")
            .collect();
        assert!(!policy_errors.is_empty(), "{kind}: {decision}");
        for reason in &policy_errors {
            assert_eq!(reason["diagnostic"]["message"], MESSAGE, "{kind}");
            assert_eq!(reason["source"]["policy"], "failing.rhai", "{kind}");
        }
        if *kind == "returns" {
            assert_eq!(decision["outcome"]["status"], "review");
        }
        assert_eq!(
            any(
                kind,
                config,
                &policy,
                &request,
                options(OnHookError::Fallback)
            ),
            fell_back,
            "{kind}: AnyEngine"
        );
        assert_eq!(
            c_abi(
                kind,
                config,
                &source,
                &request,
                Some(r#"{"on_hook_error": "fallback"}"#)
            ),
            (BoStatus::Ok, fell_back.clone()),
            "{kind}: C ABI"
        );
        assert_eq!(
            cli(kind, config, &source, &request, true),
            Ok(decision),
            "{kind}: backoffice eval --fallback"
        );
    }
}
