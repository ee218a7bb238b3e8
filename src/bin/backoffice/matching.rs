//! Comparing expected JSON with actual JSON, and walking JSON by path.

use backoffice::policy::testing::json_matches;
use serde_json::Value;

/// One difference between what a test expected and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Where, e.g. `outcome.lines[0].refund.amount`.
    pub path: String,
    /// What the test expected there.
    pub expected: Value,
    /// What was there (`None`: nothing).
    pub actual: Option<Value>,
}

/// Checks that `expected` is contained in `actual`: every key of an expected object must
/// be present and match (other keys are ignored), arrays must have the same length and
/// match item by item, and numbers compare by decimal value (`12.3` matches `"12.30"`
/// only through a number: two strings compare as text).
pub fn subset_diff(expected: &Value, actual: &Value, path: &str, out: &mut Vec<Mismatch>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let child = join(path, key);
                match a.get(key) {
                    Some(av) => subset_diff(ev, av, &child, out),
                    None => out.push(Mismatch {
                        path: child,
                        expected: ev.clone(),
                        actual: None,
                    }),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset_diff(ev, av, &format!("{path}[{i}]"), out);
            }
        }
        _ => {
            if !json_matches(expected, actual) {
                out.push(Mismatch {
                    path: path.to_string(),
                    expected: expected.clone(),
                    actual: Some(actual.clone()),
                });
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The value at `path` (`outcome.lines[0].refund.amount`, `reasons[1].code`), if any.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    for segment in path.split('.') {
        let (key, indexes) = match segment.find('[') {
            Some(at) => (segment.get(..at)?, segment.get(at..)?),
            None => (segment, ""),
        };
        if !key.is_empty() {
            current = current.get(key)?;
        }
        let mut rest = indexes;
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped.find(']')?;
            let index: usize = stripped.get(..close)?.parse().ok()?;
            current = current.get(index)?;
            rest = stripped.get(close + 1..)?;
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(current)
}

/// Every leaf of `value` as `(path, value)`, in document order. Money objects
/// (`{"amount", "currency"}`) count as one leaf, printed `12.30 EUR`.
pub fn flatten(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if is_money(map) => {
            let amount = map.get("amount").map(plain).unwrap_or_default();
            let currency = map.get("currency").map(plain).unwrap_or_default();
            out.push((path.to_string(), format!("{amount} {currency}")));
        }
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                flatten(child, &join(path, key), out);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(is_scalar) => {
            let joined: Vec<String> = items.iter().map(plain).collect();
            out.push((path.to_string(), joined.join(", ")));
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, child) in items.iter().enumerate() {
                flatten(child, &format!("{path}[{i}]"), out);
            }
        }
        other => out.push((path.to_string(), plain(other))),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn is_money(map: &serde_json::Map<String, Value>) -> bool {
    map.len() == 2 && map.contains_key("amount") && map.contains_key("currency")
}

/// A value as a person reads it: strings without quotes, the rest as JSON.
pub fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_reports_each_differing_path() {
        let actual = json!({"decision": "accept", "refund": {"amount": "12.30", "currency": "EUR"}, "lines": [1, 2]});
        let mut out = Vec::new();
        subset_diff(
            &json!({"decision": "reject", "refund": {"amount": 12.3}, "nope": 1}),
            &actual,
            "outcome",
            &mut out,
        );
        let paths: Vec<&str> = out.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["outcome.decision", "outcome.nope"]);
        assert_eq!(out[1].actual, None);
    }

    #[test]
    fn lookup_walks_keys_and_indexes() {
        let v = json!({"outcome": {"lines": [{"a": 1}, {"a": [5, 6]}]}});
        assert_eq!(lookup(&v, "outcome.lines[1].a[1]"), Some(&json!(6)));
        assert_eq!(lookup(&v, "outcome.lines[2]"), None);
        assert_eq!(lookup(&v, "outcome.lines[x]"), None);
    }

    #[test]
    fn flatten_keeps_money_together_and_joins_scalar_arrays() {
        let mut out = Vec::new();
        let value = json!({"refund": {"amount": "1.00", "currency": "EUR"}, "ok": true, "chain": ["a", "b"]});
        flatten(&value, "", &mut out);
        let expected = [("chain", "a, b"), ("ok", "true"), ("refund", "1.00 EUR")];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(out, expected);
    }
}
