//! Messages shown to people name no Rust types: every reason message and error message
//! the golden fixtures (`tests/fixtures/<engine>/*.json`, decided with and without a
//! trace, and with the hook-failure fallback) and the hostile policies
//! (`tests/fixtures/hostile/*.rhai`, compiled and run) produce is scanned for CamelCase
//! words such as `ByUnit` or `ReturnRequest`; enum values appear in their JSON spelling.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::engine::{AnyEngine, ENGINE_KINDS};
use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use common::{fixtures, policy_source};
use serde_json::Value;
use std::path::Path;

/// The CamelCase words of `text`: an upper-case letter, lower-case letters or digits, and
/// at least one more upper-case letter followed by a lower-case one (`ByUnit`, `HookSpec`;
/// not `EUR`, `US`, `Berlin` or `SO-1`).
fn camel_case_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| {
            let chars: Vec<char> = word.chars().collect();
            chars.first().is_some_and(char::is_ascii_uppercase)
                && chars.get(1).is_some_and(char::is_ascii_lowercase)
                && chars
                    .windows(2)
                    .skip(1)
                    .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_lowercase())
        })
        .map(str::to_string)
        .collect()
}

/// Every string under a key meant for people (`message`, `help`, `note`, `label`) in
/// `value`, with its JSON path.
fn messages(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                let at = format!("{path}.{key}");
                match item {
                    Value::String(text)
                        if matches!(key.as_str(), "message" | "help" | "note" | "label") =>
                    {
                        out.push((at, text.clone()));
                    }
                    other => messages(other, &at, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                messages(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// `(where, message, CamelCase words)` for each message of `value` that has any.
fn findings(what: &str, value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    messages(value, "", &mut found);
    found
        .into_iter()
        .filter_map(|(path, text)| {
            let words = camel_case_words(&text);
            (!words.is_empty()).then(|| format!("{what} {path}: {words:?} in {text:?}"))
        })
        .collect()
}

fn decide(kind: &str, fixture: &common::Fixture, options: &DecideOptions) -> Value {
    let config = match &fixture.config {
        Value::Null => None,
        config => Some(config.to_string()),
    };
    let policy = fixture.policy.as_deref().map(|name| {
        Policy::compile(name, &policy_source(name), &PolicyRuntime::new())
            .unwrap_or_else(|e| panic!("{}: {name}: {e}", fixture.name))
    });
    let engine = match AnyEngine::new(kind, config.as_deref(), policy) {
        Ok(engine) => engine,
        Err(error) => return serde_json::json!({ "error": error.to_json_value() }),
    };
    match engine.decide_json(&fixture.request.to_string(), options) {
        Ok(decision) => decision,
        Err(error) => serde_json::json!({ "error": error.to_json_value() }),
    }
}

#[test]
fn the_detector_finds_type_names_only() {
    assert_eq!(
        camel_case_words("split `ByUnit` of ReturnRequest (EUR, US, Berlin, SO-1, by_unit)"),
        vec!["ByUnit".to_string(), "ReturnRequest".to_string()]
    );
    assert_eq!(camel_case_words("McDonald"), vec!["McDonald".to_string()]);
    assert!(camel_case_words("DC-MUNICH, iPhone, HTTPServer, A1").is_empty());
}

#[test]
fn golden_fixture_messages_name_no_rust_types() {
    let mut found = Vec::new();
    let mut scanned = 0;
    for kind in ENGINE_KINDS {
        for fixture in fixtures(kind) {
            for options in [
                DecideOptions::default(),
                DecideOptions {
                    trace: true,
                    on_hook_error: OnHookError::Fallback,
                },
            ] {
                let decision = decide(kind, &fixture, &options);
                found.extend(findings(&format!("{kind}/{}", fixture.name), &decision));
                scanned += 1;
            }
        }
    }
    assert!(scanned >= 40, "only {scanned} decisions scanned");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn hostile_policy_messages_name_no_rust_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 15, "{} hostile policies", paths.len());
    let runtime = PolicyRuntime::new();
    let mut found = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(path).unwrap();
        let error = match Policy::compile(&name, &source, &runtime) {
            Err(error) => error.to_json_value(),
            Ok(policy) => match policy.call("_attack", ()) {
                Err(diagnostic) => serde_json::to_value(&diagnostic).unwrap(),
                Ok(_) => continue,
            },
        };
        found.extend(findings(&name, &serde_json::json!({ "error": error })));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
