//! Exchange rates supplied by the caller, and conversions between currencies.
//!
//! The library never fetches a rate: the caller fills a [`RateTable`] with dated rates
//! (from Rust values or JSON), and every lookup names the time it is for. A lookup takes
//! the newest rate quoted at or before that time, may use the inverse of a stored rate,
//! and, when a pivot currency is configured, may triangulate through it. The returned
//! [`QuotedRate`] says which path was used.
//!
//! ```
//! use backoffice::fx::{Rate, RateTable, RatePath};
//! use backoffice::money::RoundingMode;
//! use backoffice::{Currency, Money};
//! use chrono::{TimeZone, Utc};
//! use rust_decimal_macros::dec;
//!
//! let monday = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
//! let mut table = RateTable::new();
//! table.insert(Rate::new(Currency::USD, Currency::CAD, dec!(1.35), monday).unwrap());
//!
//! let quote = table.rate(Currency::CAD, Currency::USD, monday).unwrap();
//! assert_eq!(quote.path, RatePath::Inverse);
//!
//! let price = Money::new(dec!(40.00), Currency::USD);
//! let cad = table.convert(price, Currency::CAD, monday, RoundingMode::HalfEven).unwrap();
//! assert_eq!(cad.to_string(), "54.00 CAD");
//! ```

use crate::money::{serde_decimal, CurrencyOverrides, RoundingMode};
use crate::{Currency, Error, Money};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One quoted exchange rate: 1 `from` = `rate` `to`, as of a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RateJson")]
pub struct Rate {
    /// The currency being priced.
    pub from: Currency,
    /// The currency the price is in.
    pub to: Currency,
    /// Units of `to` per unit of `from`; always positive.
    #[serde(with = "serde_decimal")]
    pub rate: Decimal,
    /// When the rate was quoted.
    pub as_of: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateJson {
    from: Currency,
    to: Currency,
    #[serde(with = "serde_decimal")]
    rate: Decimal,
    as_of: DateTime<Utc>,
}

impl TryFrom<RateJson> for Rate {
    type Error = Error;
    fn try_from(raw: RateJson) -> Result<Self, Error> {
        Rate::new(raw.from, raw.to, raw.rate, raw.as_of)
    }
}

impl Rate {
    /// A rate; a non-positive rate or a rate from a currency to itself is an error naming
    /// the pair and the time.
    pub fn new(
        from: Currency,
        to: Currency,
        rate: Decimal,
        as_of: DateTime<Utc>,
    ) -> Result<Self, Error> {
        if rate <= Decimal::ZERO {
            return Err(Error::invalid(
                "rate",
                format!(
                    "rate {from}->{to} as of {} must be positive, got {rate}",
                    rfc3339(as_of)
                ),
            ));
        }
        if from == to {
            return Err(Error::invalid(
                "rate",
                format!(
                    "rate {from}->{to} as of {} converts a currency to itself",
                    rfc3339(as_of)
                ),
            ));
        }
        Ok(Rate {
            from,
            to,
            rate,
            as_of,
        })
    }
}

/// How a [`QuotedRate`] was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RatePath {
    /// Same currency: rate 1.
    Identity,
    /// A stored `from -> to` rate.
    Direct,
    /// The inverse of a stored `to -> from` rate.
    Inverse,
    /// Through the pivot currency: `from -> pivot -> to`.
    Triangulated {
        /// The pivot currency.
        pivot: Currency,
        /// Whether the first leg (`from -> pivot`) was stored inverted.
        first_leg_inverse: bool,
        /// Whether the second leg (`pivot -> to`) was stored inverted.
        second_leg_inverse: bool,
    },
}

/// A rate found by [`RateTable::rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotedRate {
    /// The currency converted from.
    pub from: Currency,
    /// The currency converted to.
    pub to: Currency,
    /// Units of `to` per unit of `from`, at full precision.
    #[serde(with = "serde_decimal")]
    pub rate: Decimal,
    /// When the (oldest leg of the) rate was quoted.
    pub as_of: DateTime<Utc>,
    /// Which stored rates were used.
    pub path: RatePath,
}

impl QuotedRate {
    /// Converts `money` (which must be in `from`) at this rate, unrounded.
    pub fn apply_exact(&self, money: Money) -> Result<Money, Error> {
        if money.currency() != self.from {
            return Err(Error::CurrencyMismatch {
                operation: "convert".to_string(),
                left: money.currency().code().to_string(),
                right: self.from.code().to_string(),
            });
        }
        let amount = money
            .amount()
            .checked_mul(self.rate)
            .ok_or_else(|| Error::overflow("convert"))?;
        Ok(Money::new(amount, self.to))
    }

    /// Converts `money` at this rate and rounds to the target's minor unit with `mode`.
    pub fn apply(
        &self,
        money: Money,
        mode: RoundingMode,
        overrides: &CurrencyOverrides,
    ) -> Result<Money, Error> {
        self.apply_exact(money)?.round_with(mode, overrides)
    }
}

/// Caller-supplied exchange rates, looked up by pair and time.
///
/// JSON shape:
/// `{"rates": [{"from": "USD", "to": "CAD", "rate": "1.35", "as_of": "2026-03-02T12:00:00Z"}],
///   "pivot": "USD", "max_age_seconds": 86400}` (`pivot` and `max_age_seconds` optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, from = "RateTableJson", into = "RateTableJson")]
pub struct RateTable {
    // (from, to) -> rates sorted by as_of ascending
    pairs: BTreeMap<(Currency, Currency), Vec<Rate>>,
    pivot: Option<Currency>,
    max_age: Option<Duration>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateTableJson {
    rates: Vec<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pivot: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_age_seconds: Option<u32>,
}

impl From<RateTableJson> for RateTable {
    fn from(raw: RateTableJson) -> Self {
        let mut table = RateTable::new();
        for rate in raw.rates {
            table.insert(rate);
        }
        table.pivot = raw.pivot;
        table.max_age = raw.max_age_seconds.map(|s| Duration::seconds(i64::from(s)));
        table
    }
}

impl From<RateTable> for RateTableJson {
    fn from(table: RateTable) -> Self {
        RateTableJson {
            rates: table.rates().copied().collect(),
            pivot: table.pivot,
            max_age_seconds: table
                .max_age
                .and_then(|d| u32::try_from(d.num_seconds()).ok()),
        }
    }
}

impl RateTable {
    /// An empty table without pivot or maximum age.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a table from JSON (see the type's docs for the shape).
    pub fn from_json(json: &str) -> Result<Self, Error> {
        serde_json::from_str(json).map_err(|e| Error::from_json(&e))
    }

    /// Triangulates through `pivot` when no direct or inverse rate exists.
    pub fn with_pivot(mut self, pivot: Currency) -> Self {
        self.pivot = Some(pivot);
        self
    }

    /// Rejects rates older than `max_age` at the time of the lookup.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Adds a rate. A later rate with the same pair and time replaces the earlier one.
    pub fn insert(&mut self, rate: Rate) {
        let list = self.pairs.entry((rate.from, rate.to)).or_default();
        match list.binary_search_by(|r| r.as_of.cmp(&rate.as_of)) {
            Ok(idx) => {
                if let Some(slot) = list.get_mut(idx) {
                    *slot = rate;
                }
            }
            Err(idx) => list.insert(idx, rate),
        }
    }

    /// Every stored rate, by pair then time.
    pub fn rates(&self) -> impl Iterator<Item = &Rate> {
        self.pairs.values().flatten()
    }

    /// The newest stored rate for exactly `from -> to` quoted at or before `at`.
    fn newest(&self, from: Currency, to: Currency, at: DateTime<Utc>) -> Option<&Rate> {
        let list = self.pairs.get(&(from, to))?;
        let idx = list.partition_point(|r| r.as_of <= at);
        idx.checked_sub(1).and_then(|i| list.get(i))
    }

    /// The best single-leg rate `from -> to`: direct or inverse, whichever is newer
    /// (direct on a tie). Returns (rate, as_of, inverse?).
    fn leg(
        &self,
        from: Currency,
        to: Currency,
        at: DateTime<Utc>,
    ) -> Result<Option<(Decimal, DateTime<Utc>, bool)>, Error> {
        let direct = self.newest(from, to, at);
        let inverse = self.newest(to, from, at);
        let pick = match (direct, inverse) {
            (Some(d), Some(i)) if i.as_of > d.as_of => Some((i, true)),
            (Some(d), _) => Some((d, false)),
            (None, Some(i)) => Some((i, true)),
            (None, None) => None,
        };
        let Some((rate, inverted)) = pick else {
            return Ok(None);
        };
        self.check_age(from, to, rate.as_of, at)?;
        let value = if inverted {
            Decimal::ONE.checked_div(rate.rate).ok_or_else(|| {
                Error::overflow(format!("inverting rate {}->{}", rate.from, rate.to))
            })?
        } else {
            rate.rate
        };
        Ok(Some((value, rate.as_of, inverted)))
    }

    fn check_age(
        &self,
        from: Currency,
        to: Currency,
        as_of: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), Error> {
        if let Some(max_age) = self.max_age {
            if at.signed_duration_since(as_of) > max_age {
                return Err(Error::StaleRate {
                    from: from.code().to_string(),
                    to: to.code().to_string(),
                    as_of: rfc3339(as_of),
                    at: rfc3339(at),
                    max_age_seconds: max_age.num_seconds(),
                });
            }
        }
        Ok(())
    }

    /// The rate to convert `from` into `to` at time `at`.
    ///
    /// Errors: [`Error::MissingRate`] when no path exists, [`Error::StaleRate`] when the
    /// newest usable rate is older than the maximum age.
    pub fn rate(
        &self,
        from: Currency,
        to: Currency,
        at: DateTime<Utc>,
    ) -> Result<QuotedRate, Error> {
        if from == to {
            return Ok(QuotedRate {
                from,
                to,
                rate: Decimal::ONE,
                as_of: at,
                path: RatePath::Identity,
            });
        }
        if let Some((rate, as_of, inverted)) = self.leg(from, to, at)? {
            return Ok(QuotedRate {
                from,
                to,
                rate,
                as_of,
                path: if inverted {
                    RatePath::Inverse
                } else {
                    RatePath::Direct
                },
            });
        }
        if let Some(pivot) = self.pivot.filter(|p| *p != from && *p != to) {
            if let (Some(first), Some(second)) =
                (self.leg(from, pivot, at)?, self.leg(pivot, to, at)?)
            {
                let rate = first.0.checked_mul(second.0).ok_or_else(|| {
                    Error::overflow(format!("triangulating {from}->{pivot}->{to}"))
                })?;
                return Ok(QuotedRate {
                    from,
                    to,
                    rate,
                    as_of: first.1.min(second.1),
                    path: RatePath::Triangulated {
                        pivot,
                        first_leg_inverse: first.2,
                        second_leg_inverse: second.2,
                    },
                });
            }
        }
        Err(Error::MissingRate {
            from: from.code().to_string(),
            to: to.code().to_string(),
            at: rfc3339(at),
        })
    }

    /// Converts at full precision, then rounds to `to`'s minor unit with `mode`.
    pub fn convert(
        &self,
        money: Money,
        to: Currency,
        at: DateTime<Utc>,
        mode: RoundingMode,
    ) -> Result<Money, Error> {
        self.rate(money.currency(), to, at)?
            .apply(money, mode, &CurrencyOverrides::new())
    }

    /// Converts at full precision without rounding.
    pub fn convert_exact(
        &self,
        money: Money,
        to: Currency,
        at: DateTime<Utc>,
    ) -> Result<Money, Error> {
        self.rate(money.currency(), to, at)?.apply_exact(money)
    }
}

/// Formats a time as RFC 3339 with a `Z` suffix, as every message and JSON output does.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
