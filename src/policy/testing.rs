//! Policy test cases: call one hook with JSON arguments and compare what it returns,
//! prints or fails with. The `backoffice` CLI runs files of these for policy authors.
//!
//! ```
//! use backoffice::policy::{Policy, PolicyRuntime};
//! use backoffice::policy::testing::{run_cases, PolicyCase};
//! let policy = Policy::compile(
//!     "fees.rhai",
//!     r#"fn fee(item) { if item.opened { round_money(percent_of(item.price, 15), "half_even") } }"#,
//!     &PolicyRuntime::new(),
//! )?;
//! let cases: Vec<PolicyCase> = serde_json::from_str(r#"[
//!   {"name": "opened pays 15 %", "hook": "fee",
//!    "args": [{"opened": true, "price": {"amount": "19.99", "currency": "EUR"}}],
//!    "expect": {"amount": "3.00", "currency": "EUR"}},
//!   {"name": "sealed is free", "hook": "fee",
//!    "args": [{"opened": false, "price": {"amount": "19.99", "currency": "EUR"}}],
//!    "expect": null},
//!   {"name": "missing price", "hook": "fee", "args": [{"opened": true}],
//!    "expect_error": "policy.runtime"}
//! ]"#)?;
//! let results = run_cases(&policy, &cases);
//! assert!(results.iter().all(|r| r.passed), "{results:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::bridge::{self, Timestamp};
use super::Policy;
use crate::Diagnostic;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One test of one hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyCase {
    /// What the case checks, shown in reports.
    pub name: String,
    /// The hook to call.
    pub hook: String,
    /// The arguments, in order, as JSON (converted with [`bridge::to_dynamic`], so money
    /// objects get decimal amounts and RFC 3339 strings become timestamps).
    #[serde(default)]
    pub args: Vec<serde_json::Value>,
    /// The expected return value (`null` for `()`). Numbers compare by value: `3`,
    /// `3.00` and `"3.00"` all match a decimal 3. Not checked when absent (an explicit
    /// `null` is `Some(Value::Null)`, and is checked).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub expect: Option<serde_json::Value>,
    /// The expected diagnostic code when the hook must fail, e.g. `policy.runtime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_error: Option<String>,
    /// The expected `print`/`debug` lines. Not checked when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_output: Option<Vec<String>>,
}

/// A field that is present, even as `null` (absent fields take the `default`, `None`).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

/// The outcome of one [`PolicyCase`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// What the hook returned, as JSON (absent when it failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<serde_json::Value>,
    /// The diagnostic, when the hook failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Diagnostic>,
    /// What the hook printed.
    pub output: Vec<String>,
    /// Why the case failed, one line per broken expectation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

/// Runs every case against `policy`, in order.
pub fn run_cases(policy: &Policy, cases: &[PolicyCase]) -> Vec<CaseResult> {
    cases.iter().map(|case| run_case(policy, case)).collect()
}

/// Runs one case.
pub fn run_case(policy: &Policy, case: &PolicyCase) -> CaseResult {
    let mut failures = Vec::new();
    let mut args = Vec::with_capacity(case.args.len());
    for (i, arg) in case.args.iter().enumerate() {
        match bridge::to_dynamic(arg) {
            Ok(value) => args.push(value),
            Err(e) => failures.push(format!("argument {i} cannot be converted: {e}")),
        }
    }
    if case.expect.is_none() && case.expect_error.is_none() && case.expect_output.is_none() {
        failures.push(
            "the case expects nothing: give `expect` (the return value, `null` for `()`), `expect_error` or `expect_output`"
                .to_string(),
        );
    }
    // Calling a hook that is not there, or with the wrong number of arguments, would
    // only say "function not found".
    let defined: Vec<&super::FunctionInfo> = policy
        .functions()
        .iter()
        .filter(|f| f.name == case.hook)
        .collect();
    if defined.is_empty() {
        let names = policy
            .functions()
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| !n.starts_with("anon$"));
        let advice = match crate::error::closest_name(&case.hook, names) {
            Some(similar) => format!("; did you mean `{similar}`?"),
            None => String::new(),
        };
        failures.push(format!(
            "the policy defines no function `{}`{advice}",
            case.hook
        ));
    } else if !defined.iter().any(|f| f.arity() == case.args.len()) {
        let signatures: Vec<String> = defined
            .iter()
            .map(|f| {
                format!(
                    "`fn {}({})` (line {}) takes {} argument{}",
                    f.name,
                    f.params.join(", "),
                    f.line,
                    f.arity(),
                    if f.arity() == 1 { "" } else { "s" }
                )
            })
            .collect();
        failures.push(format!(
            "{}, but `args` gives {}",
            signatures.join(" and "),
            case.args.len()
        ));
    }
    if !failures.is_empty() {
        return CaseResult {
            name: case.name.clone(),
            passed: false,
            actual: None,
            error: None,
            output: Vec::new(),
            failures,
        };
    }
    let (actual, error, output) = match policy.call(&case.hook, args) {
        Ok(out) => (Some(to_json(&out.value)), None, out.output),
        Err(diagnostic) => (None, Some(diagnostic), Vec::new()),
    };
    match (&case.expect_error, &error) {
        (Some(code), Some(d)) if &d.code != code => failures.push(format!(
            "expected error {code}, got {}: {}",
            d.code, d.message
        )),
        (Some(code), None) => failures.push(format!(
            "expected error {code}, but the hook returned {}",
            actual
                .as_ref()
                .map_or_else(String::new, ToString::to_string)
        )),
        (None, Some(d)) => failures.push(format!("the hook failed: {}: {}", d.code, d.message)),
        _ => {}
    }
    if let (Some(expected), Some(actual)) = (&case.expect, &actual) {
        if !json_matches(expected, actual) {
            failures.push(format!("expected {expected}, got {actual}"));
        }
    }
    if let Some(expected) = &case.expect_output {
        if error.is_none() && expected != &output {
            failures.push(format!("expected output {expected:?}, got {output:?}"));
        }
    }
    CaseResult {
        name: case.name.clone(),
        passed: failures.is_empty(),
        actual,
        error,
        output,
        failures,
    }
}

/// A script value as JSON: `()` is `null`, decimals are exact JSON numbers, timestamps
/// are RFC 3339 strings, other custom values their printed form.
pub fn to_json(value: &rhai::Dynamic) -> serde_json::Value {
    use serde_json::Value;
    if value.is_unit() {
        Value::Null
    } else if let Ok(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Ok(i) = value.as_int() {
        Value::from(i)
    } else if let Ok(d) = value.as_decimal() {
        // Exact: with `arbitrary_precision` the number keeps its text.
        d.to_string()
            .parse::<serde_json::Number>()
            .map_or_else(|_| Value::String(d.to_string()), Value::Number)
    } else if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        Value::String(s.to_string())
    } else if let Some(t) = value.read_lock::<Timestamp>() {
        Value::String(t.to_string())
    } else if let Some(items) = value.read_lock::<rhai::Array>() {
        Value::Array(items.iter().map(to_json).collect())
    } else if let Some(map) = value.read_lock::<rhai::Map>() {
        Value::Object(
            map.iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect(),
        )
    } else {
        Value::String(value.to_string())
    }
}

/// Whether `actual` matches `expected`, comparing numbers (and numeric strings against
/// numbers) by decimal value.
pub fn json_matches(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (expected, actual) {
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| json_matches(e, a))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, ev)| a.get(k).is_some_and(|av| json_matches(ev, av)))
        }
        (Value::Number(_), _) | (_, Value::Number(_)) => {
            match (decimal_of_json(expected), decimal_of_json(actual)) {
                (Some(e), Some(a)) => e == a,
                _ => expected == actual,
            }
        }
        _ => expected == actual,
    }
}

fn decimal_of_json(value: &serde_json::Value) -> Option<Decimal> {
    match value {
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            text.parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(&text))
                .ok()
        }
        serde_json::Value::String(s) => s.parse::<Decimal>().ok(),
        _ => None,
    }
}
