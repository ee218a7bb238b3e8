//! Arrow record batches to requests: the documented flat input schema of each engine.
//!
//! A batch's columns are mapped to the engine's JSON request shape once per batch (a
//! [`InputPlan`]); each row then becomes one request's JSON value, read by the engine into
//! its typed request, without JSON text or any Python object in between. The mapping (also in `python/README.md` and the stubs):
//!
//! - **Any engine**: a single column `request` of JSON text (one request per row), or
//!   columns named after the request's top-level fields, nested as Arrow `struct` and
//!   `list` columns in the request's JSON shape.
//! - **returns** (flat): the order's fields as top-level columns (`order_id`, `currency`,
//!   `customer_id`, `placed_at`, `shipped_at`, `delivered_at`, `payment_method`,
//!   `ship_to_country`, `lines`, `order_discount`, `shipping_paid`), the customer's
//!   history as `customer_<field>` columns (`customer_account_age_days`, ...), and
//!   `items`, `previous_returns`, `requested_settlement`, `ship_from_country`, `now`.
//!   Money fields (`unit_price`, `discount`, `tax`, `order_discount`, `shipping_paid`,
//!   `refunded`, `return_value_90d`, `return_value_365d`) may be plain decimals: they take
//!   the row's `currency`.
//! - **address** (flat): the address's fields as top-level columns (`country`,
//!   `address_lines` as `list<string>` or `address_line1`, `address_line2`, ...,
//!   `locality`, `dependent_locality`, `administrative_area`, `postal_code`,
//!   `sorting_code`, `organization`, `recipient`) and `tags`.
//! - **routing** (flat): the order's fields as `order_<field>` columns (`order_id`,
//!   `order_tags`, ...) or by their own names (`channel`, `preferred_node`, `holder`,
//!   `lines` and `kits` as `list<struct>`, `ship_to` as a struct), the ship-to address as
//!   `ship_to_<field>` columns (`ship_to_country`, `ship_to_market`, `ship_to_region`,
//!   `ship_to_postal_code`, `ship_to_latitude`, `ship_to_longitude` as decimals), and
//!   `nodes` and `stock` (`list<struct>` in the request's shape), `now`.
//! - **refunds** (flat): the order's fields as top-level columns (`order_id`,
//!   `presentment_currency`, `settlement_currency`, `placed_at`, `customer_country`,
//!   `captures` and `lines` as `list<struct>`; `order_<field>` for any order field, e.g.
//!   `order_shipping` as a `{amount, currency}` struct), the requested refund as
//!   `refund_<field>` columns (`refund_idempotency_key`, `refund_reason`,
//!   `refund_method`, `refund_currency`, `refund_lines` as `list<struct>`,
//!   `refund_shipping` as a struct), and `earlier_refunds`, `rates` (struct, the rate
//!   table's shape), `now`. Amounts are `{amount, currency}` structs: a refund has two
//!   currencies, so no column takes a row currency.
//!
//! Values: strings, booleans and integers as they are; `decimal128` as exact decimal text;
//! `timestamp` as RFC 3339 in UTC (a timestamp without a time zone is read as UTC);
//! `date32`/`date64` as `YYYY-MM-DD`; `map<string, string>` as an object. A null leaves the
//! field out, so the engine's documented default applies (nullable integer columns stay
//! integers: nothing goes through floats). Float columns are refused: amounts are decimal.

use crate::arrow_de::Node;
use crate::pyjson::Request;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Int16Type, Int32Type, Int64Type, Int8Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Map, Value};

/// How an engine's flat columns map to its request.
struct FlatSpec {
    /// Top-level request fields, taken as they are.
    top: &'static [&'static str],
    /// Columns that go into one object of the request: (object, its fields).
    nested: &'static [(&'static str, &'static [&'static str])],
    /// Column-name prefixes that go into an object: (`customer_`, `["customer"]`); the
    /// rest of the name is the field (`ship_to_country` is `order.ship_to.country`).
    prefixes: &'static [(&'static str, &'static [&'static str])],
    /// Field names whose plain decimal values are money in the row's currency.
    money: &'static [&'static str],
    /// The column holding the row's currency.
    currency: Option<&'static str>,
    /// `address_line1`, `address_line_2`, ...: appended to this path's list.
    numbered_lines: Option<(&'static str, &'static str)>,
}

const RETURNS: FlatSpec = FlatSpec {
    top: &[
        "order",
        "items",
        "requested_settlement",
        "ship_from_country",
        "previous_returns",
        "customer",
        "now",
    ],
    nested: &[(
        "order",
        &[
            "order_id",
            "currency",
            "customer_id",
            "placed_at",
            "shipped_at",
            "delivered_at",
            "payment_method",
            "ship_to_country",
            "lines",
            "order_discount",
            "shipping_paid",
        ],
    )],
    prefixes: &[("customer_", &["customer"])],
    money: &[
        "unit_price",
        "discount",
        "tax",
        "order_discount",
        "shipping_paid",
        "refunded",
        "return_value_90d",
        "return_value_365d",
    ],
    currency: Some("currency"),
    numbered_lines: None,
};

const ADDRESS: FlatSpec = FlatSpec {
    top: &["address", "tags"],
    nested: &[(
        "address",
        &[
            "country",
            "address_lines",
            "locality",
            "dependent_locality",
            "administrative_area",
            "postal_code",
            "sorting_code",
            "organization",
            "recipient",
        ],
    )],
    prefixes: &[],
    money: &[],
    currency: None,
    numbered_lines: Some(("address", "address_lines")),
};

const ROUTING: FlatSpec = FlatSpec {
    top: &["order", "nodes", "stock", "now"],
    nested: &[(
        "order",
        &[
            "channel",
            "ship_to",
            "preferred_node",
            "lines",
            "kits",
            "holder",
        ],
    )],
    prefixes: &[("ship_to_", &["order", "ship_to"]), ("order_", &["order"])],
    money: &[],
    currency: None,
    numbered_lines: None,
};

const REFUNDS: FlatSpec = FlatSpec {
    top: &["order", "earlier_refunds", "refund", "rates", "now"],
    nested: &[(
        "order",
        &[
            "order_id",
            "presentment_currency",
            "settlement_currency",
            "placed_at",
            "customer_country",
            "captures",
            "lines",
        ],
    )],
    prefixes: &[("refund_", &["refund"]), ("order_", &["order"])],
    money: &[],
    currency: None,
    numbered_lines: None,
};

fn spec(kind: &str) -> Option<&'static FlatSpec> {
    match kind {
        "returns" => Some(&RETURNS),
        "address" => Some(&ADDRESS),
        "routing" => Some(&ROUTING),
        "refunds" => Some(&REFUNDS),
        _ => None,
    }
}

/// Where one column goes.
#[derive(Debug, Clone)]
enum Target {
    /// Into the object at this path, under the last element.
    Path(Vec<String>),
    /// Appended, in column order, to the list at this path.
    Line(Vec<String>),
}

#[derive(Debug, Clone)]
struct ColumnPlan {
    array: ArrayRef,
    /// The field name that decides money wrapping (the path's last element).
    key: String,
    target: Target,
}

/// A batch's columns resolved against an engine's input schema, ready to build requests.
#[derive(Debug, Clone)]
pub struct InputPlan {
    columns: Vec<ColumnPlan>,
    /// The whole request as JSON text, when the batch has a `request` column.
    request: Option<ArrayRef>,
    currency: Option<ArrayRef>,
    money: &'static [&'static str],
    rows: usize,
    /// The columns as the request's object tree, for reading rows straight into typed
    /// requests ([`crate::arrow_de`]); `None` when columns overlap (a struct column
    /// merged with flat columns into one object), which only the value path merges.
    tree: Option<Node>,
}

/// A schema-level problem (names the column); fails the whole call, not a row.
#[derive(Debug)]
pub struct SchemaError {
    /// The column.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

impl InputPlan {
    /// Resolves `batch`'s columns for the engine `kind`; `keep` names columns that are
    /// passed through to the result and not read.
    pub fn new(kind: &str, batch: &RecordBatch, keep: &[String]) -> Result<Self, SchemaError> {
        let spec = spec(kind).ok_or_else(|| SchemaError {
            column: String::new(),
            message: format!("no Arrow input schema for engine kind `{kind}`"),
        })?;
        let schema = batch.schema();
        let mut plan = InputPlan {
            columns: Vec::new(),
            request: None,
            currency: None,
            money: spec.money,
            rows: batch.num_rows(),
            tree: None,
        };
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name().as_str();
            if keep.iter().any(|k| k == name) {
                continue;
            }
            check_type(name, field.data_type())?;
            if name == "request" {
                if !matches!(
                    field.data_type(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) {
                    return Err(SchemaError {
                        column: name.to_string(),
                        message: format!(
                            "the `request` column holds JSON text and must be a string column, not {}",
                            field.data_type()
                        ),
                    });
                }
                plan.request = Some(array.clone());
                continue;
            }
            if spec.currency == Some(name) {
                plan.currency = Some(array.clone());
            }
            let target = target(spec, name).ok_or_else(|| SchemaError {
                column: name.to_string(),
                message: format!(
                    "unknown column `{name}` for the {kind} engine; expected {} (or pass it in `keep`)",
                    known_columns(spec).join(", ")
                ),
            })?;
            let key = match &target {
                Target::Path(path) | Target::Line(path) => path.last().cloned().unwrap_or_default(),
            };
            plan.columns.push(ColumnPlan {
                array: array.clone(),
                key,
                target,
            });
        }
        if plan.request.is_some() && !plan.columns.is_empty() {
            return Err(SchemaError {
                column: "request".to_string(),
                message: "a batch with a `request` column (whole requests as JSON) has no other input columns; pass the others in `keep`".to_string(),
            });
        }
        if plan.request.is_none() {
            plan.tree = tree(&plan.columns);
        }
        Ok(plan)
    }

    /// Row `row` read straight into a typed request, without a JSON value, when the
    /// batch's columns allow it (`None`: a `request` column or overlapping columns). An
    /// error means only that this path did not finish: the caller reads the row again
    /// with [`InputPlan::request`], whose error is the row's.
    pub fn typed<T: serde::de::DeserializeOwned>(
        &self,
        row: usize,
    ) -> Option<Result<T, crate::pyserde::Fallback>> {
        let tree = self.tree.as_ref()?;
        let currency = self
            .currency
            .as_ref()
            .and_then(|c| string_at(c.as_ref(), row));
        let context = Context {
            money: self.money,
            currency,
        };
        Some(crate::arrow_de::from_row(tree, row, &context))
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `row`'s request (its JSON text from a `request` column, otherwise its JSON
    /// value built from the columns), or why the row cannot become one
    /// (`(field, message)`).
    pub fn request(&self, row: usize) -> Result<Request, (String, String)> {
        if let Some(request) = &self.request {
            return match string_at(request.as_ref(), row) {
                Some(text) => Ok(Request::Text(text.to_string())),
                None => Err(("request".to_string(), "the request is null".to_string())),
            };
        }
        let currency = self
            .currency
            .as_ref()
            .and_then(|c| string_at(c.as_ref(), row))
            .map(str::to_string);
        let context = Context {
            money: self.money,
            currency: currency.as_deref(),
        };
        let mut root = Map::new();
        for column in &self.columns {
            let value = cell(column.array.as_ref(), row, &column.key, &context)
                .map_err(|message| (column.key.clone(), message))?;
            let Some(value) = value else { continue };
            match &column.target {
                Target::Path(path) => insert(&mut root, path, value),
                Target::Line(path) => append(&mut root, path, value),
            }
        }
        Ok(Request::Value(Value::Object(root)))
    }
}

/// The plan's columns as one object tree (children sorted by key, as the value path's
/// maps are), or `None` if two columns go to the same place or one inside the other.
fn tree(columns: &[ColumnPlan]) -> Option<Node> {
    fn put(node: &mut Node, path: &[String], leaf: Node) -> Option<()> {
        let Node::Object(children) = node else {
            return None;
        };
        let (first, rest) = path.split_first()?;
        let existing = children.iter_mut().find(|(key, _)| key == first);
        match (existing, rest.is_empty(), &leaf) {
            (None, true, _) => children.push((first.clone(), leaf)),
            (None, false, _) => {
                let mut object = Node::Object(Vec::new());
                put(&mut object, rest, leaf)?;
                children.push((first.clone(), object));
            }
            (Some((_, Node::Lines(arrays, _))), true, Node::Lines(more, _)) => {
                arrays.extend(more.iter().cloned());
            }
            (Some((_, child @ Node::Object(_))), false, _) => put(child, rest, leaf)?,
            _ => return None,
        }
        Some(())
    }
    fn sort(node: &mut Node) {
        if let Node::Object(children) = node {
            children.sort_by(|a, b| a.0.cmp(&b.0));
            for (_, child) in children {
                sort(child);
            }
        }
    }
    let mut root = Node::Object(Vec::new());
    for column in columns {
        let (path, leaf) = match &column.target {
            Target::Path(path) => (
                path,
                Node::Column {
                    array: column.array.clone(),
                    key: column.key.clone(),
                },
            ),
            Target::Line(path) => (
                path,
                Node::Lines(vec![column.array.clone()], column.key.clone()),
            ),
        };
        put(&mut root, path, leaf)?;
    }
    sort(&mut root);
    Some(root)
}

fn target(spec: &FlatSpec, name: &str) -> Option<Target> {
    if spec.top.contains(&name) {
        return Some(Target::Path(vec![name.to_string()]));
    }
    for (object, fields) in spec.nested {
        if fields.contains(&name) {
            return Some(Target::Path(vec![object.to_string(), name.to_string()]));
        }
    }
    for (prefix, object) in spec.prefixes {
        if let Some(rest) = name.strip_prefix(prefix) {
            if !rest.is_empty() {
                let mut path: Vec<String> = object.iter().map(|s| s.to_string()).collect();
                path.push(rest.to_string());
                return Some(Target::Path(path));
            }
        }
    }
    if let Some((object, list)) = spec.numbered_lines {
        let digits = name
            .strip_prefix("address_line_")
            .or_else(|| name.strip_prefix("address_line"));
        if digits.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) {
            return Some(Target::Line(vec![object.to_string(), list.to_string()]));
        }
    }
    None
}

fn known_columns(spec: &FlatSpec) -> Vec<String> {
    let mut names: Vec<String> = spec.top.iter().map(|s| s.to_string()).collect();
    for (_, fields) in spec.nested {
        names.extend(fields.iter().map(|s| s.to_string()));
    }
    for (prefix, _) in spec.prefixes {
        names.push(format!("{prefix}<field>"));
    }
    if spec.numbered_lines.is_some() {
        names.push("address_line1, address_line2, ...".to_string());
    }
    names.push("`request` (JSON text) alone".to_string());
    names
}

/// Refuses column types that have no request form, before any row is read.
fn check_type(column: &str, data_type: &DataType) -> Result<(), SchemaError> {
    let refuse = |message: String| {
        Err(SchemaError {
            column: column.to_string(),
            message,
        })
    };
    match data_type {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => refuse(format!(
            "column `{column}` is {data_type}: amounts, rates and coordinates must be decimal (cast to decimal128) and counts integer, never float"
        )),
        DataType::Null
        | DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Decimal128(_, _)
        | DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(_, _) => Ok(()),
        DataType::List(field) | DataType::LargeList(field) => check_type(column, field.data_type()),
        DataType::Struct(fields) => fields
            .iter()
            .try_for_each(|f| check_type(&format!("{column}.{}", f.name()), f.data_type())),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) => kv
                .iter()
                .try_for_each(|f| check_type(&format!("{column}.{}", f.name()), f.data_type())),
            other => refuse(format!("column `{column}`: unexpected map entries {other}")),
        },
        other => refuse(format!(
            "column `{column}` has type {other}, which has no request form (use string, integer, boolean, decimal128, timestamp, date, list, struct or map<string,string>)"
        )),
    }
}

/// What a cell's value depends on besides the cell: the money fields and the row's
/// currency.
pub(crate) struct Context<'a> {
    /// Field names whose plain decimals are money in the row's currency.
    pub(crate) money: &'static [&'static str],
    /// The row's currency, if the batch has one.
    pub(crate) currency: Option<&'a str>,
}

fn insert(root: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            // A struct column (`customer`) and flat columns (`customer_...`) merge.
            match (root.get_mut(last), value) {
                (Some(Value::Object(existing)), Value::Object(new)) => {
                    for (k, v) in new {
                        existing.entry(k).or_insert(v);
                    }
                }
                (_, value) => {
                    root.insert(last.clone(), value);
                }
            }
        }
        [first, rest @ ..] => {
            let entry = root
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                insert(map, rest, value);
            }
        }
    }
}

fn append(root: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            let entry = root
                .entry(last.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(value);
            }
        }
        [first, rest @ ..] => {
            let entry = root
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = entry {
                append(map, rest, value);
            }
        }
    }
}

/// The string at `row` of a string column (`None`: null, or not a string column).
pub(crate) fn string_at(array: &dyn Array, row: usize) -> Option<&str> {
    if row >= array.len() || array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => array.as_string_opt::<i32>().map(|a| a.value(row)),
        DataType::LargeUtf8 => array.as_string_opt::<i64>().map(|a| a.value(row)),
        DataType::Utf8View => array.as_string_view_opt().map(|a| a.value(row)),
        _ => None,
    }
}

fn wrap_money(key: &str, text: String, context: &Context<'_>) -> Value {
    match context.currency {
        Some(currency) if context.money.contains(&key) => {
            serde_json::json!({ "amount": text, "currency": currency })
        }
        _ => Value::String(text),
    }
}

macro_rules! primitive {
    ($array:expr, $row:expr, $t:ty) => {
        $array
            .as_primitive_opt::<$t>()
            .map(|a| Value::from(a.value($row)))
    };
}

/// One cell as JSON (`None` for null).
pub(crate) fn cell(
    array: &dyn Array,
    row: usize,
    key: &str,
    context: &Context<'_>,
) -> Result<Option<Value>, String> {
    if row >= array.len() || array.is_null(row) {
        return Ok(None);
    }
    let value = match array.data_type() {
        DataType::Null => None,
        DataType::Boolean => array.as_boolean_opt().map(|a| Value::Bool(a.value(row))),
        DataType::Int8 => primitive!(array, row, Int8Type),
        DataType::Int16 => primitive!(array, row, Int16Type),
        DataType::Int32 => primitive!(array, row, Int32Type),
        DataType::Int64 => primitive!(array, row, Int64Type),
        DataType::UInt8 => primitive!(array, row, UInt8Type),
        DataType::UInt16 => primitive!(array, row, UInt16Type),
        DataType::UInt32 => primitive!(array, row, UInt32Type),
        DataType::UInt64 => primitive!(array, row, UInt64Type),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            string_at(array, row).map(|s| wrap_money(key, s.to_string(), context))
        }
        DataType::Decimal128(_, scale) => {
            let Some(decimals) = array.as_primitive_opt::<arrow_array::types::Decimal128Type>()
            else {
                return Err("unreadable decimal column".to_string());
            };
            let scale = u32::try_from(*scale)
                .map_err(|_| format!("a negative decimal scale ({scale}) is not supported"))?;
            let decimal =
                rust_decimal::Decimal::try_from_i128_with_scale(decimals.value(row), scale)
                    .map_err(|e| format!("decimal out of range: {e}"))?;
            Some(wrap_money(key, decimal.to_string(), context))
        }
        DataType::Date32 => {
            let days = array
                .as_primitive_opt::<Date32Type>()
                .map(|a| a.value(row))
                .ok_or("unreadable date column")?;
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|epoch| {
                    epoch.checked_add_signed(chrono::TimeDelta::try_days(i64::from(days))?)
                })
                .ok_or_else(|| format!("date out of range ({days} days)"))?;
            Some(Value::String(date.format("%Y-%m-%d").to_string()))
        }
        DataType::Date64 => {
            let millis = array
                .as_primitive_opt::<Date64Type>()
                .map(|a| a.value(row))
                .ok_or("unreadable date column")?;
            let at = chrono::DateTime::from_timestamp_millis(millis)
                .ok_or_else(|| format!("date out of range ({millis} ms)"))?;
            Some(Value::String(at.format("%Y-%m-%d").to_string()))
        }
        DataType::Timestamp(unit, _) => {
            let raw = match unit {
                TimeUnit::Second => array
                    .as_primitive_opt::<TimestampSecondType>()
                    .map(|a| a.value(row)),
                TimeUnit::Millisecond => array
                    .as_primitive_opt::<TimestampMillisecondType>()
                    .map(|a| a.value(row)),
                TimeUnit::Microsecond => array
                    .as_primitive_opt::<TimestampMicrosecondType>()
                    .map(|a| a.value(row)),
                TimeUnit::Nanosecond => array
                    .as_primitive_opt::<TimestampNanosecondType>()
                    .map(|a| a.value(row)),
            }
            .ok_or("unreadable timestamp column")?;
            let at = match unit {
                TimeUnit::Second => chrono::DateTime::from_timestamp(raw, 0),
                TimeUnit::Millisecond => chrono::DateTime::from_timestamp_millis(raw),
                TimeUnit::Microsecond => chrono::DateTime::from_timestamp_micros(raw),
                TimeUnit::Nanosecond => Some(chrono::DateTime::from_timestamp_nanos(raw)),
            }
            .ok_or_else(|| format!("timestamp out of range ({raw})"))?;
            Some(Value::String(
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            ))
        }
        DataType::List(_) => {
            let list = array.as_list_opt::<i32>().ok_or("unreadable list column")?;
            Some(list_value(list.value(row).as_ref(), key, context)?)
        }
        DataType::LargeList(_) => {
            let list = array.as_list_opt::<i64>().ok_or("unreadable list column")?;
            Some(list_value(list.value(row).as_ref(), key, context)?)
        }
        DataType::Struct(_) => {
            let structs = array.as_struct_opt().ok_or("unreadable struct column")?;
            let mut map = Map::new();
            for (field, child) in structs.fields().iter().zip(structs.columns()) {
                let name = field.name();
                let value =
                    cell(child.as_ref(), row, name, context).map_err(|e| format!("{name}: {e}"))?;
                if let Some(value) = value {
                    map.insert(name.clone(), value);
                }
            }
            Some(Value::Object(map))
        }
        DataType::Map(_, _) => {
            let maps = array.as_map_opt().ok_or("unreadable map column")?;
            let entries = maps.value(row);
            let (Some(keys), Some(values)) = (entries.columns().first(), entries.columns().get(1))
            else {
                return Err("a map column must have key and value children".to_string());
            };
            let mut map = Map::new();
            for index in 0..entries.len() {
                let key = string_at(keys.as_ref(), index)
                    .ok_or("a map key must be a non-null string")?
                    .to_string();
                let value = cell(values.as_ref(), index, &key, context)?.unwrap_or(Value::Null);
                map.insert(key, value);
            }
            Some(Value::Object(map))
        }
        other => return Err(format!("unsupported type {other}")),
    };
    Ok(value)
}

fn list_value(items: &dyn Array, key: &str, context: &Context<'_>) -> Result<Value, String> {
    let mut out = Vec::with_capacity(items.len());
    for index in 0..items.len() {
        let value = cell(items, index, key, context).map_err(|e| format!("[{index}] {e}"))?;
        out.push(value.unwrap_or(Value::Null));
    }
    Ok(Value::Array(out))
}
