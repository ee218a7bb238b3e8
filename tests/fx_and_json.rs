#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Exchange rates and the JSON shapes of the foundation types.

use backoffice::fx::{QuotedRate, Rate, RatePath, RateTable};
use backoffice::money::RoundingMode;
use backoffice::{Currency, Decision, Error, Money, Reason};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal_macros::dec;

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn table() -> RateTable {
    let mut table = RateTable::new();
    table.insert(Rate::new(Currency::USD, Currency::CAD, dec!(1.35), t(1, 0)).unwrap());
    table.insert(Rate::new(Currency::USD, Currency::CAD, dec!(1.40), t(3, 0)).unwrap());
    table.insert(Rate::new(Currency::EUR, Currency::USD, dec!(1.10), t(2, 0)).unwrap());
    table.insert(Rate::new(Currency::USD, Currency::JPY, dec!(150), t(2, 0)).unwrap());
    table
}

#[test]
fn newest_rate_not_after_the_time_is_used() {
    let table = table();
    assert_eq!(
        table
            .rate(Currency::USD, Currency::CAD, t(2, 12))
            .unwrap()
            .rate,
        dec!(1.35)
    );
    assert_eq!(
        table
            .rate(Currency::USD, Currency::CAD, t(3, 0))
            .unwrap()
            .rate,
        dec!(1.40)
    );
    assert_eq!(
        table
            .rate(Currency::USD, Currency::CAD, t(9, 0))
            .unwrap()
            .rate,
        dec!(1.40)
    );
    let err = table
        .rate(Currency::USD, Currency::CAD, t(1, 0) - Duration::seconds(1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no exchange rate for USD->CAD at or before 2026-02-28T23:59:59Z"
    );
}

#[test]
fn inverse_rates_are_used_and_reported() {
    let quote = table().rate(Currency::CAD, Currency::USD, t(3, 1)).unwrap();
    assert_eq!(quote.path, RatePath::Inverse);
    assert_eq!(quote.rate, dec!(1) / dec!(1.40));
    assert_eq!(quote.as_of, t(3, 0));
    let cad = Money::new(dec!(56.00), Currency::CAD);
    assert_eq!(
        table()
            .convert(cad, Currency::USD, t(3, 1), RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "40.00 USD"
    );
}

#[test]
fn triangulation_through_a_pivot() {
    let table = table().with_pivot(Currency::USD);
    let quote = table.rate(Currency::EUR, Currency::JPY, t(3, 0)).unwrap();
    assert_eq!(
        quote,
        QuotedRate {
            from: Currency::EUR,
            to: Currency::JPY,
            rate: dec!(165.000),
            as_of: t(2, 0),
            path: RatePath::Triangulated {
                pivot: Currency::USD,
                first_leg_inverse: false,
                second_leg_inverse: false
            }
        }
    );
    let back = table.rate(Currency::JPY, Currency::CAD, t(3, 0)).unwrap();
    assert_eq!(
        back.path,
        RatePath::Triangulated {
            pivot: Currency::USD,
            first_leg_inverse: true,
            second_leg_inverse: false
        }
    );
    let yen = Money::new(dec!(15000), Currency::JPY);
    assert_eq!(
        table
            .convert(yen, Currency::CAD, t(3, 0), RoundingMode::HalfUp)
            .unwrap()
            .to_string(),
        "140.00 CAD"
    );
    // Without a pivot there is no path.
    assert_eq!(
        self::table()
            .rate(Currency::EUR, Currency::JPY, t(3, 0))
            .unwrap_err()
            .code(),
        "missing_rate"
    );
}

#[test]
fn stale_rates_are_rejected() {
    let table = table().with_max_age(Duration::hours(24));
    assert!(table.rate(Currency::USD, Currency::CAD, t(3, 23)).is_ok());
    let err = table
        .rate(Currency::USD, Currency::CAD, t(4, 1))
        .unwrap_err();
    assert_eq!(
        err,
        Error::StaleRate {
            from: "USD".into(),
            to: "CAD".into(),
            as_of: "2026-03-03T00:00:00Z".into(),
            at: "2026-03-04T01:00:00Z".into(),
            max_age_seconds: 86400
        }
    );
    assert_eq!(
        err.to_string(),
        "exchange rate USD->CAD as of 2026-03-03T00:00:00Z is stale at 2026-03-04T01:00:00Z (maximum age 86400 s)"
    );
}

#[test]
fn identity_and_invalid_rates() {
    let quote = table().rate(Currency::EUR, Currency::EUR, t(1, 0)).unwrap();
    assert_eq!((quote.rate, quote.path), (dec!(1), RatePath::Identity));
    assert_eq!(
        Rate::new(Currency::USD, Currency::CAD, dec!(0), t(1, 0))
            .unwrap_err()
            .to_string(),
        "invalid `rate`: rate USD->CAD as of 2026-03-01T00:00:00Z must be positive, got 0"
    );
    assert_eq!(
        Rate::new(Currency::USD, Currency::USD, dec!(1), t(1, 0))
            .unwrap_err()
            .code(),
        "invalid_input"
    );
}

#[test]
fn exact_and_rounded_conversion() {
    let table = table();
    let usd = Money::new(dec!(10.01), Currency::USD);
    assert_eq!(
        table
            .convert_exact(usd, Currency::CAD, t(3, 0))
            .unwrap()
            .amount(),
        dec!(14.0140)
    );
    assert_eq!(
        table
            .convert(usd, Currency::CAD, t(3, 0), RoundingMode::Down)
            .unwrap()
            .amount(),
        dec!(14.01)
    );
    assert_eq!(
        table
            .convert(usd, Currency::JPY, t(3, 0), RoundingMode::HalfEven)
            .unwrap()
            .amount(),
        dec!(1502)
    );
}

#[test]
fn rate_table_json_round_trip() {
    let json = r#"{"rates":[{"from":"usd","to":"CAD","rate":"1.35","as_of":"2026-03-01T00:00:00Z"},
        {"from":"EUR","to":"USD","rate":1.10,"as_of":"2026-03-02T00:00:00+01:00"}],
        "pivot":"USD","max_age_seconds":86400}"#;
    let table = RateTable::from_json(json).unwrap();
    let quote = table.rate(Currency::EUR, Currency::CAD, t(2, 0)).unwrap();
    assert_eq!(quote.rate, dec!(1.4850));
    let out = serde_json::to_string(&table).unwrap();
    assert_eq!(
        out,
        r#"{"rates":[{"from":"EUR","to":"USD","rate":"1.10","as_of":"2026-03-01T23:00:00Z"},{"from":"USD","to":"CAD","rate":"1.35","as_of":"2026-03-01T00:00:00Z"}],"pivot":"USD","max_age_seconds":86400}"#
    );
    assert_eq!(RateTable::from_json(&out).unwrap(), table);
}

#[test]
fn rate_table_json_errors_name_the_problem() {
    let err = RateTable::from_json(r#"{"rates":[],"pivott":"USD"}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid JSON at line 1, column 20: unknown field `pivott`, expected one of `rates`, `pivot`, `max_age_seconds`"
    );
    let err = RateTable::from_json(
        r#"{"rates":[{"from":"USD","to":"CAD","rate":"-1","as_of":"2026-03-01T00:00:00Z"}]}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid JSON at line 1, column 79: invalid `rate`: rate USD->CAD as of 2026-03-01T00:00:00Z must be positive, got -1"
    );
}

#[test]
fn money_json_shape() {
    let money = Money::new(dec!(12.30), Currency::EUR);
    let json = serde_json::to_string(&money).unwrap();
    assert_eq!(json, r#"{"amount":"12.30","currency":"EUR"}"#);
    assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
    // Exact JSON numbers are accepted, keeping their scale.
    let from_number: Money =
        serde_json::from_str(r#"{"amount": 12.30, "currency": "eur"}"#).unwrap();
    assert_eq!(from_number.amount().to_string(), "12.30");
    assert_eq!(from_number.currency(), Currency::EUR);
    let tenth: Money = serde_json::from_str(r#"{"amount": 0.1, "currency": "USD"}"#).unwrap();
    assert_eq!(tenth.amount(), dec!(0.1));
    let sci: Money = serde_json::from_str(r#"{"amount": "1.5e3", "currency": "USD"}"#).unwrap();
    assert_eq!(sci.amount(), dec!(1500));
}

fn money_err(json: &str) -> String {
    let err = serde_json::from_str::<Money>(json).unwrap_err();
    Error::from_json(&err).to_string()
}

#[test]
fn money_json_rejections() {
    assert_eq!(
        money_err(r#"{"amount":"1.00","currency":"EUR","note":"x"}"#),
        "invalid JSON at line 1, column 40: unknown field `note`, expected `amount` or `currency`"
    );
    assert_eq!(
        money_err(r#"{"amount":"1.00","currency":"EURO"}"#),
        "invalid JSON at line 1, column 35: unknown currency code `EURO` (not in ISO 4217 List One)"
    );
    assert_eq!(
        money_err(r#"{"amount":"12,30","currency":"EUR"}"#),
        "invalid JSON at line 1, column 17: `12,30` is not an exact decimal number (Invalid decimal: unknown character)"
    );
    // More digits than a Decimal can hold exactly: rejected, never rounded.
    assert_eq!(
        money_err(r#"{"amount":0.12345678901234567890123456789012,"currency":"EUR"}"#),
        "invalid JSON at line 1, column 44: `0.12345678901234567890123456789012` is not an exact decimal number (Number has a high precision that can not be represented.)"
    );
    assert_eq!(
        money_err(r#"{"amount":1e400,"currency":"EUR"}"#),
        "invalid JSON at line 1, column 15: `1e+400` is not an exact decimal number (Scale exceeds the maximum precision allowed: 400 > 28)"
    );
    assert_eq!(
        money_err(r#"{"amount":"12.30"}"#),
        "invalid JSON at line 1, column 18: missing field `currency`"
    );
}

#[test]
fn decision_json_shape() {
    let decision = Decision::new("approve").with_reason(
        Reason::builtin(
            "within_window",
            "return_window",
            "12 days after delivery; window 30 days",
        )
        .about("L1"),
    );
    let json = serde_json::to_string(&decision).unwrap();
    assert_eq!(
        json,
        r#"{"outcome":"approve","reasons":[{"code":"within_window","message":"12 days after delivery; window 30 days","source":{"kind":"builtin","rule":"return_window"},"subject":"L1"}]}"#
    );
    let back: Decision<String> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.reason_codes(), vec!["within_window"]);
}

#[test]
fn error_json_object() {
    let err = Error::invalid("lines[2].quantity", "must be positive, got 0");
    assert_eq!(
        err.to_json_value().to_string(),
        r#"{"code":"invalid_input","diagnostics":[],"field":"lines[2].quantity","message":"invalid `lines[2].quantity`: must be positive, got 0"}"#
    );
}
