//! Python objects to JSON and back.
//!
//! Requests go in as Python values (dicts, lists, `str`, `int`, `bool`, `None`,
//! `decimal.Decimal`, `datetime.datetime`, `datetime.date`) and become the JSON the engines
//! read: a `Decimal` becomes its exact decimal text, an aware `datetime` its ISO 8601 text
//! (any offset; the engines convert to UTC), a `date` `YYYY-MM-DD`.
//!
//! Decisions come back as Python values with typed leaves chosen by the field's name, the
//! same names in every engine's JSON shape: amounts, rates and percentages (`amount`,
//! `rate`, `rate_used`, `capture_rate`, `distance_km`, `*_percent`) become `Decimal`,
//! timestamps (`now`, `deadline`, `*_at`, `*as_of`) aware UTC `datetime`s, and dates
//! (`*_date`, `last_day`) `date`s. A string under such a name that does not parse stays a
//! string. Non-integral JSON numbers become `Decimal`, never `float`.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyAny, PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

static DECIMAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn class<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    module: &str,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.import(py, module, name)
}

/// `decimal.Decimal`.
pub fn decimal_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    class(py, &DECIMAL, "decimal", "Decimal")
}

fn datetime_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    class(py, &DATETIME, "datetime", "datetime")
}

fn date_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    class(py, &DATE, "datetime", "date")
}

fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    UTC.get_or_try_init(py, || {
        Ok::<_, PyErr>(
            py.import("datetime")?
                .getattr("timezone")?
                .getattr("utc")?
                .unbind(),
        )
    })
    .map(|utc| utc.bind(py))
}

/// Why a Python value cannot become JSON, and where (`request.items[2].quantity`).
#[derive(Debug)]
pub struct ConvertError {
    /// The path of the value, from the root the caller named.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConvertError {
    fn at(field: &str, message: impl Into<String>) -> Self {
        ConvertError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// JSON text for a request given as `str`, `bytes` or a Python value; `name` names the
/// whole value in errors (`request`), nested values are named by their path inside it
/// (`items[2].quantity`), as the engines name fields.
pub fn request_text(value: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    convert_request(value, name).map_err(|e| crate::errors::invalid_argument(value.py(), &e))
}

/// A request as the engines read it: JSON text (given as `str`/`bytes`) or the JSON value
/// of a Python value.
#[derive(Debug)]
pub enum Request {
    /// JSON text, read by the engine as it is.
    Text(String),
    /// The JSON value of a Python value (no text in between).
    Value(Value),
}

impl Request {
    /// The request's JSON text (made from the value if it has none).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Request::Text(text) => std::borrow::Cow::Borrowed(text),
            Request::Value(value) => std::borrow::Cow::Owned(value.to_string()),
        }
    }
}

/// Like [`convert_request`], keeping a Python value's JSON as a value.
pub fn convert_request_value(
    value: &Bound<'_, PyAny>,
    name: &str,
) -> Result<Request, ConvertError> {
    if value.cast::<PyString>().is_ok() || value.cast::<PyBytes>().is_ok() {
        return convert_request(value, name).map(Request::Text);
    }
    let mut path = String::new();
    to_json_at(value, &mut path, 0)
        .map(Request::Value)
        .map_err(|mut e| {
            if e.field.is_empty() {
                e.field = name.to_string();
            }
            e
        })
}

/// Like [`convert_request_value`], raising `InvalidArgument`.
pub fn request_value(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Request> {
    convert_request_value(value, name).map_err(|e| crate::errors::invalid_argument(value.py(), &e))
}

/// Like [`request_text`], with the conversion error as it is.
pub fn convert_request(value: &Bound<'_, PyAny>, name: &str) -> Result<String, ConvertError> {
    if let Ok(text) = value.cast::<PyString>() {
        return match text.to_cow() {
            Ok(text) => Ok(text.into_owned()),
            Err(e) => Err(ConvertError::at(
                name,
                format!("not valid text (lone surrogate?): {e}"),
            )),
        };
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return match std::str::from_utf8(bytes.as_bytes()) {
            Ok(text) => Ok(text.to_string()),
            Err(e) => Err(ConvertError::at(
                name,
                format!(
                    "not valid UTF-8: invalid byte sequence at byte offset {}",
                    e.valid_up_to()
                ),
            )),
        };
    }
    let mut path = String::new();
    let json = to_json_at(value, &mut path, 0).map_err(|mut e| {
        if e.field.is_empty() {
            e.field = name.to_string();
        }
        e
    })?;
    Ok(json.to_string())
}

/// How deep dicts and lists may nest in a request: serde_json's own recursion limit, so a
/// Python value is refused exactly where the same JSON text would be (and the conversion
/// cannot exhaust the stack).
pub const MAX_DEPTH: usize = 128;

/// What a Python value is, as a request reads it: a leaf already in its JSON form, a dict
/// or a list/tuple. The one place that says which Python types a request may hold and
/// what each becomes, shared by [`to_json_at`] and the direct reader in `pyserde`.
pub(crate) enum Shape<'py> {
    /// `None`, `bool`, `int`, `str`, `Decimal`, `datetime`, `date` or `float`, as JSON.
    Leaf(Value),
    /// A dict (keys are checked where it is read).
    Dict(Bound<'py, PyDict>),
    /// A list or tuple.
    Seq(Bound<'py, PyAny>),
}

/// The [`Shape`] of `value`, or why it has none (at `path`).
pub(crate) fn shape<'py>(
    value: &Bound<'py, PyAny>,
    path: &str,
) -> Result<Shape<'py>, ConvertError> {
    let py = value.py();
    if value.is_none() {
        return Ok(Shape::Leaf(Value::Null));
    }
    // `bool` is a subclass of `int`: test it first.
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Shape::Leaf(Value::Bool(b.is_true())));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(n) = value.extract::<i64>() {
            return Ok(Shape::Leaf(Value::Number(n.into())));
        }
        if let Ok(n) = value.extract::<u64>() {
            return Ok(Shape::Leaf(Value::Number(n.into())));
        }
        let text = value
            .str()
            .and_then(|s| s.to_cow().map(|c| c.into_owned()))
            .map_err(|e| ConvertError::at(path, e.to_string()))?;
        return number(&text, path).map(Shape::Leaf);
    }
    if let Ok(s) = value.cast::<PyString>() {
        let text = s
            .to_cow()
            .map_err(|e| ConvertError::at(path, format!("not valid text: {e}")))?;
        return Ok(Shape::Leaf(Value::String(text.into_owned())));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return Ok(Shape::Dict(dict.clone()));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        return Ok(Shape::Seq(value.clone()));
    }
    let is = |cls: PyResult<&Bound<'_, PyAny>>| -> bool {
        cls.and_then(|cls| value.is_instance(cls)).unwrap_or(false)
    };
    if is(decimal_class(py)) {
        let text = value
            .str()
            .and_then(|s| s.to_cow().map(|c| c.into_owned()))
            .map_err(|e| ConvertError::at(path, e.to_string()))?;
        // A finite Decimal's text is digits, sign, point and exponent; NaN, sNaN and
        // Infinity (signed or with a payload) are the only texts with `N` or `I`.
        if text.contains(['N', 'I']) {
            return Err(ConvertError::at(
                path,
                "a Decimal amount must be finite (not NaN or Infinity)",
            ));
        }
        return Ok(Shape::Leaf(Value::String(text)));
    }
    // `datetime` is a subclass of `date`: test it first.
    if is(datetime_class(py)) {
        let tz = value
            .call_method0(intern!(py, "utcoffset"))
            .map_err(|e| ConvertError::at(path, e.to_string()))?;
        if tz.is_none() {
            return Err(ConvertError::at(
                path,
                "a naive datetime has no time zone; give an aware one, e.g. datetime(..., tzinfo=timezone.utc)",
            ));
        }
        if exactly(value, datetime_class(py)) {
            return datetime_iso(value, &tz)
                .map(|text| Shape::Leaf(Value::String(text)))
                .map_err(|e| ConvertError::at(path, e.to_string()));
        }
        return iso(value, path).map(Shape::Leaf);
    }
    if is(date_class(py)) {
        if exactly(value, date_class(py)) {
            return date_iso(value)
                .map(|text| Shape::Leaf(Value::String(text)))
                .map_err(|e| ConvertError::at(path, e.to_string()));
        }
        return iso(value, path).map(Shape::Leaf);
    }
    if value.is_instance_of::<PyFloat>() {
        let f = value
            .extract::<f64>()
            .map_err(|e: PyErr| ConvertError::at(path, e.to_string()))?;
        if !f.is_finite() {
            return Err(ConvertError::at(path, "a float must be finite"));
        }
        // The shortest text that reads back as the same float; amounts should be Decimal.
        let text = value
            .repr()
            .and_then(|s| s.to_cow().map(|c| c.into_owned()))
            .map_err(|e| ConvertError::at(path, e.to_string()))?;
        return number(&text, path).map(Shape::Leaf);
    }
    Err(ConvertError::at(
        path,
        format!(
            "cannot convert a {} to JSON (use dict, list, str, int, bool, None, Decimal, datetime or date)",
            type_name(value).unwrap_or_default()
        ),
    ))
}

/// The JSON value of a Python value at `path`, `depth` dicts and lists down.
pub(crate) fn to_json_at(
    value: &Bound<'_, PyAny>,
    path: &mut String,
    depth: usize,
) -> Result<Value, ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::at(
            path,
            format!("nested more than {MAX_DEPTH} dicts and lists deep"),
        ));
    }
    match shape(value, path)? {
        Shape::Leaf(leaf) => Ok(leaf),
        Shape::Dict(dict) => {
            let mut map = Map::new();
            let base = path.len();
            for (key, item) in dict.iter() {
                let key = dict_key(&key, path)?;
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
                let converted = to_json_at(&item, path, depth + 1)?;
                path.truncate(base);
                map.insert(key.to_string(), converted);
            }
            Ok(Value::Object(map))
        }
        Shape::Seq(seq) => {
            let base = path.len();
            let mut items = Vec::new();
            for (index, item) in seq
                .try_iter()
                .map_err(|e| ConvertError::at(path, e.to_string()))?
                .enumerate()
            {
                let item = item.map_err(|e| ConvertError::at(path, e.to_string()))?;
                path.push_str(&format!("[{index}]"));
                items.push(to_json_at(&item, path, depth + 1)?);
                path.truncate(base);
            }
            Ok(Value::Array(items))
        }
    }
}

/// A dict key as text: keys must be `str`.
pub(crate) fn dict_key(key: &Bound<'_, PyAny>, path: &str) -> Result<String, ConvertError> {
    let Ok(key) = key.cast::<PyString>() else {
        return Err(ConvertError::at(
            path,
            format!(
                "a dict key must be a str, not {}",
                type_name(key).unwrap_or_default()
            ),
        ));
    };
    key.to_cow()
        .map(|c| c.into_owned())
        .map_err(|e| ConvertError::at(path, e.to_string()))
}

fn type_name(value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(value.get_type().name()?.to_cow()?.into_owned())
}

/// Whether `value`'s type is `class` itself (not a subclass, which may format itself in
/// its own way).
fn exactly(value: &Bound<'_, PyAny>, class: PyResult<&Bound<'_, PyAny>>) -> bool {
    class.is_ok_and(|class| value.get_type().is(class))
}

fn int_attr(value: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> PyResult<i64> {
    value.getattr(name)?.extract()
}

/// `date.isoformat()` of a `date` (`YYYY-MM-DD`), from its fields.
fn date_iso(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    let year = int_attr(value, intern!(py, "year"))?;
    let month = int_attr(value, intern!(py, "month"))?;
    let day = int_attr(value, intern!(py, "day"))?;
    Ok(format!("{year:04}-{month:02}-{day:02}"))
}

/// `datetime.isoformat()` of an aware `datetime` whose `utcoffset()` is `offset`, from its
/// fields, character for character what CPython writes: `YYYY-MM-DDTHH:MM:SS`, then
/// `.ffffff` when the microseconds are not 0, then the offset `+HH:MM` (with `:SS` and
/// `.ffffff` when the offset has them).
fn datetime_iso(value: &Bound<'_, PyAny>, offset: &Bound<'_, PyAny>) -> PyResult<String> {
    use std::fmt::Write;
    let py = value.py();
    let mut text = date_iso(value)?;
    let hour = int_attr(value, intern!(py, "hour"))?;
    let minute = int_attr(value, intern!(py, "minute"))?;
    let second = int_attr(value, intern!(py, "second"))?;
    let micro = int_attr(value, intern!(py, "microsecond"))?;
    let _ = write!(text, "T{hour:02}:{minute:02}:{second:02}");
    if micro != 0 {
        let _ = write!(text, ".{micro:06}");
    }
    // A timedelta is normalised: days may be negative, seconds and microseconds are not.
    let days = int_attr(offset, intern!(py, "days"))?;
    let seconds = int_attr(offset, intern!(py, "seconds"))?;
    let micros = int_attr(offset, intern!(py, "microseconds"))?;
    let mut total = (days * 86_400 + seconds) * 1_000_000 + micros;
    let sign = if days < 0 {
        total = -total;
        '-'
    } else {
        '+'
    };
    let (whole, micros) = (total / 1_000_000, total % 1_000_000);
    let (hours, minutes, seconds) = (whole / 3600, whole / 60 % 60, whole % 60);
    let _ = write!(text, "{sign}{hours:02}:{minutes:02}");
    if micros != 0 {
        let _ = write!(text, ":{seconds:02}.{micros:06}");
    } else if seconds != 0 {
        let _ = write!(text, ":{seconds:02}");
    }
    Ok(text)
}

fn iso(value: &Bound<'_, PyAny>, path: &str) -> Result<Value, ConvertError> {
    value
        .call_method0(intern!(value.py(), "isoformat"))
        .and_then(|s| s.extract::<String>())
        .map(Value::String)
        .map_err(|e| ConvertError::at(path, e.to_string()))
}

fn number(text: &str, path: &str) -> Result<Value, ConvertError> {
    serde_json::from_str::<Number>(text)
        .map(Value::Number)
        .map_err(|e| ConvertError::at(path, format!("not a JSON number ({text}): {e}")))
}

/// How a string leaf of a decision is typed, by the name of its field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leaf {
    Text,
    Decimal,
    DateTime,
    Date,
}

/// The [`Leaf`] kind of the values under `key`.
pub(crate) fn leaf_kind(key: &str) -> Leaf {
    match key {
        "amount" | "rate" | "rate_used" | "capture_rate" | "distance_km" => Leaf::Decimal,
        "now" | "deadline" => Leaf::DateTime,
        "last_day" => Leaf::Date,
        _ if key.ends_with("_percent") => Leaf::Decimal,
        _ if key.ends_with("_at") || key.ends_with("as_of") => Leaf::DateTime,
        _ if key.ends_with("_date") => Leaf::Date,
        _ => Leaf::Text,
    }
}

/// Converts JSON to Python; with `typed`, string leaves become `Decimal`, `datetime` and
/// `date` by their field's name (see the module docs).
pub fn to_py<'py>(py: Python<'py>, value: &Value, typed: bool) -> PyResult<Bound<'py, PyAny>> {
    convert(py, value, typed, Leaf::Text)
}

fn convert<'py>(
    py: Python<'py>,
    value: &Value,
    typed: bool,
    leaf: Leaf,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => number_to_py(py, n)?,
        Value::String(s) => string_to_py(py, s, typed, leaf)?,
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(convert(py, item, typed, leaf)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, convert(py, item, typed, leaf_kind(key))?)?;
            }
            dict.into_any()
        }
    })
}

/// A JSON number as Python: `int` when integral, else `Decimal` (never `float`).
pub(crate) fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    Ok(if let Some(i) = n.as_i64() {
        i.into_pyobject(py)?.into_any()
    } else if let Some(u) = n.as_u64() {
        u.into_pyobject(py)?.into_any()
    } else {
        let text = n.to_string();
        if text.contains(['.', 'e', 'E']) {
            decimal_class(py)?.call1((text,))?
        } else {
            // An integer beyond 64 bits: Python's int reads any size.
            py.import("builtins")?.getattr("int")?.call1((text,))?
        }
    })
}

/// A JSON string as Python: with `typed`, typed by its field's [`Leaf`] kind when it
/// parses as one, else `str`.
pub(crate) fn string_to_py<'py>(
    py: Python<'py>,
    s: &str,
    typed: bool,
    leaf: Leaf,
) -> PyResult<Bound<'py, PyAny>> {
    if typed {
        if let Some(typed) = typed_leaf(py, s, leaf)? {
            return Ok(typed);
        }
    }
    Ok(PyString::new(py, s).into_any())
}

fn typed_leaf<'py>(py: Python<'py>, text: &str, leaf: Leaf) -> PyResult<Option<Bound<'py, PyAny>>> {
    match leaf {
        Leaf::Text => Ok(None),
        Leaf::Decimal => {
            if text.parse::<rust_decimal::Decimal>().is_ok() {
                Ok(Some(decimal_class(py)?.call1((text,))?))
            } else {
                Ok(None)
            }
        }
        Leaf::DateTime => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(at) => {
                use chrono::{Datelike, Timelike};
                let at = at.with_timezone(&chrono::Utc);
                // Python's datetime stops at microseconds; finer digits are dropped.
                let micros = at.nanosecond().min(999_999_999) / 1_000;
                let args = (
                    at.year(),
                    at.month(),
                    at.day(),
                    at.hour(),
                    at.minute(),
                    at.second(),
                    micros,
                    utc(py)?,
                );
                Ok(Some(datetime_class(py)?.call1(args)?))
            }
            Err(_) => Ok(None),
        },
        Leaf::Date => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(day) => {
                use chrono::Datelike;
                Ok(Some(date_class(py)?.call1((
                    day.year(),
                    day.month(),
                    day.day(),
                ))?))
            }
            Err(_) => Ok(None),
        },
    }
}
