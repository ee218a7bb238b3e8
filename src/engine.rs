//! The shape every engine shares, and a JSON front door for the C ABI and the CLI.
//!
//! Each engine (routing, returns, refunds, address) implements [`Engine`]; [`AnyEngine`]
//! picks one by its kind name and speaks JSON, so that the C ABI and the `backoffice`
//! CLI serve every engine with the same code.

use crate::policy::{DecideOptions, HookSpec, Policy};
use crate::{Decision, Error};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A decision engine: built once from its configuration (and optionally a policy), then
/// asked for many decisions. Implementations are `Send + Sync` and do no parsing on the
/// hot path.
pub trait Engine: Sized + Send + Sync + 'static {
    /// The engine's kind name: `routing`, `returns`, `refunds` or `address`.
    const KIND: &'static str;
    /// The engine's configuration (JSON object; every field has a documented default).
    type Config: Serialize + DeserializeOwned + Default;
    /// One request.
    type Request: Serialize + DeserializeOwned;
    /// What a decision decides.
    type Outcome: Serialize + DeserializeOwned;

    /// The hooks a policy for this engine may define.
    fn hooks() -> &'static [HookSpec];

    /// Builds the engine from its configuration, validating it.
    fn from_config(config: Self::Config) -> Result<Self, Error>;

    /// Attaches a policy after checking that it only defines this engine's hooks.
    fn attach_policy(self, policy: Policy) -> Result<Self, Error>;

    /// Decides one request.
    fn decide_with(
        &self,
        request: &Self::Request,
        options: &DecideOptions,
    ) -> Result<Decision<Self::Outcome>, Error>;
}

/// The kind names of every engine, in the order the CLI lists them.
pub const ENGINE_KINDS: &[&str] = &["routing", "returns", "refunds", "address"];

/// The hooks of the engine called `kind`.
pub fn hooks_of(kind: &str) -> Result<&'static [HookSpec], Error> {
    match kind {
        "routing" => Ok(crate::routing::HOOKS),
        "returns" => Ok(crate::returns::HOOKS),
        "refunds" => Ok(crate::refunds::HOOKS),
        "address" => Ok(crate::address::HOOKS),
        _ => Err(unknown_kind(kind)),
    }
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

/// Object-safe JSON view of an [`Engine`].
trait JsonEngine: Send + Sync {
    fn decide_json(&self, input: &str, options: &DecideOptions)
        -> Result<serde_json::Value, Error>;
    fn decide_value(
        &self,
        input: serde_json::Value,
        options: &DecideOptions,
    ) -> Result<serde_json::Value, Error>;
}

struct Typed<E: Engine>(E);

impl<E: Engine> JsonEngine for Typed<E> {
    fn decide_json(
        &self,
        input: &str,
        options: &DecideOptions,
    ) -> Result<serde_json::Value, Error> {
        let request: E::Request = serde_json::from_str(input).map_err(|e| Error::from_json(&e))?;
        let decision = self.0.decide_with(&request, options)?;
        serde_json::to_value(&decision).map_err(|e| Error::from_json(&e))
    }

    fn decide_value(
        &self,
        input: serde_json::Value,
        options: &DecideOptions,
    ) -> Result<serde_json::Value, Error> {
        let request: E::Request =
            serde_json::from_value(input).map_err(|e| Error::from_json(&e))?;
        let decision = self.0.decide_with(&request, options)?;
        serde_json::to_value(&decision).map_err(|e| Error::from_json(&e))
    }
}

/// Any engine, chosen by kind name at run time, with JSON in and out.
///
/// This is what the C ABI and the CLI use: the JSON is exactly the serde shape of the
/// engine's `Request` and of `Decision<Outcome>`.
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

    /// Builds the engine called `kind` from its JSON configuration (`None` or `"{}"` for
    /// the defaults), with an optional compiled policy.
    pub fn new(
        kind: &str,
        config_json: Option<&str>,
        policy: Option<Policy>,
    ) -> Result<Self, Error> {
        fn build<E: Engine>(
            config_json: Option<&str>,
            policy: Option<Policy>,
        ) -> Result<AnyEngine, Error> {
            let config: E::Config = match config_json.map(str::trim) {
                None | Some("") => E::Config::default(),
                Some(json) => serde_json::from_str(json).map_err(|e| Error::from_json(&e))?,
            };
            let mut engine = E::from_config(config)?;
            if let Some(policy) = policy {
                engine = engine.attach_policy(policy)?;
            }
            Ok(AnyEngine::from_engine(engine))
        }
        match kind {
            "routing" => build::<crate::routing::RoutingEngine>(config_json, policy),
            "returns" => build::<crate::returns::ReturnsEngine>(config_json, policy),
            "refunds" => build::<crate::refunds::RefundsEngine>(config_json, policy),
            "address" => build::<crate::address::AddressEngine>(config_json, policy),
            _ => Err(unknown_kind(kind)),
        }
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
        self.inner.decide_json(input, options)
    }

    /// Decides a JSON array of requests; each element is the decision or an error object
    /// (`{"error": {code, message, field?, diagnostics}}`), in input order.
    pub fn decide_batch_json(
        &self,
        input: &str,
        options: &DecideOptions,
    ) -> Result<serde_json::Value, Error> {
        let items: Vec<serde_json::Value> =
            serde_json::from_str(input).map_err(|e| Error::from_json(&e))?;
        let results = items
            .into_iter()
            .map(|item| match self.inner.decide_value(item, options) {
                Ok(decision) => decision,
                Err(err) => serde_json::json!({ "error": err.to_json_value() }),
            })
            .collect();
        Ok(serde_json::Value::Array(results))
    }
}
