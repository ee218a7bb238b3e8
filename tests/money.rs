#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Currencies, rounding, cash rounding and allocation.

use backoffice::money::{allocate, allocate_units, CurrencyOverrides, RoundingMode};
use backoffice::{Currency, Error, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::str::FromStr;

use RoundingMode::*;

const ALL_MODES: [RoundingMode; 7] = [HalfUp, HalfEven, HalfDown, Up, Down, Ceiling, Floor];

fn m(amount: &str, code: &str) -> Money {
    Money::new(
        Decimal::from_str(amount).unwrap(),
        Currency::from_code(code).unwrap(),
    )
}

fn rounded(amount: &str, code: &str, mode: RoundingMode) -> String {
    m(amount, code).round(mode).unwrap().amount().to_string()
}

#[test]
fn currency_table_matches_list_one() {
    // List One published 2026-01-01 has 178 distinct alpha codes.
    assert_eq!(Currency::all().count(), 178);
    let units = |c: &str| Currency::from_code(c).unwrap().minor_units();
    assert_eq!(units("JPY"), Some(0));
    assert_eq!(units("KRW"), Some(0));
    assert_eq!(units("ISK"), Some(0));
    assert_eq!(units("BHD"), Some(3));
    assert_eq!(units("KWD"), Some(3));
    assert_eq!(units("IQD"), Some(3));
    assert_eq!(units("CLF"), Some(4));
    assert_eq!(units("UYW"), Some(4));
    assert_eq!(units("HUF"), Some(2));
    assert_eq!(units("XAU"), None);
    assert_eq!(units("XXX"), None);
    assert_eq!(Currency::EUR.numeric(), 978);
    assert_eq!(Currency::EUR.name(), "Euro");
    assert!(Currency::CLF.is_fund());
    assert_eq!(backoffice::money::LIST_ONE_PUBLISHED, "2026-01-01");
}

#[test]
fn currency_lookup_trims_and_ignores_case() {
    assert_eq!(Currency::from_code("  eur\t").unwrap(), Currency::EUR);
    assert_eq!(Currency::from_code("Usd").unwrap().code(), "USD");
    assert_eq!(Currency::from_numeric(392).unwrap(), Currency::JPY);
    assert_eq!(Currency::from_numeric(8).unwrap(), Currency::ALL);
}

#[test]
fn unknown_and_withdrawn_currencies_are_named() {
    for code in ["XYZ", "DEM", "VEF", "", "EURO", "€"] {
        let err = Currency::from_code(code).unwrap_err();
        assert_eq!(
            err,
            Error::UnknownCurrency {
                code: code.to_string()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("unknown currency code `{code}` (not in ISO 4217 List One)")
        );
    }
    assert_eq!(
        Currency::from_numeric(1).unwrap_err().to_string(),
        "unknown currency code `001` (not in ISO 4217 List One)"
    );
}

#[test]
fn overrides_change_minor_units_without_global_state() {
    let overrides = CurrencyOverrides::new().with_minor_units(Currency::HUF, Some(0));
    let huf = m("1234.50", "HUF");
    assert_eq!(
        huf.round_with(HalfUp, &overrides).unwrap().amount(),
        dec!(1235)
    );
    assert_eq!(huf.round(HalfUp).unwrap().amount(), dec!(1234.50));
    assert_eq!(huf.to_minor_with(HalfUp, &overrides).unwrap(), 1235);
    assert_eq!(huf.to_minor(HalfUp).unwrap(), 123450);
    assert_eq!(
        Money::from_minor_with(1235, Currency::HUF, &overrides)
            .unwrap()
            .amount(),
        dec!(1235)
    );
    let json = serde_json::to_string(&overrides).unwrap();
    assert_eq!(json, r#"{"HUF":0}"#);
    assert_eq!(
        serde_json::from_str::<CurrencyOverrides>(&json).unwrap(),
        overrides
    );
}

/// (amount, [HalfUp, HalfEven, HalfDown, Up, Down, Ceiling, Floor])
fn check_table(code: &str, rows: &[(&str, [&str; 7])]) {
    for (amount, expected) in rows {
        for (mode, want) in ALL_MODES.iter().zip(expected.iter()) {
            assert_eq!(
                rounded(amount, code, *mode),
                *want,
                "{amount} {code} rounded {mode:?}"
            );
        }
    }
}

#[test]
fn rounding_modes_jpy() {
    check_table(
        "JPY",
        &[
            ("2.5", ["3", "2", "2", "3", "2", "3", "2"]),
            ("-2.5", ["-3", "-2", "-2", "-3", "-2", "-2", "-3"]),
            ("3.5", ["4", "4", "3", "4", "3", "4", "3"]),
            ("-3.5", ["-4", "-4", "-3", "-4", "-3", "-3", "-4"]),
            ("2.4", ["2", "2", "2", "3", "2", "3", "2"]),
            ("-2.6", ["-3", "-3", "-3", "-3", "-2", "-2", "-3"]),
        ],
    );
}

#[test]
fn rounding_modes_usd() {
    check_table(
        "USD",
        &[
            (
                "2.345",
                ["2.35", "2.34", "2.34", "2.35", "2.34", "2.35", "2.34"],
            ),
            (
                "-2.345",
                [
                    "-2.35", "-2.34", "-2.34", "-2.35", "-2.34", "-2.34", "-2.35",
                ],
            ),
            (
                "2.355",
                ["2.36", "2.36", "2.35", "2.36", "2.35", "2.36", "2.35"],
            ),
            (
                "2.341",
                ["2.34", "2.34", "2.34", "2.35", "2.34", "2.35", "2.34"],
            ),
            (
                "-2.349",
                [
                    "-2.35", "-2.35", "-2.35", "-2.35", "-2.34", "-2.34", "-2.35",
                ],
            ),
            (
                "7",
                ["7.00", "7.00", "7.00", "7.00", "7.00", "7.00", "7.00"],
            ),
        ],
    );
}

#[test]
fn rounding_modes_bhd() {
    check_table(
        "BHD",
        &[
            (
                "1.2345",
                [
                    "1.235", "1.234", "1.234", "1.235", "1.234", "1.235", "1.234",
                ],
            ),
            (
                "-1.2345",
                [
                    "-1.235", "-1.234", "-1.234", "-1.235", "-1.234", "-1.234", "-1.235",
                ],
            ),
            (
                "1.2355",
                [
                    "1.236", "1.236", "1.235", "1.236", "1.235", "1.236", "1.235",
                ],
            ),
            (
                "1.2341",
                [
                    "1.234", "1.234", "1.234", "1.235", "1.234", "1.235", "1.234",
                ],
            ),
            (
                "-1.2347",
                [
                    "-1.235", "-1.235", "-1.235", "-1.235", "-1.234", "-1.234", "-1.235",
                ],
            ),
        ],
    );
}

#[test]
fn rounding_modes_clf() {
    check_table(
        "CLF",
        &[
            (
                "1.23445",
                [
                    "1.2345", "1.2344", "1.2344", "1.2345", "1.2344", "1.2345", "1.2344",
                ],
            ),
            (
                "-1.23445",
                [
                    "-1.2345", "-1.2344", "-1.2344", "-1.2345", "-1.2344", "-1.2344", "-1.2345",
                ],
            ),
            (
                "1.23455",
                [
                    "1.2346", "1.2346", "1.2345", "1.2346", "1.2345", "1.2346", "1.2345",
                ],
            ),
            (
                "1.23441",
                [
                    "1.2344", "1.2344", "1.2344", "1.2345", "1.2344", "1.2345", "1.2344",
                ],
            ),
            (
                "-1.23449",
                [
                    "-1.2345", "-1.2345", "-1.2345", "-1.2345", "-1.2344", "-1.2344", "-1.2345",
                ],
            ),
        ],
    );
}

#[test]
fn rounding_without_minor_unit_is_an_error() {
    let err = m("1.5", "XAU").round(HalfUp).unwrap_err();
    assert_eq!(err.code(), "no_minor_unit");
    assert_eq!(
        err.to_string(),
        "currency XAU has no minor unit, so an amount in it cannot be rounded to one; use round_dp with an explicit scale"
    );
    assert_eq!(m("1.5", "XAU").round_dp(0, HalfEven).amount(), dec!(2));
}

#[test]
fn rounding_mode_names_round_trip() {
    for mode in ALL_MODES {
        assert_eq!(RoundingMode::parse(mode.as_str()).unwrap(), mode);
        let json = serde_json::to_string(&mode).unwrap();
        assert_eq!(json, format!("\"{}\"", mode.as_str()));
    }
    assert_eq!(
        RoundingMode::parse("bankers").unwrap_err().to_string(),
        "invalid `rounding_mode`: unknown rounding mode `bankers`; expected one of half_up, half_even, half_down, up, down, ceiling, floor"
    );
}

#[test]
fn minor_units_conversions() {
    assert_eq!(
        Money::from_minor(1230, Currency::EUR).unwrap().to_string(),
        "12.30 EUR"
    );
    assert_eq!(
        Money::from_minor(-5, Currency::BHD).unwrap().amount(),
        dec!(-0.005)
    );
    assert_eq!(
        Money::from_minor(500, Currency::JPY).unwrap().amount(),
        dec!(500)
    );
    assert_eq!(m("12.345", "EUR").to_minor(HalfEven).unwrap(), 1234);
    assert_eq!(m("12.345", "EUR").to_minor(HalfUp).unwrap(), 1235);
    assert_eq!(
        Money::from_minor(1, Currency::XAU).unwrap_err().code(),
        "no_minor_unit"
    );
    let huge = m("79228162514264337593543950335", "USD");
    assert_eq!(huge.to_minor(Down).unwrap_err().code(), "overflow");
}

#[test]
fn cash_rounding_chf() {
    let r = |a: &str, mode| {
        m(a, "CHF")
            .round_to_increment(dec!(0.05), mode)
            .unwrap()
            .amount()
            .to_string()
    };
    assert_eq!(r("2.02", HalfUp), "2.00");
    assert_eq!(r("2.025", HalfUp), "2.05");
    assert_eq!(r("0.07", HalfUp), "0.05");
    assert_eq!(r("0.08", HalfUp), "0.10");
    assert_eq!(r("2.025", HalfEven), "2.00");
    assert_eq!(r("-2.025", HalfUp), "-2.05");
    assert_eq!(r("2.01", Up), "2.05");
    assert_eq!(
        m("1", "CHF")
            .round_to_increment(dec!(0), HalfUp)
            .unwrap_err()
            .to_string(),
        "invalid `increment`: cash rounding increment must be positive, got 0"
    );
}

#[test]
fn arithmetic_is_checked() {
    let eur = m("10.00", "EUR");
    let usd = m("1.00", "USD");
    let err = eur.checked_add(usd).unwrap_err();
    assert_eq!(
        err,
        Error::CurrencyMismatch {
            operation: "add".into(),
            left: "EUR".into(),
            right: "USD".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "currency mismatch in add: EUR vs USD; convert one side explicitly first"
    );
    assert_eq!(
        eur.checked_cmp(&usd).unwrap_err().code(),
        "currency_mismatch"
    );
    assert_eq!(
        eur.checked_sub(m("2.50", "EUR")).unwrap().amount(),
        dec!(7.50)
    );
    let max = Money::new(Decimal::MAX, Currency::EUR);
    assert_eq!(
        max.checked_add(max).unwrap_err().to_string(),
        "arithmetic overflow in add"
    );
    assert_eq!(max.checked_mul(dec!(2)).unwrap_err().code(), "overflow");
    assert_eq!(
        Money::sum(Currency::EUR, &[eur, m("0.01", "EUR")])
            .unwrap()
            .amount(),
        dec!(10.01)
    );
}

fn amounts(shares: &[Money]) -> Vec<Decimal> {
    shares.iter().map(|s| s.amount()).collect()
}

#[test]
fn allocation_examples() {
    let none = CurrencyOverrides::new();
    let ones = [dec!(1), dec!(1), dec!(1)];
    assert_eq!(
        amounts(&allocate(m("1.00", "USD"), &ones, &none).unwrap()),
        vec![dec!(0.34), dec!(0.33), dec!(0.33)]
    );
    assert_eq!(
        amounts(&allocate(m("1.00", "USD"), &[dec!(2), dec!(3), dec!(1)], &none).unwrap()),
        vec![dec!(0.33), dec!(0.50), dec!(0.17)]
    );
    assert_eq!(
        allocate_units(10, &[dec!(1), dec!(1), dec!(2)]).unwrap(),
        vec![3, 2, 5]
    );
    assert_eq!(
        amounts(&allocate(m("100", "JPY"), &ones, &none).unwrap()),
        vec![dec!(34), dec!(33), dec!(33)]
    );
    assert_eq!(
        amounts(&allocate(m("1.000", "BHD"), &[dec!(1), dec!(2)], &none).unwrap()),
        vec![dec!(0.333), dec!(0.667)]
    );
    // Zero weights get zero; negative totals mirror positive ones.
    assert_eq!(
        amounts(
            &allocate(
                m("-1.00", "USD"),
                &[dec!(1), dec!(0), dec!(1), dec!(1)],
                &none
            )
            .unwrap()
        ),
        vec![dec!(-0.34), dec!(0), dec!(-0.33), dec!(-0.33)]
    );
    // Decimal weights (e.g. line amounts) work exactly.
    assert_eq!(
        amounts(&allocate(m("10.00", "EUR"), &[dec!(19.99), dec!(5.01)], &none).unwrap()),
        vec![dec!(8.00), dec!(2.00)]
    );
}

#[test]
fn allocation_errors() {
    let none = CurrencyOverrides::new();
    assert_eq!(
        allocate(m("1.00", "USD"), &[], &none)
            .unwrap_err()
            .to_string(),
        "invalid `weights`: cannot allocate over an empty list of weights"
    );
    assert_eq!(
        allocate(m("1.00", "USD"), &[dec!(1), dec!(-1)], &none)
            .unwrap_err()
            .to_string(),
        "invalid `weights[1]`: weight must not be negative, got -1"
    );
    assert_eq!(
        allocate(m("1.00", "USD"), &[dec!(0), dec!(0)], &none)
            .unwrap_err()
            .to_string(),
        "invalid `weights`: all weights are zero; nothing to allocate by"
    );
    assert_eq!(
        allocate(m("1.005", "USD"), &[dec!(1)], &none)
            .unwrap_err()
            .to_string(),
        "invalid `total`: 1.005 USD has more decimal places than USD allows (2); round it first"
    );
    assert_eq!(
        allocate(m("1", "XAU"), &[dec!(1)], &none)
            .unwrap_err()
            .code(),
        "no_minor_unit"
    );
}

fn currency_strategy() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec![
        Currency::JPY,
        Currency::USD,
        Currency::BHD,
        Currency::CLF,
    ])
}

proptest! {
    #[test]
    fn allocation_sums_exactly_and_stays_within_one_unit(
        minor in -10_000_000i64..10_000_000,
        currency in currency_strategy(),
        weights in prop::collection::vec(0u32..10_000, 1..12),
        weight_scale in 0u32..3,
    ) {
        let weights: Vec<Decimal> = weights.iter().map(|w| Decimal::new(i64::from(*w), weight_scale)).collect();
        prop_assume!(weights.iter().any(|w| !w.is_zero()));
        let total = Money::from_minor(minor, currency).unwrap();
        let shares = total.allocate(&weights).unwrap();
        prop_assert_eq!(shares.len(), weights.len());
        let sum = Money::sum(currency, &shares).unwrap();
        prop_assert_eq!(sum.amount(), total.amount());
        let weight_sum: Decimal = weights.iter().sum();
        let unit = Money::from_minor(1, currency).unwrap().amount();
        for (share, weight) in shares.iter().zip(&weights) {
            let exact = total.amount() * weight / weight_sum;
            prop_assert!((share.amount() - exact).abs() < unit, "share {} exact {}", share.amount(), exact);
            if weight.is_zero() {
                prop_assert!(share.is_zero());
            }
        }
        let negated = total.neg().allocate(&weights).unwrap();
        for (a, b) in shares.iter().zip(&negated) {
            prop_assert_eq!(a.amount(), -b.amount());
        }
    }

    #[test]
    fn rounding_lands_on_the_minor_unit_and_is_idempotent(
        mantissa in -1_000_000_000i64..1_000_000_000,
        scale in 0u32..8,
        currency in currency_strategy(),
        mode_index in 0usize..7,
    ) {
        let mode = ALL_MODES[mode_index];
        let money = Money::new(Decimal::new(mantissa, scale), currency);
        let once = money.round(mode).unwrap();
        prop_assert_eq!(once.amount().scale(), u32::from(currency.minor_units().unwrap()));
        prop_assert_eq!(once.round(mode).unwrap(), once);
        let unit = Money::from_minor(1, currency).unwrap().amount();
        prop_assert!((once.amount() - money.amount()).abs() < unit);
    }
}
