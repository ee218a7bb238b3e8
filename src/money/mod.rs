//! Money: ISO 4217 currencies, exact amounts, named rounding modes, cash rounding and
//! largest-remainder allocation.
//!
//! ```
//! use backoffice::money::{Money, RoundingMode};
//! use backoffice::Currency;
//! use rust_decimal_macros::dec;
//!
//! let price = Money::new(dec!(2.345), Currency::USD);
//! // Rounding always names its mode.
//! assert_eq!(price.round(RoundingMode::HalfUp).unwrap().amount(), dec!(2.35));
//! assert_eq!(price.round(RoundingMode::HalfEven).unwrap().amount(), dec!(2.34));
//!
//! // Splitting 1.00 three ways never loses or invents a cent.
//! let shares = Money::new(dec!(1.00), Currency::USD)
//!     .allocate(&[dec!(1), dec!(1), dec!(1)])
//!     .unwrap();
//! let amounts: Vec<_> = shares.iter().map(|m| m.amount()).collect();
//! assert_eq!(amounts, vec![dec!(0.34), dec!(0.33), dec!(0.33)]);
//! ```

mod allocation;
mod currency;
pub mod serde_decimal;

pub(crate) use allocation::allocate_array;
pub use allocation::{allocate, allocate_units};
pub use currency::{Currency, CurrencyOverrides, LIST_ONE_PUBLISHED};

use crate::Error;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// How to round. Every rounding in the crate names one of these.
///
/// | mode | 2.5 | -2.5 | 2.4 | -2.6 |
/// |---|---|---|---|---|
/// | `HalfUp` (ties away from zero) | 3 | -3 | 2 | -3 |
/// | `HalfEven` (ties to even, "banker's") | 2 | -2 | 2 | -3 |
/// | `HalfDown` (ties toward zero) | 2 | -2 | 2 | -3 |
/// | `Up` (away from zero) | 3 | -3 | 3 | -3 |
/// | `Down` (toward zero, truncate) | 2 | -2 | 2 | -2 |
/// | `Ceiling` (toward +∞) | 3 | -2 | 3 | -2 |
/// | `Floor` (toward −∞) | 2 | -3 | 2 | -3 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Nearest; ties away from zero.
    HalfUp,
    /// Nearest; ties to the even neighbour.
    HalfEven,
    /// Nearest; ties toward zero.
    HalfDown,
    /// Away from zero.
    Up,
    /// Toward zero.
    Down,
    /// Toward positive infinity.
    Ceiling,
    /// Toward negative infinity.
    Floor,
}

impl RoundingMode {
    /// The matching `rust_decimal` strategy.
    pub fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::HalfDown => RoundingStrategy::MidpointTowardZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
            RoundingMode::Ceiling => RoundingStrategy::ToPositiveInfinity,
            RoundingMode::Floor => RoundingStrategy::ToNegativeInfinity,
        }
    }

    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundingMode::HalfUp => "half_up",
            RoundingMode::HalfEven => "half_even",
            RoundingMode::HalfDown => "half_down",
            RoundingMode::Up => "up",
            RoundingMode::Down => "down",
            RoundingMode::Ceiling => "ceiling",
            RoundingMode::Floor => "floor",
        }
    }

    /// Parses the snake_case name (`"half_even"`).
    pub fn parse(name: &str) -> Result<Self, Error> {
        Ok(match name {
            "half_up" => RoundingMode::HalfUp,
            "half_even" => RoundingMode::HalfEven,
            "half_down" => RoundingMode::HalfDown,
            "up" => RoundingMode::Up,
            "down" => RoundingMode::Down,
            "ceiling" => RoundingMode::Ceiling,
            "floor" => RoundingMode::Floor,
            other => {
                return Err(Error::invalid(
                    "rounding_mode",
                    format!("unknown rounding mode `{other}`; expected one of half_up, half_even, half_down, up, down, ceiling, floor"),
                ))
            }
        })
    }

    /// Rounds `value` to `dp` decimal places with this mode.
    pub fn round_dp(self, value: Decimal, dp: u32) -> Decimal {
        value.round_dp_with_strategy(dp, self.strategy())
    }
}

/// An exact amount of one currency.
///
/// Arithmetic is checked: combining two currencies is [`Error::CurrencyMismatch`], and
/// overflow is [`Error::Overflow`]. Serialized as `{"amount": "12.30", "currency": "EUR"}`
/// (the amount is a string so that no binary floating point is ever involved; a JSON number
/// is accepted on input only when it converts exactly).
///
/// ```
/// use backoffice::{Currency, Money};
/// use rust_decimal_macros::dec;
/// let a = Money::new(dec!(10.00), Currency::EUR);
/// let b = Money::new(dec!(2.50), Currency::EUR);
/// assert_eq!(a.checked_add(b).unwrap().to_string(), "12.50 EUR");
/// let usd = Money::new(dec!(1), Currency::USD);
/// assert_eq!(a.checked_add(usd).unwrap_err().code(), "currency_mismatch");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    #[serde(with = "serde_decimal")]
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount of `currency`, exactly as given (no rounding).
    pub const fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero of `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money {
            amount: Decimal::ZERO,
            currency,
        }
    }

    /// The amount.
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// An amount given in minor units (cents): `from_minor(1230, EUR)` is 12.30 EUR.
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, Error> {
        Self::from_minor_with(minor, currency, &CurrencyOverrides::new())
    }

    /// [`Money::from_minor`] with caller-supplied minor units.
    pub fn from_minor_with(
        minor: i64,
        currency: Currency,
        overrides: &CurrencyOverrides,
    ) -> Result<Self, Error> {
        let units = minor_units(currency, overrides)?;
        let amount = Decimal::try_from_i128_with_scale(i128::from(minor), u32::from(units))
            .map_err(|_| Error::overflow("from_minor"))?;
        Ok(Money { amount, currency })
    }

    /// The amount in minor units after rounding with `mode`.
    pub fn to_minor(&self, mode: RoundingMode) -> Result<i64, Error> {
        self.to_minor_with(mode, &CurrencyOverrides::new())
    }

    /// [`Money::to_minor`] with caller-supplied minor units.
    pub fn to_minor_with(
        &self,
        mode: RoundingMode,
        overrides: &CurrencyOverrides,
    ) -> Result<i64, Error> {
        let units = minor_units(self.currency, overrides)?;
        let scaled = to_minor_i128(self.amount, units, mode)?;
        i64::try_from(scaled).map_err(|_| Error::overflow("to_minor"))
    }

    /// Rounds to the currency's minor unit with `mode`.
    /// A currency without a minor unit (XAU, XXX, ...) is [`Error::NoMinorUnit`].
    pub fn round(&self, mode: RoundingMode) -> Result<Self, Error> {
        self.round_with(mode, &CurrencyOverrides::new())
    }

    /// [`Money::round`] with caller-supplied minor units.
    pub fn round_with(
        &self,
        mode: RoundingMode,
        overrides: &CurrencyOverrides,
    ) -> Result<Self, Error> {
        let units = minor_units(self.currency, overrides)?;
        Ok(self.round_dp(u32::from(units), mode))
    }

    /// Rounds to `dp` decimal places with `mode`, whatever the currency's minor unit.
    pub fn round_dp(&self, dp: u32, mode: RoundingMode) -> Self {
        let mut amount = mode.round_dp(self.amount, dp);
        // Keep a fixed scale so that 2 USD prints as 2.00 after rounding.
        if amount.scale() < dp {
            amount.rescale(dp);
        }
        Money {
            amount,
            currency: self.currency,
        }
    }

    /// Rounds to a multiple of `increment` (cash rounding), e.g. CHF to 0.05:
    ///
    /// ```
    /// use backoffice::{Currency, Money, money::RoundingMode};
    /// use rust_decimal_macros::dec;
    /// let chf = |a| Money::new(a, Currency::CHF);
    /// let r = |a| chf(a).round_to_increment(dec!(0.05), RoundingMode::HalfUp).unwrap().amount();
    /// assert_eq!(r(dec!(2.02)), dec!(2.00));
    /// assert_eq!(r(dec!(2.025)), dec!(2.05));
    /// assert_eq!(r(dec!(0.07)), dec!(0.05));
    /// assert_eq!(r(dec!(0.08)), dec!(0.10));
    /// ```
    pub fn round_to_increment(
        &self,
        increment: Decimal,
        mode: RoundingMode,
    ) -> Result<Self, Error> {
        if increment <= Decimal::ZERO {
            return Err(Error::invalid(
                "increment",
                format!("cash rounding increment must be positive, got {increment}"),
            ));
        }
        let steps = self
            .amount
            .checked_div(increment)
            .ok_or_else(|| Error::overflow("round_to_increment"))?;
        let steps = mode.round_dp(steps, 0);
        let mut amount = steps
            .checked_mul(increment)
            .ok_or_else(|| Error::overflow("round_to_increment"))?;
        if amount.scale() < increment.scale() {
            amount.rescale(increment.scale());
        }
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    fn same_currency(&self, other: &Money, operation: &str) -> Result<(), Error> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::CurrencyMismatch {
                operation: operation.to_string(),
                left: self.currency.code().to_string(),
                right: other.currency.code().to_string(),
            })
        }
    }

    /// `self + other`; both must have the same currency.
    pub fn checked_add(&self, other: Money) -> Result<Self, Error> {
        self.same_currency(&other, "add")?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or_else(|| Error::overflow("add"))?;
        Ok(Money { amount, ..*self })
    }

    /// `self - other`; both must have the same currency.
    pub fn checked_sub(&self, other: Money) -> Result<Self, Error> {
        self.same_currency(&other, "subtract")?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or_else(|| Error::overflow("subtract"))?;
        Ok(Money { amount, ..*self })
    }

    /// `self × factor` (a quantity, a percentage as a fraction, a rate), unrounded.
    pub fn checked_mul(&self, factor: Decimal) -> Result<Self, Error> {
        let amount = self
            .amount
            .checked_mul(factor)
            .ok_or_else(|| Error::overflow("multiply"))?;
        Ok(Money { amount, ..*self })
    }

    /// The negated amount.
    pub fn neg(&self) -> Self {
        Money {
            amount: -self.amount,
            currency: self.currency,
        }
    }

    /// Compares two amounts of the same currency.
    pub fn checked_cmp(&self, other: &Money) -> Result<Ordering, Error> {
        self.same_currency(other, "compare")?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// The smaller of two amounts of the same currency.
    pub fn checked_min(&self, other: Money) -> Result<Self, Error> {
        Ok(match self.checked_cmp(&other)? {
            Ordering::Greater => other,
            _ => *self,
        })
    }

    /// Sums amounts of `currency`; any other currency is a mismatch.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Self, Error> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(*m))
    }

    /// Splits this amount over `weights` in minor units by the largest-remainder method;
    /// see [`allocate`].
    pub fn allocate(&self, weights: &[Decimal]) -> Result<Vec<Money>, Error> {
        allocate(*self, weights, &CurrencyOverrides::new())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

pub(crate) fn minor_units(currency: Currency, overrides: &CurrencyOverrides) -> Result<u8, Error> {
    overrides
        .minor_units(currency)
        .ok_or_else(|| Error::NoMinorUnit {
            currency: currency.code().to_string(),
        })
}

/// `amount` in units of 10^-units after rounding with `mode`.
pub(crate) fn to_minor_i128(amount: Decimal, units: u8, mode: RoundingMode) -> Result<i128, Error> {
    let mut rounded = mode.round_dp(amount, u32::from(units));
    rounded.rescale(u32::from(units));
    if rounded.scale() != u32::from(units) {
        return Err(Error::overflow("to_minor"));
    }
    Ok(rounded.mantissa())
}
