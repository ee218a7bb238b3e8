//! The crate's error type and the structured [`Diagnostic`] used by policies.
//!
//! Every [`Error`] variant names the field or value that was wrong, so that a message can
//! be shown to a caller as-is and a program can branch on [`Error::code`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// Everything that can go wrong in `backoffice`.
///
/// Each variant's message names the offending field and value. [`Error::code`] gives a
/// stable snake_case identifier for programs (and for the C ABI's error objects), and
/// [`Error::field`] the input field at fault when there is one.
///
/// ```
/// use backoffice::{Currency, Error};
/// let err = Currency::from_code("XYZ").unwrap_err();
/// assert_eq!(err.code(), "unknown_currency");
/// assert_eq!(err.to_string(), "unknown currency code `XYZ` (not in ISO 4217 List One)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A currency code (alpha or numeric) that ISO 4217 List One does not contain.
    #[error("unknown currency code `{code}` (not in ISO 4217 List One)")]
    UnknownCurrency {
        /// The code as it was given.
        code: String,
    },

    /// Two amounts in different currencies were combined without a conversion.
    #[error(
        "currency mismatch in {operation}: {left} vs {right}; convert one side explicitly first"
    )]
    CurrencyMismatch {
        /// What was being done (`add`, `compare`, a field name, ...).
        operation: String,
        /// Currency of the left-hand amount.
        left: String,
        /// Currency of the right-hand amount.
        right: String,
    },

    /// A computation left the range of `Decimal` or `i64`.
    #[error("arithmetic overflow in {operation}{}", field_suffix(field.as_deref()))]
    Overflow {
        /// The operation that overflowed.
        operation: String,
        /// The input field whose value made it overflow, when known (see
        /// [`Error::in_field`]).
        field: Option<String>,
    },

    /// Rounding to a minor unit was asked of a currency that has none (XAU, XXX, ...).
    #[error("currency {currency} has no minor unit, so an amount in it cannot be rounded to one; use round_dp with an explicit scale")]
    NoMinorUnit {
        /// The currency's alpha code.
        currency: String,
    },

    /// An input value is malformed or out of range.
    #[error("invalid `{field}`: {message}")]
    InvalidInput {
        /// Path of the offending field, e.g. `lines[2].quantity`.
        field: String,
        /// What was wrong with it, including the value.
        message: String,
    },

    /// No exchange rate is available for a currency pair at a time.
    #[error("no exchange rate for {from}->{to} at or before {at}")]
    MissingRate {
        /// Source currency.
        from: String,
        /// Target currency.
        to: String,
        /// The time the rate was needed for (RFC 3339).
        at: String,
    },

    /// The newest usable rate is older than the configured maximum age.
    #[error("exchange rate {from}->{to} as of {as_of} is stale at {at} (maximum age {max_age_seconds} s)")]
    StaleRate {
        /// Source currency.
        from: String,
        /// Target currency.
        to: String,
        /// When the rate was quoted (RFC 3339).
        as_of: String,
        /// The time the rate was needed for (RFC 3339).
        at: String,
        /// The configured maximum age in seconds.
        max_age_seconds: i64,
    },

    /// A JSON document could not be read into the expected shape.
    ///
    /// With a `path`, the message reads `window.default_days: expected a number of days
    /// ≥ 0 or "unlimited", got -5`; without one (a syntax error, or a problem with the
    /// document as a whole), `invalid JSON at line 1, column 7: ...`.
    #[error("{}", render_json_error(path.as_deref(), message, *line, *column))]
    Json {
        /// What is wrong and what is allowed, in words (no Rust type names): it names
        /// unknown or missing fields and the value that was given.
        message: String,
        /// The JSON path of the offending value (`items[2].quantity`), when the document
        /// parsed but a value in it has the wrong shape; [`Error::field`] returns it.
        path: Option<String>,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
    },

    /// A policy failed to compile, to bind to an engine, or to run.
    #[error("{}", render_diagnostics(diagnostics))]
    Policy {
        /// Every problem found, each with its position.
        diagnostics: Vec<Diagnostic>,
    },

    /// A request was well-formed but the engine refuses it for a business reason
    /// (e.g. an over-refund or an idempotency conflict).
    #[error("{message}")]
    Rejected {
        /// Stable snake_case code, e.g. `over_refund`.
        code: String,
        /// The field at fault.
        field: String,
        /// What happened and what to do next.
        message: String,
    },
}

fn location_suffix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

fn field_suffix(field: Option<&str>) -> String {
    field.map_or_else(String::new, |field| format!(" (field `{field}`)"))
}

fn render_json_error(
    path: Option<&str>,
    message: &str,
    line: Option<usize>,
    column: Option<usize>,
) -> String {
    match path {
        Some(path) => format!("{path}: {message}"),
        None => format!("invalid JSON{}: {message}", location_suffix(line, column)),
    }
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return "policy error".to_string();
    }
    diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// A stable snake_case identifier for the kind of error.
    pub fn code(&self) -> &str {
        match self {
            Error::UnknownCurrency { .. } => "unknown_currency",
            Error::CurrencyMismatch { .. } => "currency_mismatch",
            Error::Overflow { .. } => "overflow",
            Error::NoMinorUnit { .. } => "no_minor_unit",
            Error::InvalidInput { .. } => "invalid_input",
            Error::MissingRate { .. } => "missing_rate",
            Error::StaleRate { .. } => "stale_rate",
            Error::Json { .. } => "invalid_json",
            Error::Policy { .. } => "policy_error",
            Error::Rejected { code, .. } => code,
        }
    }

    /// The input field at fault, when the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { field, .. } | Error::Rejected { field, .. } => Some(field),
            Error::Json { path, .. } => path.as_deref(),
            Error::Overflow { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The policy diagnostics carried by [`Error::Policy`] (empty for other variants).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Policy { diagnostics } => diagnostics,
            _ => &[],
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Overflow`].
    pub fn overflow(operation: impl Into<String>) -> Self {
        Error::Overflow {
            operation: operation.into(),
            field: None,
        }
    }

    /// Names the input field an [`Error::Overflow`] came from (`items[0].unit_price`), so
    /// that [`Error::field`] returns it; an overflow that already names one keeps it, and
    /// other errors are returned unchanged.
    ///
    /// ```
    /// use backoffice::Error;
    /// let err = Error::overflow("multiply").in_field("order.lines[0].unit_price");
    /// assert_eq!(err.field(), Some("order.lines[0].unit_price"));
    /// assert_eq!(err.to_string(), "arithmetic overflow in multiply (field `order.lines[0].unit_price`)");
    /// ```
    #[must_use]
    pub fn in_field(self, name: impl Into<String>) -> Self {
        match self {
            Error::Overflow {
                operation,
                field: None,
            } => Error::Overflow {
                operation,
                field: Some(name.into()),
            },
            other => other,
        }
    }

    /// Converts a `serde_json` error, keeping its position. The message says what was
    /// expected in words (`expected a non-negative integer, got string "two"`), not in
    /// Rust type names.
    pub fn from_json(err: &serde_json::Error) -> Self {
        let (line, column) = if err.line() == 0 {
            (None, None)
        } else {
            (Some(err.line()), Some(err.column()))
        };
        Error::Json {
            message: rewrite_serde_words(&strip_position(&err.to_string())),
            path: None,
            line,
            column,
        }
    }

    /// Converts a `serde_json` error found by
    /// [`serde_path_to_error`](https://docs.rs/serde_path_to_error), keeping the JSON
    /// path of the offending value as [`Error::field`]. An error about the document as a
    /// whole has no path. A syntax error inside a value has the path of that value and
    /// keeps its position in the message (`order.lines: expected value at line 3, column
    /// 9`); a path deeper than 8 steps (input nested thousands of levels deep) is cut to
    /// its first 8.
    pub fn from_json_at(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        const MAX_STEPS: usize = 8;
        let mut path = String::new();
        for (index, segment) in err.path().iter().take(MAX_STEPS).enumerate() {
            let is_index = matches!(segment, serde_path_to_error::Segment::Seq { .. });
            if index > 0 && !is_index {
                path.push('.');
            }
            path.push_str(&segment.to_string());
        }
        let inner = err.inner();
        let mut converted = Error::from_json(inner);
        if let Error::Json {
            path: slot,
            message,
            line,
            column,
        } = &mut converted
        {
            if !path.is_empty() {
                if inner.is_syntax() || inner.is_eof() {
                    message.push_str(&location_suffix(*line, *column));
                }
                *slot = Some(path);
            }
        }
        converted
    }

    /// An [`Error::Json`] about the document as a whole or one named part of it (`config`,
    /// `options`): `config: expected a JSON object ({} for the defaults), got an array`.
    pub fn json_shape(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Json {
            message: message.into(),
            path: Some(path.into()),
            line: None,
            column: None,
        }
    }

    /// A JSON object describing the error: `{code, message, field?, diagnostics}`.
    ///
    /// This is the shape the C ABI and the CLI print.
    pub fn to_json_value(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("code".into(), self.code().into());
        map.insert("message".into(), self.to_string().into());
        if let Some(field) = self.field() {
            map.insert("field".into(), field.into());
        }
        let diagnostics = serde_json::to_value(self.diagnostics())
            .unwrap_or_else(|_| serde_json::Value::Array(Vec::new()));
        map.insert("diagnostics".into(), diagnostics);
        serde_json::Value::Object(map)
    }
}

/// Rewrites serde's messages so that they say what is allowed in words, with no Rust type
/// names: `invalid type: string "two", expected u32` becomes
/// `expected a non-negative integer, got string "two"`.
fn rewrite_serde_words(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((got, expected)) = rest.split_once(", expected ") {
                return format!(
                    "expected {}, got {}",
                    expected_in_words(expected),
                    unexpected_in_words(got)
                );
            }
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((length, expected)) = rest.split_once(", expected ") {
            return format!(
                "expected {}, got {length} elements",
                expected_in_words(expected)
            );
        }
    }
    if let Some(name) = message.strip_prefix("data did not match any variant of untagged enum ") {
        return format!(
            "the value has none of the allowed forms of {}",
            words_for_type(name)
        );
    }
    // chrono's parse errors, from a date and time field.
    if matches!(
        message,
        "input contains invalid characters"
            | "premature end of input"
            | "trailing input"
            | "input is out of range"
            | "input is not enough for unique date and time"
            | "no possible date and time matching input"
    ) {
        return format!(
            "expected a date and time such as \"2025-03-10T09:00:00Z\" (RFC 3339, with a time zone offset): {message}"
        );
    }
    match message {
        "recursion limit exceeded" => {
            "nested too deeply (at most 128 levels of arrays and objects)".to_string()
        }
        "number out of range" => "number out of range".to_string(),
        _ => message.to_string(),
    }
}

/// serde's "expected" text (a visitor's `expecting`) in words.
fn expected_in_words(expected: &str) -> String {
    let words = match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a non-negative integer (at most 4294967295)",
        "u64" | "u128" | "usize" => "a non-negative integer",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer",
        "f32" | "f64" => "a number",
        "a borrowed string" | "a string" => "a string",
        "a character" | "char" => "a single character",
        "a sequence" => "an array",
        "a map" => "an object",
        "unit" => "null",
        "option" => "a value or null",
        "a boolean" | "bool" => "true or false",
        "variant identifier" | "field identifier" => "a name (a string)",
        _ => "",
    };
    if !words.is_empty() {
        return words.to_string();
    }
    for prefix in [
        "struct variant ",
        "tuple variant ",
        "newtype variant ",
        "unit variant ",
    ] {
        if expected.starts_with(prefix) {
            return "an object".to_string();
        }
    }
    // `struct X with 2 elements`: an array was given where an object belongs.
    let expected = match expected.split_once(" with ") {
        Some((name, count)) if count.ends_with(" elements") || count.ends_with(" element") => name,
        _ => expected,
    };
    if let Some(name) = expected
        .strip_prefix("struct ")
        .or_else(|| expected.strip_prefix("internally tagged enum "))
        .or_else(|| expected.strip_prefix("adjacently tagged enum "))
    {
        return format!("an object ({})", words_for_type(name));
    }
    if let Some(name) = expected.strip_prefix("enum ") {
        return format!("one of the names of {}", words_for_type(name));
    }
    if expected.starts_with("tuple struct ") || expected.starts_with("a tuple of size ") {
        return "an array".to_string();
    }
    if let Some(name) = expected.strip_prefix("newtype struct ") {
        return words_for_type(name);
    }
    if let Some(name) = expected.strip_prefix("unit struct ") {
        return format!("null ({})", words_for_type(name));
    }
    expected.to_string()
}

/// serde's description of the value that was given, in JSON's words.
fn unexpected_in_words(got: &str) -> String {
    match got {
        "unit value" | "null" => "null".to_string(),
        "sequence" => "an array".to_string(),
        "map" => "an object".to_string(),
        "Option value" => "a value".to_string(),
        _ => {
            if let Some(number) = got.strip_prefix("floating point ") {
                format!("number {}", number.trim_matches('`'))
            } else if let Some(number) = got.strip_prefix("integer ") {
                format!("integer {}", number.trim_matches('`'))
            } else if let Some(value) = got.strip_prefix("boolean ") {
                value.trim_matches('`').to_string()
            } else {
                got.to_string()
            }
        }
    }
}

/// A Rust type name as a reader of the JSON knows it: `ReturnsConfig` becomes
/// "returns config", `WindowLength` "window length".
fn words_for_type(name: &str) -> String {
    let mut words = String::with_capacity(name.len() + 4);
    for (index, c) in name.trim().chars().enumerate() {
        if c.is_uppercase() {
            if index > 0 {
                words.push(' ');
            }
            words.extend(c.to_lowercase());
        } else {
            words.push(c);
        }
    }
    let article = if words.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {words}")
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message.get(..idx).unwrap_or(message).to_string(),
        None => message.to_string(),
    }
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The policy cannot be used.
    Error,
    /// The policy works but something looks wrong.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A structured problem found in a policy: at compile time, when binding it to an engine,
/// or while running one of its hooks.
///
/// `Display` renders it rustc-style:
///
/// ```text
/// error[policy.unknown_hook]: `fn refund_amount` is not a hook of the returns engine
///  --> loyalty.rhai:3:1
///   |
/// 3 | fn refund_amount(item) { 0 }
///   | ^^^^^^^^^^^^^^^^^^^^^^
///   = help: known hooks: eligibility/2, window_days/2; prefix private helpers with `_`
/// ```
///
/// The carets cover the span from (`line`, `column`) to (`end_line`, `end_column`): the
/// whole offending token or expression. [`Diagnostic::at`] finds the token at a position
/// by itself; [`Diagnostic::at_expression`] and [`Diagnostic::spanning`] cover more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code such as `policy.syntax` or `policy.limit.operations`.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it, when there is advice to give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Name of the policy (usually its file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The hook that was running, for runtime errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<String>,
    /// 1-based line in the policy source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in the policy source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The source line the position points into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// 1-based line where the offending span ends (the same as `line` for one token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// 1-based column just past the span's last character on `end_line` (exclusive, as
    /// rustc's `column_end`): a three-character token at column 5 ends at column 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
}

impl Diagnostic {
    /// A new error-severity diagnostic with no position.
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.into(),
            severity: Severity::Error,
            message: message.into(),
            help: None,
            policy: None,
            hook: None,
            line: None,
            column: None,
            snippet: None,
            end_line: None,
            end_column: None,
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the policy name.
    pub fn with_policy(mut self, policy: impl Into<String>) -> Self {
        self.policy = Some(policy.into());
        self
    }

    /// Sets the hook name.
    pub fn with_hook(mut self, hook: impl Into<String>) -> Self {
        self.hook = Some(hook.into());
        self
    }

    /// Sets the position, takes the snippet from `source` (the whole policy text) and
    /// spans the token that starts there (a word, a number, a string literal, an
    /// operator).
    ///
    /// ```
    /// use backoffice::Diagnostic;
    /// let d = Diagnostic::error("policy.undefined_variable", "undefined variable `limit`")
    ///     .at(1, 13, "let x = 1 + limit;");
    /// assert_eq!((d.line, d.column, d.end_line, d.end_column), (Some(1), Some(13), Some(1), Some(18)));
    /// ```
    pub fn at(mut self, line: u32, column: u32, source: &str) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self.snippet = line
            .checked_sub(1)
            .and_then(|idx| source.lines().nth(idx as usize))
            .map(str::to_string);
        let end = self
            .snippet
            .as_deref()
            .and_then(|text| span::token_end(text, column));
        self.end_line = end.map(|_| line);
        self.end_column = end;
        self
    }

    /// Like [`Diagnostic::at`], but spans the whole expression (or statement) that starts
    /// at the position: up to the `;` or `,` that ends it, or the bracket that closes
    /// around it, across lines.
    ///
    /// ```
    /// use backoffice::Diagnostic;
    /// let source = "fn fee(item) {\n    return #{ percent: \"ten\" };\n}";
    /// let d = Diagnostic::error("policy.bad_return", "not a number").at_expression(2, 12, source);
    /// assert_eq!((d.end_line, d.end_column), (Some(2), Some(31)));
    /// ```
    pub fn at_expression(self, line: u32, column: u32, source: &str) -> Self {
        let end = span::expression_end(source, line, column);
        let located = self.at(line, column, source);
        match end {
            Some((end_line, end_column)) => located.spanning(end_line, end_column),
            None => located,
        }
    }

    /// Sets where the span ends (see [`Diagnostic::end_column`]); ignored unless the
    /// diagnostic has a position and the end lies after it.
    pub fn spanning(mut self, end_line: u32, end_column: u32) -> Self {
        if let (Some(line), Some(column)) = (self.line, self.column) {
            if (end_line, end_column) > (line, column) {
                self.end_line = Some(end_line);
                self.end_column = Some(end_column);
            }
        }
        self
    }

    /// How many carets the rendering draws under the snippet: the span's width on its
    /// first line, at least one.
    fn caret_width(&self, snippet: &str, column: u32) -> usize {
        let start = column.saturating_sub(1) as usize;
        let width = match (self.line, self.end_line, self.end_column) {
            (Some(line), Some(end_line), Some(end_column)) if end_line == line => {
                end_column.saturating_sub(column) as usize
            }
            // A span over several lines: underline the rest of the first line.
            (Some(line), Some(end_line), Some(_)) if end_line > line => {
                snippet.trim_end().chars().count().saturating_sub(start)
            }
            _ => 1,
        };
        width.max(1)
    }
}

/// Finding where a token or an expression of policy text ends, from the text alone.
mod span {
    /// The column just past the token that starts at `column` (1-based, in characters)
    /// of `line`; `None` when the column is not inside the line.
    pub(super) fn token_end(line: &str, column: u32) -> Option<u32> {
        let chars: Vec<char> = line.chars().collect();
        let start = column.checked_sub(1)? as usize;
        let first = *chars.get(start)?;
        let len = token_len(&chars, start, first);
        u32::try_from(start + len.max(1) + 1).ok()
    }

    fn token_len(chars: &[char], start: usize, first: char) -> usize {
        let rest = chars.get(start..).unwrap_or(&[]);
        if first.is_alphanumeric() || first == '_' {
            // Words and numbers (`12.50`, `1_000` and `2e3` included).
            rest.iter()
                .take_while(|c| {
                    c.is_alphanumeric() || **c == '_' || **c == '.' && first.is_ascii_digit()
                })
                .count()
        } else if matches!(first, '"' | '`' | '\'') {
            string_len(rest, first)
        } else {
            const OPERATORS: &[&str] = &[
                "...", "..=", "**=", "<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=",
                "*=", "/=", "%=", "|=", "&=", "^=", "**", "<<", ">>", "..", "::", "?.", "?[", "??",
                "=>", "->", "#{", "()",
            ];
            OPERATORS
                .iter()
                .find(|op| {
                    op.chars().count() <= rest.len() && op.chars().zip(rest).all(|(a, b)| a == *b)
                })
                .map_or(1, |op| op.chars().count())
        }
    }

    /// The length of a string literal opened by `quote` at `rest[0]`, closing quote
    /// included; the rest of the line when it is not closed on it.
    fn string_len(rest: &[char], quote: char) -> usize {
        let mut escaped = false;
        for (i, c) in rest.iter().enumerate().skip(1) {
            if escaped {
                escaped = false;
            } else if *c == '\\' && quote != '`' {
                escaped = true;
            } else if *c == quote {
                return i + 1;
            }
        }
        rest.len()
    }

    /// Where the expression starting at (`line`, `column`) of `source` ends, as
    /// (line, column just past its last character): at the first `;` or `,` outside
    /// brackets, or before a bracket that closes one opened before the expression.
    pub(super) fn expression_end(source: &str, line: u32, column: u32) -> Option<(u32, u32)> {
        let mut depth: usize = 0;
        let mut end: Option<(u32, u32)> = None;
        let first_line = line.checked_sub(1)? as usize;
        for (index, text) in source.lines().enumerate().skip(first_line) {
            let number = u32::try_from(index + 1).ok()?;
            let chars: Vec<char> = text.chars().collect();
            let mut i = if index == first_line {
                column.checked_sub(1)? as usize
            } else {
                0
            };
            while let Some(&c) = chars.get(i) {
                let len = match c {
                    _ if c.is_whitespace() => {
                        i += 1;
                        continue;
                    }
                    '/' if chars.get(i + 1) == Some(&'/') => break,
                    ';' | ',' if depth == 0 => return end,
                    '(' | '[' | '{' => {
                        depth += 1;
                        1
                    }
                    ')' | ']' | '}' => {
                        if depth == 0 {
                            return end;
                        }
                        depth -= 1;
                        1
                    }
                    _ => {
                        let len = token_len(&chars, i, c).max(1);
                        // `#{` and `?[` open brackets too.
                        if matches!(c, '#' | '?') && matches!(chars.get(i + 1), Some('{' | '[')) {
                            depth += 1;
                        }
                        len
                    }
                };
                i += len;
                end = Some((number, u32::try_from(i + 1).ok()?));
            }
        }
        end
    }
}

/// The candidate most like `name`, for "did you mean" advice: the one with the fewest
/// single-character edits (insertions, deletions, substitutions, and swaps of two
/// neighbours), when that is at most a third of the name's length (at least one edit).
/// Ties go to the earliest candidate; `name` itself is never suggested.
///
/// ```
/// use backoffice::error::closest_name;
/// let hooks = ["eligible", "rank", "chain"];
/// assert_eq!(closest_name("eligble", hooks), Some("eligible"));
/// assert_eq!(closest_name("score", hooks), None);
/// ```
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = edit_distance(name, candidate);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance between `a` and `b`, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows of the dynamic-programming table: two back and one back.
    let mut two_back: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let deletion = previous.get(j + 1).copied().unwrap_or(0) + 1;
            let insertion = row.get(j).copied().unwrap_or(0) + 1;
            let mut best = substitution.min(deletion).min(insertion);
            let swapped = i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca);
            if swapped {
                best = best.min(two_back.get(j - 1).copied().unwrap_or(0) + 1);
            }
            row.push(best);
        }
        two_back = std::mem::replace(&mut previous, row);
    }
    previous.get(b.len()).copied().unwrap_or(0)
}

/// A diagnostic is an error on its own too, so `?` works with `Box<dyn Error>` (e.g. on
/// the result of [`Policy::call`](crate::policy::Policy::call)).
impl std::error::Error for Diagnostic {}

impl From<Diagnostic> for Error {
    fn from(diagnostic: Diagnostic) -> Self {
        Error::Policy {
            diagnostics: vec![diagnostic],
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        let name = self.policy.as_deref().unwrap_or("<policy>");
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "\n --> {name}:{line}:{column}")?;
                if let Some(snippet) = &self.snippet {
                    let gutter = line.to_string();
                    let pad = " ".repeat(gutter.len());
                    // The caret sits under the column, counted in characters.
                    let caret_pad: String = snippet
                        .chars()
                        .take(column.saturating_sub(1) as usize)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    let carets = "^".repeat(self.caret_width(snippet, column));
                    write!(
                        f,
                        "\n{pad} |\n{gutter} | {snippet}\n{pad} | {caret_pad}{carets}"
                    )?;
                }
            }
            (Some(line), None) => write!(f, "\n --> {name}:{line}")?,
            _ => {
                if self.policy.is_some() {
                    write!(f, "\n --> {name}")?;
                }
            }
        }
        if let Some(hook) = &self.hook {
            write!(f, "\n  = in hook `{hook}`")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}
