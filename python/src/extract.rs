//! Typed decisions straight into result cells, without a JSON value in between.
//!
//! [`Extractor`] is a `serde::Serializer` that walks a decision the way `serde_json` would
//! write it (the same field names, variants in their JSON spelling, skipped fields left
//! out) and keeps only the leaves the result columns read: the scalar at a column's JSON
//! pointer, or, for a list column, the value at the item pointer inside each element of the
//! list at the list pointer. Everything else is walked over without being stored. A cell is
//! what `serde_json::to_value` followed by a pointer lookup would give: a list the decision
//! leaves out is absent (null), an element without the item is a null item.

use serde::ser::{self, Serialize};
use std::fmt;

/// One path segment: a field name, a list element, or a map key no column names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Seg {
    Field(&'static str),
    Elem,
    Other,
}

/// A leaf a column may read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// A JSON string.
    Str(String),
    /// A JSON integer.
    Int(i64),
    /// A JSON boolean.
    Bool(bool),
}

/// A row's cell for one column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cell {
    /// Nothing at the pointer (or a null).
    #[default]
    Absent,
    /// The scalar at the pointer.
    Scalar(Leaf),
    /// The list at the list pointer: one item per element (`None`: no item there).
    List(Vec<Option<Leaf>>),
}

/// Where a column reads a decision.
#[derive(Clone, Debug)]
pub enum Spec {
    /// The scalar at this path.
    Scalar(Vec<&'static str>),
    /// The list at the first path; in each element, the value at the second.
    List(Vec<&'static str>, Vec<&'static str>),
}

/// Splits a JSON pointer of `'static` text (object keys only) into its segments.
pub fn segments(pointer: &'static str) -> Vec<&'static str> {
    pointer.split('/').skip(1).collect()
}

/// The columns to extract, and every name they use (to recognise map keys).
#[derive(Clone, Debug)]
pub struct Plan {
    specs: Vec<Spec>,
    names: Vec<&'static str>,
}

impl Plan {
    /// A plan for these columns, in order.
    pub fn new(specs: Vec<Spec>) -> Self {
        let mut names: Vec<&'static str> = Vec::new();
        for spec in &specs {
            let parts: Vec<&'static str> = match spec {
                Spec::Scalar(path) => path.clone(),
                Spec::List(list, item) => list.iter().chain(item).copied().collect(),
            };
            for part in parts {
                if !names.contains(&part) {
                    names.push(part);
                }
            }
        }
        Plan { specs, names }
    }

    /// The cells of `value`'s columns, in the plan's order.
    pub fn extract<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<Cell>, Error> {
        let mut extractor = Extractor {
            plan: self,
            path: Vec::with_capacity(8),
            cells: vec![Cell::Absent; self.specs.len()],
            number: false,
        };
        value.serialize(&mut extractor)?;
        Ok(extractor.cells)
    }
}

/// Why a decision could not be walked (a `Serialize` impl's own error).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<M: fmt::Display>(message: M) -> Self {
        Error(message.to_string())
    }
}

/// The serializer; see the module docs.
pub struct Extractor<'p> {
    plan: &'p Plan,
    path: Vec<Seg>,
    cells: Vec<Cell>,
    /// Inside `serde_json`'s arbitrary-precision number struct: its text is a number.
    number: bool,
}

/// serde_json's private names for an arbitrary-precision number (a struct with one field).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

fn same(path: &[Seg], names: &[&'static str]) -> bool {
    path.len() == names.len()
        && path
            .iter()
            .zip(names)
            .all(|(seg, name)| *seg == Seg::Field(name))
}

impl Extractor<'_> {
    fn leaf(&mut self, leaf: Leaf) {
        let path = self.path.as_slice();
        for (spec, cell) in self.plan.specs.iter().zip(self.cells.iter_mut()) {
            match spec {
                Spec::Scalar(names) => {
                    if same(path, names) {
                        *cell = Cell::Scalar(leaf.clone());
                    }
                }
                Spec::List(list, item) => {
                    let n = list.len();
                    if path.len() == n + 1 + item.len()
                        && path.get(n) == Some(&Seg::Elem)
                        && path.get(..n).is_some_and(|head| same(head, list))
                        && path.get(n + 1..).is_some_and(|tail| same(tail, item))
                    {
                        if let Cell::List(items) = cell {
                            if let Some(last) = items.last_mut() {
                                *last = Some(leaf.clone());
                            }
                        }
                    }
                }
            }
        }
    }

    /// A list starts at the current path.
    fn begin_list(&mut self) {
        let path = self.path.as_slice();
        for (spec, cell) in self.plan.specs.iter().zip(self.cells.iter_mut()) {
            if let Spec::List(list, _) = spec {
                if same(path, list) {
                    *cell = Cell::List(Vec::new());
                }
            }
        }
    }

    /// An element of the list at the current path starts.
    fn begin_element(&mut self) {
        let path = self.path.as_slice();
        for (spec, cell) in self.plan.specs.iter().zip(self.cells.iter_mut()) {
            if let Spec::List(list, _) = spec {
                if same(path, list) {
                    if let Cell::List(items) = cell {
                        items.push(None);
                    }
                }
            }
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.begin_element();
        self.path.push(Seg::Elem);
        let result = value.serialize(&mut *self);
        self.path.pop();
        result
    }

    fn field<T: Serialize + ?Sized>(&mut self, seg: Seg, value: &T) -> Result<(), Error> {
        self.path.push(seg);
        let result = value.serialize(&mut *self);
        self.path.pop();
        result
    }

    fn name(&self, key: &str) -> Seg {
        self.plan
            .names
            .iter()
            .find(|name| **name == key)
            .map_or(Seg::Other, |name| Seg::Field(name))
    }
}

/// Reads a map key's text (only string keys can name a column's field).
struct KeyText;

macro_rules! no_key {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, _: $t) -> Result<Option<String>, Error> { Ok(None) })*
    };
}

impl ser::Serializer for KeyText {
    type Ok = Option<String>;
    type Error = Error;
    type SerializeSeq = ser::Impossible<Option<String>, Error>;
    type SerializeTuple = ser::Impossible<Option<String>, Error>;
    type SerializeTupleStruct = ser::Impossible<Option<String>, Error>;
    type SerializeTupleVariant = ser::Impossible<Option<String>, Error>;
    type SerializeMap = ser::Impossible<Option<String>, Error>;
    type SerializeStruct = ser::Impossible<Option<String>, Error>;
    type SerializeStructVariant = ser::Impossible<Option<String>, Error>;

    fn serialize_str(self, v: &str) -> Result<Option<String>, Error> {
        Ok(Some(v.to_string()))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<String>, Error> {
        Ok(Some(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Option<String>, Error> {
        value.serialize(self)
    }
    no_key!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_bytes: &[u8], serialize_unit_struct: &'static str);
    fn serialize_none(self) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Option<String>, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(Error("a map key must be a string".into()))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(Error("a map key must be a string".into()))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(Error("a map key must be a string".into()))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error("a map key must be a string".into()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(Error("a map key must be a string".into()))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(Error("a map key must be a string".into()))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error("a map key must be a string".into()))
    }
}

macro_rules! int_leaf {
    ($($method:ident: $t:ty),*) => {
        $(#[allow(irrefutable_let_patterns)]
        fn $method(self, v: $t) -> Result<(), Error> {
            if let Ok(v) = i64::try_from(v) {
                self.leaf(Leaf::Int(v));
            }
            Ok(())
        })*
    };
}

impl<'a, 'p> ser::Serializer for &'a mut Extractor<'p> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = MapState<'a, 'p>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.leaf(Leaf::Bool(v));
        Ok(())
    }
    int_leaf!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128);
    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.leaf(Leaf::Str(v.to_string()));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        if self.number {
            if let Ok(n) = v.parse::<i64>() {
                self.leaf(Leaf::Int(n));
            }
            return Ok(());
        }
        self.leaf(Leaf::Str(v.to_string()));
        Ok(())
    }
    fn serialize_bytes(mut self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        self.begin_list();
        for byte in v {
            self.serialize_element(byte)?;
        }
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.leaf(Leaf::Str(variant.to_string()));
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(Seg::Field(variant), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Error> {
        self.begin_list();
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Error> {
        self.begin_list();
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        self.begin_list();
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Error> {
        self.path.push(Seg::Field(variant));
        self.begin_list();
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapState<'a, 'p>, Error> {
        Ok(MapState {
            extractor: self,
            key: Seg::Other,
        })
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self, Error> {
        if name == NUMBER_TOKEN {
            self.number = true;
        }
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, Error> {
        self.path.push(Seg::Field(variant));
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Extractor<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTuple for &mut Extractor<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut Extractor<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut Extractor<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        self.path.pop();
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Extractor<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        if self.number {
            return value.serialize(&mut **self);
        }
        self.field(Seg::Field(key), value)
    }
    fn end(self) -> Result<(), Error> {
        self.number = false;
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Extractor<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(Seg::Field(key), value)
    }
    fn end(self) -> Result<(), Error> {
        self.path.pop();
        Ok(())
    }
}

/// A map being walked: the key last read.
pub struct MapState<'a, 'p> {
    extractor: &'a mut Extractor<'p>,
    key: Seg,
}

impl ser::SerializeMap for MapState<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = match key.serialize(KeyText)? {
            Some(text) => self.extractor.name(&text),
            None => Seg::Other,
        };
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = std::mem::replace(&mut self.key, Seg::Other);
        self.extractor.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_match_pointer_lookups_of_the_json() {
        let value = serde_json::json!({
            "outcome": {"status": "ok", "items": [{"id": "a", "n": 2}, {"n": 3}], "flag": true},
            "reasons": [{"code": "x"}],
        });
        let plan = Plan::new(vec![
            Spec::Scalar(segments("/outcome/status")),
            Spec::List(segments("/outcome/items"), segments("/id")),
            Spec::List(segments("/outcome/items"), segments("/n")),
            Spec::Scalar(segments("/outcome/flag")),
            Spec::List(segments("/outcome/missing"), segments("/id")),
            Spec::List(segments("/reasons"), segments("/code")),
        ]);
        let cells = plan.extract(&value).unwrap();
        assert_eq!(
            cells,
            vec![
                Cell::Scalar(Leaf::Str("ok".into())),
                Cell::List(vec![Some(Leaf::Str("a".into())), None]),
                Cell::List(vec![Some(Leaf::Int(2)), Some(Leaf::Int(3))]),
                Cell::Scalar(Leaf::Bool(true)),
                Cell::Absent,
                Cell::List(vec![Some(Leaf::Str("x".into()))]),
            ]
        );
    }
}
