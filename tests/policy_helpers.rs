//! Script helpers (money, decimals, timestamps) and the Rust <-> script bridge.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{bridge, Policy, PolicyRuntime, Timestamp};
use backoffice::{Currency, Money};
use chrono::{TimeZone, Utc};
use rhai::Dynamic;
use rust_decimal_macros::dec;

fn eval(body: &str) -> Dynamic {
    let policy = Policy::compile(
        "h.rhai",
        &format!("fn h() {{ {body} }}"),
        &PolicyRuntime::new(),
    )
    .unwrap();
    policy.call("h", ()).unwrap().value
}

fn eval_err(body: &str) -> String {
    let policy = Policy::compile(
        "h.rhai",
        &format!("fn h() {{ {body} }}"),
        &PolicyRuntime::new(),
    )
    .unwrap();
    policy.call("h", ()).unwrap_err().message
}

fn s(body: &str) -> String {
    eval(body).to_string()
}

#[test]
fn decimal_arithmetic_is_exact() {
    assert_eq!(s("0.1 + 0.2"), "0.3");
    assert_eq!(s("0.1 * 3"), "0.3");
    assert_eq!(s("1 / 3 * 3"), "0.9999999999999999999999999999");
    assert_eq!(s("19.99 * 15 / 100"), "2.9985");
    assert_eq!(s("100 - 15 / 100 * 100"), "85.00");
    assert_eq!(s("7 / 2"), "3.5");
    assert_eq!(s("-7 / 2"), "-3.5");
    assert_eq!(s("10 / 5"), "2");
    assert_eq!(s("let x = 10; x % 3"), "1");
    assert_eq!(eval_err("1 / 0"), "division by zero");
    // `/` is a custom operator with the precedence of `*` and `%`.
    assert_eq!(s("1 + 6 / 4 * 3"), "5.5");
    assert_eq!(s("2 * 3 / 4"), "1.5");
    assert_eq!(s("9 - 6 / 3 - 1"), "6");
    assert_eq!(s("7.5 / 2"), "3.750");
    assert_eq!(s("3 / 1.5"), "2.0");
    assert_eq!(s("-(7 / 2)"), "-3.5");
    assert_eq!(eval_err("1 / 0.0"), "division by zero");
    assert_eq!(eval_err("0.5 / 0"), "division by zero");
    // `/=` would truncate on integers with rhai's built-in operators: refused at compile
    // time, with its position.
    let err = Policy::compile(
        "h.rhai",
        "fn h() { let x = 7; x /= 2; x }",
        &PolicyRuntime::new(),
    )
    .unwrap_err();
    let backoffice::Error::Policy { diagnostics } = err else {
        panic!("expected a policy error, got {err:?}");
    };
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, "policy.syntax");
    assert_eq!(
        diagnostics[0].message,
        "`/=` is not available in policies; write `x = x / y` (division is exact)"
    );
    assert_eq!(
        (diagnostics[0].line, diagnostics[0].column),
        (Some(1), Some(23))
    );
    assert_eq!(s("round_dp(2.345, 2, \"half_even\")"), "2.34");
    assert_eq!(s("round_dp(2.345, 2, \"half_up\")"), "2.35");
    assert_eq!(s("percent_of(80, 15)"), "12");
    assert_eq!(s("percent_of(19.99, 12.5)"), "2.49875");
}

#[test]
fn money_helpers_are_exact_and_currency_checked() {
    assert_eq!(
        s("money(\"19.99\", \"EUR\")"),
        r#"#{"amount": 19.99, "currency": "EUR"}"#
    );
    assert_eq!(s("money(10, \"JPY\").amount"), "10");
    assert_eq!(
        s("percent_of(money(\"19.99\", \"EUR\"), 15).amount"),
        "2.9985"
    );
    assert_eq!(
        s("round_money(percent_of(money(\"19.99\", \"EUR\"), 15), \"half_even\")"),
        r#"#{"amount": 3.00, "currency": "EUR"}"#
    );
    assert_eq!(
        s("round_money(money(\"2.5\", \"JPY\"), \"half_even\").amount"),
        "2"
    );
    assert_eq!(
        s("round_money(money(\"2.5\", \"JPY\"), \"half_up\").amount"),
        "3"
    );
    assert_eq!(
        s("round_money(money(\"1.2345\", \"BHD\"), \"down\").amount"),
        "1.234"
    );
    assert_eq!(
        s("round_money(money(\"1.2345\", \"EUR\"), 3, \"up\").amount"),
        "1.235"
    );
    assert_eq!(
        s("money_add(money(\"0.10\", \"EUR\"), money(\"0.20\", \"EUR\")).amount"),
        "0.30"
    );
    assert_eq!(
        s("money_sub(money(\"5\", \"EUR\"), money(\"0.01\", \"EUR\")).amount"),
        "4.99"
    );
    assert_eq!(s("money_mul(money(\"3.33\", \"USD\"), 3).amount"), "9.99");
    assert_eq!(s("money_mul(money(\"10\", \"USD\"), 0.15).amount"), "1.50");
    assert_eq!(
        s("money_min(money(\"3\", \"USD\"), money(\"2.5\", \"USD\")).amount"),
        "2.5"
    );
    assert_eq!(
        s("money_max(money(\"3\", \"USD\"), money(\"2.5\", \"USD\")).amount"),
        "3"
    );
    assert_eq!(
        s("money_sum([money(\"0.1\", \"EUR\"), money(\"0.2\", \"EUR\")], \"EUR\").amount"),
        "0.3"
    );
    assert_eq!(s("is_money(money(1, \"EUR\"))"), "true");
    assert_eq!(s("is_money(#{amount: 1})"), "false");
    assert_eq!(s("is_money(5)"), "false");
    assert_eq!(
        eval_err("money_add(money(1, \"EUR\"), money(1, \"USD\"))"),
        "currency mismatch in add: EUR vs USD; convert one side explicitly first"
    );
    assert_eq!(
        eval_err("money(1, \"XYZ\")"),
        "unknown currency code `XYZ` (not in ISO 4217 List One)"
    );
    assert_eq!(
        eval_err("round_money(money(1, \"EUR\"), \"nearest\")"),
        "invalid `rounding_mode`: unknown rounding mode `nearest`; expected one of half_up, half_even, half_down, up, down, ceiling, floor"
    );
    assert_eq!(
        eval_err("money(\"abc\", \"EUR\")"),
        "money: `abc` is not a decimal amount"
    );
}

#[test]
fn money_from_rust_has_a_decimal_amount() {
    let price = Money::new(dec!(120.00), Currency::EUR);
    let policy = Policy::compile(
        "m.rhai",
        "fn fee(item) { if item.price.amount > 100 { round_money(percent_of(item.price, 15), \"half_even\") } else { () } }",
        &PolicyRuntime::new(),
    )
    .unwrap();
    // Through serde...
    let item = bridge::to_dynamic(&serde_json::json!({ "price": price })).unwrap();
    let out = policy.call("fee", (item,)).unwrap();
    let fee = bridge::expect_money(&out.value, "fee", "money").unwrap();
    assert_eq!(fee, Money::new(dec!(18.00), Currency::EUR));
    // ...and built by hand.
    let mut item = rhai::Map::new();
    item.insert("price".into(), bridge::money(&price));
    let out = policy.call("fee", (item,)).unwrap();
    assert_eq!(
        out.value.to_string(),
        r#"#{"amount": 18.00, "currency": "EUR"}"#
    );
}

#[test]
fn timestamps() {
    let t = |d, h| Timestamp(Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap());
    assert_eq!(t(2, 10).days_until(&t(20, 9)), 17);
    assert_eq!(t(20, 9).days_until(&t(2, 10)), -17);
    assert_eq!(t(2, 10).hours_until(&t(3, 9)), 23);
    assert_eq!(t(2, 10).weekday(), "monday");
    assert_eq!(t(8, 10).weekday_number(), 7);
    assert_eq!(t(2, 10).add_days(30).unwrap().date(), "2026-04-01");
    assert_eq!(t(2, 10).to_string(), "2026-03-02T10:00:00Z");

    let policy = Policy::compile(
        "t.rhai",
        r#"fn h(delivered, now) {
    [
        delivered.days_until(now),
        delivered.hours_until(now),
        delivered.minutes_until(now),
        delivered.add_days(30).date(),
        delivered.add_hours(-10).to_string(),
        delivered.weekday(),
        delivered.weekday_number(),
        delivered.is_weekend(),
        delivered < now,
        delivered >= now,
        delivered == parse_timestamp("2026-03-02T11:00:00+01:00"),
        `${now}`,
    ]
}"#,
        &PolicyRuntime::new(),
    )
    .unwrap();
    let out = policy
        .call(
            "h",
            (
                bridge::timestamp(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()),
                bridge::timestamp(Utc.with_ymd_and_hms(2026, 3, 20, 9, 30, 0).unwrap()),
            ),
        )
        .unwrap();
    assert_eq!(
        out.value.to_string(),
        r#"[17, 431, 25890, "2026-04-01", "2026-03-02T00:00:00Z", "monday", 1, false, true, false, true, "2026-03-20T09:30:00Z"]"#
    );
    assert_eq!(
        eval_err("parse_timestamp(\"yesterday\")"),
        "parse_timestamp: `yesterday` is not an RFC 3339 date-time (premature end of input)"
    );
    assert_eq!(
        eval_err("parse_timestamp(\"2026-01-01T00:00:00Z\").add_days(999999999)"),
        "add_days: the result is out of the supported date range"
    );
}

#[test]
fn serde_bridge_converts_money_timestamps_json_numbers_and_listed_decimals() {
    #[derive(serde::Serialize)]
    struct Request {
        requested_at: chrono::DateTime<Utc>,
        price: Money,
        #[serde(with = "backoffice::money::serde_decimal")]
        fee_percent: rust_decimal::Decimal,
        note: &'static str,
        lines: Vec<Money>,
    }
    let request = Request {
        requested_at: Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap(),
        price: Money::new(dec!(9.99), Currency::USD),
        fee_percent: dec!(12.5),
        note: "2026 spring sale",
        lines: vec![Money::new(dec!(1.10), Currency::USD)],
    };
    let value = bridge::to_dynamic_with_decimals(&request, &["fee_percent"]).unwrap();
    let map = value.as_map_ref().unwrap();
    assert!(map["requested_at"].is::<Timestamp>());
    assert_eq!(
        map["price"].as_map_ref().unwrap()["amount"].as_decimal(),
        Ok(dec!(9.99))
    );
    assert_eq!(map["fee_percent"].as_decimal(), Ok(dec!(12.5)));
    assert_eq!(map["note"].to_string(), "2026 spring sale");
    assert_eq!(
        map["lines"].to_string(),
        r#"[#{"amount": 1.10, "currency": "USD"}]"#
    );
    // Without the list, other decimals stay strings.
    let value = bridge::to_dynamic(&request).unwrap();
    assert!(value.as_map_ref().unwrap()["fee_percent"].is_string());

    // JSON numbers (serde_json's arbitrary precision) become integers or exact decimals.
    let json: serde_json::Value = serde_json::from_str(
        r#"{"qty": 3, "rate": 0.1, "big": 123456789012345678901234, "neg": -2}"#,
    )
    .unwrap();
    let value = bridge::to_dynamic(&json).unwrap();
    let map = value.as_map_ref().unwrap();
    assert_eq!(map["qty"].as_int(), Ok(3));
    assert_eq!(map["rate"].as_decimal(), Ok(dec!(0.1)));
    assert_eq!(map["big"].as_decimal(), Ok(dec!(123456789012345678901234)));
    assert_eq!(map["neg"].as_int(), Ok(-2));
    assert_eq!(bridge::decimal(dec!(0.15)).as_decimal(), Ok(dec!(0.15)));
    let expect =
        bridge::expect_timestamp(&bridge::timestamp(request.requested_at), "h", "a timestamp")
            .unwrap();
    assert_eq!(expect, request.requested_at);
}

#[test]
fn policy_test_cases_report_what_broke() {
    use backoffice::policy::testing::{run_cases, PolicyCase};
    let policy = Policy::compile(
        "cases.rhai",
        "fn score(order) { print(`id ${order.id}`); order.total.amount * 2 }",
        &PolicyRuntime::new(),
    )
    .unwrap();
    let cases: Vec<PolicyCase> = serde_json::from_str(
        r#"[
      {"name": "doubles", "hook": "score",
       "args": [{"id": 1, "total": {"amount": "1.25", "currency": "EUR"}}],
       "expect": 2.5, "expect_output": ["id 1"]},
      {"name": "wrong value", "hook": "score",
       "args": [{"id": 2, "total": {"amount": "1.25", "currency": "EUR"}}],
       "expect": "2.6"},
      {"name": "wrong output", "hook": "score",
       "args": [{"id": 3, "total": {"amount": "1", "currency": "EUR"}}],
       "expect_output": ["id 4"]},
      {"name": "expected failure", "hook": "score", "args": [{"id": 4}],
       "expect_error": "policy.runtime"},
      {"name": "unexpected success", "hook": "score",
       "args": [{"id": 5, "total": {"amount": "1", "currency": "EUR"}}],
       "expect_error": "policy.runtime"}
    ]"#,
    )
    .unwrap();
    let results = run_cases(&policy, &cases);
    let summary: Vec<_> = results
        .iter()
        .map(|r| (r.name.as_str(), r.passed, r.failures.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("doubles", true, vec![]),
            (
                "wrong value",
                false,
                vec!["expected \"2.6\", got 2.50".to_string()]
            ),
            (
                "wrong output",
                false,
                vec!["expected output [\"id 4\"], got [\"id 3\"]".to_string()]
            ),
            ("expected failure", true, vec![]),
            (
                "unexpected success",
                false,
                vec!["expected error policy.runtime, but the hook returned 2".to_string()]
            ),
        ]
    );
    assert_eq!(
        results[3].error.as_ref().unwrap().message,
        "property `total` not found"
    );
}
