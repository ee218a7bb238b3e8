//! Closures that could end up inside a variable they capture (a reference cycle rhai never
//! frees, leaking memory on every call) are refused at compile time with
//! `policy.closure_cycle`; every other use of closures keeps working.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{bridge, Policy, PolicyRuntime};
use backoffice::Diagnostic;

fn compile(source: &str) -> Result<Policy, backoffice::Error> {
    Policy::compile("closures.rhai", source, &PolicyRuntime::new())
}

/// The single diagnostic `source` is refused with.
fn refused(source: &str) -> Diagnostic {
    let err = compile(source).expect_err(source);
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    err.diagnostics()[0].clone()
}

fn message(what: &str, variable: &str, captured_at: &str) -> String {
    format!(
        "{what} may store a closure in `{variable}`, which a closure captures at {captured_at}; the two would keep each other alive and leak memory on every call"
    )
}

fn help(variable: &str) -> String {
    format!(
        "store only plain values (numbers, strings, arrays and maps of them) in `{variable}`; for a function that calls itself, write a `_helper` function instead of a closure"
    )
}

/// Asserts `source` is refused at `(line, column)` for `variable`, with the message for
/// `what` (`"this assignment"` or "this call of `push`") and the capture position.
fn assert_cycle(source: &str, at: (u32, u32), what: &str, variable: &str, captured_at: &str) {
    let d = refused(source);
    assert_eq!(d.code, "policy.closure_cycle", "{source}: {d}");
    assert_eq!(
        (d.line, d.column),
        (Some(at.0), Some(at.1)),
        "{source}: {d}"
    );
    assert_eq!(d.message, message(what, variable, captured_at), "{source}");
    assert_eq!(d.help.as_deref(), Some(help(variable).as_str()), "{source}");
    assert_eq!(d.policy.as_deref(), Some("closures.rhai"));
}

/// Calls `hook` of `source` with two line items and returns the result as text.
fn run(source: &str) -> String {
    let policy = compile(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let items = bridge::to_dynamic(&serde_json::json!([
        {"sku": "A-1", "qty": 2, "price": {"amount": "12.50", "currency": "EUR"}},
        {"sku": "B-2", "qty": 5, "price": {"amount": "3.00", "currency": "EUR"}},
    ]))
    .unwrap();
    policy
        .call("h", (items,))
        .unwrap_or_else(|e| panic!("{source}: {e}"))
        .value
        .to_string()
}

// ---- the cycle shapes of the issue ------------------------------------------------------

#[test]
fn a_closure_stored_in_the_variable_it_captures_is_refused() {
    assert_cycle(
        "fn h() { let f = 0; f = || f; 1 }",
        (1, 21),
        "this assignment",
        "f",
        "1:28",
    );
}

#[test]
fn pushing_a_closure_that_captures_the_array_is_refused() {
    assert_cycle(
        "fn h() { let a = []; a.push(|| a); 1 }",
        (1, 22),
        "this call of `push`",
        "a",
        "1:32",
    );
}

#[test]
fn a_map_property_holding_a_closure_over_the_map_is_refused() {
    assert_cycle(
        "fn h() { let m = #{}; m.f = || m; 1 }",
        (1, 23),
        "this assignment",
        "m",
        "1:32",
    );
}

#[test]
fn a_closure_variable_pushed_into_what_it_captures_is_refused() {
    assert_cycle(
        "fn h() {\n    let a = [];\n    let g = || a;\n    a.push(g);\n    1\n}",
        (4, 5),
        "this call of `push`",
        "a",
        "3:16",
    );
}

#[test]
fn index_compound_and_append_assignments_are_refused() {
    assert_cycle(
        "fn h() { let a = [0]; let g = || a; a[0] = g; 1 }",
        (1, 37),
        "this assignment",
        "a",
        "1:34",
    );
    assert_cycle(
        "fn h() { let a = []; let g = || a; a += [g]; 1 }",
        (1, 36),
        "this assignment",
        "a",
        "1:33",
    );
    assert_cycle(
        "fn h() { let a = []; let g = || a; a.append([g]); 1 }",
        (1, 36),
        "this call of `append`",
        "a",
        "1:33",
    );
    assert_cycle(
        "fn h() { let m = #{}; let g = || m; m.list = [g]; 1 }",
        (1, 37),
        "this assignment",
        "m",
        "1:34",
    );
}

// ---- less direct shapes -----------------------------------------------------------------

#[test]
fn a_cycle_built_inside_a_closure_body_is_refused() {
    // Inside the outer closure `a` is the captured (shared) variable.
    assert_cycle(
        "fn h() { let a = [0]; let f = || { a.push(|| a); 1 }; f.call() }",
        (1, 36),
        "this call of `push`",
        "a",
        "1:36",
    );
    // A closure parameter may receive a closure that captures `a`.
    assert_cycle(
        "fn h() { let a = []; let g = || a; let add = |v| a.push(v); add.call(g); 1 }",
        (1, 50),
        "this call of `push`",
        "a",
        "1:33",
    );
}

#[test]
fn a_write_above_the_capture_inside_a_loop_is_refused() {
    // From the second iteration on, `g` captures `a` before the push runs.
    assert_cycle(
        "fn h() { let a = []; let g = (); for i in 0..3 { a.push(g); g = || a; } 1 }",
        (1, 50),
        "this call of `push`",
        "a",
        "1:68",
    );
}

#[test]
fn a_cycle_through_two_variables_is_refused() {
    let err = compile(
        "fn h() { let x = []; let y = []; let g = || x; y.push(g); let k = || y; x.push(k); 1 }",
    )
    .unwrap_err();
    let found: Vec<(&str, Option<u32>)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code.as_str(), d.column))
        .collect();
    assert_eq!(
        found,
        [
            ("policy.closure_cycle", Some(48)),
            ("policy.closure_cycle", Some(73))
        ]
    );
}

#[test]
fn running_a_closure_with_this_bound_to_a_captured_variable_is_refused() {
    // `a.call(f, g)` runs `f` with `this` = `a`.
    assert_cycle(
        "fn h() { let a = [1]; let g = || a; a.call(|v| this.push(v), g); 1 }",
        (1, 37),
        "this call of `call`",
        "a",
        "1:34",
    );
    // A map property holding a closure is called as a method with `this` = the map,
    // even under the name of a read-only method.
    assert_cycle(
        "fn h() { let m = #{contains: |v| { this.k = v; true }}; let g = || m; m.contains(g); 1 }",
        (1, 71),
        "this call of `contains`",
        "m",
        "1:68",
    );
}

#[test]
fn a_helper_receiving_a_closure_cannot_store_it_in_a_captured_variable() {
    // A helper's parameters may be anything, closures included.
    assert_cycle(
        "fn _keep(f) { let a = []; let g = || a; a.push(f); g }\nfn h() { 1 }",
        (1, 41),
        "this call of `push`",
        "a",
        "1:38",
    );
}

#[test]
fn the_diagnostic_renders_like_every_other() {
    let err = compile("fn eligibility(item, request) {\n    let f = 0;\n    f = || f;\n    ()\n}")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "\
error[policy.closure_cycle]: this assignment may store a closure in `f`, which a closure captures at 3:12; the two would keep each other alive and leak memory on every call
 --> closures.rhai:3:5
  |
3 |     f = || f;
  |     ^
  = help: store only plain values (numbers, strings, arrays and maps of them) in `f`; for a function that calls itself, write a `_helper` function instead of a closure"
    );
}

#[test]
fn every_cycle_of_a_policy_is_reported_with_the_other_problems() {
    let err =
        compile("fn h() { let f = 0; f = || f; nope() }\nfn k() { let a = []; a.push(|| a); }")
            .unwrap_err();
    let found: Vec<(&str, Option<u32>, Option<u32>)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        found,
        [
            ("policy.closure_cycle", Some(1), Some(21)),
            ("policy.unknown_function", Some(1), Some(31)),
            ("policy.closure_cycle", Some(2), Some(22)),
        ]
    );
}

// ---- uses that cannot form a cycle keep working ------------------------------------------

#[test]
fn filtering_with_a_captured_threshold_works() {
    assert_eq!(
        run("fn h(items) { let min = 10; items.filter(|i| i.price.amount > min).map(|i| i.sku) }"),
        r#"["A-1"]"#
    );
}

#[test]
fn closures_without_captures_work() {
    assert_eq!(run("fn h(items) { items.map(|i| i.qty * 2) }"), "[4, 10]");
    assert_eq!(
        run("fn h(items) { items.reduce(|sum, i| sum + i.qty, 0) }"),
        "7"
    );
}

#[test]
fn closures_reading_captured_values_work() {
    assert_eq!(
        run(
            r#"fn h(items) { let skus = ["B-2", "C-3"]; items.filter(|i| skus.contains(i.sku)).len() }"#
        ),
        "1"
    );
    assert_eq!(
        run(r#"fn h(items) { let skus = ["B-2"]; items.filter(|i| i.sku in skus).len() }"#),
        "1"
    );
    assert_eq!(
        run("fn h(items) { let rate = 0.5; let f = |i| i.price.amount * rate; items.map(f) }"),
        "[6.250, 1.500]"
    );
}

#[test]
fn a_threshold_assigned_before_the_capture_works() {
    assert_eq!(
        run("fn h(items) { let min = 0; if items.len() > 1 { min = 5 } items.filter(|i| i.price.amount > min).len() }"),
        "1"
    );
}

#[test]
fn accumulating_numbers_inside_a_closure_works() {
    // A variable that only ever holds numbers (or strings) cannot hold a closure,
    // whatever `+=` adds to it.
    assert_eq!(
        run("fn h(items) { let total = 0; items.for_each(|| total += this.qty); total }"),
        "7"
    );
    assert_eq!(
        run(r#"fn h(items) { let skus = ""; items.for_each(|| skus += this.sku + " "); skus }"#),
        "A-1 B-2 "
    );
    assert_eq!(
        run("fn h(items) { let n = 0; let count = || n; n += 1; n -= 3; count.call() }"),
        "-2"
    );
}

#[test]
fn collecting_plain_values_through_a_closure_works() {
    assert_eq!(
        run("fn h(items) { let a = []; let add = |v| a.push(v * 2); add.call(3); add.call(4); a }"),
        "[6, 8]"
    );
    assert_eq!(
        run("fn h(items) { let a = []; let keep = || a.len(); a.push(1); a += [2]; [a, keep.call()] }"),
        "[[1, 2], 2]"
    );
}

#[test]
fn closures_in_variables_no_closure_captures_work() {
    assert_eq!(
        run("fn h(items) { let min = 3; let fs = []; fs.push(|i| i.qty > min); fs.push(|i| i.qty < 4); items.filter(fs[0]).len() + items.filter(fs[1]).len() }"),
        "2"
    );
}

#[test]
fn operators_of_every_kind_in_writes_to_captured_variables_are_understood() {
    // `/` is a custom operator in policies, `..` builds a range, `+` joins.
    assert_eq!(
        run("fn h(items) { let a = []; let f = || a.len(); for n in 1..3 { a.push(n / 2); a += [n * 3 > 4, -n]; } [a, f.call()] }"),
        "[[0.5, false, -1, 1, true, -2], 6]"
    );
    assert_cycle(
        "fn h(items) { let a = []; let f = || a.len(); a.push(items + [f]); a }",
        (1, 47),
        "this call of `push`",
        "a",
        "1:38",
    );
}

/// Every shipped policy, fuzz seed and hostile script compiles or is refused with
/// documented codes: the closure check never fails on its own (`policy.internal`).
#[test]
fn the_closure_check_copes_with_every_known_script() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for dir in [
        "examples/policies",
        "fuzz/corpus/policy_compile",
        "tests/fixtures/hostile",
    ] {
        // The published crate does not carry `fuzz/` (a package of its own).
        if dir.starts_with("fuzz/") && !root.join(dir).is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rhai") {
                continue;
            }
            seen += 1;
            let source = std::fs::read_to_string(&path).unwrap();
            if let Err(err) = compile(&source) {
                for d in err.diagnostics() {
                    assert!(
                        d.code.starts_with("policy.") && d.code != "policy.internal",
                        "{}: {d}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(seen >= 20, "{seen} scripts");
    for engine in ["address", "refunds", "returns", "routing"] {
        let source =
            std::fs::read_to_string(root.join(format!("examples/policies/{engine}.rhai"))).unwrap();
        assert!(compile(&source).is_ok(), "examples/policies/{engine}.rhai");
    }
}

#[test]
fn a_closure_thrown_and_caught_is_still_a_closure() {
    assert_cycle(
        "fn h() { let a = []; try { throw || a; } catch (e) { a.push(e); } 1 }",
        (1, 54),
        "this call of `push`",
        "a",
        "1:37",
    );
}

#[test]
fn every_overload_of_a_function_is_checked_with_its_own_parameters() {
    // `x` is a parameter of one overload only; it may be an array, so `+=` may store.
    assert_cycle(
        "fn g(a) { a }\nfn g(x, a) { let f = || x; x += [f]; 1 }",
        (2, 28),
        "this assignment",
        "x",
        "2:25",
    );
}

#[test]
fn each_function_is_checked_on_its_own() {
    // `x` is captured in `a` only: `b` may keep closures in its own `x`.
    let source = "fn a(items) { let x = 1; items.filter(|i| i.qty > x).len() }\nfn b(items) { let x = []; x.push(|| 1); x.len() }\nfn h(items) { a(items) + b(items) }";
    assert_eq!(run(source), "3");
    // Closures inside a helper belong to the helper.
    assert_cycle(
        "fn h(items) { let x = []; x.push(|| 1); _g() }\nfn _g() { let x = []; x.push(|| x); 1 }",
        (2, 23),
        "this call of `push`",
        "x",
        "2:33",
    );
}
