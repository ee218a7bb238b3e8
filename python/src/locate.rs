//! The JSON path of a shape error (`items[2].quantity`), found on the error path only.
//!
//! The engines report a request or configuration that does not have their shape as
//! `invalid_json` with serde's message and a line and column. When the error object has no
//! `field`, the text is read once more into the engine's typed request (or configuration)
//! through `serde_path_to_error`, which names the path of the value that failed; the path
//! becomes the error's `field` and is written into its message. Decisions that succeed never
//! pay for this.

use backoffice::Error;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Which document of an engine a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// One request.
    Request,
    /// The engine's configuration.
    Config,
}

fn path_in<T: DeserializeOwned>(text: &str) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => None,
        Err(err) => {
            let path = err.path().to_string();
            (!path.is_empty() && path != ".").then_some(path)
        }
    }
}

/// The path of the value of `text` that does not fit engine `kind`'s `doc`, if any.
pub fn path_of(kind: &str, doc: Doc, text: &str) -> Option<String> {
    use backoffice::{address, refunds, returns, routing};
    match (kind, doc) {
        ("returns", Doc::Request) => path_in::<returns::ReturnRequest>(text),
        ("returns", Doc::Config) => path_in::<returns::ReturnsConfig>(text),
        ("routing", Doc::Request) => path_in::<routing::RoutingRequest>(text),
        ("routing", Doc::Config) => path_in::<routing::RoutingConfig>(text),
        ("refunds", Doc::Request) => path_in::<refunds::RefundRequest>(text),
        ("refunds", Doc::Config) => path_in::<refunds::RefundsConfig>(text),
        ("address", Doc::Request) => path_in::<address::AddressRequest>(text),
        ("address", Doc::Config) => path_in::<address::AddressConfig>(text),
        _ => None,
    }
}

/// The error object of `error` (`{code, message, field?, diagnostics}`), with the field's
/// path added to a shape error of `text` that names none.
pub fn error_object(error: &Error, kind: &str, doc: Doc, text: &str) -> Value {
    let mut object = error.to_json_value();
    if !matches!(error, Error::Json { .. }) {
        return object;
    }
    let Value::Object(map) = &mut object else {
        return object;
    };
    if map.contains_key("field") {
        return object;
    }
    let Some(path) = path_of(kind, doc, text) else {
        return object;
    };
    let message = map
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // "invalid JSON at line 1, column 40: <serde's message>" -> "...: <path>: <message>".
    let message = match message.split_once(": ") {
        Some((head, tail)) => format!("{head}: {path}: {tail}"),
        None => format!("{message}: {path}"),
    };
    map.insert("message".into(), Value::String(message));
    map.insert("field".into(), Value::String(path));
    object
}
