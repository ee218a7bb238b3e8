//! The C ABI round trip (JSON in, JSON out) beside the same decision through the Rust API.
//! Budget (DESIGN.md): the C ABI round trip ≤ 2× the Rust call.
//!
//! For the returns engine (or, in a build without it, the first engine with golden
//! fixtures) on one golden fixture, with the example policy when there is one:
//! - `rust_api`: `engine.decide_with(&request)` on an already-parsed request (the native
//!   baseline);
//! - `rust_api_json`: the same with the request parsed from JSON text and the decision
//!   written back to JSON text, in Rust;
//! - `c_abi`: `bo_engine_decide` + `bo_result_json` + `bo_result_free`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    unsafe_code
)]

use backoffice::engine::{visit_engine, Engine, EngineVisitor, ENGINE_KINDS};
use backoffice::ffi::{
    bo_engine_decide, bo_engine_free, bo_engine_new_named, bo_result_free, bo_result_json,
    bo_result_status, BoEngine, BoStatus,
};
use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::Value;
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// A policy's name and source.
type NamedPolicy = (String, String);

/// The fixture to measure: the first of `kind` in name order, and its policy source.
fn fixture(kind: &str) -> Option<(PathBuf, Value, Option<NamedPolicy>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures").join(kind))
        .ok()?
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let path = paths.into_iter().next()?;
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The fixture's own policy, else the engine's example policy.
    let name = value["policy"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}.rhai"));
    let policy = std::fs::read_to_string(root.join("examples/policies").join(&name))
        .ok()
        .map(|source| (name, source));
    Some((path, value, policy))
}

fn bench_engine<E: Engine>(c: &mut Criterion, kind: &str) {
    let Some((path, value, policy)) = fixture(kind) else {
        return;
    };
    let config: E::Config = match &value["config"] {
        Value::Null => E::Config::default(),
        config => serde_json::from_value(config.clone()).unwrap(),
    };
    let mut engine = E::from_config(config).unwrap();
    if let Some((name, source)) = &policy {
        engine = engine
            .attach_policy(Policy::compile(name, source, &PolicyRuntime::new()).unwrap())
            .unwrap();
    }
    let request_json = value["request"].to_string();
    let request: E::Request = serde_json::from_str(&request_json).unwrap();
    let options = DecideOptions::default();

    // The same engine through the C ABI.
    let kind_c = CString::new(kind).unwrap();
    let config_c = CString::new(value["config"].to_string()).unwrap();
    let name_c = policy
        .as_ref()
        .map(|(n, _)| CString::new(n.as_str()).unwrap());
    let source_c = policy
        .as_ref()
        .map(|(_, s)| CString::new(s.as_str()).unwrap());
    let mut handle: *mut BoEngine = std::ptr::null_mut();
    unsafe {
        let made = bo_engine_new_named(
            kind_c.as_ptr(),
            config_c.as_ptr(),
            name_c.as_ref().map_or(std::ptr::null(), |n| n.as_ptr()),
            source_c.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            &mut handle,
        );
        assert_eq!(bo_result_status(made), BoStatus::Ok);
        bo_result_free(made);
    }

    // Both paths give the same bytes before anything is timed.
    let rust_text =
        serde_json::to_string(&engine.decide_with(&request, &options).unwrap()).unwrap();
    let c_text = unsafe {
        let r = bo_engine_decide(handle, request_json.as_ptr(), request_json.len());
        assert_eq!(bo_result_status(r), BoStatus::Ok);
        let mut len = 0;
        let ptr = bo_result_json(r, &mut len);
        let text =
            String::from_utf8(std::slice::from_raw_parts(ptr.cast::<u8>(), len).to_vec()).unwrap();
        bo_result_free(r);
        text
    };
    assert_eq!(rust_text, c_text);
    eprintln!(
        "ffi bench: {} ({}), policy {}",
        kind,
        path.file_name().unwrap().to_string_lossy(),
        policy.as_ref().map_or("none", |(n, _)| n.as_str())
    );

    let mut group = c.benchmark_group(format!("ffi/{kind}"));
    group.bench_function("rust_api", |b| {
        b.iter(|| engine.decide_with(black_box(&request), &options).unwrap())
    });
    group.bench_function("rust_api_json", |b| {
        b.iter(|| {
            let request: E::Request = serde_json::from_str(black_box(&request_json)).unwrap();
            serde_json::to_string(&engine.decide_with(&request, &options).unwrap()).unwrap()
        })
    });
    group.bench_function("c_abi", |b| {
        b.iter(|| unsafe {
            let r = bo_engine_decide(handle, black_box(request_json.as_ptr()), request_json.len());
            let mut len = 0;
            let ptr = bo_result_json(r, &mut len);
            black_box((ptr, len));
            bo_result_free(r);
        })
    });
    group.finish();
    unsafe { bo_engine_free(handle) };
}

/// Benches `kind` with its typed engine (found through the crate's one list of engines);
/// false for a kind this build does not have.
fn bench_kind(c: &mut Criterion, kind: &str) -> bool {
    struct Bench<'a, 'c>(&'c mut Criterion, &'a str);
    impl EngineVisitor for Bench<'_, '_> {
        type Output = ();
        fn visit<E: Engine>(self) {
            bench_engine::<E>(self.0, self.1)
        }
    }
    visit_engine(kind, Bench(c, kind)).is_ok()
}

fn ffi(c: &mut Criterion) {
    // Returns when this build has it; otherwise the first engine with fixtures.
    let preferred = ["returns"].into_iter().chain(ENGINE_KINDS.iter().copied());
    for kind in preferred.filter(|k| ENGINE_KINDS.contains(k) && fixture(k).is_some()) {
        if bench_kind(c, kind) {
            return;
        }
    }
    eprintln!("ffi bench: no engine with golden fixtures in this build");
}

criterion_group!(benches, ffi);
criterion_main!(benches);
