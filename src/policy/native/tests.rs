//! Differential tests: the native evaluator against the interpreter, on value, output,
//! error and operation count.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::{eval::Bail, NativeHooks};
use crate::policy::{bridge, HookSpec, Limits, Policy, PolicyRuntime};
use proptest::prelude::*;
use rhai::Dynamic;

fn spec(name: &'static str, params: &'static [&'static str]) -> HookSpec {
    HookSpec {
        name,
        params,
        args: &[],
        returns: "",
        doc: "",
    }
}

/// What the interpreter gives: the value's debug text and output, or the error code.
fn interpret(
    source: &str,
    hook: &str,
    args: &[Dynamic],
    limits: Limits,
) -> Result<(String, Vec<String>), String> {
    let runtime = PolicyRuntime::new().with_limits(limits).interpreted();
    let policy = Policy::compile("t.rhai", source, &runtime).expect("compiles");
    policy
        .call(hook, args.to_vec())
        .map(|o| (format!("{:?}", o.value.flatten()), o.output))
        .map_err(|d| d.code)
}

/// The operations rhai needs for the call (the smallest limit it passes).
fn rhai_operations(source: &str, hook: &str, args: &[Dynamic]) -> u64 {
    let (mut low, mut high) = (1u64, 200_000u64);
    while low < high {
        let mid = (low + high) / 2;
        let limits = Limits {
            max_operations: mid,
            ..Limits::default()
        };
        if interpret(source, hook, args, limits).is_ok() {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

/// Runs `hook` both ways and checks they agree; returns whether it ran natively.
pub(super) fn differential(
    source: &str,
    hook: &'static str,
    params: &'static [&'static str],
    args: &[Dynamic],
) -> bool {
    let runtime = PolicyRuntime::new();
    let policy = Policy::compile("t.rhai", source, &runtime).expect("compiles");
    let native = NativeHooks::compile(policy.ast(), runtime.engine(), &[spec(hook, params)]);
    assert!(
        native.has(hook),
        "{hook} not compiled: {:?}\n{source}",
        native.report()
    );
    let limits = Limits::default();
    let reference = interpret(source, hook, args, limits);
    match native.try_call(hook, args.to_vec(), &limits) {
        Ok(out) => {
            let got = (format!("{:?}", out.value.flatten()), out.output);
            assert_eq!(
                Ok(got),
                reference,
                "value differs for\n{source}\nargs {args:?}"
            );
            let ops = out.operations;
            let at = Limits {
                max_operations: ops,
                ..limits
            };
            let below = Limits {
                max_operations: ops - 1,
                ..limits
            };
            let passes = interpret(source, hook, args, at).is_ok();
            let stops = interpret(source, hook, args, below).map(|_| ())
                == Err("policy.limit.operations".to_string());
            if !(passes && stops) {
                let expected = rhai_operations(source, hook, args);
                panic!("operations differ (native {ops}, rhai {expected}) for\n{source}");
            }
            // The same count hits the limit natively.
            assert_eq!(
                native.try_call(hook, args.to_vec(), &below).err(),
                Some(Bail::Limit)
            );
            true
        }
        Err(Bail::Error) => {
            assert!(
                reference.is_err(),
                "native saw an error, rhai gave {reference:?}:\n{source}"
            );
            false
        }
        Err(_) => false,
    }
}

fn map(json: serde_json::Value) -> Dynamic {
    bridge::to_dynamic(&json)
        .unwrap()
        .into_read_only()
        .into_shared()
}

/// `map(json)` with timestamps `t` and `u` (`u` 3 days and 5 hours after `t`, a Sunday),
/// a money value `m` (12.345 EUR) and `none: ()`.
fn rich(json: serde_json::Value) -> Dynamic {
    use chrono::TimeZone;
    let mut m: rhai::Map = bridge::to_dynamic(&json).unwrap().cast();
    let t = chrono::Utc.with_ymd_and_hms(2026, 3, 5, 10, 0, 0).unwrap();
    let u = chrono::Utc.with_ymd_and_hms(2026, 3, 8, 15, 30, 0).unwrap();
    m.insert("t".into(), bridge::timestamp(t));
    m.insert("u".into(), bridge::timestamp(u));
    let money = crate::Money::new(rust_decimal::Decimal::new(12345, 3), crate::Currency::EUR);
    m.insert("m".into(), bridge::money(&money));
    m.insert("none".into(), Dynamic::UNIT);
    Dynamic::from_map(m).into_read_only().into_shared()
}

#[test]
fn counts_match_on_basic_constructs() {
    let cases: &[&str] = &[
        "fn h(a, b) { 1 }",
        "fn h(a, b) { a }",
        "fn h(a, b) { a + 1 }",
        "fn h(a, b) { let x = a; x }",
        "fn h(a, b) { if a > 1 { 2 } else { 3 } }",
        "fn h(a, b) { return a * 2; }",
        "fn h(a, b) { a / 4 }",
        "fn h(a, b) { 7 / a }",
        "fn h(a, b) { (a + 1) / (a + 3) }",
        "fn h(a, b) { b.x }",
        "fn h(a, b) { b.y.z }",
        "fn h(a, b) { b.list[1] }",
        "fn h(a, b) { b.list.len() }",
        "fn h(a, b) { b.name.len() }",
        "fn h(a, b) { \"q\" in b.tags }",
        "fn h(a, b) { b.tags.contains(\"q\") }",
        "fn h(a, b) { \"x\" in b }",
        "fn h(a, b) { [a, 1, \"s\"] }",
        "fn h(a, b) { #{k: a, j: 2} }",
        "fn h(a, b) { `v ${a} w ${b.name}` }",
        "fn h(a, b) { a > 1 && a < 10 || a == 0 }",
        "fn h(a, b) { !(a > 1) }",
        "fn h(a, b) { let t = 0; for x in b.list { t += x; } t }",
        "fn h(a, b) { let t = 0; for i in 0..a { if i == 2 { continue; } t += i; if i > 3 { break; } } t }",
        "fn h(a, b) { let s = []; for x in b.list { s.push(x * 2); } s }",
        "fn h(a, b) { switch b.name { \"bob\" => 1, \"al\" => 2, _ => 3 } }",
        "fn h(a, b) { switch a { 3 => 1, _ => () } }",
        "fn h(a, b) { _two(a) + 1 }\nfn _two(x) { x * 2 }",
        "fn h(a, b) { _two(a + 1) }\nfn _two(x) { x * 2 }",
        "fn h(a, b) { _k() }\nfn _k() { 5 }",
        "fn h(a, b) { _f(b) }\nfn _f(m) { m.x }",
        "fn h(a, b) { let x = 1; { let x = 2; x += a; } x }",
        "fn h(a, b) { print(a); debug(b.name); 1 }",
        "fn h(a, b) { type_of(b.name) }",
        "fn h(a, b) { b.name.to_upper() }",
        "fn h(a, b) { b.name == () }",
        "fn h(a, b) { b.list.is_empty() }",
        "fn h(a, b) { let i = 0; while i < a { i += 1; } i }",
        "fn h(a, b) { -a }",
        "fn h(a, b) { a % 2 == 1 }",
        "fn h(a, b) { b.x * 2 + 0.5 - 1.25 }",
        "fn h(a, b) { len(b.list) }",
        "fn h(a, b) { contains(b.tags, \"q\") }",
        "fn h(a, b) { b.tags.contains(\"p\") }",
        "fn h(a, b) { b.tags.contains(b.name) }",
        "fn h(a, b) { \"p\" in b.tags }",
        "fn h(a, b) { b.name in b.tags }",
        "fn h(a, b) { b.list[a - 4] }",
        "fn h(a, b) { b.y[\"z\"] }",
        "fn h(a, b) { let l = b.list; l[0] + l.len() }",
        "fn h(a, b) { b.tags[0].len() }",
        "fn h(a, b) { [\"p\", \"bob\"].contains(b.name) }",
        "fn h(a, b) { [a, 2].len() }",
        "fn h(a, b) { { let a = 1.5; a * 2 } }",
        "fn h(a, b) { 1.5 - { let a = 1.5; a * 2 } }",
        "fn h(a, b) { [-11, b.x][1] }",
        "fn h(a, b) { let t = 0; for i in 0..3 { t += i; } t }",
        "fn h(a, b) { _two(1.5 - a) }\nfn _two(x) { x * 2 }",
        // Regression (found by the generator): native counted one more here (the last
        // `to_string` of an interpolation never stops a script).
        "fn h(a, b) { `${a}` }",
        "fn h(a, b) { `x${a}` }",
        "fn h(a, b) { `${b.name}!` }",
        "fn h(a, b) { `${a}${b.x}` }",
        "fn h(a, b) { `${a}-${b.m.amount}-${a > 1}` }",
        "fn h(a, b) { let s = `${a}`; s }",
        "fn h(a, b) { let s = `${a}`; s.len() }",
        "fn h(a, b) { [`${a}`, `${b.x}`] }",
        "fn h(a, b) { _s(a) }\nfn _s(x) { `${x}` }",
        "fn h(a, b) { for i in 0..3 { print(`${i}`); } `${a}` }",
        "fn h(a, b) { if `${a}` == \"5\" { 1 } else { 2 } }",
        "fn h(a, b) { switch a { 1 => a, 2 => (), _ => #{v: a} } }",
        "fn h(a, b) { 14 % _two(b.x) }\nfn _two(x) { x * 2 }",
        // Money and timestamp helpers, `??`, more string and map methods.
        "fn h(a, b) { money_add(b.m, b.m) }",
        "fn h(a, b) { money(a, \"EUR\") }",
        "fn h(a, b) { money(\"1.50\", \"USD\").amount + 1 }",
        "fn h(a, b) { money(1.5, b.m.currency) }",
        "fn h(a, b) { percent_of(b.m, 10) }",
        "fn h(a, b) { percent_of(b.m.amount, a) }",
        "fn h(a, b) { percent_of(a, 12.5) }",
        "fn h(a, b) { round_money(b.m, \"half_even\") }",
        "fn h(a, b) { round_money(b.m, 1, \"up\") }",
        "fn h(a, b) { round_dp(b.m.amount, 2, \"half_up\") }",
        "fn h(a, b) { money_sub(b.m, money(a, \"EUR\")) }",
        "fn h(a, b) { money_mul(b.m, a) }",
        "fn h(a, b) { money_mul(b.m, 0.5).amount }",
        "fn h(a, b) { money_min(b.m, money(a, \"EUR\")) }",
        "fn h(a, b) { money_max(b.m, money(a, \"EUR\")) }",
        "fn h(a, b) { money_sum([b.m, b.m, money(a, \"EUR\")], \"EUR\") }",
        "fn h(a, b) { is_money(b.m) && !is_money(b) }",
        "fn h(a, b) { b.t.days_until(b.u) }",
        "fn h(a, b) { b.t.hours_until(b.u) + b.t.minutes_until(b.u) }",
        "fn h(a, b) { days_until(b.t, b.u) }",
        "fn h(a, b) { b.t.add_days(a).days_until(b.u) }",
        "fn h(a, b) { b.t.add_hours(a) }",
        "fn h(a, b) { let t = b.t; t.add_days(2) > b.u }",
        "fn h(a, b) { [b.u.weekday(), b.u.weekday_number(), b.u.is_weekend(), b.u.date()] }",
        "fn h(a, b) { b.t < b.u && b.t <= b.t && b.u > b.t && b.u >= b.u && b.t != b.u }",
        "fn h(a, b) { b.t == b.u || b.t == () }",
        "fn h(a, b) { parse_timestamp(\"2026-03-05T10:00:00Z\") == b.t }",
        "fn h(a, b) { `at ${b.t}` }",
        "fn h(a, b) { b.t.to_string() }",
        "fn h(a, b) { b.none ?? a }",
        "fn h(a, b) { b.x ?? a }",
        "fn h(a, b) { b.none ?? b.none ?? 3 }",
        "fn h(a, b) { b.keys() }",
        "fn h(a, b) { b.y.values() }",
        "fn h(a, b) { keys(b.y).len() }",
        "fn h(a, b) { b.name.starts_with(\"bo\") && !b.name.ends_with(\"x\") }",
        "fn h(a, b) { starts_with(b.name, \"o\") }",
        "fn h(a, b) { b.name.split(\"o\") }",
        "fn h(a, b) { \"a,b,,c\".split(\",\").len() }",
        "fn h(a, b) { b.name.split(\"\") }",
        "fn h(a, b) { b.name.split(\"z\") }",
        "fn h(a, b) { a.to_string() + b.m.amount.to_string() + true.to_string() }",
    ];
    let b = rich(serde_json::json!({
        "x": 7, "y": {"z": "deep"}, "list": [1, 2, 3], "name": "bob", "tags": ["p", "q"], "d": "1.25"
    }));
    let mut failures = Vec::new();
    for source in cases {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            differential(source, "h", &["a", "b"], &[Dynamic::from_int(5), b.clone()])
        }));
        match result {
            Ok(true) => {}
            Ok(false) => failures.push(format!("bailed: {source}")),
            Err(e) => failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| source.to_string()),
            ),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Which hooks of the example policies and the hostile fixtures compile, and why not.
#[test]
fn example_policies_compile() {
    let root = env!("CARGO_MANIFEST_DIR");
    let engines: &[(&str, &[HookSpec])] = &[
        ("address.rhai", crate::address::HOOKS),
        ("refunds.rhai", crate::refunds::HOOKS),
        ("returns.rhai", crate::returns::HOOKS),
        ("returns_fees_and_routing.rhai", crate::returns::HOOKS),
        ("routing.rhai", crate::routing::HOOKS),
    ];
    let runtime = PolicyRuntime::new();
    let mut report = Vec::new();
    for (file, hooks) in engines {
        let source = std::fs::read_to_string(format!("{root}/examples/policies/{file}")).unwrap();
        let policy = Policy::compile(file, &source, &runtime).unwrap();
        policy.bind("test", hooks).unwrap();
        for h in policy.native_report() {
            report.push(format!("{file} {} {:?} {:?}", h.hook, h.reason, h.line));
        }
        // A runtime recording coverage compiles the same hooks.
        #[cfg(feature = "coverage")]
        {
            let covered =
                Policy::compile(file, &source, &PolicyRuntime::new().with_coverage()).unwrap();
            covered.bind("test", hooks).unwrap();
            assert_eq!(covered.native_report(), policy.native_report(), "{file}");
        }
    }
    // Every hook of every example policy compiles.
    assert_eq!(
        report,
        [
            "address.rhai validate None None",
            "refunds.rhai refund_currency None None",
            "refunds.rhai remainder_absorbed_by None None",
            "returns.rhai eligibility None None",
            "returns.rhai window_days None None",
            "returns.rhai settlement None None",
            "returns.rhai fraud_signals None None",
            "returns_fees_and_routing.rhai return_shipping_fee None None",
            "returns_fees_and_routing.rhai review_route None None",
            "routing.rhai eligible None None",
            "routing.rhai rank None None",
            "routing.rhai chain None None",
        ]
    );
}

/// Coverage runtimes run compiled hooks natively and record exactly the interpreter's
/// lines (statements on several lines, branches not taken, loops, helpers, early returns).
#[cfg(feature = "coverage")]
#[test]
fn native_coverage_is_the_interpreters() {
    let cases: &[&str] = &[
        "fn h(a, b) {\n  let x = a;\n  if x > 2 {\n    x * 2\n  } else {\n    x\n  }\n}",
        "fn h(a, b) {\n  let t = 0;\n  for i in 0..a {\n    if i == 1 { continue; }\n    t += i;\n  }\n  t\n}",
        "fn h(a, b) {\n  if a > 100 { return 1; }\n  let v = _two(a)\n    + 1;\n  v\n}\nfn _two(x)\n{\n  x * 2\n}",
        "fn h(a, b) {\n  let s = switch a {\n    1 => 2,\n    _ => {\n      let k = 3;\n      k\n    }\n  };\n  s\n}",
        "fn h(a, b) {\n  b.x\n    + a\n}",
        "fn h(a, b) {\n  let m = #{\n    k: a,\n    j: b.name\n  };\n  print(m.k);\n  m\n}",
        "fn h(a, b) { let x = 1; if a > 9 { x = 2; } x }",
        "fn h(a, b) {\n  let l = [];\n  for x in b.list { l.push(x); }\n  while l.len() > 5 { break; }\n  l.len() > 1 && a > 0\n}",
        "fn h(a, b) {\n  if a == 5 {\n    return;\n  }\n  2\n}",
    ];
    let b = map(serde_json::json!({"x": 7, "list": [1, 2, 3], "name": "bob"}));
    for source in cases {
        let run = |runtime: PolicyRuntime| {
            let policy = Policy::compile("t.rhai", source, &runtime).unwrap();
            policy.bind("test", &[spec("h", &["a", "b"])]).unwrap();
            for a in [5, 1, 3] {
                policy
                    .call("h", vec![Dynamic::from_int(a), b.clone()])
                    .unwrap();
            }
            (policy.coverage().unwrap(), policy.native_calls())
        };
        let (native, calls) = run(PolicyRuntime::new().with_coverage());
        let (interpreted, _) = run(PolicyRuntime::new().with_coverage().interpreted());
        assert_eq!(calls, (3, 0), "not native:\n{source}");
        assert_eq!(native, interpreted, "coverage differs for\n{source}");
    }
}

/// Which hooks of the policies under `tests/fixtures` compile, and why the others do
/// not. The hostile scripts define `_attack()`; each is wired into the routing engine's
/// `eligible` hook (as `fuzz/run` does); the golden fixtures use the example policies
/// (`example_policies_compile`).
#[test]
fn fixture_policies_compile() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/tests/fixtures/hostile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    files.sort();
    let runtime = PolicyRuntime::new();
    let mut report = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let source =
            std::fs::read_to_string(&path).unwrap() + "\nfn eligible(node, order) { _attack() }\n";
        let policy = match Policy::compile(&file, &source, &runtime) {
            Ok(p) => p,
            Err(crate::Error::Policy { diagnostics }) => {
                report.push(format!("{file}: not a policy ({})", diagnostics[0].code));
                continue;
            }
            Err(e) => panic!("{file}: {e}"),
        };
        if let Err(crate::Error::Policy { diagnostics }) =
            policy.bind("routing", crate::routing::HOOKS)
        {
            report.push(format!("{file}: not bound ({})", diagnostics[0].code));
            continue;
        }
        for h in policy.native_report() {
            match (&h.reason, h.line) {
                (None, _) => report.push(format!("{file} {}: native", h.hook)),
                (Some(reason), line) => report.push(format!(
                    "{file} {}: interpreted, line {}: {reason}",
                    h.hook,
                    line.unwrap_or(0)
                )),
            }
        }
    }
    assert_eq!(
        report,
        [
            "array_doubling.rhai eligible: native",
            "busy_while.rhai eligible: native",
            "clock.rhai: not a policy (policy.sandbox)",
            "deep_recursion.rhai eligible: native",
            "eval.rhai: not a policy (policy.sandbox)",
            "eval_by_pointer.rhai eligible: interpreted, line 3: call of `_attack`, which uses call of `Fn`",
            "file_access.rhai: not a policy (policy.unknown_function)",
            "huge_map.rhai eligible: interpreted, line 3: call of `_attack`, which uses assignment to a property or an index",
            "huge_map_by_index.rhai eligible: interpreted, line 4: call of `_attack`, which uses assignment to a property or an index",
            "import.rhai: not a policy (policy.sandbox)",
            "infinite_loop.rhai eligible: native",
            "many_variables.rhai eligible: native",
            "mutual_recursion.rhai eligible: native",
            "nested_arrays.rhai eligible: native",
            "nested_maps.rhai eligible: native",
            "self_applying_closure.rhai eligible: interpreted, line 3: call of `_attack`, which uses a `Fn` literal",
            "self_capturing_closure.rhai: not a policy (policy.closure_cycle)",
            "sleep_by_pointer.rhai eligible: interpreted, line 3: call of `_attack`, which uses a `Fn` literal",
            "stdout_flood.rhai eligible: native",
            "string_doubling.rhai eligible: native",
        ],
        "{}",
        report.join("\n")
    );
    // The hostile hooks that compile hit a limit natively and hand the call back: the
    // interpreter reports it, with the same code as a forced interpreter.
    let node = map(serde_json::json!({}));
    for path in [
        "infinite_loop",
        "deep_recursion",
        "string_doubling",
        "many_variables",
    ] {
        let source = std::fs::read_to_string(format!("{root}/tests/fixtures/hostile/{path}.rhai"))
            .unwrap()
            + "\nfn eligible(node, order) { _attack() }\n";
        let run = |runtime: &PolicyRuntime| {
            let policy = Policy::compile(path, &source, runtime).unwrap();
            policy.bind("routing", crate::routing::HOOKS).unwrap();
            let code = policy
                .call("eligible", vec![node.clone(), node.clone()])
                .err()
                .map(|d| d.code);
            (code, policy.native_calls())
        };
        let (native, calls) = run(&runtime);
        let (interpreted, _) = run(&PolicyRuntime::new().interpreted());
        assert_eq!(native, interpreted, "{path}");
        assert!(native.is_some(), "{path}");
        assert_eq!(calls, (0, 1), "{path}");
    }
}

/// Small programs of the subset over an integer `a` and a map `b`.
fn program() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-20i64..20).prop_map(|n| n.to_string()),
        Just("a".to_string()),
        Just("b.x".to_string()),
        Just("b.list.len()".to_string()),
        Just("b.list[1]".to_string()),
        Just("b.name.len()".to_string()),
        Just("1.5".to_string()),
        Just("b.t.days_until(b.u)".to_string()),
        Just("b.t.hours_until(b.u)".to_string()),
        Just("b.u.weekday_number()".to_string()),
        Just("b.m.amount".to_string()),
        Just("(b.none ?? 4)".to_string()),
        Just("(b.x ?? 4)".to_string()),
        Just("b.keys().len()".to_string()),
        Just("b.name.split(\"o\").len()".to_string()),
        Just("(if b.name.starts_with(\"b\") { 1 } else { 2 })".to_string()),
        Just("(if b.t < b.u { 3 } else { 4 })".to_string()),
    ];
    let expr = leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop_oneof![Just("+"), Just("-"), Just("*"), Just("/"), Just("%")],
                inner.clone()
            )
                .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
            (inner.clone(), inner.clone())
                .prop_map(|(c, t)| format!("(if ({c}) > 2 {{ {t} }} else {{ {c} }})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("_twice({l}) - {r}")),
            inner
                .clone()
                .prop_map(|e| format!("{{ let a = {e}; a * 2 }}")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("[{l}, {r}][1]")),
            inner
                .clone()
                .prop_map(|e| format!("money_add(b.m, money({e}, \"EUR\")).amount")),
            inner
                .clone()
                .prop_map(|e| format!("percent_of(b.m, {e}).amount")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("percent_of({l}, {r})")),
            inner
                .clone()
                .prop_map(|e| format!("round_dp({e}, 1, \"half_even\")")),
            inner
                .clone()
                .prop_map(|e| format!("b.t.add_days({e}).days_until(b.u)")),
            inner
                .clone()
                .prop_map(|e| format!("({e}).to_string().len()")),
            (inner.clone(), inner).prop_map(|(l, r)| format!("(b.none ?? {l}) + ({r} ?? 0)")),
        ]
    });
    (expr.clone(), expr, prop_oneof![Just("<"), Just("=="), Just(">=")]).prop_map(|(l, r, cmp)| {
        format!(
            "fn h(a, b) {{\n  let t = 0;\n  for i in 0..3 {{ if i == 1 {{ continue; }} t += i; }}\n  let v = {l};\n  if v {cmp} {r} && t > 0 {{ return [v, `${{t}}`]; }}\n  switch a {{ 1 => v, 2 => (), _ => #{{v: v, t: t}} }}\n}}\nfn _twice(x) {{ x * 2 }}"
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn native_agrees_with_the_interpreter(source in program(), a in -3i64..5, x in -100i64..100) {
        // Programs nested beyond the expression-depth limit are refused by rhai itself.
        prop_assume!(Policy::compile("t.rhai", &source, &PolicyRuntime::new()).is_ok());
        let b = rich(serde_json::json!({"x": x, "list": [1, 2, 3], "name": "bob"}));
        differential(&source, "h", &["a", "b"], &[Dynamic::from_int(a), b]);
    }
}
