//! Fuzz target `policy_values`: structured values (`arbitrary`: nested maps, arrays, strings,
//! integers, decimals, money, booleans, unit) passed to a small fixed set of policies that
//! do what real hooks do (arithmetic with exact division, string building, map and array
//! walks, recursion, loops). Asserts: no panic; every failure is a `policy.` diagnostic;
//! reading results with the `bridge::expect_*` helpers never panics. Calls are bounded by
//! the runtime's operation limit (10,000 here), not by a clock: a wall-clock bound failed
//! on a loaded machine (a loop stopped by the 200,000-operation default took 2.3 s under
//! ASan), and libFuzzer's `-timeout` still reports a real hang.
#![no_main]

use arbitrary::Arbitrary;
use backoffice::policy::{bridge, Limits, Policy, PolicyRuntime};
use backoffice::{Currency, Money};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use std::sync::OnceLock;

#[derive(Debug, Arbitrary)]
enum Value {
    Unit,
    Bool(bool),
    Int(i64),
    Decimal(i64, u8),
    Money(i64, u8, u8),
    Text(String),
    Array(Vec<Value>),
    Map(Vec<(String, Value)>),
}

const CURRENCIES: [Currency; 4] = [Currency::EUR, Currency::USD, Currency::JPY, Currency::BHD];

fn to_json(value: &Value, depth: usize) -> serde_json::Value {
    use serde_json::json;
    if depth > 6 {
        return serde_json::Value::Null;
    }
    match value {
        Value::Unit => serde_json::Value::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Decimal(m, s) => json!(Decimal::try_new(*m, u32::from(*s % 29))
            .unwrap_or_default()
            .to_string()),
        Value::Money(m, s, c) => {
            let money = Money::new(
                Decimal::try_new(*m, u32::from(*s % 29)).unwrap_or_default(),
                CURRENCIES[usize::from(*c) % CURRENCIES.len()],
            );
            serde_json::to_value(money).unwrap_or_default()
        }
        Value::Text(t) => json!(t),
        Value::Array(items) => items
            .iter()
            .take(16)
            .map(|v| to_json(v, depth + 1))
            .collect(),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .take(16)
                .map(|(k, v)| (k.clone(), to_json(v, depth + 1)))
                .collect(),
        ),
    }
}

/// Each policy defines `h(a, b)`; they mirror what engine hooks do.
const POLICIES: [&str; 6] = [
    // arithmetic on fields, exact division
    r#"fn h(a, b) { let x = if type_of(a) == "map" && "amount" in a { a.amount } else { 1 };
        let y = if type_of(b) == "i64" { b } else { 3 };
        if y == 0 { () } else { x * 15 / 100 + x / y } }"#,
    // strings built from anything
    r#"fn h(a, b) { let s = `${a}|${b}`; if s.len() > 100 { s.sub_string(0, 100) } else { s + s } }"#,
    // walk maps and arrays recursively (bounded by the call depth limit)
    r#"fn h(a, b) { _walk(a) + _walk(b) }
       fn _walk(v) { switch type_of(v) { "map" => { let n = 1; for k in v.keys() { n += _walk(v[k]); } n },
                                          "array" => { let n = 1; for x in v { n += _walk(x); } n },
                                          _ => 1 } }"#,
    // property access that may be missing, comparisons across types
    r#"fn h(a, b) { if a.status == "new" && b > 10 { "accept" } else if a == b { true } else { #{score: a.score} } }"#,
    // sort and dedup arrays, build maps
    r#"fn h(a, b) { let out = #{}; let arr = if type_of(a) == "array" { a } else { [a, b] };
        for (x, i) in arr { out[`k${i}`] = x; } let ks = out.keys(); ks.sort(); [ks, out.len()] }"#,
    // loops driven by the input (stopped by the operation limit)
    r#"fn h(a, b) { let n = 0; let limit = if type_of(b) == "i64" { b } else { 10 };
        while n < limit { n += 1; } n }"#,
];

fn policies() -> &'static Vec<Policy> {
    static POLICIES_COMPILED: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES_COMPILED.get_or_init(|| {
        let runtime = PolicyRuntime::new().with_limits(Limits {
            max_operations: 10_000,
            ..Limits::default()
        });
        POLICIES
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Policy::compile(&format!("p{i}.rhai"), s, &runtime).expect("fixed policy compiles")
            })
            .collect()
    })
}

fuzz_target!(|input: (Value, Value)| {
    let (a, b) = (to_json(&input.0, 0), to_json(&input.1, 0));
    let (Ok(a), Ok(b)) = (bridge::to_dynamic(&a), bridge::to_dynamic(&b)) else {
        return;
    };
    for policy in policies() {
        match policy.call("h", (a.clone(), b.clone())) {
            Ok(out) => {
                let v = &out.value;
                let _ = bridge::expect_string(v, "h", "a string");
                let _ = bridge::expect_decimal(v, "h", "a decimal");
                let _ = bridge::expect_int(v, "h", "an integer");
                let _ = bridge::expect_bool(v, "h", "a boolean");
                let _ = bridge::expect_map(v, "h", "a map");
                let _ = bridge::expect_money(v, "h", "money");
                let _ = bridge::describe(v);
            }
            Err(d) => assert!(d.code.starts_with("policy."), "{d:?}"),
        }
    }
});
