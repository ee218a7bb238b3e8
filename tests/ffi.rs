//! The C ABI called the way a careless or hostile C caller would: null pointers
//! everywhere, invalid and truncated UTF-8, a 1 MB document, a broken policy, 8 threads on
//! one engine; plus byte-for-byte agreement with the typed Rust API on every golden
//! fixture, and the committed header's freshness.
#![cfg(feature = "ffi")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    unsafe_code
)]

use backoffice::engine::{visit_engine, Engine, EngineVisitor, ENGINE_KINDS};
use backoffice::ffi::*;
use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use serde_json::Value;
use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::{null, null_mut};

// ---------------------------------------------------------------------------------------
// Helpers: every call goes through the extern "C" functions, and every result is freed.

/// Takes a result: its status, its JSON text, and frees it.
fn take(result: *mut BoResult) -> (BoStatus, String) {
    assert!(!result.is_null(), "a result is never null");
    unsafe {
        let status = bo_result_status(result);
        let mut len = usize::MAX;
        let ptr = bo_result_json(result, &mut len);
        assert!(!ptr.is_null());
        let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
        // The text is NUL-terminated right after `len` bytes.
        assert_eq!(*ptr.add(len), 0);
        assert_eq!(CStr::from_ptr(ptr).to_bytes(), bytes);
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        bo_result_free(result);
        (status, text)
    }
}

fn error_of(text: &str) -> Value {
    let value: Value = serde_json::from_str(text).unwrap();
    assert!(value["code"].is_string(), "not an error object: {text}");
    assert!(value["message"].is_string(), "not an error object: {text}");
    assert!(
        value["diagnostics"].is_array(),
        "not an error object: {text}"
    );
    value
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Builds an engine through the ABI; panics with the error JSON on failure.
fn new_engine(kind: &str, config: &str, policy: Option<(&str, &str)>) -> *mut BoEngine {
    let (status, text, engine) = try_new_engine(kind, config, policy);
    assert_eq!(status, BoStatus::Ok, "{text}");
    assert!(!engine.is_null());
    engine
}

fn try_new_engine(
    kind: &str,
    config: &str,
    policy: Option<(&str, &str)>,
) -> (BoStatus, String, *mut BoEngine) {
    let kind = c(kind);
    let config = c(config);
    let name = policy.map(|(name, _)| c(name));
    let source = policy.map(|(_, source)| c(source));
    let mut engine: *mut BoEngine = std::ptr::dangling_mut(); // must be overwritten
    let result = unsafe {
        bo_engine_new_named(
            kind.as_ptr(),
            config.as_ptr(),
            name.as_ref().map_or(null(), |n| n.as_ptr()),
            source.as_ref().map_or(null(), |s| s.as_ptr()),
            &mut engine,
        )
    };
    let (status, text) = take(result);
    if status != BoStatus::Ok {
        assert!(
            engine.is_null(),
            "a failed bo_engine_new leaves *out_engine null"
        );
    }
    (status, text, engine)
}

fn decide(engine: *const BoEngine, input: &[u8]) -> (BoStatus, String) {
    take(unsafe { bo_engine_decide(engine, input.as_ptr(), input.len()) })
}

// ---------------------------------------------------------------------------------------
// Golden fixtures of the engines this build has.

struct Fixture {
    path: PathBuf,
    kind: String,
    value: Value,
}

impl Fixture {
    /// The configuration text; a fixture's `"config": null` means the defaults, which
    /// the C ABI takes as an empty text (a JSON `null` is not a configuration).
    fn config(&self) -> String {
        match &self.value["config"] {
            Value::Null => String::new(),
            config => config.to_string(),
        }
    }
    fn request(&self) -> String {
        self.value["request"].to_string()
    }
    fn policy(&self) -> Option<(String, String)> {
        self.value["policy"].as_str().map(|name| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/policies")
                .join(name);
            (name.to_string(), std::fs::read_to_string(path).unwrap())
        })
    }
    fn engine(&self) -> *mut BoEngine {
        let policy = self.policy();
        new_engine(
            &self.kind,
            &self.config(),
            policy.as_ref().map(|(n, s)| (n.as_str(), s.as_str())),
        )
    }
}

fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for kind in ENGINE_KINDS {
        let Ok(dir) = std::fs::read_dir(root.join(kind)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = dir
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            out.push(Fixture {
                path,
                kind: kind.to_string(),
                value,
            });
        }
    }
    out
}

/// A fixture without a policy, to build an engine for the hostile tests; `None` until an
/// engine with fixtures has landed.
fn plain_fixture() -> Option<Fixture> {
    fixtures()
        .into_iter()
        .find(|f| f.value["policy"].is_null() && f.value["expected"].get("error").is_none())
}

/// The decision JSON of the typed Rust API, or its error object.
fn rust_api<E: Engine>(fixture: &Fixture) -> Result<String, String> {
    let config: E::Config = match &fixture.value["config"] {
        Value::Null => E::Config::default(),
        config => serde_json::from_value(config.clone()).unwrap(),
    };
    let mut engine = E::from_config(config).unwrap();
    if let Some((name, source)) = fixture.policy() {
        engine = engine
            .attach_policy(Policy::compile(&name, &source, &PolicyRuntime::new()).unwrap())
            .unwrap();
    }
    let request: E::Request = serde_json::from_value(fixture.value["request"].clone()).unwrap();
    match engine.decide_with(&request, &DecideOptions::default()) {
        Ok(decision) => Ok(serde_json::to_string(&decision).unwrap()),
        Err(err) => Err(err.to_json_value().to_string()),
    }
}

fn rust_api_of(fixture: &Fixture) -> Result<String, String> {
    struct RustApi<'a>(&'a Fixture);
    impl EngineVisitor for RustApi<'_> {
        type Output = Result<String, String>;
        fn visit<E: Engine>(self) -> Self::Output {
            rust_api::<E>(self.0)
        }
    }
    visit_engine(&fixture.kind, RustApi(fixture)).unwrap()
}

#[test]
fn every_fixture_gives_the_rust_api_bytes() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 10,
        "found only {} fixtures",
        fixtures.len()
    );
    for fixture in &fixtures {
        let name = fixture.path.display();
        let engine = fixture.engine();
        let (status, text) = decide(engine, fixture.request().as_bytes());
        let decided: Value = serde_json::from_str(&text).unwrap();
        match rust_api_of(fixture) {
            Ok(rust) => {
                assert_eq!(status, BoStatus::Ok, "{name}: {text}");
                assert_eq!(text, rust, "{name}");
                assert_eq!(decided, fixture.value["expected"], "{name}");
            }
            Err(rust) => {
                assert_eq!(status, BoStatus::DecisionError, "{name}: {text}");
                assert_eq!(text, rust, "{name}");
                assert_eq!(decided, fixture.value["expected"]["error"], "{name}");
            }
        }
        unsafe { bo_engine_free(engine) };
    }
    eprintln!("{} fixtures of {:?}", fixtures.len(), ENGINE_KINDS);
}

#[test]
fn batch_gives_each_decision_and_each_error_in_order() {
    let Some(fixture) = plain_fixture() else {
        return;
    };
    let engine = fixture.engine();
    let request = fixture.request();
    let single = decide(engine, request.as_bytes()).1;
    let batch = format!("[{request}, {{\"nope\": 1}}, {request}]");
    let (status, text) =
        take(unsafe { bo_engine_decide_batch(engine, batch.as_ptr(), batch.len()) });
    assert_eq!(status, BoStatus::Ok, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    let items = error.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["error"]["code"], "invalid_json");
    assert_eq!(text, format!("[{single},{},{single}]", items[1]));

    let (status, text) =
        take(unsafe { bo_engine_decide_batch(engine, request.as_ptr(), request.len()) });
    assert_eq!(
        status,
        BoStatus::InvalidArgument,
        "a single object is not a batch: {text}"
    );
    assert_eq!(error_of(&text)["code"], "invalid_json");
    unsafe { bo_engine_free(engine) };
}

#[test]
fn options_turn_on_the_trace() {
    let Some(fixture) = plain_fixture() else {
        return;
    };
    let engine = fixture.engine();
    let request = fixture.request();
    let traced = c(r#"{"trace": true}"#);
    let (status, text) = take(unsafe {
        bo_engine_decide_with(engine, request.as_ptr(), request.len(), traced.as_ptr())
    });
    assert_eq!(status, BoStatus::Ok, "{text}");
    assert!(
        serde_json::from_str::<Value>(&text).unwrap()["trace"].is_object(),
        "{text}"
    );

    let bad = c(r#"{"trace": "yes"}"#);
    let (status, text) = take(unsafe {
        bo_engine_decide_with(engine, request.as_ptr(), request.len(), bad.as_ptr())
    });
    assert_eq!(status, BoStatus::InvalidArgument);
    assert_eq!(error_of(&text)["code"], "invalid_json");
    unsafe { bo_engine_free(engine) };
}

// ---------------------------------------------------------------------------------------
// Null pointers everywhere.

#[test]
fn null_pointers_are_invalid_arguments_or_no_ops() {
    unsafe {
        // Frees of null are no-ops.
        bo_result_free(null_mut());
        bo_engine_free(null_mut());
        // Reading a null result.
        assert_eq!(bo_result_status(null()), BoStatus::InvalidArgument);
        let mut len = 7;
        assert!(bo_result_json(null(), &mut len).is_null());
        assert_eq!(len, 0);
        assert!(bo_result_json(null(), null_mut()).is_null());
        assert!(bo_engine_kind(null()).is_null());

        // Deciding on a null engine, or with null input (any length).
        let input = b"{}";
        for result in [
            bo_engine_decide(null(), input.as_ptr(), input.len()),
            bo_engine_decide_with(null(), input.as_ptr(), input.len(), null()),
            bo_engine_decide_batch(null(), input.as_ptr(), input.len()),
            bo_engine_decide_batch_with(null(), input.as_ptr(), input.len(), null()),
        ] {
            let (status, text) = take(result);
            assert_eq!(status, BoStatus::InvalidArgument);
            let error = error_of(&text);
            assert_eq!(error["code"], "invalid_input");
            assert_eq!(error["field"], "engine");
            assert_eq!(error["message"], "invalid `engine`: null pointer");
        }

        // Building an engine with a null kind or a null out pointer.
        let mut engine: *mut BoEngine = null_mut();
        let (status, text) = take(bo_engine_new(null(), null(), null(), &mut engine));
        assert_eq!(status, BoStatus::InvalidArgument);
        assert_eq!(error_of(&text)["field"], "kind");
        assert!(engine.is_null());
        let kind = c("returns");
        let (status, text) = take(bo_engine_new(kind.as_ptr(), null(), null(), null_mut()));
        assert_eq!(status, BoStatus::InvalidArgument);
        assert_eq!(error_of(&text)["field"], "out_engine");
    }

    let Some(fixture) = plain_fixture() else {
        return;
    };
    let engine = fixture.engine();
    unsafe {
        for len in [0, 2, usize::MAX] {
            let (status, text) = take(bo_engine_decide(engine, null(), len));
            assert_eq!(status, BoStatus::InvalidArgument);
            assert_eq!(error_of(&text)["field"], "input");
            let (status, _) = take(bo_engine_decide_batch(engine, null(), len));
            assert_eq!(status, BoStatus::InvalidArgument);
        }
        // A null config and null options mean the defaults.
        let kind = c(&fixture.kind);
        let mut default_engine: *mut BoEngine = null_mut();
        let (status, text) = take(bo_engine_new(
            kind.as_ptr(),
            null(),
            null(),
            &mut default_engine,
        ));
        assert_eq!(status, BoStatus::Ok, "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            serde_json::json!({"kind": fixture.kind, "policy": null})
        );
        assert_eq!(
            CStr::from_ptr(bo_engine_kind(default_engine))
                .to_str()
                .unwrap(),
            fixture.kind
        );
        bo_engine_free(default_engine);
        bo_engine_free(engine);
    }
}

#[test]
fn a_length_beyond_isize_is_refused_before_reading() {
    let Some(fixture) = plain_fixture() else {
        return;
    };
    let engine = fixture.engine();
    let input = b"{}";
    let (status, text) = take(unsafe { bo_engine_decide(engine, input.as_ptr(), usize::MAX) });
    assert_eq!(status, BoStatus::InvalidArgument);
    assert!(error_of(&text)["message"]
        .as_str()
        .unwrap()
        .contains("larger than any object"));
    unsafe { bo_engine_free(engine) };
}

// ---------------------------------------------------------------------------------------
// Bad text.

#[test]
fn unknown_kinds_and_bad_strings_are_invalid_arguments() {
    let (status, text, _) = try_new_engine("teleport", "{}", None);
    assert_eq!(status, BoStatus::InvalidArgument);
    let error = error_of(&text);
    assert_eq!(error["code"], "invalid_input");
    assert_eq!(error["field"], "kind");
    assert!(
        error["message"].as_str().unwrap().contains("teleport"),
        "{text}"
    );

    // A kind that is not UTF-8.
    let kind = CString::new(vec![0x72, 0xff, 0x65]).unwrap();
    let mut engine: *mut BoEngine = null_mut();
    let (status, text) = take(unsafe { bo_engine_new(kind.as_ptr(), null(), null(), &mut engine) });
    assert_eq!(status, BoStatus::InvalidArgument);
    let error = error_of(&text);
    assert_eq!(error["field"], "kind");
    assert_eq!(
        error["message"],
        "invalid `kind`: not valid UTF-8: invalid byte sequence at byte offset 1"
    );

    let Some(fixture) = plain_fixture() else {
        return;
    };
    // A configuration that is not UTF-8, or not JSON.
    let kind = c(&fixture.kind);
    let config = CString::new(vec![b'{', 0xc3]).unwrap();
    let (status, text) =
        take(unsafe { bo_engine_new(kind.as_ptr(), config.as_ptr(), null(), &mut engine) });
    assert_eq!(status, BoStatus::InvalidArgument);
    assert_eq!(error_of(&text)["field"], "config");
    let (status, text, _) = try_new_engine(&fixture.kind, "{\"no_such_setting\": 1}", None);
    assert_eq!(status, BoStatus::InvalidArgument, "{text}");
    assert_eq!(error_of(&text)["code"], "invalid_json");
}

#[test]
fn invalid_and_truncated_utf8_requests_are_invalid_arguments() {
    let Some(fixture) = plain_fixture() else {
        return;
    };
    let engine = fixture.engine();
    let request = fixture.request();

    // Invalid bytes in the middle.
    let mut bad = request.clone().into_bytes();
    bad.insert(1, 0xff);
    let (status, text) = decide(engine, &bad);
    assert_eq!(status, BoStatus::InvalidArgument);
    let error = error_of(&text);
    assert_eq!(error["field"], "input");
    assert_eq!(
        error["message"],
        "invalid `input`: not valid UTF-8: invalid byte sequence at byte offset 1"
    );

    // A multi-byte character cut at the end of the buffer.
    let euro = "{\"x\": \"€\"}".as_bytes();
    let cut = &euro[..9];
    let (status, text) = decide(engine, cut);
    assert_eq!(status, BoStatus::InvalidArgument);
    assert_eq!(
        error_of(&text)["message"],
        "invalid `input`: not valid UTF-8: truncated multi-byte sequence at byte offset 7 (the end of the input)"
    );

    // Valid UTF-8 cut anywhere inside the JSON: never a decision, never a crash.
    for end in 0..request.len() {
        let (status, text) = decide(engine, &request.as_bytes()[..end]);
        assert_eq!(status, BoStatus::InvalidArgument, "cut at {end}: {text}");
        let error = error_of(&text);
        assert_eq!(error["code"], "invalid_json", "cut at {end}: {text}");
    }

    // The length decides, not a terminator: the request followed by garbage, read to its
    // end only, still decides.
    let mut padded = request.clone().into_bytes();
    let len = padded.len();
    padded.extend_from_slice(b"\xff\xfe garbage");
    let (status, text) = take(unsafe { bo_engine_decide(engine, padded.as_ptr(), len) });
    assert_eq!(status, BoStatus::Ok, "{text}");
    // An interior NUL is just an invalid JSON character.
    let (status, _) = decide(engine, b"{\0}");
    assert_eq!(status, BoStatus::InvalidArgument);
    unsafe { bo_engine_free(engine) };
}

#[test]
fn a_one_megabyte_document() {
    let Some(fixture) = plain_fixture() else {
        return;
    };
    let engine = fixture.engine();
    let request = fixture.request();
    let single = decide(engine, request.as_bytes()).1;

    // A valid request padded with 1 MB of whitespace decides the same.
    let mut big = " ".repeat(1 << 20);
    big.push_str(&request);
    let (status, text) = decide(engine, big.as_bytes());
    assert_eq!(status, BoStatus::Ok, "{text}");
    assert_eq!(text, single);

    // 1 MB of nesting is refused, by the parser's depth limit and not by the stack.
    let deep = "[".repeat(1 << 20);
    let (status, text) = decide(engine, deep.as_bytes());
    assert_eq!(status, BoStatus::InvalidArgument);
    assert_eq!(error_of(&text)["code"], "invalid_json");
    let (status, text) = take(unsafe { bo_engine_decide_batch(engine, deep.as_ptr(), deep.len()) });
    assert_eq!(status, BoStatus::InvalidArgument);
    assert!(
        error_of(&text)["message"]
            .as_str()
            .unwrap()
            .contains("nested too deeply (at most 128 levels of arrays and objects)"),
        "{text}"
    );

    // A 1 MB string in a field the request does not have.
    let huge = format!("{{\"{}\": 1}}", "x".repeat(1 << 20));
    let (status, text) = decide(engine, huge.as_bytes());
    assert_eq!(status, BoStatus::InvalidArgument);
    assert_eq!(error_of(&text)["code"], "invalid_json");

    // A batch of about 1 MB.
    let count = (1 << 20) / request.len() + 1;
    let batch = format!("[{}]", vec![request.as_str(); count].join(","));
    assert!(batch.len() >= 1 << 20);
    let (status, text) =
        take(unsafe { bo_engine_decide_batch(engine, batch.as_ptr(), batch.len()) });
    assert_eq!(status, BoStatus::Ok);
    let items: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(items.len(), count);
    unsafe { bo_engine_free(engine) };
}

// ---------------------------------------------------------------------------------------
// Policies.

#[test]
fn a_policy_syntax_error_has_positioned_diagnostics() {
    let Some(kind) = ENGINE_KINDS.first() else {
        return;
    };
    let source = "fn helper_ok() {\n    let x = 1 +;\n}\n";
    let (status, text, engine) = try_new_engine(kind, "{}", Some(("broken.rhai", source)));
    assert_eq!(status, BoStatus::PolicyError);
    assert!(engine.is_null());
    let error = error_of(&text);
    assert_eq!(error["code"], "policy_error");
    let diagnostics = error["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{text}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "policy.syntax");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["policy"], "broken.rhai");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 16);
    assert_eq!(d["snippet"], "    let x = 1 +;");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("broken.rhai:2:16"),
        "{text}"
    );

    // Without a name the policy is `policy.rhai`.
    let kind_c = c(kind);
    let source_c = c(source);
    let mut engine: *mut BoEngine = null_mut();
    let (status, text) =
        take(unsafe { bo_engine_new(kind_c.as_ptr(), null(), source_c.as_ptr(), &mut engine) });
    assert_eq!(status, BoStatus::PolicyError);
    assert_eq!(error_of(&text)["diagnostics"][0]["policy"], "policy.rhai");
}

#[test]
fn a_policy_with_an_unknown_hook_is_a_policy_error() {
    let Some(kind) = ENGINE_KINDS.first() else {
        return;
    };
    let source = "fn not_a_hook_of_any_engine(a, b, c, d, e) { 1 }\n";
    let (status, text, engine) = try_new_engine(kind, "{}", Some(("odd.rhai", source)));
    assert_eq!(status, BoStatus::PolicyError, "{text}");
    assert!(engine.is_null());
    let error = error_of(&text);
    let d = &error["diagnostics"][0];
    assert_eq!(d["code"], "policy.unknown_hook");
    assert_eq!(d["line"], 1);
    assert_eq!(d["column"], 1);
}

#[test]
fn a_policy_reports_its_name_and_digest() {
    let Some(fixture) = fixtures()
        .into_iter()
        .find(|f| f.value["policy"].is_string())
    else {
        return;
    };
    let (name, source) = fixture.policy().unwrap();
    let (status, text, engine) =
        try_new_engine(&fixture.kind, &fixture.config(), Some((&name, &source)));
    assert_eq!(status, BoStatus::Ok, "{text}");
    let policy = Policy::compile(&name, &source, &PolicyRuntime::new()).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        serde_json::json!({"kind": fixture.kind, "policy": {"name": name, "digest": policy.digest()}})
    );
    unsafe { bo_engine_free(engine) };
}

// ---------------------------------------------------------------------------------------
// Threads.

struct Shared(*const BoEngine);
// SAFETY: `BoEngine` is documented as safe to share between threads; the test frees it
// only after every thread has been joined.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

#[test]
fn eight_threads_decide_on_one_engine() {
    let Some(fixture) = plain_fixture() else {
        return;
    };
    let engine = fixture.engine();
    let request = fixture.request();
    let expected = decide(engine, request.as_bytes()).1;
    let shared = Shared(engine);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                let engine = &shared;
                for _ in 0..50 {
                    let (status, text) = decide(engine.0, request.as_bytes());
                    assert_eq!(status, BoStatus::Ok);
                    assert_eq!(text, expected);
                    let (status, _) = decide(engine.0, b"{");
                    assert_eq!(status, BoStatus::InvalidArgument);
                }
            });
        }
    });
    unsafe { bo_engine_free(engine) };
}

// ---------------------------------------------------------------------------------------
// Versions and the header.

#[test]
fn versions_and_kinds() {
    assert_eq!(bo_abi_version(), BO_ABI_VERSION);
    let version = unsafe { CStr::from_ptr(bo_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let kinds = unsafe { CStr::from_ptr(bo_engine_kinds()) }
        .to_str()
        .unwrap();
    let kinds: Vec<String> = serde_json::from_str(kinds).unwrap();
    assert_eq!(kinds, ENGINE_KINDS);
}

#[test]
fn the_committed_header_is_fresh() {
    let root = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(root).join("cbindgen.toml")).unwrap();
    // Only the ffi module: other modules' public constants are not part of the C ABI.
    let bindings = cbindgen::Builder::new()
        .with_src(Path::new(root).join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .unwrap();
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = Path::new(root).join("include/backoffice.h");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/backoffice.h is stale: run `BLESS=1 cargo test --features ffi --test ffi the_committed_header_is_fresh` and commit it"
    );
}

#[allow(dead_code)]
fn _types_are_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<backoffice::engine::AnyEngine>();
    let _: *const c_char = null();
}
