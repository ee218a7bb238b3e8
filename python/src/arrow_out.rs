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
//! - **routing**: `status`, `chain` (the rule chain used), `shipment_nodes` and
//!   `shipment_distances_km` (one element per shipment; the distance as exact decimal
//!   text, null when unknown), `reservation_nodes`, `reservation_skus`,
//!   `reservation_quantities` (one element per reservation to place), `short_line_ids`,
//!   `short_skus`, `short_requested`, `short_available` (one element per line that could
//!   not be filled). Quantities are `list<int64>`.
//! - **refunds**: `refund_amount`, `refund_currency`, `method`, `rate_used` (string, the
//!   exact rate), `replay` (bool), `order_id`, `idempotency_key`, `fingerprint`,
//!   `refund_currency_choice` (`presentment`, ...), `presentment_amount`,
//!   `presentment_currency`, `shipping_amount` and `cash_rounding_amount` (in the refund's
//!   currency), `line_ids`, `line_quantities`, `line_amounts`, `line_taxes` (one element per
//!   refunded line), `fx_rate_source`, `fx_capture_rate` (exact text),
//!   `settlement_amount`, `settlement_currency`, `fx_gain_loss` (in the settlement
//!   currency).

use crate::extract::{segments, Cell, Leaf, Plan, Spec};
use arrow_array::builder::{
    BooleanBuilder, Decimal128Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use serde_json::Value;
use std::borrow::Cow;
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
    IntList(&'static str, &'static str),
}

struct Column {
    name: &'static str,
    extract: Extract,
}

const fn col(name: &'static str, extract: Extract) -> Column {
    Column { name, extract }
}

use Extract::{Amount, AmountList, Bool, Int, IntList, Str, StrList};

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
    col("chain", StrList("/outcome/chain", "")),
    col("shipment_nodes", StrList("/outcome/shipments", "/node_id")),
    col(
        "shipment_distances_km",
        StrList("/outcome/shipments", "/distance_km"),
    ),
    col(
        "reservation_nodes",
        StrList("/outcome/reservations", "/node_id"),
    ),
    col("reservation_skus", StrList("/outcome/reservations", "/sku")),
    col(
        "reservation_quantities",
        IntList("/outcome/reservations", "/quantity"),
    ),
    col(
        "short_line_ids",
        StrList("/outcome/short_lines", "/line_id"),
    ),
    col("short_skus", StrList("/outcome/short_lines", "/sku")),
    col(
        "short_requested",
        IntList("/outcome/short_lines", "/requested"),
    ),
    col(
        "short_available",
        IntList("/outcome/short_lines", "/available"),
    ),
];

const REFUNDS: &[Column] = &[
    col("refund_amount", Amount("/outcome/plan/amount/amount")),
    col("refund_currency", Str("/outcome/plan/amount/currency")),
    col("method", Str("/outcome/plan/method")),
    col("rate_used", Str("/outcome/plan/fx/rate_used")),
    col("replay", Bool("/outcome/replay")),
    col("order_id", Str("/outcome/plan/order_id")),
    col("idempotency_key", Str("/outcome/plan/idempotency_key")),
    col("fingerprint", Str("/outcome/plan/fingerprint")),
    col(
        "refund_currency_choice",
        Str("/outcome/plan/refund_currency"),
    ),
    col(
        "presentment_amount",
        Amount("/outcome/plan/presentment_amount/amount"),
    ),
    col(
        "presentment_currency",
        Str("/outcome/plan/presentment_amount/currency"),
    ),
    col("shipping_amount", Amount("/outcome/plan/shipping/amount")),
    col(
        "cash_rounding_amount",
        Amount("/outcome/plan/cash_rounding/amount"),
    ),
    col("line_ids", StrList("/outcome/plan/lines", "/line_id")),
    col(
        "line_quantities",
        IntList("/outcome/plan/lines", "/quantity"),
    ),
    col(
        "line_amounts",
        AmountList("/outcome/plan/lines", "/amount/amount"),
    ),
    col(
        "line_taxes",
        AmountList("/outcome/plan/lines", "/tax/amount"),
    ),
    col("fx_rate_source", Str("/outcome/plan/fx/rate_source")),
    col("fx_capture_rate", Str("/outcome/plan/fx/capture_rate")),
    col(
        "settlement_amount",
        Amount("/outcome/plan/fx/settlement_amount/amount"),
    ),
    col(
        "settlement_currency",
        Str("/outcome/plan/fx/settlement_amount/currency"),
    ),
    col("fx_gain_loss", Amount("/outcome/plan/fx/gain_loss/amount")),
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
    /// The decision's JSON text (empty unless asked for) and its cells, one per column of
    /// [`plan`] (the engine's columns, then `reason_codes`).
    Decided { text: String, cells: Vec<Cell> },
    /// The error object `{code, message, field?, diagnostics}`.
    Failed(Value),
}

/// The engine's decision columns (its own, then `reason_codes`) as an extraction plan.
pub fn plan(kind: &str) -> Plan {
    let specs = decision_columns(kind)
        .map(|column| match column.extract {
            Str(p) | Int(p) | Bool(p) | Amount(p) => Spec::Scalar(segments(p)),
            StrList(list, item) | AmountList(list, item) | IntList(list, item) => {
                Spec::List(segments(list), segments(item))
            }
        })
        .collect();
    Plan::new(specs)
}

/// The columns read from a decision (not the `error_*` ones), in result order.
fn decision_columns(kind: &str) -> impl Iterator<Item = &'static Column> {
    columns(kind)
        .iter()
        .chain(COMMON)
        .filter(|c| !c.name.starts_with("error_"))
}

/// A row's value for one column: the decision's cell, or the error object's field for
/// `error_*` columns, as one [`Cell`].
fn cell_of(row: &RowResult, index: Option<usize>, extract: Extract) -> Cow<'_, Cell> {
    match (row, index, extract) {
        (RowResult::Decided { cells, .. }, Some(i), _) => match cells.get(i) {
            Some(cell) => Cow::Borrowed(cell),
            None => Cow::Owned(Cell::Absent),
        },
        (RowResult::Failed(error), None, Str(pointer)) => match at(error, pointer) {
            Some(Value::String(text)) => Cow::Owned(Cell::Scalar(Leaf::Str(text.clone()))),
            _ => Cow::Owned(Cell::Absent),
        },
        _ => Cow::Owned(Cell::Absent),
    }
}

fn str_of(leaf: Option<&Leaf>) -> Option<&str> {
    match leaf {
        Some(Leaf::Str(text)) => Some(text),
        _ => None,
    }
}

fn int_of(leaf: Option<&Leaf>) -> Option<i64> {
    match leaf {
        Some(Leaf::Int(n)) => Some(*n),
        _ => None,
    }
}

fn scalar(cell: &Cell) -> Option<&Leaf> {
    match cell {
        Cell::Scalar(leaf) => Some(leaf),
        _ => None,
    }
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
        IntList(_, _) => item(DataType::Int64),
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

fn amount(text: Option<&str>) -> Option<i128> {
    let text = text?;
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
    let mut decision_index = 0;
    for column in columns(kind).iter().chain(COMMON) {
        let index = if column.name.starts_with("error_") {
            None
        } else {
            decision_index += 1;
            Some(decision_index - 1)
        };
        let cells = results
            .iter()
            .map(|row| cell_of(row, index, column.extract));
        let array: ArrayRef = match column.extract {
            Str(_) => {
                let mut b = StringBuilder::with_capacity(results.len(), results.len() * 8);
                for cell in cells {
                    b.append_option(str_of(scalar(&cell)));
                }
                Arc::new(b.finish())
            }
            Int(_) => {
                let mut b = Int32Builder::with_capacity(results.len());
                for cell in cells {
                    b.append_option(int_of(scalar(&cell)).and_then(|n| i32::try_from(n).ok()));
                }
                Arc::new(b.finish())
            }
            Bool(_) => {
                let mut b = BooleanBuilder::with_capacity(results.len());
                for cell in cells {
                    b.append_option(match scalar(&cell) {
                        Some(Leaf::Bool(v)) => Some(*v),
                        _ => None,
                    });
                }
                Arc::new(b.finish())
            }
            Amount(_) => {
                let mut b = Decimal128Builder::with_capacity(results.len())
                    .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE)?;
                for cell in cells {
                    b.append_option(amount(str_of(scalar(&cell))));
                }
                Arc::new(b.finish())
            }
            StrList(_, _) => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for cell in cells {
                    match &*cell {
                        Cell::List(items) => {
                            for item in items {
                                b.values().append_option(str_of(item.as_ref()));
                            }
                            b.append(true);
                        }
                        _ => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
            IntList(_, _) => {
                let mut b = ListBuilder::new(Int64Builder::new());
                for cell in cells {
                    match &*cell {
                        Cell::List(items) => {
                            for item in items {
                                b.values().append_option(int_of(item.as_ref()));
                            }
                            b.append(true);
                        }
                        _ => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
            AmountList(_, _) => {
                let values = Decimal128Builder::new()
                    .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE)?;
                let mut b = ListBuilder::new(values).with_field(Arc::new(Field::new(
                    "item",
                    amount_type(),
                    true,
                )));
                for cell in cells {
                    match &*cell {
                        Cell::List(items) => {
                            for item in items {
                                b.values().append_option(amount(str_of(item.as_ref())));
                            }
                            b.append(true);
                        }
                        _ => b.append(false),
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
