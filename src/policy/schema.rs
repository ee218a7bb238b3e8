//! Typed hook-argument schemas: what every hook argument holds, declared once per engine.
//!
//! Each engine declares, next to its hook list, one [`Record`] per kind of value its hooks
//! receive (an item, a request, a node, an order...), and each [`HookSpec`](super::HookSpec)
//! names the record of every parameter. That one declaration feeds:
//!
//! - the script values: [`session`](super::session) builds a hook's arguments field by
//!   field in the order of the record, and only the fields the hook can read;
//! - `backoffice hooks` and `backoffice definitions`, which list every field with its type
//!   and doc;
//! - the policy chapter of the docs (checked against it by a test);
//! - bind-time checks: reading a field that the record does not have
//!   (`policy.unknown_field`) and comparing a field with a literal of a type it can never
//!   equal (`policy.type_mismatch`).
//!
//! Fields are declared in the order of their names (a test checks it), which is the order
//! a script map iterates its keys: building a map is then a copy of a template followed by
//! a write per value, with no key search.
//!
//! ```
//! use backoffice::policy::schema::{Field, FieldType, Record};
//!
//! static LINE: Record = Record {
//!     name: "line",
//!     doc: "One order line.",
//!     fields: &[
//!         Field::new("quantity", FieldType::Int, "Units ordered."),
//!         Field::new("sku", FieldType::String, "Stock-keeping unit."),
//!     ],
//! };
//! assert_eq!(LINE.field("sku").map(|f| f.ty.to_string()), Some("string".to_string()));
//! static LINES: FieldType = FieldType::Array(&FieldType::Record(&LINE));
//! assert_eq!(LINES.to_string(), "array<line>");
//! assert_eq!(LINE.suggest("skus"), Some("sku"));
//! ```

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use std::fmt;

/// The type of a field or of a hook parameter, as a script sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    String,
    /// A string from a fixed set of words (an enumeration in the JSON shape).
    Word(&'static [&'static str]),
    /// A whole number (a script integer).
    Int,
    /// An exact decimal (amounts, rates, percentages).
    Decimal,
    /// `true` or `false`.
    Bool,
    /// A point in time (a [`Timestamp`](super::Timestamp)).
    Timestamp,
    /// A money map `#{amount: decimal, currency: string}`.
    Money,
    /// An array of values of one type.
    Array(&'static FieldType),
    /// A map from string keys to values of one type (attributes, stock per SKU).
    Dict(&'static FieldType),
    /// A map with the fields of a named record.
    Record(&'static Record),
    /// A value of the inner type, or `()` when absent.
    Optional(&'static FieldType),
}

impl FieldType {
    /// The type without its optional marker.
    pub fn required(self) -> FieldType {
        match self {
            FieldType::Optional(inner) => inner.required(),
            other => other,
        }
    }

    /// The record of a map value (through `Optional`), if it is one.
    pub fn record(self) -> Option<&'static Record> {
        match self.required() {
            FieldType::Record(record) => Some(record),
            _ => None,
        }
    }

    /// The kind of script value this type is, for type checks: values of two different
    /// kinds never compare equal.
    pub fn kind(self) -> ValueKind {
        match self.required() {
            FieldType::String | FieldType::Word(_) => ValueKind::String,
            FieldType::Int | FieldType::Decimal => ValueKind::Number,
            FieldType::Bool => ValueKind::Bool,
            FieldType::Timestamp => ValueKind::Timestamp,
            FieldType::Money | FieldType::Dict(_) | FieldType::Record(_) => ValueKind::Map,
            FieldType::Array(_) => ValueKind::Array,
            FieldType::Optional(_) => ValueKind::Number, // unreachable: `required` strips it
        }
    }

    /// Whether the value may be `()`.
    pub fn is_optional(self) -> bool {
        matches!(self, FieldType::Optional(_))
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::String => f.write_str("string"),
            FieldType::Word(words) => {
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    write!(f, "\"{w}\"")?;
                }
                Ok(())
            }
            FieldType::Int => f.write_str("int"),
            FieldType::Decimal => f.write_str("decimal"),
            FieldType::Bool => f.write_str("bool"),
            FieldType::Timestamp => f.write_str("timestamp"),
            FieldType::Money => f.write_str("money"),
            FieldType::Array(inner) => write!(f, "array<{inner}>"),
            FieldType::Dict(inner) => write!(f, "map<string, {inner}>"),
            FieldType::Record(record) => f.write_str(record.name),
            FieldType::Optional(inner) => write!(f, "{inner}?"),
        }
    }
}

impl Serialize for FieldType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The kinds of script values that [`FieldType`]s fall into, for type checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Strings.
    String,
    /// Integers and decimals (they compare with each other).
    Number,
    /// Booleans.
    Bool,
    /// Timestamps.
    Timestamp,
    /// Maps (records, money, dictionaries).
    Map,
    /// Arrays.
    Array,
}

impl ValueKind {
    /// The word used in diagnostics.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::Number => "number",
            ValueKind::Bool => "bool",
            ValueKind::Timestamp => "timestamp",
            ValueKind::Map => "map",
            ValueKind::Array => "array",
        }
    }
}

/// One field of a [`Record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The property name scripts read (`item.sku`).
    pub name: &'static str,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// One line saying what it holds.
    pub doc: &'static str,
    /// Whether the engine sets it while the decision goes on (an item's `status` after the
    /// built-in rules, its `refund` once refunds are computed): a hook always sees the
    /// value decided so far.
    pub live: bool,
}

impl Field {
    /// A field that holds input data (it does not change during a decision).
    pub const fn new(name: &'static str, ty: FieldType, doc: &'static str) -> Field {
        Field {
            name,
            ty,
            doc,
            live: false,
        }
    }

    /// A field the engine sets as the decision goes on (see [`Field::live`]).
    pub const fn live(name: &'static str, ty: FieldType, doc: &'static str) -> Field {
        Field {
            name,
            ty,
            doc,
            live: true,
        }
    }
}

/// A named map shape: the fields of one kind of hook argument.
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    /// The record's name in docs and messages (`item`, `request`, `node`).
    pub name: &'static str,
    /// One line saying what it is.
    pub doc: &'static str,
    /// Its fields, in the order of their names.
    pub fields: &'static [Field],
}

impl Record {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The position of the field called `name` in [`Record::fields`].
    pub fn position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field name closest to a misspelt `name` (for "did you mean"), if one is close.
    pub fn suggest(&self, name: &str) -> Option<&'static str> {
        closest(name, self.fields.iter().map(|f| f.name))
    }

    /// Every record reachable from this one (itself first), each once.
    pub fn reachable(&'static self) -> Vec<&'static Record> {
        #[allow(clippy::collapsible_match)] // a guard would send seen records to `_`
        fn walk(ty: FieldType, out: &mut Vec<&'static Record>) {
            match ty {
                FieldType::Record(r) if !out.iter().any(|seen| std::ptr::eq(*seen, r)) => {
                    out.push(r);
                    for f in r.fields {
                        walk(f.ty, out);
                    }
                }
                FieldType::Array(inner) | FieldType::Dict(inner) | FieldType::Optional(inner) => {
                    walk(*inner, out)
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(FieldType::Record(self), &mut out);
        out
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Record", 3)?;
        s.serialize_field("name", self.name)?;
        s.serialize_field("doc", self.doc)?;
        s.serialize_field("fields", self.fields)?;
        s.end()
    }
}

/// The candidate closest to `name` by edit distance, when it is close enough to be a
/// plausible misspelling (at most a third of the name's length, and at least one edit).
/// A candidate that starts with `name` (at least three characters of it) counts too.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let prefix = |c: &str| name.chars().count() >= 3 && c.starts_with(name);
    candidates
        .into_iter()
        .map(|c| (if prefix(c) { 1 } else { edit_distance(name, c) }, c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len().saturating_add(1)];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = current.first_mut() {
            *first = i.saturating_add(1);
        }
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous
                .get(j)
                .copied()
                .unwrap_or(0)
                .saturating_add(usize::from(ca != *cb));
            let delete = previous
                .get(j.saturating_add(1))
                .copied()
                .unwrap_or(0)
                .saturating_add(1);
            let insert = current.get(j).copied().unwrap_or(0).saturating_add(1);
            if let Some(slot) = current.get_mut(j.saturating_add(1)) {
                *slot = substitute.min(delete).min(insert);
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("prise", "price"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(closest("prise", ["price", "sku"]), Some("price"));
        assert_eq!(closest("zzz", ["price", "sku"]), None);
    }

    #[test]
    fn types_print_like_the_docs() {
        static WORDS: &[&str] = &["a", "b"];
        assert_eq!(FieldType::Word(WORDS).to_string(), "\"a\"|\"b\"");
        assert_eq!(FieldType::Optional(&FieldType::Int).to_string(), "int?");
        assert_eq!(
            FieldType::Dict(&FieldType::String).to_string(),
            "map<string, string>"
        );
    }
}
