//! ISO 4217 currencies.

use crate::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// One row of the generated ISO 4217 table.
#[derive(Debug)]
pub(crate) struct CurrencyData {
    pub(crate) code: &'static str,
    pub(crate) numeric: u16,
    pub(crate) minor_units: Option<u8>,
    pub(crate) name: &'static str,
    pub(crate) fund: bool,
}

/// A currency of ISO 4217 List One (as published 2026-01-01).
///
/// `Copy`, compared by identity, serialized as its alpha code (`"EUR"`). Every currency
/// of the list is an associated constant (`Currency::EUR`), and [`Currency::from_code`]
/// and [`Currency::from_numeric`] look one up at run time.
///
/// ```
/// use backoffice::Currency;
/// let jpy = Currency::from_code(" jpy ").unwrap();
/// assert_eq!(jpy, Currency::JPY);
/// assert_eq!(jpy.code(), "JPY");
/// assert_eq!(jpy.minor_units(), Some(0));
/// assert_eq!(Currency::from_numeric(48).unwrap().code(), "BHD");
/// assert_eq!(Currency::XAU.minor_units(), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(pub(crate) u16);

include!("iso4217.rs");

impl Currency {
    fn data(self) -> &'static CurrencyData {
        // Every `Currency` value is built from an index into CURRENCIES, so the lookup
        // cannot fail; the fallback keeps the code free of panics regardless.
        CURRENCIES.get(usize::from(self.0)).unwrap_or(&FALLBACK_XXX)
    }

    /// The three-letter alpha code, upper case.
    pub fn code(self) -> &'static str {
        self.data().code
    }

    /// The three-digit numeric code.
    pub fn numeric(self) -> u16 {
        self.data().numeric
    }

    /// The number of digits after the decimal point (`None` for metals, funds without
    /// a minor unit, and testing / no-currency codes such as XXX).
    pub fn minor_units(self) -> Option<u8> {
        self.data().minor_units
    }

    /// The currency's English name as List One gives it.
    pub fn name(self) -> &'static str {
        self.data().name
    }

    /// Whether List One marks this entry as a fund (e.g. CLF, BOV).
    pub fn is_fund(self) -> bool {
        self.data().fund
    }

    /// Looks a currency up by alpha code; surrounding whitespace is ignored and case does
    /// not matter. An unknown or withdrawn code is [`Error::UnknownCurrency`].
    pub fn from_code(code: &str) -> Result<Currency, Error> {
        let trimmed = code.trim();
        let unknown = || Error::UnknownCurrency {
            code: code.to_string(),
        };
        // Upper-case into a stack buffer: this runs for every currency field deserialized.
        let upper = match trimmed.as_bytes() {
            [a, b, c] => [a, b, c].map(u8::to_ascii_uppercase),
            _ => return Err(unknown()),
        };
        CURRENCIES
            .binary_search_by(|c| c.code.as_bytes().cmp(&upper[..]))
            .ok()
            .and_then(|idx| u16::try_from(idx).ok())
            .map(Currency)
            .ok_or_else(unknown)
    }

    /// Looks a currency up by its numeric code (e.g. 978 for EUR).
    pub fn from_numeric(numeric: u16) -> Result<Currency, Error> {
        CURRENCIES
            .iter()
            .position(|c| c.numeric == numeric)
            .and_then(|idx| u16::try_from(idx).ok())
            .map(Currency)
            .ok_or_else(|| Error::UnknownCurrency {
                code: format!("{numeric:03}"),
            })
    }

    /// Every currency of List One, sorted by alpha code.
    pub fn all() -> impl Iterator<Item = Currency> {
        (0..CURRENCIES.len()).filter_map(|i| u16::try_from(i).ok().map(Currency))
    }

    /// The minor units to use for this currency, after caller-supplied overrides.
    pub fn minor_units_with(self, overrides: &CurrencyOverrides) -> Option<u8> {
        overrides.minor_units(self)
    }
}

static FALLBACK_XXX: CurrencyData = CurrencyData {
    code: "XXX",
    numeric: 999,
    minor_units: None,
    name: "The codes assigned for transactions where no currency is involved",
    fund: false,
};

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Currency::from_code(&s).map_err(serde::de::Error::custom)
    }
}

/// Caller-supplied changes to currencies' minor units, e.g. a payment provider that
/// settles HUF without decimals. Passed explicitly wherever it matters: there is no
/// global state.
///
/// ```
/// use backoffice::{Currency, CurrencyOverrides};
/// let overrides = CurrencyOverrides::new().with_minor_units(Currency::HUF, Some(0));
/// assert_eq!(overrides.minor_units(Currency::HUF), Some(0));
/// assert_eq!(overrides.minor_units(Currency::EUR), Some(2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CurrencyOverrides {
    minor_units: BTreeMap<Currency, Option<u8>>,
}

impl CurrencyOverrides {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the minor units of one currency (at most 28, the scale limit of `Decimal`).
    pub fn with_minor_units(mut self, currency: Currency, minor_units: Option<u8>) -> Self {
        self.minor_units
            .insert(currency, minor_units.map(|m| m.min(28)));
        self
    }

    /// The minor units of `currency` after overrides.
    pub fn minor_units(&self, currency: Currency) -> Option<u8> {
        match self.minor_units.get(&currency) {
            Some(over) => *over,
            None => currency.minor_units(),
        }
    }
}
