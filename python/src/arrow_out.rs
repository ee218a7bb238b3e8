//! Decisions to Arrow: the stable flat result schema of each engine.
//!
//! Every result batch has, per engine, the columns below, then `reason_codes`
//! (`list<string>`, the decision's reason codes in order), `error_code`, `error_message`
//! and `error_field` (strings, null unless the row failed; a failed row has nulls in
//! every decision column), and, when asked for, `decision_json` (the decision's JSON text,
//! byte for byte what the Rust API writes). Amounts are `decimal128(38, 4)`, exact for
//! every ISO 4217 currency.
//!
//! - **returns**: `status`, `review_queue`, `item_line_ids`, `item_statuses`,
//!   `item_dispositions`, `item_refund_totals` (lists, one element per item),
//!   `refund_total`, `refund_currency`, `settlement_method`, `settlement_amount`,
//!   `fraud_score` (int32), `fraud_action`, `fraud_signals` (signal codes).
//! - **address**: `valid` (bool), `country`, `problems` (codes), `problem_fields`,
//!   `address_lines` (canonical), `locality`, `dependent_locality`,
//!   `administrative_area`, `postal_code`, `sorting_code`, `organization`, `recipient`,
//!   `label` (the printable label's lines), `match_key`.
//! - **routing**: `status`, `shipment_nodes` (one node id per shipment).
//! - **refunds**: `refund_amount`, `refund_currency`, `method`, `rate_used` (string, the
//!   exact rate), `replay` (bool).

use arrow_array::builder::{
    BooleanBuilder, Decimal128Builder, Int32Builder, ListBuilder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use serde_json::Value;
use std::sync::Arc;

/// Precision and scale of every amount column.
pub const AMOUNT_PRECISION: u8 = 38;
/// Four decimals: the most any ISO 4217 currency has.
pub const AMOUNT_SCALE: i8 = 4;

/// How one result column reads a decision (JSON pointers into the decision).
#[derive(Clone, Copy)]
enum Extract {
    Str(&'static str),
    Int(&'static str),
    Bool(&'static str),
    Amount(&'static str),
    /// A list: the array at the first pointer, each element read at the second (`""`: the
    /// element itself).
    StrList(&'static str, &'static str),
    AmountList(&'static str, &'static str),
}

struct Column {
    name: &'static str,
    extract: Extract,
}

const fn col(name: &'static str, extract: Extract) -> Column {
    Column { name, extract }
}

use Extract::{Amount, AmountList, Bool, Int, Str, StrList};

const RETURNS: &[Column] = &[
    col("status", Str("/outcome/status")),
    col("review_queue", Str("/outcome/review_queue")),
    col("item_line_ids", StrList("/outcome/items", "/line_id")),
    col("item_statuses", StrList("/outcome/items", "/status")),
    col(
        "item_dispositions",
        StrList("/outcome/items", "/disposition"),
    ),
    col(
        "item_refund_totals",
        AmountList("/outcome/items", "/refund/total/amount"),
    ),
    col("refund_total", Amount("/outcome/refund/total/amount")),
    col("refund_currency", Str("/outcome/refund/total/currency")),
    col("settlement_method", Str("/outcome/settlement/method")),
    col(
        "settlement_amount",
        Amount("/outcome/settlement/amount/amount"),
    ),
    col("fraud_score", Int("/outcome/fraud/score")),
    col("fraud_action", Str("/outcome/fraud/action")),
    col("fraud_signals", StrList("/outcome/fraud/signals", "/code")),
];

const ADDRESS: &[Column] = &[
    col("valid", Bool("/outcome/valid")),
    col("country", Str("/outcome/country")),
    col("problems", StrList("/outcome/problems", "/code")),
    col("problem_fields", StrList("/outcome/problems", "/field")),
    col(
        "address_lines",
        StrList("/outcome/canonical/address_lines", ""),
    ),
    col("locality", Str("/outcome/canonical/locality")),
    col(
        "dependent_locality",
        Str("/outcome/canonical/dependent_locality"),
    ),
    col(
        "administrative_area",
        Str("/outcome/canonical/administrative_area"),
    ),
    col("postal_code", Str("/outcome/canonical/postal_code")),
    col("sorting_code", Str("/outcome/canonical/sorting_code")),
    col("organization", Str("/outcome/canonical/organization")),
    col("recipient", Str("/outcome/canonical/recipient")),
    col("label", StrList("/outcome/label", "")),
    col("match_key", Str("/outcome/match_key")),
];

const ROUTING: &[Column] = &[
    col("status", Str("/outcome/status")),
    col("shipment_nodes", StrList("/outcome/shipments", "/node_id")),
];

const REFUNDS: &[Column] = &[
    col("refund_amount", Amount("/outcome/plan/amount/amount")),
    col("refund_currency", Str("/outcome/plan/amount/currency")),
    col("method", Str("/outcome/plan/method")),
    col("rate_used", Str("/outcome/plan/fx/rate_used")),
    col("replay", Bool("/outcome/replay")),
];

const COMMON: &[Column] = &[
    col("reason_codes", StrList("/reasons", "/code")),
    col("error_code", Str("/code")),
    col("error_message", Str("/message")),
    col("error_field", Str("/field")),
];

fn columns(kind: &str) -> &'static [Column] {
    match kind {
        "returns" => RETURNS,
        "address" => ADDRESS,
        "routing" => ROUTING,
        "refunds" => REFUNDS,
        _ => &[],
    }
}

/// One row's result.
#[derive(Debug)]
pub enum RowResult {
    /// The decision's JSON text (empty unless asked for) and its JSON value.
    Decided { text: String, value: Value },
    /// The error object `{code, message, field?, diagnostics}`.
    Failed(Value),
}

fn amount_type() -> DataType {
    DataType::Decimal128(AMOUNT_PRECISION, AMOUNT_SCALE)
}

fn data_type(extract: Extract) -> DataType {
    let item = |t: DataType| DataType::List(Arc::new(Field::new("item", t, true)));
    match extract {
        Str(_) => DataType::Utf8,
        Int(_) => DataType::Int32,
        Bool(_) => DataType::Boolean,
        Amount(_) => amount_type(),
        StrList(_, _) => item(DataType::Utf8),
        AmountList(_, _) => item(amount_type()),
    }
}

/// The result schema of engine `kind` (without passed-through columns).
pub fn schema(kind: &str, include_json: bool) -> Schema {
    let mut fields: Vec<Field> = columns(kind)
        .iter()
        .chain(COMMON)
        .map(|c| Field::new(c.name, data_type(c.extract), true))
        .collect();
    if include_json {
        fields.push(Field::new("decision_json", DataType::Utf8, true));
    }
    Schema::new(fields)
}

fn amount(value: Option<&Value>) -> Option<i128> {
    let text = value?.as_str()?;
    let mut decimal: rust_decimal::Decimal = text.parse().ok()?;
    let scale = u32::try_from(AMOUNT_SCALE).ok()?;
    if decimal.scale() > scale {
        return None;
    }
    decimal.rescale(scale);
    Some(decimal.mantissa())
}

fn at<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    // The pointers are this file's constants: object keys only, no escapes, so a plain
    // walk (no allocation, unlike `Value::pointer`) reads them.
    pointer
        .split('/')
        .skip(1)
        .try_fold(value, |node, key| node.as_object()?.get(key))
}

/// The JSON a column reads in a row: the decision, or the error object for `error_*`.
fn source_of(row: &RowResult, is_error_column: bool) -> Option<&Value> {
    match (row, is_error_column) {
        (RowResult::Decided { value, .. }, false) => Some(value),
        (RowResult::Failed(error), true) => Some(error),
        _ => None,
    }
}

/// Builds the result batch: passed-through columns first, then the engine's columns.
pub fn build(
    kind: &str,
    results: &[RowResult],
    include_json: bool,
    passthrough: Vec<(Field, ArrayRef)>,
) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (field, array) in passthrough {
        fields.push(field);
        arrays.push(array);
    }
    for column in columns(kind).iter().chain(COMMON) {
        let is_error_column = column.name.starts_with("error_");
        let source = |row| source_of(row, is_error_column);
        let array: ArrayRef = match column.extract {
            Str(pointer) => {
                let mut b = StringBuilder::with_capacity(results.len(), results.len() * 8);
                for row in results {
                    b.append_option(
                        source(row)
                            .and_then(|v| at(v, pointer))
                            .and_then(Value::as_str),
                    );
                }
                Arc::new(b.finish())
            }
            Int(pointer) => {
                let mut b = Int32Builder::with_capacity(results.len());
                for row in results {
                    b.append_option(
                        source(row)
                            .and_then(|v| at(v, pointer))
                            .and_then(Value::as_i64)
                            .and_then(|n| i32::try_from(n).ok()),
                    );
                }
                Arc::new(b.finish())
            }
            Bool(pointer) => {
                let mut b = BooleanBuilder::with_capacity(results.len());
                for row in results {
                    b.append_option(
                        source(row)
                            .and_then(|v| at(v, pointer))
                            .and_then(Value::as_bool),
                    );
                }
                Arc::new(b.finish())
            }
            Amount(pointer) => {
                let mut b = Decimal128Builder::with_capacity(results.len())
                    .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE)?;
                for row in results {
                    b.append_option(amount(source(row).and_then(|v| at(v, pointer))));
                }
                Arc::new(b.finish())
            }
            StrList(list, item) => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for row in results {
                    match source(row)
                        .and_then(|v| at(v, list))
                        .and_then(Value::as_array)
                    {
                        Some(items) => {
                            for element in items {
                                b.values()
                                    .append_option(at(element, item).and_then(Value::as_str));
                            }
                            b.append(true);
                        }
                        None => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
            AmountList(list, item) => {
                let values = Decimal128Builder::new()
                    .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE)?;
                let mut b = ListBuilder::new(values).with_field(Arc::new(Field::new(
                    "item",
                    amount_type(),
                    true,
                )));
                for row in results {
                    match source(row)
                        .and_then(|v| at(v, list))
                        .and_then(Value::as_array)
                    {
                        Some(items) => {
                            for element in items {
                                b.values().append_option(amount(at(element, item)));
                            }
                            b.append(true);
                        }
                        None => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
        };
        fields.push(Field::new(column.name, data_type(column.extract), true));
        arrays.push(array);
    }
    if include_json {
        let mut b = StringBuilder::new();
        for row in results {
            match row {
                RowResult::Decided { text, .. } => b.append_value(text),
                RowResult::Failed(_) => b.append_null(),
            }
        }
        fields.push(Field::new("decision_json", DataType::Utf8, true));
        arrays.push(Arc::new(b.finish()));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}
