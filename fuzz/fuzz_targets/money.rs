//! Fuzz target `money`: parsing and arithmetic on arbitrary decimals, currencies and
//! rounding modes. Asserts: no panic; rounding lands on the minor unit and is idempotent;
//! allocation sums exactly and mirrors under negation; JSON round trips are lossless.
#![no_main]

use arbitrary::Arbitrary;
use backoffice::money::{allocate, CurrencyOverrides, RoundingMode};
use backoffice::{Currency, Money};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

#[derive(Debug, Arbitrary)]
struct Input {
    currency_text: String,
    numeric: u16,
    amount_text: String,
    mantissa: i64,
    scale: u8,
    mode: u8,
    weights: Vec<(u32, u8)>,
    increment_mantissa: u32,
    minor_override: Option<u8>,
    json: String,
}

const MODES: [RoundingMode; 7] = [
    RoundingMode::HalfUp,
    RoundingMode::HalfEven,
    RoundingMode::HalfDown,
    RoundingMode::Up,
    RoundingMode::Down,
    RoundingMode::Ceiling,
    RoundingMode::Floor,
];

fuzz_target!(|input: Input| {
    let _ = Currency::from_code(&input.currency_text);
    let _ = Currency::from_numeric(input.numeric);
    let _ = serde_json::from_str::<Money>(&input.json);
    let _ = serde_json::from_str::<CurrencyOverrides>(&input.json);
    let _ = RoundingMode::parse(&input.amount_text);

    let currency = Currency::all()
        .nth(usize::from(input.numeric) % Currency::all().count())
        .unwrap_or(Currency::EUR);
    let mode = MODES[usize::from(input.mode) % MODES.len()];
    let amount = Decimal::try_new(input.mantissa, u32::from(input.scale % 29)).unwrap_or_default();
    let money = Money::new(amount, currency);

    // JSON round trip is lossless.
    let json = serde_json::to_string(&money).unwrap();
    assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);

    let overrides = match input.minor_override {
        Some(m) => CurrencyOverrides::new().with_minor_units(currency, Some(m % 8)),
        None => CurrencyOverrides::new(),
    };
    if let Ok(rounded) = money.round_with(mode, &overrides) {
        let units = overrides.minor_units(currency).unwrap();
        assert_eq!(rounded.amount().scale(), u32::from(units));
        assert_eq!(rounded.round_with(mode, &overrides).unwrap(), rounded);
        let _ = rounded.to_minor_with(mode, &overrides);

        let weights: Vec<Decimal> = input
            .weights
            .iter()
            .take(64)
            .map(|(w, s)| Decimal::new(i64::from(*w), u32::from(*s % 6)))
            .collect();
        if let Ok(shares) = allocate(rounded, &weights, &overrides) {
            let sum = Money::sum(currency, &shares).unwrap();
            assert_eq!(sum.amount(), rounded.amount());
            let negated = allocate(rounded.neg(), &weights, &overrides).unwrap();
            for (a, b) in shares.iter().zip(&negated) {
                assert_eq!(a.amount(), -b.amount());
            }
        }
    }
    let increment = Decimal::new(i64::from(input.increment_mantissa), 2);
    let _ = money.round_to_increment(increment, mode);
    let _ = money.checked_add(money);
    let _ = money.checked_mul(amount);
});
