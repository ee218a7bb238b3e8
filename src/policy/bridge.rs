//! Moving values between Rust and policy scripts.
//!
//! Inputs go in with [`to_dynamic`] (serde) or, on hot paths, as `rhai::Map`s built with
//! [`money`], [`decimal`] and [`timestamp`]. Hook results come back through the `expect_*`
//! readers, which turn a value of the wrong shape into a `policy.bad_return`
//! [`Diagnostic`] naming the hook, the expected shape and what the hook returned.
//!
//! The helper functions scripts can call (money, decimals, timestamps) are registered here
//! too; the policy authors' chapter in [`crate::policy`] lists them.

use crate::money::{Currency, Money, RoundingMode};
use crate::{Diagnostic, Error};
use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map, INT};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// A point in time inside a policy: a registered Rhai type wrapping `DateTime<Utc>`.
///
/// Scripts compare timestamps with `<`, `<=`, `>`, `>=`, `==`, `!=` and use the pure
/// helpers `days_until`, `hours_until`, `minutes_until`, `add_days`, `add_hours`,
/// `weekday`, `weekday_number`, `is_weekend` and `date`. Printing one gives RFC 3339.
///
/// ```
/// use backoffice::policy::{bridge, Policy, PolicyRuntime};
/// use chrono::{TimeZone, Utc};
/// let runtime = PolicyRuntime::new();
/// let policy = Policy::compile(
///     "t.rhai",
///     "fn window(delivered, now) { delivered.days_until(now) <= 30 && delivered.weekday() != \"sunday\" }",
///     &runtime,
/// )?;
/// let delivered = bridge::timestamp(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap());
/// let now = bridge::timestamp(Utc.with_ymd_and_hms(2026, 3, 20, 9, 0, 0).unwrap());
/// let out = policy.call("window", (delivered, now))?;
/// assert_eq!(out.value.as_bool(), Ok(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// The wrapped time.
    pub fn time(&self) -> DateTime<Utc> {
        self.0
    }

    /// Whole days from `self` to `later`, truncated toward zero (negative when `later` is
    /// earlier).
    pub fn days_until(&self, later: &Timestamp) -> i64 {
        (later.0 - self.0).num_days()
    }

    /// Whole hours from `self` to `later`, truncated toward zero.
    pub fn hours_until(&self, later: &Timestamp) -> i64 {
        (later.0 - self.0).num_hours()
    }

    /// Whole minutes from `self` to `later`, truncated toward zero.
    pub fn minutes_until(&self, later: &Timestamp) -> i64 {
        (later.0 - self.0).num_minutes()
    }

    /// `self` moved by `days` (may be negative); `None` when out of range.
    pub fn add_days(&self, days: i64) -> Option<Timestamp> {
        TimeDelta::try_days(days)
            .and_then(|d| self.0.checked_add_signed(d))
            .map(Timestamp)
    }

    /// `self` moved by `hours` (may be negative); `None` when out of range.
    pub fn add_hours(&self, hours: i64) -> Option<Timestamp> {
        TimeDelta::try_hours(hours)
            .and_then(|d| self.0.checked_add_signed(d))
            .map(Timestamp)
    }

    /// The English weekday name in lower case (`"monday"` … `"sunday"`), in UTC.
    pub fn weekday(&self) -> &'static str {
        match self.0.weekday() {
            Weekday::Mon => "monday",
            Weekday::Tue => "tuesday",
            Weekday::Wed => "wednesday",
            Weekday::Thu => "thursday",
            Weekday::Fri => "friday",
            Weekday::Sat => "saturday",
            Weekday::Sun => "sunday",
        }
    }

    /// The ISO 8601 weekday number: 1 for Monday … 7 for Sunday, in UTC.
    pub fn weekday_number(&self) -> i64 {
        i64::from(self.0.weekday().number_from_monday())
    }

    /// The calendar date in UTC as `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

/// Converts any serializable value into a script value.
///
/// Maps of exactly `{amount, currency}` (the JSON shape of [`Money`]) get a decimal
/// `amount`, and strings holding an RFC 3339 date-time (the JSON shape of
/// `DateTime<Utc>`) become [`Timestamp`]s, so scripts can write `item.price.amount > 100`
/// and `request.delivered_at.days_until(request.now)`. Other `Decimal` fields arrive as
/// strings (serde cannot tell them from text); list them in [`to_dynamic_with_decimals`].
///
/// ```
/// use backoffice::{Currency, Money};
/// use backoffice::policy::bridge;
/// use rust_decimal_macros::dec;
/// let price = Money::new(dec!(12.30), Currency::EUR);
/// let value = bridge::to_dynamic(&serde_json::json!({"price": price, "sku": "A-1"}))?;
/// let map = value.as_map_ref().unwrap();
/// let price = map["price"].as_map_ref().unwrap();
/// assert_eq!(price["amount"].as_decimal(), Ok(dec!(12.30)));
/// # Ok::<(), backoffice::Error>(())
/// ```
pub fn to_dynamic<T: Serialize + ?Sized>(value: &T) -> Result<Dynamic, Error> {
    to_dynamic_with_decimals(value, &[])
}

/// [`to_dynamic`], also turning the string value of every map entry whose key is in
/// `decimal_keys` into a decimal (e.g. `&["fee_percent", "rate"]`).
///
/// A listed key whose value is not a decimal string is left as it is.
pub fn to_dynamic_with_decimals<T: Serialize + ?Sized>(
    value: &T,
    decimal_keys: &[&str],
) -> Result<Dynamic, Error> {
    let raw = rhai::serde::to_dynamic(value).map_err(|e| {
        Error::invalid(
            "policy_input",
            format!("cannot convert to a script value: {e}"),
        )
    })?;
    Ok(refine(raw, decimal_keys))
}

fn refine(value: Dynamic, decimal_keys: &[&str]) -> Dynamic {
    if value.is_map() {
        let Ok(mut map) = value.try_cast_result::<Map>() else {
            return Dynamic::UNIT;
        };
        // `serde_json::Value` numbers (with the `arbitrary_precision` feature this crate
        // enables) serialize as a one-entry map holding the number's text.
        if map.len() == 1 {
            if let Some(number) = map.get(JSON_NUMBER_TOKEN).and_then(number_of_json_text) {
                return number;
            }
        }
        let is_money = map.len() == 2
            && map.get("currency").is_some_and(Dynamic::is_string)
            && map.get("amount").is_some_and(Dynamic::is_string);
        for (key, entry) in map.iter_mut() {
            let taken = std::mem::take(entry);
            *entry =
                if (is_money && key.as_str() == "amount") || decimal_keys.contains(&key.as_str()) {
                    match decimal_of_string(&taken) {
                        Some(d) => Dynamic::from_decimal(d),
                        None => refine(taken, decimal_keys),
                    }
                } else {
                    refine(taken, decimal_keys)
                };
        }
        Dynamic::from_map(map)
    } else if value.is_array() {
        match value.into_array() {
            Ok(items) => Dynamic::from_array(
                items
                    .into_iter()
                    .map(|item| refine(item, decimal_keys))
                    .collect(),
            ),
            Err(_) => Dynamic::UNIT,
        }
    } else if value.is_string() {
        match value
            .read_lock::<ImmutableString>()
            .and_then(|s| parse_rfc3339(s.as_str()))
        {
            Some(t) => Dynamic::from(t),
            None => value,
        }
    } else {
        value
    }
}

/// The private map key `serde_json` uses for numbers under `arbitrary_precision`.
const JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// An integer when the text is one that fits `i64`, otherwise an exact decimal.
fn number_of_json_text(text: &Dynamic) -> Option<Dynamic> {
    let text = text.read_lock::<ImmutableString>()?;
    if let Ok(i) = text.parse::<INT>() {
        return Some(Dynamic::from_int(i));
    }
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text.as_str()))
        .ok()
        .map(Dynamic::from_decimal)
}

fn decimal_of_string(value: &Dynamic) -> Option<Decimal> {
    let s = value.read_lock::<ImmutableString>()?;
    s.as_str().parse::<Decimal>().ok()
}

/// Parses a strict RFC 3339 date-time (`2026-03-02T10:00:00Z`, with `T` and an offset).
fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    // Cheap shape check first: most strings are not timestamps.
    let bytes = s.as_bytes();
    if bytes.len() < 20 || bytes.get(4) != Some(&b'-') || bytes.get(10) != Some(&b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| Timestamp(t.with_timezone(&Utc)))
}

/// A money value as scripts see it: `#{amount: <decimal>, currency: "EUR"}`.
///
/// ```
/// use backoffice::{Currency, Money};
/// use backoffice::policy::bridge;
/// use rust_decimal_macros::dec;
/// let m = bridge::money(&Money::new(dec!(9.99), Currency::USD));
/// assert_eq!(m.to_string(), r#"#{"amount": 9.99, "currency": "USD"}"#);
/// ```
pub fn money(value: &Money) -> Dynamic {
    Dynamic::from_map(money_map(value.amount(), value.currency()))
}

fn money_map(amount: Decimal, currency: Currency) -> Map {
    let mut map = Map::new();
    map.insert("amount".into(), Dynamic::from_decimal(amount));
    map.insert("currency".into(), Dynamic::from(currency.code()));
    map
}

/// A timestamp as scripts see it (a registered [`Timestamp`]).
pub fn timestamp(value: DateTime<Utc>) -> Dynamic {
    Dynamic::from(Timestamp(value))
}

/// A decimal as scripts see it.
pub fn decimal(value: Decimal) -> Dynamic {
    Dynamic::from_decimal(value)
}

/// Whether a hook returned `()`: "no opinion, use the built-in behaviour".
pub fn is_unit(value: &Dynamic) -> bool {
    value.is_unit()
}

/// A readable name for the type of a script value, as used in diagnostics.
pub fn type_name(value: &Dynamic) -> &'static str {
    if value.is_unit() {
        "()"
    } else if value.is_bool() {
        "bool"
    } else if value.is_int() {
        "integer"
    } else if value.is_decimal() {
        "decimal"
    } else if value.is_string() {
        "string"
    } else if value.is_char() {
        "char"
    } else if value.is_array() {
        "array"
    } else if value.is_map() {
        "map"
    } else if value.is::<Timestamp>() {
        "timestamp"
    } else if value.is_fnptr() {
        "function pointer"
    } else {
        value.type_name()
    }
}

/// `string "abc"`, `integer 42`, `map #{"a": 1}`: a value described for a message, cut
/// to about 80 characters.
pub fn describe(value: &Dynamic) -> String {
    let kind = type_name(value);
    if value.is_unit() {
        return kind.to_string();
    }
    let shown = if value.is::<Timestamp>() {
        value.to_string()
    } else {
        format!("{value:?}")
    };
    let mut cut: String = shown.chars().take(80).collect();
    if cut.len() < shown.len() {
        cut.push('…');
    }
    format!("{kind} {cut}")
}

/// The `policy.bad_return` diagnostic for `hook` returning `got` where `expected` was due.
pub fn bad_return(hook: &str, expected: &str, got: &Dynamic) -> Diagnostic {
    Diagnostic::error(
        "policy.bad_return",
        format!(
            "hook `{hook}` returned {}, expected {expected}",
            describe(got)
        ),
    )
    .with_hook(hook)
    .with_help(format!("make `{hook}` return {expected}"))
}

/// The `policy.bad_return` diagnostic for an element of the array `hook` returned:
/// element `index` is not a map, or (with `field`) its `field` is missing or of the
/// wrong type, where `wanted` describes what it must be. `expected` is the whole shape.
///
/// ```
/// use backoffice::policy::bridge;
/// let weight = rhai::Dynamic::from("high");
/// let d = bridge::bad_element("fraud_signals", "an array of #{code, weight}", 1, Some(("weight", "an integer")), Some(&weight));
/// assert_eq!(d.message, "hook `fraud_signals` returned an array whose element [1] has `weight` = string \"high\", expected an integer");
/// ```
pub fn bad_element(
    hook: &str,
    expected: &str,
    index: usize,
    field: Option<(&str, &str)>,
    got: Option<&Dynamic>,
) -> Diagnostic {
    let what = match (field, got) {
        (Some((field, wanted)), Some(got)) => {
            format!("has `{field}` = {}, expected {wanted}", describe(got))
        }
        (Some((field, wanted)), None) => format!("has no `{field}`, expected {wanted}"),
        (None, Some(got)) => format!("is {}, expected a map", describe(got)),
        (None, None) => "is missing".to_string(),
    };
    Diagnostic::error(
        "policy.bad_return",
        format!("hook `{hook}` returned an array whose element [{index}] {what}"),
    )
    .with_hook(hook)
    .with_help(format!("make `{hook}` return {expected}"))
}

/// The type of the value a `policy.bad_return` diagnostic says its hook returned (as
/// [`type_name`] names it), read back from the message [`bad_return`] and
/// [`bad_element`] write.
pub(crate) fn returned_kind(diagnostic: &Diagnostic) -> Option<&str> {
    if diagnostic.code != "policy.bad_return" {
        return None;
    }
    let (_, rest) = diagnostic.message.split_once("` returned ")?;
    let rest = rest.strip_prefix("an ").unwrap_or(rest);
    rest.split([' ', ','])
        .next()
        .filter(|kind| !kind.is_empty())
}

/// Reads a string result.
///
/// ```
/// use backoffice::policy::bridge;
/// let err = bridge::expect_string(&rhai::Dynamic::from(42_i64), "disposition", "a string").unwrap_err();
/// assert_eq!(err.code, "policy.bad_return");
/// assert_eq!(err.message, "hook `disposition` returned integer 42, expected a string");
/// ```
pub fn expect_string(value: &Dynamic, hook: &str, expected: &str) -> Result<String, Diagnostic> {
    match value.read_lock::<ImmutableString>() {
        Some(s) => Ok(s.to_string()),
        None => Err(bad_return(hook, expected, value)),
    }
}

/// Reads a decimal result; an integer is accepted and converted exactly.
pub fn expect_decimal(value: &Dynamic, hook: &str, expected: &str) -> Result<Decimal, Diagnostic> {
    if let Ok(d) = value.as_decimal() {
        return Ok(d);
    }
    match value.as_int() {
        Ok(i) => Ok(Decimal::from(i)),
        Err(_) => Err(bad_return(hook, expected, value)),
    }
}

/// Reads an integer result.
pub fn expect_int(value: &Dynamic, hook: &str, expected: &str) -> Result<i64, Diagnostic> {
    value
        .as_int()
        .map_err(|_| bad_return(hook, expected, value))
}

/// Reads a boolean result.
pub fn expect_bool(value: &Dynamic, hook: &str, expected: &str) -> Result<bool, Diagnostic> {
    value
        .as_bool()
        .map_err(|_| bad_return(hook, expected, value))
}

/// Reads a map result.
pub fn expect_map(value: &Dynamic, hook: &str, expected: &str) -> Result<Map, Diagnostic> {
    match value.read_lock::<Map>() {
        Some(m) => Ok(m.clone()),
        None => Err(bad_return(hook, expected, value)),
    }
}

/// Reads an array result.
pub fn expect_array(
    value: &Dynamic,
    hook: &str,
    expected: &str,
) -> Result<rhai::Array, Diagnostic> {
    match value.read_lock::<rhai::Array>() {
        Some(a) => Ok(a.clone()),
        None => Err(bad_return(hook, expected, value)),
    }
}

/// Reads a money result: a map `#{amount, currency}` whose amount is a decimal, an
/// integer or a decimal string, and whose currency is an ISO 4217 code.
pub fn expect_money(value: &Dynamic, hook: &str, expected: &str) -> Result<Money, Diagnostic> {
    let map = expect_map(value, hook, expected)?;
    money_of_map(&map).map_err(|_| bad_return(hook, expected, value))
}

/// Reads a timestamp result.
pub fn expect_timestamp(
    value: &Dynamic,
    hook: &str,
    expected: &str,
) -> Result<DateTime<Utc>, Diagnostic> {
    match value.read_lock::<Timestamp>() {
        Some(t) => Ok(t.0),
        None => Err(bad_return(hook, expected, value)),
    }
}

// ---------------------------------------------------------------------------------------
// Script helpers

type ScriptResult<T> = Result<T, Box<EvalAltResult>>;

fn script_error(message: impl Into<String>) -> Box<EvalAltResult> {
    let message: String = message.into();
    message.into()
}

fn money_of_map(map: &Map) -> ScriptResult<Money> {
    let amount = map
        .get("amount")
        .ok_or_else(|| script_error("a money value needs an `amount`"))?;
    let amount = decimal_of(amount).ok_or_else(|| {
        script_error(format!(
            "money amount must be a decimal, got {}",
            describe(amount)
        ))
    })?;
    let currency = map
        .get("currency")
        .and_then(|c| c.read_lock::<ImmutableString>().map(|s| s.to_string()))
        .ok_or_else(|| script_error("a money value needs a `currency` string such as \"EUR\""))?;
    let currency = Currency::from_code(&currency).map_err(|e| script_error(e.to_string()))?;
    Ok(Money::new(amount, currency))
}

fn decimal_of(value: &Dynamic) -> Option<Decimal> {
    if let Ok(d) = value.as_decimal() {
        Some(d)
    } else if let Ok(i) = value.as_int() {
        Some(Decimal::from(i))
    } else {
        decimal_of_string(value)
    }
}

fn to_map(m: Money) -> Map {
    money_map(m.amount(), m.currency())
}

fn crate_err(e: Error) -> Box<EvalAltResult> {
    script_error(e.to_string())
}

fn mode_of(name: &str) -> ScriptResult<RoundingMode> {
    RoundingMode::parse(name).map_err(crate_err)
}

fn percent(amount: Decimal, p: Decimal) -> ScriptResult<Decimal> {
    amount
        .checked_mul(p)
        .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
        .ok_or_else(|| script_error("arithmetic overflow in percent_of"))
}

pub(crate) fn div_ints(a: INT, b: INT) -> ScriptResult<Decimal> {
    if b == 0 {
        return Err(Box::new(EvalAltResult::ErrorArithmetic(
            "division by zero".to_string(),
            rhai::Position::NONE,
        )));
    }
    Decimal::from(a)
        .checked_div(Decimal::from(b))
        .map(|d| d.normalize())
        .ok_or_else(|| script_error("arithmetic overflow in division"))
}

/// Decimal division with the same errors as integer division.
pub(crate) fn div_decimals(a: Decimal, b: Decimal) -> ScriptResult<Decimal> {
    if b.is_zero() {
        return Err(Box::new(EvalAltResult::ErrorArithmetic(
            "division by zero".to_string(),
            rhai::Position::NONE,
        )));
    }
    a.checked_div(b)
        .ok_or_else(|| script_error("arithmetic overflow in division"))
}

fn shifted(t: Option<Timestamp>, what: &str) -> ScriptResult<Timestamp> {
    t.ok_or_else(|| {
        script_error(format!(
            "{what}: the result is out of the supported date range"
        ))
    })
}

/// Registers the six comparison operators for an `$a` and a `$b`, compared after `$convert`.
macro_rules! comparisons {
    ($engine:expr, $a:ty, $b:ty, $convert:expr) => {{
        let c = $convert;
        $engine.register_fn("==", move |a: $a, b: $b| {
            let (a, b) = c(a, b);
            a == b
        });
        $engine.register_fn("!=", move |a: $a, b: $b| {
            let (a, b) = c(a, b);
            a != b
        });
        $engine.register_fn("<", move |a: $a, b: $b| {
            let (a, b) = c(a, b);
            a < b
        });
        $engine.register_fn("<=", move |a: $a, b: $b| {
            let (a, b) = c(a, b);
            a <= b
        });
        $engine.register_fn(">", move |a: $a, b: $b| {
            let (a, b) = c(a, b);
            a > b
        });
        $engine.register_fn(">=", move |a: $a, b: $b| {
            let (a, b) = c(a, b);
            a >= b
        });
    }};
}

/// The meaning of the comparison operators (custom operators, see
/// [`runtime`](super::runtime)): two values of the same type, an integer with a decimal
/// (by value), and `()` with anything for `==` and `!=` (`()` equals only `()`: this is
/// how a hook tests an optional field that is `()`). Arrays and maps compare with `==`
/// and `!=` through the standard package, timestamps below. Any other pair has no
/// function, and the call fails with `policy.type_mismatch`.
fn register_comparisons(engine: &mut Engine) {
    comparisons!(engine, INT, INT, |a, b| (a, b));
    comparisons!(engine, Decimal, Decimal, |a, b| (a, b));
    comparisons!(engine, INT, Decimal, |a: INT, b| (Decimal::from(a), b));
    comparisons!(engine, Decimal, INT, |a, b: INT| (a, Decimal::from(b)));
    comparisons!(engine, ImmutableString, ImmutableString, |a, b| (a, b));
    comparisons!(engine, char, char, |a, b| (a, b));
    comparisons!(engine, bool, bool, |a, b| (a, b));
    engine.register_fn("==", |a: Dynamic, _: ()| a.is_unit());
    engine.register_fn("!=", |a: Dynamic, _: ()| !a.is_unit());
    engine.register_fn("==", |_: (), b: Dynamic| b.is_unit());
    engine.register_fn("!=", |_: (), b: Dynamic| !b.is_unit());
}

/// Registers the `Timestamp` type, the exact division and the helper functions into
/// `engine`.
///
/// The engine runs with rhai's fast operators on (built-in arithmetic and comparisons on
/// numbers, strings and booleans skip function lookup), which would make `/` on two
/// integers truncate. So `/` is not rhai's operator here: the symbol is disabled and
/// re-registered as a custom operator of the same precedence, and the functions below
/// are the only meaning it has. `/=` is refused when the script is compiled (see
/// [`runtime`](super::runtime)), because rhai's built-in `x /= y` on integers truncates
/// and cannot be overridden with fast operators on.
pub(crate) fn register(engine: &mut Engine) {
    // `/` is exact: 15 / 100 == 0.15, 7 / 2 == 3.5, and decimals mix with integers.
    engine.register_fn("/", div_ints);
    engine.register_fn("/", |a: Decimal, b: Decimal| div_decimals(a, b));
    engine.register_fn("/", |a: Decimal, b: INT| div_decimals(a, Decimal::from(b)));
    engine.register_fn("/", |a: INT, b: Decimal| div_decimals(Decimal::from(a), b));

    register_comparisons(engine);

    engine.register_type_with_name::<Timestamp>("Timestamp");
    engine.register_fn("==", |a: Timestamp, b: Timestamp| a == b);
    engine.register_fn("!=", |a: Timestamp, b: Timestamp| a != b);
    engine.register_fn("<", |a: Timestamp, b: Timestamp| a < b);
    engine.register_fn("<=", |a: Timestamp, b: Timestamp| a <= b);
    engine.register_fn(">", |a: Timestamp, b: Timestamp| a > b);
    engine.register_fn(">=", |a: Timestamp, b: Timestamp| a >= b);
    engine.register_fn("to_string", |t: &mut Timestamp| t.to_string());
    engine.register_fn("to_debug", |t: &mut Timestamp| t.to_string());
    engine.register_fn("days_until", |a: &mut Timestamp, b: Timestamp| {
        a.days_until(&b)
    });
    engine.register_fn("hours_until", |a: &mut Timestamp, b: Timestamp| {
        a.hours_until(&b)
    });
    engine.register_fn("minutes_until", |a: &mut Timestamp, b: Timestamp| {
        a.minutes_until(&b)
    });
    engine.register_fn("add_days", |t: &mut Timestamp, n: INT| add_days(t, n));
    engine.register_fn("add_hours", |t: &mut Timestamp, n: INT| add_hours(t, n));
    engine.register_fn("weekday", |t: &mut Timestamp| t.weekday());
    engine.register_fn("weekday_number", |t: &mut Timestamp| t.weekday_number());
    engine.register_fn("is_weekend", |t: &mut Timestamp| is_weekend(t));
    engine.register_fn("date", |t: &mut Timestamp| t.date());
    engine.register_fn("parse_timestamp", parse_timestamp);

    // Money.
    engine.register_fn("money", |amount: Decimal, currency: &str| {
        money_of(amount, currency)
    });
    engine.register_fn("money", |amount: INT, currency: &str| {
        money_of(Decimal::from(amount), currency)
    });
    engine.register_fn("money", money_of_text);
    engine.register_fn("is_money", |value: Dynamic| is_money(&value));
    engine.register_fn("round_money", |m: Map, mode: &str| round_money(&m, mode));
    engine.register_fn("round_money", |m: Map, dp: INT, mode: &str| {
        round_money_dp(&m, dp, mode)
    });
    engine.register_fn("round_dp", round_dp);
    engine.register_fn("percent_of", |m: Map, p: Decimal| percent_of_money(&m, p));
    engine.register_fn("percent_of", |m: Map, p: INT| {
        percent_of_money(&m, Decimal::from(p))
    });
    engine.register_fn("percent_of", percent);
    engine.register_fn("percent_of", |a: Decimal, p: INT| {
        percent(a, Decimal::from(p))
    });
    engine.register_fn("percent_of", |a: INT, p: Decimal| {
        percent(Decimal::from(a), p)
    });
    engine.register_fn("percent_of", |a: INT, p: INT| {
        percent(Decimal::from(a), Decimal::from(p))
    });
    engine.register_fn("money_add", |a: Map, b: Map| money_add(&a, &b));
    engine.register_fn("money_sub", |a: Map, b: Map| money_sub(&a, &b));
    engine.register_fn("money_mul", |a: Map, f: Decimal| money_mul(&a, f));
    engine.register_fn("money_mul", |a: Map, f: INT| {
        money_mul(&a, Decimal::from(f))
    });
    engine.register_fn("money_min", |a: Map, b: Map| money_min(&a, &b));
    engine.register_fn("money_max", |a: Map, b: Map| money_max(&a, &b));
    engine.register_fn("money_sum", |items: rhai::Array, currency: &str| {
        money_sum(&items, currency)
    });
}

// The helpers registered above, as plain functions: the registrations and the native
// evaluator's [`Helper::call`] run the same code.

fn add_days(t: &Timestamp, n: INT) -> ScriptResult<Timestamp> {
    shifted(t.add_days(n), "add_days")
}

fn add_hours(t: &Timestamp, n: INT) -> ScriptResult<Timestamp> {
    shifted(t.add_hours(n), "add_hours")
}

fn is_weekend(t: &Timestamp) -> bool {
    t.weekday_number() >= 6
}

fn parse_timestamp(s: &str) -> ScriptResult<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| Timestamp(t.with_timezone(&Utc)))
        .map_err(|e| {
            script_error(format!(
                "parse_timestamp: `{s}` is not an RFC 3339 date-time ({e})"
            ))
        })
}

fn money_of(amount: Decimal, currency: &str) -> ScriptResult<Map> {
    let c = Currency::from_code(currency).map_err(crate_err)?;
    Ok(money_map(amount, c))
}

fn money_of_text(amount: &str, currency: &str) -> ScriptResult<Map> {
    let c = Currency::from_code(currency).map_err(crate_err)?;
    let d = amount
        .parse::<Decimal>()
        .map_err(|_| script_error(format!("money: `{amount}` is not a decimal amount")))?;
    Ok(money_map(d, c))
}

fn is_money(value: &Dynamic) -> bool {
    value
        .read_lock::<Map>()
        .is_some_and(|m| m.len() == 2 && money_of_map(&m).is_ok())
}

fn round_money(m: &Map, mode: &str) -> ScriptResult<Map> {
    let money = money_of_map(m)?;
    Ok(to_map(money.round(mode_of(mode)?).map_err(crate_err)?))
}

fn round_money_dp(m: &Map, dp: INT, mode: &str) -> ScriptResult<Map> {
    let money = money_of_map(m)?;
    let dp = u32::try_from(dp)
        .ok()
        .filter(|dp| *dp <= 28)
        .ok_or_else(|| {
            script_error(format!(
                "round_money: {dp} decimal places is outside 0..=28"
            ))
        })?;
    Ok(to_map(money.round_dp(dp, mode_of(mode)?)))
}

fn round_dp(d: Decimal, dp: INT, mode: &str) -> ScriptResult<Decimal> {
    let dp = u32::try_from(dp)
        .ok()
        .filter(|dp| *dp <= 28)
        .ok_or_else(|| script_error(format!("round_dp: {dp} decimal places is outside 0..=28")))?;
    Ok(mode_of(mode)?.round_dp(d, dp))
}

fn percent_of_money(m: &Map, p: Decimal) -> ScriptResult<Map> {
    let money = money_of_map(m)?;
    Ok(money_map(percent(money.amount(), p)?, money.currency()))
}

fn money_add(a: &Map, b: &Map) -> ScriptResult<Map> {
    let sum = money_of_map(a)?
        .checked_add(money_of_map(b)?)
        .map_err(crate_err)?;
    Ok(to_map(sum))
}

fn money_sub(a: &Map, b: &Map) -> ScriptResult<Map> {
    let diff = money_of_map(a)?
        .checked_sub(money_of_map(b)?)
        .map_err(crate_err)?;
    Ok(to_map(diff))
}

fn money_mul(a: &Map, f: Decimal) -> ScriptResult<Map> {
    Ok(to_map(money_of_map(a)?.checked_mul(f).map_err(crate_err)?))
}

fn money_min(a: &Map, b: &Map) -> ScriptResult<Map> {
    let (x, y) = (money_of_map(a)?, money_of_map(b)?);
    Ok(to_map(x.checked_min(y).map_err(crate_err)?))
}

fn money_max(a: &Map, b: &Map) -> ScriptResult<Map> {
    let (x, y) = (money_of_map(a)?, money_of_map(b)?);
    let ordering = x.checked_cmp(&y).map_err(crate_err)?;
    Ok(to_map(if ordering.is_lt() { y } else { x }))
}

fn money_sum(items: &[Dynamic], currency: &str) -> ScriptResult<Map> {
    let c = Currency::from_code(currency).map_err(crate_err)?;
    let mut total = Money::zero(c);
    for item in items {
        let m = item
            .read_lock::<Map>()
            .ok_or_else(|| {
                script_error(format!(
                    "money_sum: expected money maps, got {}",
                    describe(item)
                ))
            })
            .and_then(|m| money_of_map(&m))?;
        total = total.checked_add(m).map_err(crate_err)?;
    }
    Ok(to_map(total))
}

/// The helpers of [`register`] the native evaluator calls itself (`policy::native`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Helper {
    DaysUntil,
    HoursUntil,
    MinutesUntil,
    AddDays,
    AddHours,
    Weekday,
    WeekdayNumber,
    IsWeekend,
    Date,
    ParseTimestamp,
    Money,
    IsMoney,
    RoundMoney,
    RoundDp,
    PercentOf,
    MoneyAdd,
    MoneySub,
    MoneyMul,
    MoneyMin,
    MoneyMax,
    MoneySum,
}

/// An argument as one of the types a registration takes.
enum Typed<'a> {
    Int(INT),
    Dec(Decimal),
    Str(&'a str),
    Stamp(&'a Timestamp),
    Map(&'a Map),
    Array(&'a [Dynamic]),
    Other,
}

impl Helper {
    /// The helper called `name` with `arity` arguments (method-style calls count the
    /// object), when [`register`] registers one.
    pub(crate) fn named(name: &str, arity: usize) -> Option<Helper> {
        use Helper as H;
        Some(match (name, arity) {
            ("days_until", 2) => H::DaysUntil,
            ("hours_until", 2) => H::HoursUntil,
            ("minutes_until", 2) => H::MinutesUntil,
            ("add_days", 2) => H::AddDays,
            ("add_hours", 2) => H::AddHours,
            ("weekday", 1) => H::Weekday,
            ("weekday_number", 1) => H::WeekdayNumber,
            ("is_weekend", 1) => H::IsWeekend,
            ("date", 1) => H::Date,
            ("parse_timestamp", 1) => H::ParseTimestamp,
            ("money", 2) => H::Money,
            ("is_money", 1) => H::IsMoney,
            ("round_money", 2 | 3) => H::RoundMoney,
            ("round_dp", 3) => H::RoundDp,
            ("percent_of", 2) => H::PercentOf,
            ("money_add", 2) => H::MoneyAdd,
            ("money_sub", 2) => H::MoneySub,
            ("money_mul", 2) => H::MoneyMul,
            ("money_min", 2) => H::MoneyMin,
            ("money_max", 2) => H::MoneyMax,
            ("money_sum", 2) => H::MoneySum,
            _ => return None,
        })
    }

    /// Calls the helper as rhai would call its registration: `None` when no registration
    /// takes arguments of these types (rhai reports the function as not found), else the
    /// value or the error the registration gives.
    pub(crate) fn call(self, args: &[Dynamic]) -> Option<ScriptResult<Dynamic>> {
        use Helper as H;
        use Typed as T;
        fn typed<R>(v: &Dynamic, f: impl FnOnce(Typed<'_>) -> R) -> R {
            if let Ok(i) = v.as_int() {
                return f(Typed::Int(i));
            }
            if let Ok(d) = v.as_decimal() {
                return f(Typed::Dec(d));
            }
            if let Some(s) = v.read_lock::<ImmutableString>() {
                return f(Typed::Str(s.as_str()));
            }
            if let Some(t) = v.read_lock::<Timestamp>() {
                return f(Typed::Stamp(&t));
            }
            if let Some(m) = v.read_lock::<Map>() {
                return f(Typed::Map(&m));
            }
            if let Some(a) = v.read_lock::<rhai::Array>() {
                return f(Typed::Array(&a));
            }
            f(Typed::Other)
        }
        fn ok<T: rhai::Variant + Clone>(v: T) -> Option<ScriptResult<Dynamic>> {
            Some(Ok(Dynamic::from(v)))
        }
        fn map(r: ScriptResult<Map>) -> Option<ScriptResult<Dynamic>> {
            Some(r.map(Dynamic::from_map))
        }
        fn stamp(r: ScriptResult<Timestamp>) -> Option<ScriptResult<Dynamic>> {
            Some(r.map(Dynamic::from))
        }
        match args {
            [a] => typed(a, |a| match (self, a) {
                (H::Weekday, T::Stamp(t)) => ok(ImmutableString::from(t.weekday())),
                (H::WeekdayNumber, T::Stamp(t)) => Some(Ok(Dynamic::from_int(t.weekday_number()))),
                (H::IsWeekend, T::Stamp(t)) => Some(Ok(Dynamic::from_bool(is_weekend(t)))),
                (H::Date, T::Stamp(t)) => ok(ImmutableString::from(t.date())),
                (H::ParseTimestamp, T::Str(s)) => stamp(parse_timestamp(s)),
                (H::IsMoney, _) => Some(Ok(Dynamic::from_bool(is_money(args.first()?)))),
                _ => None,
            }),
            [a, b] => typed(a, |a| {
                typed(b, |b| match (self, a, b) {
                    (H::DaysUntil, T::Stamp(x), T::Stamp(y)) => {
                        Some(Ok(Dynamic::from_int(x.days_until(y))))
                    }
                    (H::HoursUntil, T::Stamp(x), T::Stamp(y)) => {
                        Some(Ok(Dynamic::from_int(x.hours_until(y))))
                    }
                    (H::MinutesUntil, T::Stamp(x), T::Stamp(y)) => {
                        Some(Ok(Dynamic::from_int(x.minutes_until(y))))
                    }
                    (H::AddDays, T::Stamp(t), T::Int(n)) => stamp(add_days(t, n)),
                    (H::AddHours, T::Stamp(t), T::Int(n)) => stamp(add_hours(t, n)),
                    (H::Money, T::Dec(d), T::Str(c)) => map(money_of(d, c)),
                    (H::Money, T::Int(i), T::Str(c)) => map(money_of(Decimal::from(i), c)),
                    (H::Money, T::Str(s), T::Str(c)) => map(money_of_text(s, c)),
                    (H::RoundMoney, T::Map(m), T::Str(mode)) => map(round_money(m, mode)),
                    (H::PercentOf, T::Map(m), T::Dec(p)) => map(percent_of_money(m, p)),
                    (H::PercentOf, T::Map(m), T::Int(p)) => {
                        map(percent_of_money(m, Decimal::from(p)))
                    }
                    (H::PercentOf, T::Dec(x), T::Dec(p)) => {
                        Some(percent(x, p).map(Dynamic::from_decimal))
                    }
                    (H::PercentOf, T::Dec(x), T::Int(p)) => {
                        Some(percent(x, Decimal::from(p)).map(Dynamic::from_decimal))
                    }
                    (H::PercentOf, T::Int(x), T::Dec(p)) => {
                        Some(percent(Decimal::from(x), p).map(Dynamic::from_decimal))
                    }
                    (H::PercentOf, T::Int(x), T::Int(p)) => {
                        Some(percent(Decimal::from(x), Decimal::from(p)).map(Dynamic::from_decimal))
                    }
                    (H::MoneyAdd, T::Map(x), T::Map(y)) => map(money_add(x, y)),
                    (H::MoneySub, T::Map(x), T::Map(y)) => map(money_sub(x, y)),
                    (H::MoneyMul, T::Map(x), T::Dec(f)) => map(money_mul(x, f)),
                    (H::MoneyMul, T::Map(x), T::Int(f)) => map(money_mul(x, Decimal::from(f))),
                    (H::MoneyMin, T::Map(x), T::Map(y)) => map(money_min(x, y)),
                    (H::MoneyMax, T::Map(x), T::Map(y)) => map(money_max(x, y)),
                    (H::MoneySum, T::Array(items), T::Str(c)) => map(money_sum(items, c)),
                    _ => None,
                })
            }),
            [a, b, c] => typed(a, |a| {
                typed(b, |b| {
                    typed(c, |c| match (self, a, b, c) {
                        (H::RoundMoney, T::Map(m), T::Int(dp), T::Str(mode)) => {
                            map(round_money_dp(m, dp, mode))
                        }
                        (H::RoundDp, T::Dec(d), T::Int(dp), T::Str(mode)) => {
                            Some(round_dp(d, dp, mode).map(Dynamic::from_decimal))
                        }
                        _ => None,
                    })
                })
            }),
            _ => None,
        }
    }
}
