//! Serde helpers for `Decimal` fields: written as strings (`"12.30"`), read from strings or
//! from JSON numbers that convert exactly.
//!
//! Use on every `Decimal` field of an input or output type:
//!
//! ```
//! use rust_decimal::Decimal;
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Fee {
//!     #[serde(with = "backoffice::money::serde_decimal")]
//!     percent: Decimal,
//! }
//! let fee: Fee = serde_json::from_str(r#"{"percent": 15.5}"#).unwrap();
//! assert_eq!(fee.percent.to_string(), "15.5");
//! assert_eq!(serde_json::to_string(&fee).unwrap(), r#"{"percent":"15.5"}"#);
//! ```
//!
//! JSON numbers are read through `serde_json`'s `arbitrary_precision` representation, so
//! `0.1` is exactly one tenth; a number with more digits than a `Decimal` can hold is
//! rejected rather than rounded. A binary float (from a non-JSON format) is rejected.

use rust_decimal::Decimal;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;

/// Writes the decimal as a string, keeping its scale (`12.30` stays `"12.30"`).
pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Reads a decimal from a string or an exactly convertible number.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(DecimalVisitor)
}

/// Parses a decimal string exactly: plain (`-12.30`) or scientific (`1.5e3`) notation.
pub fn parse_exact(text: &str) -> Result<Decimal, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("expected a decimal number, got an empty string".to_string());
    }
    let parsed = if trimmed.contains(['e', 'E']) {
        Decimal::from_scientific(trimmed)
    } else {
        Decimal::from_str_exact(trimmed)
    };
    parsed.map_err(|e| format!("`{trimmed}` is not an exact decimal number ({e})"))
}

struct DecimalVisitor;

const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal number as a string such as \"12.30\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_exact(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        Err(E::custom(format!(
            "the number {v} arrived as a binary floating-point value, which cannot carry an exact amount; send it as a string such as \"{v}\""
        )))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        // serde_json with `arbitrary_precision` hands numbers over as a one-entry map.
        match map.next_key::<String>()? {
            Some(key) if key == NUMBER_TOKEN => {
                let text: String = map.next_value()?;
                let value = parse_exact(&text).map_err(de::Error::custom)?;
                Ok(value)
            }
            _ => Err(de::Error::custom(
                "expected a decimal number as a string such as \"12.30\", got an object",
            )),
        }
    }
}

/// The same for `Option<Decimal>` fields (use with `#[serde(default)]`).
pub mod option {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some` as a string and `None` as `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.collect_str(v),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null` as `None`, anything else as [`super::deserialize`] does.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper(#[serde(with = "super")] Decimal);
        Option::<Wrapper>::deserialize(deserializer).map(|o| o.map(|w| w.0))
    }
}
