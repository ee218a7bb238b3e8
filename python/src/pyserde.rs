//! Requests read straight from Python objects and decisions written straight to Python
//! objects: a serde `Deserializer` over a Python value and a serde `Serializer` that builds
//! Python values, with no JSON text or `serde_json::Value` of the whole document in between.
//!
//! Both are exact stand-ins for the JSON-value path of [`crate::pyjson`], and are only
//! ever a fast path in front of it:
//!
//! - [`from_py`] reads a request as `T::deserialize(&to_json_at(value))` would. Each leaf
//!   is classified and converted by [`pyjson::shape`] (the one list of accepted Python
//!   types), and is then read by serde_json's own `Value` deserializer, so numbers,
//!   strings and `null` behave exactly as in the JSON path; dicts and lists are walked in
//!   place with the JSON path's rules (a struct also reads from a list, a one-key dict is
//!   an enum variant, leftover entries are an error). Its errors carry no position: on any
//!   error the caller reads the request again through the JSON path, whose error (message,
//!   field path, line and column) is the one the user sees.
//! - [`to_py`] writes what `pyjson::to_py(&serde_json::to_value(value))` would: dict keys
//!   in `serde_json::Map`'s (sorted) order, strings typed by their field's name
//!   ([`pyjson::Leaf`]), numbers as `int` or `Decimal`. On an error the caller takes the
//!   JSON path.
//!
//! The dicts' key order of the JSON path differs from the Python dict's own order; no
//! request type reads its fields in an order-dependent way (every map type is sorted or
//! read by name), so the order the entries are visited in does not change the request.

use crate::pyjson::{self, leaf_kind, Leaf, Shape, MAX_DEPTH};
use pyo3::prelude::*;
use pyo3::types::{PyAny, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use serde_json::Value;
use std::fmt;

/// serde_json's name for a number kept as text (`arbitrary_precision`).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";
/// serde_json's name for raw JSON text.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// Why the fast path did not finish; the caller then takes the JSON path.
#[derive(Debug)]
pub struct Fallback(pub String);

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Fallback {}

impl de::Error for Fallback {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Fallback(msg.to_string())
    }
}

impl ser::Error for Fallback {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Fallback(msg.to_string())
    }
}

impl From<serde_json::Error> for Fallback {
    fn from(e: serde_json::Error) -> Self {
        Fallback(e.to_string())
    }
}

impl From<PyErr> for Fallback {
    fn from(e: PyErr) -> Self {
        Fallback(e.to_string())
    }
}

impl From<pyjson::ConvertError> for Fallback {
    fn from(e: pyjson::ConvertError) -> Self {
        Fallback(e.message)
    }
}

/// Reads a request (a Python dict) as the engine's typed request.
pub fn from_py<T: DeserializeOwned>(value: &Bound<'_, PyDict>) -> Result<T, Fallback> {
    T::deserialize(PyDe {
        value: value.as_any().clone(),
        depth: 0,
    })
}

/// A Python value being read, `depth` dicts and lists below the request.
struct PyDe<'py> {
    value: Bound<'py, PyAny>,
    depth: usize,
}

impl<'py> PyDe<'py> {
    fn shape(&self) -> Result<Shape<'py>, Fallback> {
        if self.depth > MAX_DEPTH {
            return Err(Fallback("nested too deep".into()));
        }
        Ok(pyjson::shape(&self.value, "")?)
    }

    fn child(&self, value: Bound<'py, PyAny>) -> PyDe<'py> {
        PyDe {
            value,
            depth: self.depth + 1,
        }
    }

    fn map<'de, V: Visitor<'de>>(
        &self,
        dict: Bound<'py, PyDict>,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        let mut access = DictAccess {
            parent: self,
            items: dict.iter(),
            value: None,
        };
        let out = visitor.visit_map(&mut access)?;
        if access.items.next().is_some() || access.value.is_some() {
            return Err(Fallback("entries left in a dict".into()));
        }
        Ok(out)
    }

    fn seq<'de, V: Visitor<'de>>(
        &self,
        seq: Bound<'py, PyAny>,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        let mut access = SeqAccess {
            parent: self,
            items: SeqItems::new(seq)?,
        };
        let out = visitor.visit_seq(&mut access)?;
        if access.items.next().is_some() {
            return Err(Fallback("elements left in a list".into()));
        }
        Ok(out)
    }
}

fn wrong(what: &str) -> Fallback {
    Fallback(format!("a dict or list where {what} belongs"))
}

/// Methods that only a leaf answers: a dict or list there is an error, as in the JSON path.
macro_rules! leaf_only {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
            match self.shape()? {
                Shape::Leaf(leaf) => Ok(leaf.$method(visitor)?),
                _ => Err(wrong(stringify!($method))),
            }
        }
    )*};
}

impl<'de, 'py> de::Deserializer<'de> for PyDe<'py> {
    type Error = Fallback;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(leaf) => Ok(leaf.deserialize_any(visitor)?),
            Shape::Dict(dict) => self.map(dict, visitor),
            Shape::Seq(seq) => self.seq(seq, visitor),
        }
    }

    leaf_only!(
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
        deserialize_identifier,
        deserialize_unit
    );

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(leaf) => Ok(leaf.deserialize_bytes(visitor)?),
            Shape::Seq(seq) => self.seq(seq, visitor),
            Shape::Dict(_) => Err(wrong("bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        if self.depth <= MAX_DEPTH && self.value.is_none() {
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        if name == RAW_TOKEN {
            return Err(Fallback("raw JSON is read from text".into()));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(leaf) => Ok(leaf.deserialize_seq(visitor)?),
            Shape::Seq(seq) => self.seq(seq, visitor),
            Shape::Dict(_) => Err(wrong("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(leaf) => Ok(leaf.deserialize_map(visitor)?),
            Shape::Dict(dict) => self.map(dict, visitor),
            Shape::Seq(_) => Err(wrong("a dict")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(leaf) => Ok(leaf.deserialize_struct(name, fields, visitor)?),
            Shape::Dict(dict) => self.map(dict, visitor),
            // serde_json reads a struct from an array too.
            Shape::Seq(seq) => self.seq(seq, visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Leaf(leaf) => Ok(leaf.deserialize_enum(name, variants, visitor)?),
            Shape::Dict(dict) => {
                // `{"Variant": value}`: exactly one entry.
                if dict.len() != 1 {
                    return Err(Fallback("an enum's dict has one entry".into()));
                }
                let Some((key, value)) = dict.iter().next() else {
                    return Err(Fallback("an enum's dict has one entry".into()));
                };
                let variant = pyjson::dict_key(&key, "")?;
                visitor.visit_enum(EnumAccess {
                    variant,
                    value: self.child(value),
                })
            }
            Shape::Seq(_) => Err(wrong("an enum")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        // Not read, but still checked: the JSON path converts every value, and refuses
        // a request with one it cannot convert, read or not.
        let mut path = String::new();
        pyjson::to_json_at(&self.value, &mut path, self.depth)?;
        visitor.visit_unit()
    }
}

struct DictAccess<'a, 'py> {
    parent: &'a PyDe<'py>,
    items: pyo3::types::iter::BoundDictIterator<'py>,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de, 'py> de::MapAccess<'de> for DictAccess<'_, 'py> {
    type Error = Fallback;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Fallback> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        let key = pyjson::dict_key(&key, "")?;
        self.value = Some(value);
        seed.deserialize(KeyDe(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Fallback> {
        match self.value.take() {
            Some(value) => seed.deserialize(self.parent.child(value)),
            None => Err(Fallback("a dict value without its key".into())),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A list's or tuple's elements, in the order iterating it gives (as the JSON path).
struct SeqItems<'py>(Bound<'py, pyo3::types::PyIterator>);

impl<'py> SeqItems<'py> {
    fn new(seq: Bound<'py, PyAny>) -> Result<Self, Fallback> {
        Ok(SeqItems(seq.try_iter()?))
    }

    fn next(&mut self) -> Option<Result<Bound<'py, PyAny>, Fallback>> {
        self.0.next().map(|item| item.map_err(Fallback::from))
    }
}

struct SeqAccess<'a, 'py> {
    parent: &'a PyDe<'py>,
    items: SeqItems<'py>,
}

impl<'de, 'py> de::SeqAccess<'de> for SeqAccess<'_, 'py> {
    type Error = Fallback;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Fallback> {
        match self.items.next() {
            Some(item) => seed.deserialize(self.parent.child(item?)).map(Some),
            None => Ok(None),
        }
    }
}

struct EnumAccess<'py> {
    variant: String,
    value: PyDe<'py>,
}

impl<'de, 'py> de::EnumAccess<'de> for EnumAccess<'py> {
    type Error = Fallback;
    type Variant = PyDe<'py>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, PyDe<'py>), Fallback> {
        let variant = seed.deserialize(KeyDe(self.variant))?;
        Ok((variant, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for PyDe<'_> {
    type Error = Fallback;

    fn unit_variant(self) -> Result<(), Fallback> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Fallback> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Seq(seq) => {
                if seq.len()? == 0 {
                    visitor.visit_unit()
                } else {
                    self.seq(seq, visitor)
                }
            }
            _ => Err(wrong("a tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        match self.shape()? {
            Shape::Dict(dict) => self.map(dict, visitor),
            _ => Err(wrong("a struct variant")),
        }
    }
}

/// A dict key (or an enum variant's name), read as serde_json reads an object's key:
/// text, or a number or boolean written as text.
struct KeyDe(String);

macro_rules! key_parsed {
    ($($method:ident => $visit:ident: $ty:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
            match self.0.parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(Fallback(format!("key `{}` is not a number", self.0))),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDe {
    type Error = Fallback;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        visitor.visit_string(self.0)
    }

    key_parsed!(
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64
    );

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        match self.0.as_str() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(Fallback(format!("key `{}` is not a boolean", self.0))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Fallback> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Fallback> {
        visitor.visit_enum(de::value::StringDeserializer::<Fallback>::new(self.0))
    }

    // Floats, 128-bit integers and the rest: as text, which their visitors refuse
    // (the JSON path then says why).
    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Fallback> for KeyDe {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// Hashes a `&'static str` by its address and length (the names of a type's fields and
/// variants): cheap, and two names that are one string share an entry.
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type NameCache = std::collections::HashMap<
    (usize, usize),
    Py<PyString>,
    std::hash::BuildHasherDefault<AddressHasher>,
>;

static NAMES: std::sync::LazyLock<std::sync::Mutex<NameCache>> =
    std::sync::LazyLock::new(Default::default);

/// The interned Python string of a field or variant name, made once per name: a dict key
/// that Python need not hash again, and no new string per decision.
fn name<'py>(py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
    let key = (name.as_ptr() as usize, name.len());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    names
        .entry(key)
        .or_insert_with(|| PyString::intern(py, name).unbind())
        .bind(py)
        .clone()
}

/// A dict key being collected: a type's own field name, or a map's key.
enum Key {
    Static(&'static str),
    Owned(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Static(s) => s,
            Key::Owned(s) => s,
        }
    }

    fn to_py<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        match self {
            Key::Static(s) => name(py, s),
            Key::Owned(s) => PyString::new(py, s),
        }
    }
}

/// Writes `value` as Python objects, as `pyjson::to_py(py, &serde_json::to_value(value)?,
/// typed)` does.
pub fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
    typed: bool,
) -> Result<Bound<'py, PyAny>, Fallback> {
    value.serialize(PySer {
        py,
        typed,
        leaf: Leaf::Text,
    })
}

/// Builds one Python value; strings are typed by `leaf`, the kind of the field they are in.
#[derive(Clone, Copy)]
struct PySer<'py> {
    py: Python<'py>,
    typed: bool,
    leaf: Leaf,
}

impl<'py> PySer<'py> {
    fn at(self, key: &str) -> PySer<'py> {
        PySer {
            leaf: leaf_kind(key),
            ..self
        }
    }

    fn string(self, s: &str) -> Result<Bound<'py, PyAny>, Fallback> {
        Ok(pyjson::string_to_py(self.py, s, self.typed, self.leaf)?)
    }

    fn number(self, n: &serde_json::Number) -> Result<Bound<'py, PyAny>, Fallback> {
        Ok(pyjson::number_to_py(self.py, n)?)
    }

    fn int<N: IntoPyObject<'py>>(self, n: N) -> Result<Bound<'py, PyAny>, Fallback> {
        Ok(n.into_bound_py_any(self.py)?)
    }

    fn none(self) -> Bound<'py, PyAny> {
        self.py.None().into_bound(self.py)
    }

    /// `{key: value}`, the shape of an enum variant with data.
    fn single(
        self,
        key: &'static str,
        value: Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyAny>, Fallback> {
        let dict = PyDict::new(self.py);
        dict.set_item(name(self.py, key), value)?;
        Ok(dict.into_any())
    }
}

impl<'py> ser::Serializer for PySer<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    type SerializeSeq = SeqBuilder<'py>;
    type SerializeTuple = SeqBuilder<'py>;
    type SerializeTupleStruct = SeqBuilder<'py>;
    type SerializeTupleVariant = SeqBuilder<'py>;
    type SerializeMap = MapBuilder<'py>;
    type SerializeStruct = MapBuilder<'py>;
    type SerializeStructVariant = MapBuilder<'py>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_i8(self, v: i8) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Self::Ok, Fallback> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok, Fallback> {
        match Value::from(v) {
            Value::Number(n) => self.number(&n),
            _ => Ok(self.none()),
        }
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok, Fallback> {
        match Value::from(v) {
            Value::Number(n) => self.number(&n),
            _ => Ok(self.none()),
        }
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok, Fallback> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok, Fallback> {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, Fallback> {
        Ok(PyList::new(self.py, v)?.into_any())
    }
    fn serialize_none(self) -> Result<Self::Ok, Fallback> {
        Ok(self.none())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, Fallback> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok, Fallback> {
        Ok(self.none())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Self::Ok, Fallback> {
        Ok(self.none())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Self::Ok, Fallback> {
        if self.typed && self.leaf != Leaf::Text {
            // Under an amount's or a timestamp's name: typed as any string there is.
            return self.string(variant);
        }
        Ok(name(self.py, variant).into_any())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Self::Ok, Fallback> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Self::Ok, Fallback> {
        let inner = value.serialize(self.at(variant))?;
        self.single(variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder<'py>, Fallback> {
        Ok(SeqBuilder {
            ser: self,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder<'py>, Fallback> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'py>, Fallback> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'py>, Fallback> {
        Ok(SeqBuilder {
            ser: self.at(variant),
            items: Vec::with_capacity(len),
            variant: Some((self, variant)),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder<'py>, Fallback> {
        Ok(MapBuilder {
            ser: self,
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
            variant: None,
            number: false,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<MapBuilder<'py>, Fallback> {
        if name == RAW_TOKEN {
            return Err(Fallback("raw JSON is written as text".into()));
        }
        let mut map = self.serialize_map(Some(len))?;
        map.number = name == NUMBER_TOKEN;
        Ok(map)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder<'py>, Fallback> {
        Ok(MapBuilder {
            ser: self.at(variant),
            entries: Vec::with_capacity(len),
            key: None,
            variant: Some((self, variant)),
            number: false,
        })
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<Self::Ok, Fallback> {
        self.string(&value.to_string())
    }
}

/// A list being built (for a tuple variant, `{variant: [...]}`).
struct SeqBuilder<'py> {
    ser: PySer<'py>,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<(PySer<'py>, &'static str)>,
}

impl<'py> SeqBuilder<'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fallback> {
        self.items.push(value.serialize(self.ser)?);
        Ok(())
    }

    fn finish(self) -> Result<Bound<'py, PyAny>, Fallback> {
        let list = PyList::new(self.ser.py, self.items)?.into_any();
        match self.variant {
            Some((outer, variant)) => outer.single(variant, list),
            None => Ok(list),
        }
    }
}

impl<'py> ser::SerializeSeq for SeqBuilder<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fallback> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok, Fallback> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for SeqBuilder<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fallback> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok, Fallback> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for SeqBuilder<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fallback> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok, Fallback> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for SeqBuilder<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fallback> {
        self.push(value)
    }
    fn end(self) -> Result<Self::Ok, Fallback> {
        self.finish()
    }
}

/// A dict being built: entries are collected, then put in the dict in key order (the
/// order of `serde_json::Map`; a repeated key keeps its last value).
struct MapBuilder<'py> {
    ser: PySer<'py>,
    entries: Vec<(Key, Bound<'py, PyAny>)>,
    key: Option<String>,
    variant: Option<(PySer<'py>, &'static str)>,
    /// serde_json's number kept as text: one field holding the number's text.
    number: bool,
}

impl<'py> MapBuilder<'py> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: Key, value: &T) -> Result<(), Fallback> {
        let value = value.serialize(self.ser.at(key.as_str()))?;
        self.entries.push((key, value));
        Ok(())
    }

    fn finish(mut self) -> Result<Bound<'py, PyAny>, Fallback> {
        let py = self.ser.py;
        // Stable: of entries with the same key, the last one is the value kept.
        self.entries.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let dict = PyDict::new(py);
        for (key, value) in self.entries {
            dict.set_item(key.to_py(py), value)?;
        }
        let dict = dict.into_any();
        match self.variant {
            Some((outer, variant)) => outer.single(variant, dict),
            None => Ok(dict),
        }
    }
}

impl<'py> ser::SerializeMap for MapBuilder<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Fallback> {
        self.key = Some(key.serialize(KeySer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Fallback> {
        match self.key.take() {
            Some(key) => self.entry(Key::Owned(key), value),
            None => Err(Fallback("a map value without its key".into())),
        }
    }
    fn end(self) -> Result<Self::Ok, Fallback> {
        self.finish()
    }
}

impl<'py> ser::SerializeStruct for MapBuilder<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Fallback> {
        if self.number {
            // The number's text, kept as the value of the (only) field.
            let text = value.serialize(KeySer)?;
            let number: serde_json::Number = text.parse()?;
            self.entries
                .push((Key::Static(""), self.ser.number(&number)?));
            return Ok(());
        }
        self.entry(Key::Static(key), value)
    }
    fn end(mut self) -> Result<Self::Ok, Fallback> {
        if self.number {
            return match self.entries.pop() {
                Some((_, number)) if self.entries.is_empty() => Ok(number),
                _ => Err(Fallback("a number without its text".into())),
            };
        }
        self.finish()
    }
}

impl<'py> ser::SerializeStructVariant for MapBuilder<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Fallback;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Fallback> {
        self.entry(Key::Static(key), value)
    }
    fn end(self) -> Result<Self::Ok, Fallback> {
        self.finish()
    }
}

/// A map key as text, as serde_json writes an object's key: strings, characters,
/// integers, booleans and unit variants; anything else takes the JSON path (which says
/// why).
struct KeySer;

fn key_refused() -> Fallback {
    Fallback("a key that is not text".into())
}

impl ser::Serializer for KeySer {
    type Ok = String;
    type Error = Fallback;
    type SerializeSeq = ser::Impossible<String, Fallback>;
    type SerializeTuple = ser::Impossible<String, Fallback>;
    type SerializeTupleStruct = ser::Impossible<String, Fallback>;
    type SerializeTupleVariant = ser::Impossible<String, Fallback>;
    type SerializeMap = ser::Impossible<String, Fallback>;
    type SerializeStruct = ser::Impossible<String, Fallback>;
    type SerializeStructVariant = ser::Impossible<String, Fallback>;

    fn serialize_bool(self, v: bool) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_char(self, v: char) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Fallback> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_none(self) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_unit(self) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Fallback> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Fallback> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Fallback> {
        Err(key_refused())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Fallback> {
        Err(key_refused())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Fallback> {
        Err(key_refused())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Fallback> {
        Err(key_refused())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Fallback> {
        Err(key_refused())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Fallback> {
        Err(key_refused())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Fallback> {
        Err(key_refused())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Fallback> {
        Err(key_refused())
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<String, Fallback> {
        Ok(value.to_string())
    }
}
