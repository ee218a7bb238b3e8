//! The shape every engine shares, and a JSON front door for the C ABI and the CLI.
//!
//! Each engine (routing, returns, refunds, address) implements [`Engine`]; [`AnyEngine`]
//! picks one by its kind name and speaks JSON, so that the C ABI and the `backoffice`
//! CLI serve every engine with the same code.
//!
//! # One list of engines
//!
//! The engines are listed once, in this module. [`ENGINE_KINDS`], [`hooks_of`],
//! [`AnyEngine::new`] and [`visit_engine`] (for code that needs the engine's Rust type,
//! such as a benchmark per engine) are all derived from that list.
//!
//! # Same defaults everywhere
//!
//! Every engine is built the same way (`XEngine::new(config) -> Result<XEngine, Error>`,
//! checking the configuration) and decides the same way: `decide(&request)` is
//! `decide_with(&request, &DecideOptions::default())`, whose
//! [`on_hook_error`](DecideOptions::on_hook_error) is
//! [`OnHookError::Fail`](crate::policy::OnHookError::Fail): a failing policy hook fails
//! the decision with the hook's diagnostic. The Rust API, [`AnyEngine`], the C ABI and
//! the CLI all share this default; the engine's safe outcome instead of the error (for
//! returns: manual review) is the explicit option `OnHookError::Fallback`.
//!
//! # JSON errors
//!
//! Requests, configurations and options read through this module ([`from_json`],
//! [`config_from_json`], [`options_from_json`], [`AnyEngine`]) report a value of the
//! wrong shape with its JSON path as [`Error::field`] and a message in words, not in
//! Rust type names:
//!
//! ```
//! use backoffice::engine::AnyEngine;
//! let err = AnyEngine::new("returns", Some(r#"{"window": {"default_days": -5}}"#), None)
//!     .unwrap_err();
//! assert_eq!(err.field(), Some("window.default_days"));
//! assert_eq!(
//!     err.to_string(),
//!     r#"window.default_days: expected a number of days ≥ 0 or "unlimited", got -5"#
//! );
//!
//! // A configuration must be an object; `null` and `[]` are not the defaults.
//! let err = AnyEngine::new("routing", Some("[]"), None).unwrap_err();
//! assert_eq!(err.field(), Some("config"));
//! assert_eq!(err.to_string(), "config: expected a JSON object ({} for the defaults), got an array");
//! ```

use crate::policy::{DecideOptions, HookSpec, Policy};
use crate::{Decision, Error};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;

/// A decision engine: built once from its configuration (and optionally a policy), then
/// asked for many decisions. Implementations are `Send + Sync` and do no parsing on the
/// hot path.
pub trait Engine: Sized + Send + Sync + 'static {
    /// The engine's kind name: `routing`, `returns`, `refunds` or `address`.
    const KIND: &'static str;
    /// The engine's configuration (JSON object; every field has a documented default).
    type Config: Serialize + DeserializeOwned + Default;
    /// One request: plain data, so a binding may read it in one thread and decide it in
    /// another (e.g. without an interpreter lock held).
    type Request: Serialize + DeserializeOwned + Send + Sync;
    /// What a decision decides (plain data, like the request).
    type Outcome: Serialize + DeserializeOwned + Send + Sync;

    /// The hooks a policy for this engine may define.
    fn hooks() -> &'static [HookSpec];

    /// Builds the engine from its configuration, validating it (the engine's `new`).
    fn from_config(config: Self::Config) -> Result<Self, Error>;

    /// Builds the engine from its configuration as JSON text (an object; empty text for
    /// the defaults), with the errors of [`config_from_json`].
    fn from_config_json(config_json: &str) -> Result<Self, Error> {
        Self::from_config(config_from_json(Some(config_json))?)
    }

    /// Attaches a policy after checking that it only defines this engine's hooks (the
    /// engine's `with_policy`).
    fn attach_policy(self, policy: Policy) -> Result<Self, Error>;

    /// Decides one request.
    fn decide_with(
        &self,
        request: &Self::Request,
        options: &DecideOptions,
    ) -> Result<Decision<Self::Outcome>, Error>;
}

/// Calls `$callback!` with the type of every engine, in the order the CLI lists them.
/// This is the only list of engines in the crate.
macro_rules! with_every_engine {
    ($callback:ident) => {
        $callback!(
            crate::routing::RoutingEngine,
            crate::returns::ReturnsEngine,
            crate::refunds::RefundsEngine,
            crate::address::AddressEngine
        );
    };
}

macro_rules! define_engine_kinds {
    ($($engine:ty),*) => {
        /// The kind names of every engine, in the order the CLI lists them.
        pub const ENGINE_KINDS: &[&str] = &[$(<$engine as Engine>::KIND),*];
    };
}
with_every_engine!(define_engine_kinds);

/// Code that needs the Rust type of an engine chosen by kind name at run time: the
/// engine-generic part of a benchmark, a test run against every engine, a binding.
///
/// ```
/// use backoffice::engine::{visit_engine, Engine, EngineVisitor};
/// struct HookCount;
/// impl EngineVisitor for HookCount {
///     type Output = usize;
///     fn visit<E: Engine>(self) -> usize {
///         E::hooks().len()
///     }
/// }
/// assert_eq!(visit_engine("address", HookCount).unwrap(), backoffice::address::HOOKS.len());
/// ```
pub trait EngineVisitor {
    /// What the visit produces.
    type Output;
    /// Runs with `E`, the engine that was asked for.
    fn visit<E: Engine>(self) -> Self::Output;
}

macro_rules! define_visit_engine {
    ($($engine:ty),*) => {
        /// Runs `visitor` with the engine type whose kind name is `kind`; an unknown kind
        /// is an [`Error::InvalidInput`] on the field `kind` listing the known ones.
        pub fn visit_engine<V: EngineVisitor>(kind: &str, visitor: V) -> Result<V::Output, Error> {
            $(
                if kind == <$engine as Engine>::KIND {
                    return Ok(visitor.visit::<$engine>());
                }
            )*
            Err(unknown_kind(kind))
        }
    };
}
with_every_engine!(define_visit_engine);

/// The hooks of the engine called `kind`.
pub fn hooks_of(kind: &str) -> Result<&'static [HookSpec], Error> {
    struct Hooks;
    impl EngineVisitor for Hooks {
        type Output = &'static [HookSpec];
        fn visit<E: Engine>(self) -> &'static [HookSpec] {
            E::hooks()
        }
    }
    visit_engine(kind, Hooks)
}

fn unknown_kind(kind: &str) -> Error {
    Error::invalid(
        "kind",
        format!(
            "unknown engine kind `{kind}`; expected one of: {}",
            ENGINE_KINDS.join(", ")
        ),
    )
}

/// Reads a value of type `T` from JSON text.
///
/// Unlike `serde_json::from_str`, an error names the JSON path of the offending value as
/// [`Error::field`] (`items[2].quantity`) and says what is allowed in words. The path is
/// only worked out when there is an error, so a good document costs what
/// `serde_json::from_str` costs.
///
/// ```
/// use backoffice::engine::from_json;
/// use backoffice::returns::ReturnItem;
/// let err = from_json::<Vec<ReturnItem>>(r#"[{"line_id": "1", "quantity": "two", "reason": "defective"}]"#)
///     .unwrap_err();
/// assert_eq!(err.field(), Some("[0].quantity"));
/// assert_eq!(
///     err.to_string(),
///     r#"[0].quantity: expected a non-negative integer (at most 4294967295), got string "two""#
/// );
/// ```
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    // serde reads a struct from an array too (`[]` as every field defaulted, or a
    // confusing "expected a string" about its first element): refuse that up front.
    if let Some(got) = not_an_object(text).filter(|_| is_struct::<T>()) {
        return Err(Error::json_shape(
            "input",
            format!("expected a JSON object, got {got}"),
        ));
    }
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(first) => {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(located) => Err(name_unexpected_value(Error::from_json_at(located), text)),
                // Only trailing characters fail outside the value itself.
                Ok(_) => Err(Error::from_json(&first)),
            }
        }
    }
}

/// serde_json says "expected value" both for text that is not JSON and for a valid value
/// where a name (an enum's variant, a string) belongs (`"split_mode": 3`); in the second
/// case, say what was found.
fn name_unexpected_value(err: Error, text: &str) -> Error {
    let Error::Json {
        message,
        path: Some(path),
        line: Some(line),
        column: Some(column),
    } = err
    else {
        return err;
    };
    if !message.starts_with("expected value") {
        return Error::Json {
            message,
            path: Some(path),
            line: Some(line),
            column: Some(column),
        };
    }
    let at = text
        .split('\n')
        .nth(line.saturating_sub(1))
        .and_then(|l| l.as_bytes().get(column.saturating_sub(1)..))
        .map(<[u8]>::trim_ascii_start)
        .and_then(<[u8]>::first);
    let got = match at {
        Some(b'-' | b'0'..=b'9') => Some("a number"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        Some(b'[') => Some("an array"),
        Some(b'{') => Some("an object"),
        _ => None,
    };
    match got {
        Some(got) => Error::Json {
            message: format!("expected a name (a string), got {got}"),
            path: Some(path),
            line: Some(line),
            column: Some(column),
        },
        None => Error::Json {
            message,
            path: Some(path),
            line: Some(line),
            column: Some(column),
        },
    }
}

/// Reads a value of type `T` from a parsed JSON value, with the errors of [`from_json`].
pub fn from_json_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, Error> {
    match T::deserialize(value) {
        Ok(value) => Ok(value),
        Err(first) => match serde_path_to_error::deserialize::<_, T>(value) {
            Err(located) => Err(Error::from_json_at(located)),
            Ok(_) => Err(Error::from_json(&first)),
        },
    }
}

/// Whether `T` reads itself as a struct (a JSON object with named fields), found by
/// asking it to read from a deserializer that only notes what it was asked for.
fn is_struct<T: DeserializeOwned>() -> bool {
    use serde::de::{Deserializer, Visitor};

    #[derive(Debug)]
    struct Probed(bool);
    impl std::fmt::Display for Probed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Probed {}
    impl serde::de::Error for Probed {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Probed(false)
        }
    }
    struct Probe;
    impl<'de> Deserializer<'de> for Probe {
        type Error = Probed;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
            Err(Probed(false))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Probed> {
            Err(Probed(true))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }
    // A struct's derived `Deserialize` asks for `deserialize_struct` first; anything
    // else (a sequence, a map, a number, a hand-written reader) does not.
    matches!(T::deserialize(Probe), Err(Probed(true)))
}

/// Reads a struct only from a JSON object, for `#[serde(deserialize_with = ...)]` on a
/// configuration section: serde would otherwise take `"window": []` as the section with
/// every field defaulted.
pub(crate) fn object_only<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct ObjectOnly<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectOnly<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_map(ObjectOnly(std::marker::PhantomData))
}

/// Reads a map whose keys are names of an enum (`{"opened": 10}` keyed by condition),
/// for `#[serde(deserialize_with = ...)]`: read with string keys first, so that an error
/// in a value names its key in the path (`restocking_fee.by_condition.opened`), then
/// each key as the enum, so that an unknown key is named too.
pub(crate) fn named_keys<'de, D, K, V>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: serde::de::DeserializeOwned + Ord,
    V: serde::Deserialize<'de>,
{
    use serde::de::{value::StrDeserializer, Error as _};
    let by_name: BTreeMap<String, V> = object_only(deserializer)?;
    let mut map = BTreeMap::new();
    for (name, value) in by_name {
        let key = K::deserialize(StrDeserializer::<D::Error>::new(&name))
            .map_err(|e| D::Error::custom(format!("key `{name}`: {e}")))?;
        map.insert(key, value);
    }
    Ok(map)
}

/// What a JSON document starts with, when that is not an object.
fn not_an_object(json: &str) -> Option<&'static str> {
    match json.trim_start().as_bytes().first()? {
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b'n' => Some("null"),
        b't' | b'f' => Some("a boolean"),
        b'-' | b'0'..=b'9' => Some("a number"),
        // An object, or not JSON at all (the parser says where).
        _ => None,
    }
}

/// What a JSON value is, in words.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A request that is not a JSON object (serde would read an array as a struct), as
/// [`from_json`] reports it.
fn not_a_request(got: &str) -> Error {
    Error::json_shape("input", format!("expected a JSON object, got {got}"))
}

/// Checks that `json` is an object before reading it as `T`: serde would otherwise
/// accept `[]` as a struct with every field defaulted.
fn object_from_json<T: DeserializeOwned>(json: &str, name: &str) -> Result<T, Error> {
    if let Some(got) = not_an_object(json) {
        return Err(Error::json_shape(
            name,
            format!("expected a JSON object ({{}} for the defaults), got {got}"),
        ));
    }
    from_json(json)
}

/// Reads an engine configuration from JSON text: `None` or empty text (only white space)
/// gives the defaults; anything else must be a JSON object. `null`, `[]` and other
/// non-objects are an [`Error::Json`] on the field `config`; a wrong value inside names
/// its path (`window.default_days`).
pub fn config_from_json<C: DeserializeOwned + Default>(json: Option<&str>) -> Result<C, Error> {
    match json.map(str::trim) {
        None | Some("") => Ok(C::default()),
        Some(json) => object_from_json(json, "config"),
    }
}

/// Reads [`DecideOptions`] from JSON text: `None` or empty text gives the defaults;
/// anything else must be a JSON object (`{"trace": true, "on_hook_error": "fallback"}`),
/// and `null`, `[]` and other non-objects are an [`Error::Json`] on the field `options`.
///
/// ```
/// use backoffice::engine::options_from_json;
/// use backoffice::policy::OnHookError;
/// let options = options_from_json(Some(r#"{"on_hook_error": "fallback"}"#)).unwrap();
/// assert_eq!(options.on_hook_error, OnHookError::Fallback);
/// assert_eq!(options_from_json(Some("[]")).unwrap_err().field(), Some("options"));
/// ```
pub fn options_from_json(json: Option<&str>) -> Result<DecideOptions, Error> {
    match json.map(str::trim) {
        None | Some("") => Ok(DecideOptions::default()),
        Some(json) => object_from_json(json, "options"),
    }
}

/// A request as [`AnyEngine`] receives it.
enum JsonIn<'a> {
    Text(&'a str),
    Value(&'a serde_json::Value),
}

/// The form [`AnyEngine`] answers in.
#[derive(Clone, Copy)]
enum JsonForm {
    Value,
    Text,
}

/// A decision in the form asked for.
enum JsonOut {
    Value(serde_json::Value),
    Text(String),
}

/// Object-safe JSON view of an [`Engine`]: one method, for every engine, every input and
/// every output form.
trait JsonEngine: Send + Sync {
    fn decide(
        &self,
        input: JsonIn<'_>,
        options: &DecideOptions,
        form: JsonForm,
    ) -> Result<JsonOut, Error>;
}

struct Typed<E: Engine>(E);

impl<E: Engine> JsonEngine for Typed<E> {
    fn decide(
        &self,
        input: JsonIn<'_>,
        options: &DecideOptions,
        form: JsonForm,
    ) -> Result<JsonOut, Error> {
        let request: E::Request = match input {
            JsonIn::Text(text) => from_json(text)?,
            JsonIn::Value(value) => {
                if !value.is_object() {
                    return Err(not_a_request(json_kind(value)));
                }
                from_json_value(value)?
            }
        };
        let decision = self.0.decide_with(&request, options)?;
        match form {
            JsonForm::Value => serde_json::to_value(&decision).map(JsonOut::Value),
            JsonForm::Text => serde_json::to_string(&decision).map(JsonOut::Text),
        }
        .map_err(|e| Error::from_json(&e))
    }
}

/// Any engine, chosen by kind name at run time, with JSON in and out.
///
/// This is what the C ABI and the CLI use: the JSON is exactly the serde shape of the
/// engine's `Request` and of `Decision<Outcome>`, and the defaults are those of the typed
/// engines (see the [module docs](self)).
pub struct AnyEngine {
    kind: &'static str,
    inner: Box<dyn JsonEngine>,
}

impl std::fmt::Debug for AnyEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyEngine")
            .field("kind", &self.kind)
            .finish()
    }
}

impl AnyEngine {
    /// Wraps a typed engine.
    pub fn from_engine<E: Engine>(engine: E) -> Self {
        AnyEngine {
            kind: E::KIND,
            inner: Box::new(Typed(engine)),
        }
    }

    /// Builds the engine called `kind` from its JSON configuration (`None`, empty text or
    /// `"{}"` for the defaults; see [`config_from_json`]), with an optional compiled
    /// policy.
    pub fn new(
        kind: &str,
        config_json: Option<&str>,
        policy: Option<Policy>,
    ) -> Result<Self, Error> {
        struct Build<'a> {
            config_json: Option<&'a str>,
            policy: Option<Policy>,
        }
        impl EngineVisitor for Build<'_> {
            type Output = Result<AnyEngine, Error>;
            fn visit<E: Engine>(self) -> Result<AnyEngine, Error> {
                let mut engine = E::from_config(config_from_json(self.config_json)?)?;
                if let Some(policy) = self.policy {
                    engine = engine.attach_policy(policy)?;
                }
                Ok(AnyEngine::from_engine(engine))
            }
        }
        visit_engine(
            kind,
            Build {
                config_json,
                policy,
            },
        )?
    }

    /// The engine's kind name.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Decides one request given as JSON text; returns the decision as JSON.
    pub fn decide_json(
        &self,
        input: &str,
        options: &DecideOptions,
    ) -> Result<serde_json::Value, Error> {
        match self
            .inner
            .decide(JsonIn::Text(input), options, JsonForm::Value)?
        {
            JsonOut::Value(value) => Ok(value),
            JsonOut::Text(text) => from_json(&text),
        }
    }

    /// Decides a JSON array of requests; each element is the decision or an error object
    /// (`{"error": {code, message, field?, diagnostics}}`), in input order.
    pub fn decide_batch_json(
        &self,
        input: &str,
        options: &DecideOptions,
    ) -> Result<serde_json::Value, Error> {
        let items = batch_items(input)?;
        let results = items
            .iter()
            .map(|item| {
                match self
                    .inner
                    .decide(JsonIn::Value(item), options, JsonForm::Value)
                {
                    Ok(JsonOut::Value(decision)) => decision,
                    Ok(JsonOut::Text(text)) => serde_json::Value::String(text),
                    Err(err) => serde_json::json!({ "error": err.to_json_value() }),
                }
            })
            .collect();
        Ok(serde_json::Value::Array(results))
    }

    /// Like [`AnyEngine::decide_json`], but returns the JSON text exactly as
    /// `serde_json::to_string(&decision)` of the typed Rust API writes it (fields in
    /// declaration order), without an intermediate `serde_json::Value`. The C ABI uses
    /// this, so that C and Python callers get the same bytes as a Rust caller.
    pub fn decide_json_string(
        &self,
        input: &str,
        options: &DecideOptions,
    ) -> Result<String, Error> {
        match self
            .inner
            .decide(JsonIn::Text(input), options, JsonForm::Text)?
        {
            JsonOut::Text(text) => Ok(text),
            JsonOut::Value(value) => Ok(value.to_string()),
        }
    }

    /// Like [`AnyEngine::decide_batch_json`], returning JSON text: an array whose elements
    /// are each the text [`AnyEngine::decide_json_string`] would give for that request, or
    /// `{"error": {code, message, field?, diagnostics}}`.
    pub fn decide_batch_json_string(
        &self,
        input: &str,
        options: &DecideOptions,
    ) -> Result<String, Error> {
        let items = batch_items(input)?;
        let mut out = String::from("[");
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            match self
                .inner
                .decide(JsonIn::Value(item), options, JsonForm::Text)
            {
                Ok(JsonOut::Text(decision)) => out.push_str(&decision),
                Ok(JsonOut::Value(decision)) => out.push_str(&decision.to_string()),
                Err(err) => {
                    out.push_str(&serde_json::json!({ "error": err.to_json_value() }).to_string())
                }
            }
        }
        out.push(']');
        Ok(out)
    }
}

/// The elements of a batch: the input must be a JSON array.
fn batch_items(input: &str) -> Result<Vec<serde_json::Value>, Error> {
    if let Some(got) = not_an_object(input).filter(|got| *got != "an array") {
        return Err(Error::json_shape(
            "input",
            format!("expected a JSON array of requests, got {got}"),
        ));
    }
    if input.trim_start().starts_with('{') {
        return Err(Error::json_shape(
            "input",
            "expected a JSON array of requests, got an object (one request: decide it on its own, or wrap it in [...])",
        ));
    }
    from_json(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_builds_with_its_defaults_and_reports_its_name() {
        for kind in ENGINE_KINDS {
            let engine = AnyEngine::new(kind, Some("{}"), None).unwrap();
            assert_eq!(engine.kind(), *kind);
            let defaults = AnyEngine::new(kind, None, None).unwrap();
            assert_eq!(defaults.kind(), *kind);
            assert!(!hooks_of(kind).unwrap().is_empty());
        }
        assert_eq!(ENGINE_KINDS, ["routing", "returns", "refunds", "address"]);
    }

    #[test]
    fn an_unknown_kind_lists_the_known_ones() {
        let err = AnyEngine::new("shipping", None, None).unwrap_err();
        assert_eq!(err.field(), Some("kind"));
        assert_eq!(
            err.to_string(),
            "invalid `kind`: unknown engine kind `shipping`; expected one of: routing, returns, refunds, address"
        );
    }

    #[test]
    fn a_configuration_that_is_not_an_object_is_refused_for_every_engine() {
        for kind in ENGINE_KINDS {
            for (json, got) in [
                ("null", "null"),
                ("[]", "an array"),
                ("  [1, 2]", "an array"),
                ("\"{}\"", "a string"),
                ("0", "a number"),
                ("-1", "a number"),
                ("true", "a boolean"),
            ] {
                let err = AnyEngine::new(kind, Some(json), None).unwrap_err();
                assert_eq!(err.code(), "invalid_json", "{kind} {json}");
                assert_eq!(err.field(), Some("config"), "{kind} {json}");
                assert_eq!(
                    err.to_string(),
                    format!("config: expected a JSON object ({{}} for the defaults), got {got}")
                );
            }
            // Empty text is no configuration at all.
            assert!(AnyEngine::new(kind, Some("  "), None).is_ok());
        }
    }

    #[test]
    fn options_that_are_not_an_object_are_refused() {
        for (json, got) in [("[]", "an array"), ("null", "null"), ("1", "a number")] {
            let err = options_from_json(Some(json)).unwrap_err();
            assert_eq!(err.field(), Some("options"));
            assert_eq!(
                err.to_string(),
                format!("options: expected a JSON object ({{}} for the defaults), got {got}")
            );
        }
        assert_eq!(options_from_json(None).unwrap(), DecideOptions::default());
        assert_eq!(
            options_from_json(Some(r#"{"trace": true}"#)).unwrap(),
            DecideOptions::traced()
        );
        let err = options_from_json(Some(r#"{"on_hook_error": "retry"}"#)).unwrap_err();
        assert_eq!(err.field(), Some("on_hook_error"));
        assert_eq!(
            err.to_string(),
            "on_hook_error: unknown variant `retry`, expected `fail` or `fallback`"
        );
    }

    #[test]
    fn a_batch_must_be_an_array() {
        let engine = AnyEngine::new("address", None, None).unwrap();
        let options = DecideOptions::default();
        let err = engine
            .decide_batch_json_string(r#"{"address": {}}"#, &options)
            .unwrap_err();
        assert_eq!(err.field(), Some("input"));
        assert_eq!(
            err.to_string(),
            "input: expected a JSON array of requests, got an object (one request: decide it on its own, or wrap it in [...])"
        );
        let err = engine.decide_batch_json("null", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input: expected a JSON array of requests, got null"
        );
    }
}
