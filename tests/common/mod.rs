//! Helpers shared by the test suites: the proptest configuration (case
//! count from `PROPTEST_CASES`), the golden fixtures as seeds, and a strategy that
//! perturbs one value of a fixture's request at a time; also the reference data directory
//! and a returns request used by several suites.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use std::path::Path;

/// Cases per property: `PROPTEST_CASES` if set (CI raises it), else 64 so that a plain
/// `cargo test` stays quick.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        // Failing cases are replayed from the test source instead (see the regression
        // tests beside each suite), so no `.proptest-regressions` files are written.
        failure_persistence: None,
        ..Config::default()
    }
}

/// One golden fixture of an engine.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// File name.
    pub name: String,
    /// The engine configuration (`null` for the defaults).
    pub config: Value,
    /// The request.
    pub request: Value,
    /// The policy's file name in `examples/policies/`, if any.
    pub policy: Option<String>,
    /// The decision the request must produce (its JSON form).
    pub expected: Value,
    /// Where the fixture lives.
    pub path: std::path::PathBuf,
}

/// Every golden fixture of `engine` (`tests/fixtures/<engine>/*.json`), sorted by name.
pub fn fixtures(engine: &str) -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(engine);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            Fixture {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                config: v["config"].clone(),
                request: v["request"].clone(),
                policy: v["policy"].as_str().map(str::to_string),
                expected: v["expected"].clone(),
                path: p.clone(),
            }
        })
        .collect()
}

/// The paths (object keys and array indices) of every leaf of `value`.
fn leaves(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Step::Key(k.clone()));
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            // The array itself can lose or repeat an element.
            out.push(path.clone());
            for (i, v) in items.iter().enumerate() {
                path.push(Step::Index(i));
                leaves(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// A change to one value.
#[derive(Debug, Clone)]
pub enum Change {
    /// Add this to a number (integers stay integers; decimal strings stay decimal strings).
    Shift(i64),
    /// Multiply a number by ten to this power.
    Scale(u8),
    /// Negate a number.
    Negate,
    /// Replace a string with this one.
    Text(String),
    /// Drop the first element of an array.
    DropFirst,
    /// Repeat the last element of an array.
    RepeatLast,
    /// Flip a boolean / swap a null for a zero.
    Flip,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        4 => (-3i64..=3).prop_map(Change::Shift),
        1 => (1u8..=6).prop_map(Change::Scale),
        1 => Just(Change::Negate),
        1 => prop::sample::select(vec![
            "", "0", "-1", "1e3", "0.005", "XXX", "EUR", "2026-02-29T00:00:00Z",
            "9999-12-31T23:59:59Z", "Ä\u{301}ß\u{200b}\u{202e}", "   ", "L0",
        ])
        .prop_map(|s| Change::Text(s.to_string())),
        1 => Just(Change::DropFirst),
        1 => Just(Change::RepeatLast),
        1 => Just(Change::Flip),
    ]
}

fn apply(value: &mut Value, change: &Change) {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let shift_decimal = |d: Decimal, c: &Change| -> Option<Decimal> {
        match c {
            Change::Shift(n) => d.checked_add(Decimal::new(*n, d.scale())),
            Change::Scale(p) => d.checked_mul(Decimal::from(10_i64.pow(u32::from(*p)))),
            Change::Negate => Some(-d),
            _ => None,
        }
    };
    match (value.clone(), change) {
        (Value::Number(n), _) => {
            if let Some(d) = Decimal::from_str(&n.to_string())
                .ok()
                .and_then(|d| shift_decimal(d, change))
            {
                *value = serde_json::from_str(&d.to_string()).unwrap_or(Value::Null);
            } else if let Change::Text(s) = change {
                *value = Value::String(s.clone());
            }
        }
        (Value::String(s), Change::Text(t)) => {
            let _ = s;
            *value = Value::String(t.clone());
        }
        (Value::String(s), _) => {
            if let Some(d) = Decimal::from_str(&s)
                .ok()
                .and_then(|d| shift_decimal(d, change))
            {
                *value = Value::String(d.to_string());
            }
        }
        (Value::Array(mut items), Change::DropFirst) if !items.is_empty() => {
            items.remove(0);
            *value = Value::Array(items);
        }
        (Value::Array(mut items), Change::RepeatLast) => {
            if let Some(last) = items.last().cloned() {
                items.push(last);
            }
            *value = Value::Array(items);
        }
        (Value::Bool(b), _) => *value = Value::Bool(!b),
        (Value::Null, Change::Flip) => *value = Value::from(0),
        _ => {}
    }
}

/// A fixture's request with up to three values changed: (fixture name, config, request).
pub fn perturbed(engine: &str) -> impl Strategy<Value = (String, Value, Value)> {
    let all = fixtures(engine);
    assert!(!all.is_empty(), "no fixtures for {engine}");
    prop::sample::select(all).prop_flat_map(|f| {
        let mut paths = Vec::new();
        leaves(&f.request, &mut Vec::new(), &mut paths);
        let n = paths.len().max(1);
        (
            Just(f),
            Just(paths),
            prop::collection::vec((0..n, change()), 0..=3),
        )
            .prop_map(|(f, paths, changes)| {
                let mut request = f.request.clone();
                for (i, c) in changes {
                    if let Some(path) = paths.get(i) {
                        // Earlier changes may have removed this path: skip it then.
                        if resolves(&request, path) {
                            apply(at(&mut request, path), &c);
                        }
                    }
                }
                (f.name, f.config, request)
            })
    })
}

fn resolves(value: &Value, path: &[Step]) -> bool {
    let mut v = value;
    for step in path {
        v = match (step, v) {
            (Step::Key(k), Value::Object(m)) => match m.get(k) {
                Some(x) => x,
                None => return false,
            },
            (Step::Index(i), Value::Array(a)) => match a.get(*i) {
                Some(x) => x,
                None => return false,
            },
            _ => return false,
        };
    }
    true
}

/// Serializes `value` to a JSON string (for byte-for-byte comparisons).
pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

/// The outcome survives a JSON round trip byte for byte.
pub fn round_trips<T: serde::Serialize + serde::de::DeserializeOwned>(outcome: &T) -> bool {
    let text = json(outcome);
    let back: T = serde_json::from_str(&text).unwrap();
    json(&back) == text
}

/// The source of `examples/policies/<name>`.
pub fn policy_source(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where the generator checks look for the reference data (not part of the repository;
/// see NOTICE): the directory named by `BACKOFFICE_SHARED_DATA`, else `../shared/data`
/// beside the repository.
fn shared_data_dir() -> (std::path::PathBuf, bool) {
    match std::env::var_os("BACKOFFICE_SHARED_DATA") {
        Some(dir) => (std::path::PathBuf::from(dir), true),
        None => (
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
            false,
        ),
    }
}

/// Whether the generator checks of `suite` (e.g. `tests/generated_tables.rs`) can run.
///
/// A plain clone does not carry the reference data, so without it every check of the suite
/// is skipped, and the suite prints one line (once, past the test harness's capture) saying
/// what it needs. When `BACKOFFICE_SHARED_DATA` is set (CI sets it whenever `../shared/data`
/// exists), the directory must exist: a wrong path fails instead of skipping.
pub fn reference_data_available(suite: &str) -> bool {
    static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();
    let (dir, named) = shared_data_dir();
    if dir.is_dir() {
        return true;
    }
    assert!(
        !named,
        "BACKOFFICE_SHARED_DATA names {}, which is not a directory",
        dir.display()
    );
    SKIP_NOTICE.call_once(|| {
        use std::io::Write as _;
        // Written to the process's stderr directly, so that `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the generator checks of {suite} need the reference data (not in the \
             repository, see NOTICE) in ../shared/data or in the directory named by \
             BACKOFFICE_SHARED_DATA"
        );
    });
    false
}

/// The reference data the generators read (see [`reference_data_available`], which every
/// generator check calls first).
pub fn shared_data() -> std::path::PathBuf {
    let (dir, _) = shared_data_dir();
    assert!(
        dir.is_dir(),
        "the generator checks need the reference data, which is not in the repository \
         (see NOTICE): {} does not exist; set BACKOFFICE_SHARED_DATA to its directory",
        dir.display()
    );
    dir
}

/// A two-item return of a dress and boots (the returns hook tests), from a customer of
/// loyalty tier `tier`.
pub fn returns_request(tier: &str) -> backoffice::returns::ReturnRequest {
    serde_json::from_value(serde_json::json!({
        "order": {
            "order_id": "SO-1", "currency": "EUR", "customer_id": "cust-1", "payment_method": "card",
            "placed_at": "2025-02-24T18:12:00Z", "delivered_at": "2025-02-28T13:40:00Z", "ship_to_country": "DE",
            "lines": [
                {"line_id": "1", "sku": "DRESS-S", "product_id": "DRESS", "category": "apparel", "quantity": 1,
                 "unit_price": {"amount": "129.00", "currency": "EUR"}, "attributes": {"size": "S"}},
                {"line_id": "2", "sku": "BOOT-42", "category": "shoes", "quantity": 3,
                 "unit_price": {"amount": "100.00", "currency": "EUR"}}
            ]
        },
        "items": [
            {"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": "new"},
            {"line_id": "2", "quantity": 2, "reason": "size_too_small", "condition": "new"}
        ],
        "customer": {"account_age_days": 400, "loyalty_tier": tier, "orders_365d": 12, "returns_365d": 3},
        "now": "2025-03-20T09:00:00Z"
    }))
    .unwrap()
}
