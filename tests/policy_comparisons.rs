//! Comparisons in policies at run time: values of the same type (and integers with
//! decimals) compare as usual, `()` equals only `()`, and any other pair is a
//! `policy.type_mismatch` error at the operator, never a silent `false` or `true`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{Policy, PolicyRuntime};

/// A hook `h` whose body is `body` on line 3; `_value(v)` hides `v`'s type from the
/// bind-time checks, as a helper's result does.
fn policy(body: &str) -> Policy {
    let source = format!("fn _value(v) {{ v }}\nfn h() {{\n    {body}\n}}\n");
    Policy::compile("cmp.rhai", &source, &PolicyRuntime::new()).unwrap()
}

fn eval(body: &str) -> String {
    policy(body).call("h", ()).unwrap().value.to_string()
}

/// Code, line, column and the rendered diagnostic.
fn error(body: &str) -> (String, Option<u32>, Option<u32>, String) {
    let d = policy(body).call("h", ()).unwrap_err();
    (d.code.to_string(), d.line, d.column, d.to_string())
}

const CONVERT: &str =
    "convert one side first (`parse_int(text)`, `parse_decimal(text)`, `value.to_string()`)";
const UNIT: &str =
    "`()` only compares with `==` and `!=`: test for it first (`if x != () { ... }`)";

fn rendered(body: &str, column: u32, op: &str, left: &str, right: &str, help: &str) -> String {
    let caret = format!(
        "{}{}",
        " ".repeat(column as usize - 1),
        "^".repeat(op.len())
    );
    format!(
        "error[policy.type_mismatch]: `{op}` between {left} and {right}: values of different types cannot be compared\n \
         --> cmp.rhai:3:{column}\n  |\n3 | {body}\n  | {caret}\n  = in hook `h`\n  = help: {help}"
    )
}

#[test]
fn every_comparison_of_different_types_is_a_type_mismatch_at_the_operator() {
    let cases = [
        (
            r#"_value(3) == "3""#,
            15,
            "==",
            "an integer",
            "a string",
            CONVERT,
        ),
        (
            r#"_value(3) != "3""#,
            15,
            "!=",
            "an integer",
            "a string",
            CONVERT,
        ),
        (
            r#"_value(1.5) < "2""#,
            17,
            "<",
            "a decimal",
            "a string",
            CONVERT,
        ),
        (
            r#"_value("7") > 5"#,
            17,
            ">",
            "a string",
            "an integer",
            CONVERT,
        ),
        (
            r#"_value(true) <= 1"#,
            18,
            "<=",
            "a bool",
            "an integer",
            CONVERT,
        ),
        (
            r#"_value(2.5) >= true"#,
            17,
            ">=",
            "a decimal",
            "a bool",
            CONVERT,
        ),
        (
            r#"_value("a") == 'a'"#,
            17,
            "==",
            "a string",
            "a char",
            CONVERT,
        ),
        (
            r#"_value(()) < 1"#,
            16,
            "<",
            "`()` (no value)",
            "an integer",
            UNIT,
        ),
        (
            r#"_value("x") >= ()"#,
            17,
            ">=",
            "a string",
            "`()` (no value)",
            UNIT,
        ),
        (
            r#"_value([1]) == #{a: 1}"#,
            17,
            "==",
            "an array",
            "a map",
            CONVERT,
        ),
    ];
    for (body, column, op, left, right, help) in cases {
        let (code, line, col, text) = error(body);
        assert_eq!(
            (code.as_str(), line, col),
            ("policy.type_mismatch", Some(3), Some(column)),
            "{body}"
        );
        let expected = rendered(&format!("    {body}"), column, op, left, right, help);
        assert_eq!(text, expected, "{body}");
    }
}

#[test]
fn a_mismatch_inside_a_helper_points_into_the_helper_and_names_it() {
    let source = "fn _over(limit) { _v(5) > limit }\nfn _v(v) { v }\nfn h() { _over(\"100\") }\n";
    let d = Policy::compile("cmp.rhai", source, &PolicyRuntime::new())
        .unwrap()
        .call("h", ())
        .unwrap_err();
    assert_eq!(d.code, "policy.type_mismatch");
    assert_eq!((d.line, d.column), (Some(1), Some(25)));
    assert_eq!(
        d.message,
        "`>` between an integer and a string: values of different types cannot be compared (in `_over`)"
    );
}

#[test]
fn same_types_and_numbers_compare_as_before() {
    for (body, expected) in [
        ("_value(3) == 3", "true"),
        ("_value(3) != 4", "true"),
        ("_value(2) < 2.5", "true"),
        ("_value(2.50) == 2.5", "true"),
        ("_value(1.0) == 1", "true"),
        ("_value(3) >= 3.01", "false"),
        (r#"_value("b") > "a""#, "true"),
        (r#"_value("a") <= "a""#, "true"),
        ("_value('a') < 'b'", "true"),
        ("_value(true) == true", "true"),
        ("_value(false) < true", "true"),
        ("_value([1, 2]) == [1, 2]", "true"),
        ("_value(#{a: 1}) != #{a: 2}", "true"),
        (r#"parse_decimal("1.5") == 1.5"#, "true"),
    ] {
        assert_eq!(eval(body), expected, "{body}");
    }
}

#[test]
fn unit_equals_only_unit_and_tests_optional_values() {
    for (body, expected) in [
        ("_value(()) == ()", "true"),
        ("_value(()) != ()", "false"),
        ("_value(()) == 1", "false"),
        ("_value(1) != ()", "true"),
        (r#"() == _value("x")"#, "false"),
        (r#"() != _value("x")"#, "true"),
        ("_value(#{a: ()}).a == ()", "true"),
    ] {
        assert_eq!(eval(body), expected, "{body}");
    }
}

#[test]
fn membership_and_switch_keep_working_across_types() {
    assert_eq!(eval(r#"[1, 2].contains("1")"#), "false");
    assert_eq!(eval(r#""a" in ["b", 1, "a"]"#), "true");
    assert_eq!(
        eval(r#"switch _value(2) { 2 => "two", _ => "other" }"#),
        "two"
    );
}
