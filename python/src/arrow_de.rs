//! Arrow rows read straight into the engines' typed requests: a serde `Deserializer` over
//! one row of a record batch, with no `serde_json::Value` of the whole request in between.
//!
//! It is an exact stand-in for the JSON-value path of [`crate::arrow_in`] (a row's columns
//! built into one JSON value, then read by the engine), and only ever a fast path in front
//! of it:
//!
//! - the request's objects are the input plan's tree ([`Node`]): the flat columns grouped
//!   by the object each one goes into, an object present in a row when any of its columns
//!   is not null there (the value path creates an object when it inserts the first value);
//! - Arrow `struct`, `list` and `map` cells are walked in place (a struct's null fields
//!   left out, a list's or a map's null items read as JSON `null`), as the value path
//!   builds them;
//! - every scalar cell is made into the one-leaf JSON value the value path makes of it
//!   ([`crate::arrow_in`]'s `cell`: decimal text, RFC 3339 timestamps, money wrapped in
//!   the row's currency) and read by serde_json's own `Value` deserializer, so numbers,
//!   strings and enums behave exactly as in the value path.
//!
//! A plan whose columns overlap (a `struct` column and flat columns merged into the same
//! object, such as `ship_to` with `ship_to_country`) has no tree and takes the value path.
//! Errors carry no position: on any error the caller decides the row again through the
//! value path, whose error (message, field path) is the one the row gets. Entries are
//! visited in the tree's (sorted) order and, inside a struct cell, in the struct's field
//! order; no request type reads its fields in an order-dependent way.

use crate::arrow_in::{cell, Context};
use crate::pyserde::Fallback;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use serde::de::{self, DeserializeSeed, Visitor};
use serde_json::Value;

/// serde_json's name for raw JSON text.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// Where a request's parts come from, for every row of a batch.
#[derive(Debug, Clone)]
pub enum Node {
    /// An object made of columns (sorted by key): present when any of them is not null.
    Object(Vec<(String, Node)>),
    /// One column's cell; `key` is the field name that decides money wrapping.
    Column {
        /// The column.
        array: ArrayRef,
        /// Its field name.
        key: String,
    },
    /// A list made of several columns' cells, in column order, nulls left out.
    Lines(Vec<ArrayRef>, String),
}

impl Node {
    /// Whether this node gives the row a value (the value path would insert one).
    fn present(&self, row: usize) -> bool {
        match self {
            Node::Object(children) => children.iter().any(|(_, child)| child.present(row)),
            Node::Column { array, .. } => not_null(array.as_ref(), row),
            Node::Lines(arrays, _) => arrays.iter().any(|a| not_null(a.as_ref(), row)),
        }
    }
}

fn not_null(array: &dyn Array, row: usize) -> bool {
    row < array.len() && !array.is_null(row) && *array.data_type() != DataType::Null
}

/// Reads row `row` of `tree` (the plan's root object) as a `T`.
pub fn from_row<T: de::DeserializeOwned>(
    tree: &Node,
    row: usize,
    context: &Context<'_>,
) -> Result<T, Fallback> {
    T::deserialize(NodeDe {
        node: tree,
        row,
        context,
    })
}

/// A plan node in one row.
struct NodeDe<'a> {
    node: &'a Node,
    row: usize,
    context: &'a Context<'a>,
}

/// One cell of an array (a column, a struct's field, a list's or map's item).
struct CellDe<'a> {
    array: &'a dyn Array,
    row: usize,
    key: &'a str,
    context: &'a Context<'a>,
}

/// What a cell is to serde.
enum Shape<'a> {
    /// A scalar (or null), as the value path's one-leaf JSON value.
    Leaf(Value),
    /// A list's items: `values[start..end]`.
    List {
        values: &'a dyn Array,
        start: usize,
        end: usize,
    },
    /// A struct's fields at the row.
    Struct(&'a arrow_array::StructArray),
    /// A map's entries: `keys[start..end]`, `values[start..end]`.
    Map {
        keys: &'a dyn Array,
        values: &'a dyn Array,
        start: usize,
        end: usize,
    },
}

fn range(offsets: &[impl Copy + TryInto<usize>], row: usize) -> Result<(usize, usize), Fallback> {
    let at = |i: usize| -> Result<usize, Fallback> {
        offsets
            .get(i)
            .and_then(|o| (*o).try_into().ok())
            .ok_or_else(|| Fallback("a list offset out of range".into()))
    };
    let start = at(row)?;
    let end = at(row + 1)?;
    if start > end {
        return Err(Fallback("list offsets out of order".into()));
    }
    Ok((start, end))
}

impl<'a> CellDe<'a> {
    fn shape(&self) -> Result<Shape<'a>, Fallback> {
        let array = self.array;
        if !not_null(array, self.row) {
            return Ok(Shape::Leaf(Value::Null));
        }
        match array.data_type() {
            DataType::List(_) => {
                let list = array
                    .as_list_opt::<i32>()
                    .ok_or_else(|| Fallback("unreadable list".into()))?;
                let (start, end) = range(list.value_offsets(), self.row)?;
                Ok(Shape::List {
                    values: list.values().as_ref(),
                    start,
                    end,
                })
            }
            DataType::LargeList(_) => {
                let list = array
                    .as_list_opt::<i64>()
                    .ok_or_else(|| Fallback("unreadable list".into()))?;
                let (start, end) = range(list.value_offsets(), self.row)?;
                Ok(Shape::List {
                    values: list.values().as_ref(),
                    start,
                    end,
                })
            }
            DataType::Struct(_) => array
                .as_struct_opt()
                .map(Shape::Struct)
                .ok_or_else(|| Fallback("unreadable struct".into())),
            DataType::Map(_, _) => {
                let map = array
                    .as_map_opt()
                    .ok_or_else(|| Fallback("unreadable map".into()))?;
                let (start, end) = range(map.value_offsets(), self.row)?;
                Ok(Shape::Map {
                    keys: map.keys().as_ref(),
                    values: map.values().as_ref(),
                    start,
                    end,
                })
            }
            _ => cell(array, self.row, self.key, self.context)
                .map(|value| Shape::Leaf(value.unwrap_or(Value::Null)))
                .map_err(Fallback),
        }
    }

    fn composite<'de, V: Visitor<'de>>(
        &self,
        shape: Shape<'a>,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match shape {
            Shape::Leaf(value) => Ok(de::Deserializer::deserialize_any(value, visitor)?),
            Shape::List { values, start, end } => {
                let mut access = ListAccess {
                    values,
                    next: start,
                    end,
                    key: self.key,
                    context: self.context,
                };
                let out = visitor.visit_seq(&mut access)?;
                if access.next < access.end {
                    return Err(Fallback("elements left in a list".into()));
                }
                Ok(out)
            }
            Shape::Struct(structs) => {
                let mut access = StructAccess {
                    structs,
                    row: self.row,
                    next: 0,
                    pending: None,
                    context: self.context,
                };
                let out = visitor.visit_map(&mut access)?;
                if access.pending.is_some() || access.remaining() {
                    return Err(Fallback("entries left in a struct".into()));
                }
                Ok(out)
            }
            Shape::Map {
                keys,
                values,
                start,
                end,
            } => {
                let mut access = EntryAccess {
                    keys,
                    values,
                    next: start,
                    end,
                    pending: None,
                    context: self.context,
                };
                let out = visitor.visit_map(&mut access)?;
                if access.pending.is_some() || access.next < access.end {
                    return Err(Fallback("entries left in a map".into()));
                }
                Ok(out)
            }
        }
    }
}

/// Methods that go to the leaf's JSON value as they are, and to `deserialize_any` for
/// a list, struct or map (whose visitor then refuses what it cannot read).
macro_rules! cell_methods {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
            match self.shape()? {
                Shape::Leaf(value) => Ok(de::Deserializer::$method(value, visitor)?),
                shape => self.composite(shape, visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for CellDe<'_> {
    type Error = Fallback;

    cell_methods!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(value) => Ok(de::Deserializer::deserialize_option(value, visitor)?),
            shape => visitor.visit_some(Composite { cell: self, shape }),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(value) => Ok(value.deserialize_unit_struct(name, visitor)?),
            shape => self.composite(shape, visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(value) => Ok(value.deserialize_newtype_struct(name, visitor)?),
            _ if name == RAW_TOKEN => Err(Fallback("raw JSON from Arrow".into())),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(value) => Ok(de::Deserializer::deserialize_tuple(value, len, visitor)?),
            shape => self.composite(shape, visitor),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(value) => Ok(value.deserialize_tuple_struct(name, len, visitor)?),
            shape => self.composite(shape, visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(value) => Ok(value.deserialize_struct(name, fields, visitor)?),
            shape => self.composite(shape, visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(value) => Ok(value.deserialize_enum(name, variants, visitor)?),
            // A variant with data from an Arrow struct: the value path reads it.
            _ => Err(Fallback("an enum variant with data from Arrow".into())),
        }
    }
}

/// A list, struct or map cell already classified (for `visit_some`).
struct Composite<'a> {
    cell: CellDe<'a>,
    shape: Shape<'a>,
}

impl<'de> de::Deserializer<'de> for Composite<'_> {
    type Error = Fallback;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        self.cell.composite(self.shape, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        if name == RAW_TOKEN {
            return Err(Fallback("raw JSON from Arrow".into()));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Fallback> {
        Err(Fallback("an enum variant with data from Arrow".into()))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct ListAccess<'a> {
    values: &'a dyn Array,
    next: usize,
    end: usize,
    key: &'a str,
    context: &'a Context<'a>,
}

impl<'de> de::SeqAccess<'de> for ListAccess<'_> {
    type Error = Fallback;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Fallback> {
        if self.next >= self.end {
            return Ok(None);
        }
        let row = self.next;
        self.next += 1;
        seed.deserialize(CellDe {
            array: self.values,
            row,
            key: self.key,
            context: self.context,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.end.saturating_sub(self.next))
    }
}

struct StructAccess<'a> {
    structs: &'a arrow_array::StructArray,
    row: usize,
    next: usize,
    /// The field whose key was read and whose value is next.
    pending: Option<usize>,
    context: &'a Context<'a>,
}

impl StructAccess<'_> {
    /// Whether a not-null field is left.
    fn remaining(&self) -> bool {
        self.structs
            .columns()
            .iter()
            .skip(self.next)
            .any(|c| not_null(c.as_ref(), self.row))
    }
}

impl<'de> de::MapAccess<'de> for StructAccess<'_> {
    type Error = Fallback;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Fallback> {
        let columns = self.structs.columns();
        while let Some(column) = columns.get(self.next) {
            let index = self.next;
            self.next += 1;
            if !not_null(column.as_ref(), self.row) {
                continue;
            }
            let name = self
                .structs
                .fields()
                .get(index)
                .map(|f| f.name().as_str())
                .unwrap_or_default();
            self.pending = Some(index);
            return seed
                .deserialize(de::value::StrDeserializer::<Fallback>::new(name))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fallback> {
        let index = self
            .pending
            .take()
            .ok_or_else(|| Fallback("a struct value without its key".into()))?;
        let (Some(column), Some(field)) = (
            self.structs.columns().get(index),
            self.structs.fields().get(index),
        ) else {
            return Err(Fallback("a struct field out of range".into()));
        };
        seed.deserialize(CellDe {
            array: column.as_ref(),
            row: self.row,
            key: field.name(),
            context: self.context,
        })
    }
}

struct EntryAccess<'a> {
    keys: &'a dyn Array,
    values: &'a dyn Array,
    next: usize,
    end: usize,
    /// The entry whose key was read: its index and key text.
    pending: Option<(usize, &'a str)>,
    context: &'a Context<'a>,
}

impl<'de> de::MapAccess<'de> for EntryAccess<'_> {
    type Error = Fallback;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Fallback> {
        if self.next >= self.end {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        let key = crate::arrow_in::string_at(self.keys, index)
            .ok_or_else(|| Fallback("a map key must be a non-null string".into()))?;
        self.pending = Some((index, key));
        seed.deserialize(de::value::StrDeserializer::<Fallback>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fallback> {
        let (index, key) = self
            .pending
            .take()
            .ok_or_else(|| Fallback("a map value without its key".into()))?;
        seed.deserialize(CellDe {
            array: self.values,
            row: index,
            key,
            context: self.context,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.end.saturating_sub(self.next))
    }
}

/// The entries of a plan object present in a row.
struct ObjectAccess<'a> {
    children: std::slice::Iter<'a, (String, Node)>,
    pending: Option<&'a Node>,
    row: usize,
    context: &'a Context<'a>,
}

impl<'de> de::MapAccess<'de> for ObjectAccess<'_> {
    type Error = Fallback;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Fallback> {
        for (key, child) in self.children.by_ref() {
            if child.present(self.row) {
                self.pending = Some(child);
                return seed
                    .deserialize(de::value::StrDeserializer::<Fallback>::new(key))
                    .map(Some);
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fallback> {
        let node = self
            .pending
            .take()
            .ok_or_else(|| Fallback("an object value without its key".into()))?;
        seed.deserialize(NodeDe {
            node,
            row: self.row,
            context: self.context,
        })
    }
}

/// The numbered columns of a plan list that are not null in a row.
struct LinesAccess<'a> {
    arrays: std::slice::Iter<'a, ArrayRef>,
    row: usize,
    key: &'a str,
    context: &'a Context<'a>,
}

impl<'de> de::SeqAccess<'de> for LinesAccess<'_> {
    type Error = Fallback;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Fallback> {
        for array in self.arrays.by_ref() {
            if not_null(array.as_ref(), self.row) {
                return seed
                    .deserialize(CellDe {
                        array: array.as_ref(),
                        row: self.row,
                        key: self.key,
                        context: self.context,
                    })
                    .map(Some);
            }
        }
        Ok(None)
    }
}

impl<'a> NodeDe<'a> {
    fn walk<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.node {
            Node::Object(children) => {
                let mut access = ObjectAccess {
                    children: children.iter(),
                    pending: None,
                    row: self.row,
                    context: self.context,
                };
                let out = visitor.visit_map(&mut access)?;
                if access.pending.is_some() || access.children.any(|(_, c)| c.present(self.row)) {
                    return Err(Fallback("entries left in an object".into()));
                }
                Ok(out)
            }
            Node::Lines(arrays, key) => {
                let mut access = LinesAccess {
                    arrays: arrays.iter(),
                    row: self.row,
                    key,
                    context: self.context,
                };
                let out = visitor.visit_seq(&mut access)?;
                if access.arrays.any(|a| not_null(a.as_ref(), self.row)) {
                    return Err(Fallback("elements left in a list".into()));
                }
                Ok(out)
            }
            Node::Column { .. } => Err(Fallback("a column walked as an object".into())),
        }
    }
}

/// Methods of a plan node: a column is its cell; an object or list of columns is walked
/// as a map or a sequence whatever was asked (its visitor refuses what it cannot read).
macro_rules! node_methods {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
            match self.node {
                Node::Column { array, key } => CellDe {
                    array: array.as_ref(),
                    row: self.row,
                    key,
                    context: self.context,
                }
                .$method(visitor),
                _ => self.walk(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = Fallback;

    node_methods!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.node {
            Node::Column { array, key } => de::Deserializer::deserialize_option(
                CellDe {
                    array: array.as_ref(),
                    row: self.row,
                    key,
                    context: self.context,
                },
                visitor,
            ),
            // Only present nodes are visited: an object or list of columns is a value.
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.node {
            Node::Column { array, key } => CellDe {
                array: array.as_ref(),
                row: self.row,
                key,
                context: self.context,
            }
            .deserialize_newtype_struct(name, visitor),
            _ if name == RAW_TOKEN => Err(Fallback("raw JSON from Arrow".into())),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.node {
            Node::Column { array, key } => CellDe {
                array: array.as_ref(),
                row: self.row,
                key,
                context: self.context,
            }
            .deserialize_struct(name, fields, visitor),
            _ => self.walk(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.node {
            Node::Column { array, key } => CellDe {
                array: array.as_ref(),
                row: self.row,
                key,
                context: self.context,
            }
            .deserialize_enum(name, variants, visitor),
            _ => Err(Fallback("an enum variant with data from Arrow".into())),
        }
    }
}
