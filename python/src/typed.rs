//! The engines behind the Python `Engine`: each engine's typed Rust API, chosen by kind
//! name once, with requests read from JSON text or from a JSON value already built (a
//! Python dict's or an Arrow row's), and decisions written as JSON text or value.
//!
//! The text path is exactly [`backoffice::engine::AnyEngine`]'s: [`from_json`] into the
//! engine's `Request`, `decide_with`, `serde_json::to_string` of the decision (same bytes as
//! a Rust caller's). The value path skips the text on both sides: [`from_json_value`] into
//! the `Request` and `serde_json::to_value` of the decision. A request that fails on the
//! value path is decided again on the text path by the caller, so every error object
//! (message, field, line and column) is the text path's, whatever the input form.
//!
//! [`Decider::decide_py`] skips JSON altogether for Python dicts: the typed request is read
//! from the Python objects and the decision written as Python objects ([`crate::pyserde`]),
//! with the value path behind it for anything that path does not finish.

use crate::arrow_in::InputPlan;
use crate::extract::{Cell, Plan};
use backoffice::engine::{
    config_from_json, from_json, from_json_value, visit_engine, Engine, EngineVisitor,
};
use backoffice::policy::{DecideOptions, Policy};
use backoffice::Error;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

/// One engine of any kind, with the decision forms the bindings use.
pub trait Decider: Send + Sync {
    /// The engine's kind name.
    fn kind(&self) -> &'static str;
    /// Request text to decision text (the C ABI's and the Rust API's bytes).
    fn text_to_text(&self, text: &str, options: &DecideOptions) -> Result<String, Error>;
    /// Request text to the decision's JSON value.
    fn text_to_value(&self, text: &str, options: &DecideOptions) -> Result<Value, Error>;
    /// A request's JSON value (an object) to the decision's JSON value and, when `text`,
    /// also its JSON text.
    fn value_to_value(
        &self,
        request: &Value,
        options: &DecideOptions,
        text: bool,
    ) -> Result<(Value, Option<String>), Error>;
    /// A request to the result cells of `plan` (read from the typed decision, without a
    /// JSON value) and, when `text`, the decision's JSON text.
    fn cells(
        &self,
        request: Input<'_>,
        options: &DecideOptions,
        plan: &Plan,
        text: bool,
    ) -> Result<(Vec<Cell>, Option<String>), Error>;
    /// Row `row` of an Arrow batch read straight into the typed request
    /// ([`crate::arrow_de`]), decided, and its result cells (as [`Decider::cells`]).
    /// `None` when this path did not finish (the plan has no tree, the row did not read,
    /// the engine refused it): the caller decides the row on the value path, whose result
    /// and error are the reference.
    fn cells_typed(
        &self,
        plan: &InputPlan,
        row: usize,
        options: &DecideOptions,
        extract: &Plan,
        text: bool,
    ) -> Option<(Vec<Cell>, Option<String>)>;
    /// Python requests (dicts) to Python decisions without JSON in between (see
    /// [`crate::pyserde`]): each request is read with the GIL held, all are decided in
    /// one stretch without it, and the decisions are written as Python values. An
    /// element is `None` where the fast path did not finish (a request that is not a
    /// dict, one the direct reader or the engine refused, a decision it could not write):
    /// the caller decides that one on the JSON path, whose result and error are the
    /// reference.
    fn decide_py<'py>(
        &self,
        py: Python<'py>,
        requests: &[Bound<'py, PyAny>],
        options: &DecideOptions,
        typed: bool,
    ) -> Vec<Option<Bound<'py, PyAny>>>;
}

/// A request as JSON text or as a JSON value.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// JSON text.
    Text(&'a str),
    /// A JSON value (an object).
    Value(&'a Value),
}

struct Typed<E: Engine>(E);

fn json<T>(result: Result<T, serde_json::Error>) -> Result<T, Error> {
    result.map_err(|e| Error::from_json(&e))
}

impl<E: Engine> Decider for Typed<E> {
    fn kind(&self) -> &'static str {
        E::KIND
    }

    fn text_to_text(&self, text: &str, options: &DecideOptions) -> Result<String, Error> {
        let request: E::Request = from_json(text)?;
        let decision = self.0.decide_with(&request, options)?;
        json(serde_json::to_string(&decision))
    }

    fn text_to_value(&self, text: &str, options: &DecideOptions) -> Result<Value, Error> {
        let request: E::Request = from_json(text)?;
        let decision = self.0.decide_with(&request, options)?;
        json(serde_json::to_value(&decision))
    }

    fn value_to_value(
        &self,
        request: &Value,
        options: &DecideOptions,
        text: bool,
    ) -> Result<(Value, Option<String>), Error> {
        if !request.is_object() {
            return Err(Error::invalid("input", "expected a JSON object"));
        }
        let request: E::Request = from_json_value(request)?;
        let decision = self.0.decide_with(&request, options)?;
        let value = json(serde_json::to_value(&decision))?;
        let text = if text {
            Some(json(serde_json::to_string(&decision))?)
        } else {
            None
        };
        Ok((value, text))
    }

    fn cells(
        &self,
        request: Input<'_>,
        options: &DecideOptions,
        plan: &Plan,
        text: bool,
    ) -> Result<(Vec<Cell>, Option<String>), Error> {
        let request: E::Request = match request {
            Input::Text(text) => from_json(text)?,
            Input::Value(value) => {
                if !value.is_object() {
                    return Err(Error::invalid("input", "expected a JSON object"));
                }
                from_json_value(value)?
            }
        };
        let decision = self.0.decide_with(&request, options)?;
        let cells = plan
            .extract(&decision)
            .map_err(|e| Error::invalid("decision", e.to_string()))?;
        let text = if text {
            Some(json(serde_json::to_string(&decision))?)
        } else {
            None
        };
        Ok((cells, text))
    }

    fn cells_typed(
        &self,
        plan: &InputPlan,
        row: usize,
        options: &DecideOptions,
        extract: &Plan,
        text: bool,
    ) -> Option<(Vec<Cell>, Option<String>)> {
        let request: E::Request = plan.typed(row)?.ok()?;
        let decision = self.0.decide_with(&request, options).ok()?;
        let cells = extract.extract(&decision).ok()?;
        let text = if text {
            Some(serde_json::to_string(&decision).ok()?)
        } else {
            None
        };
        Some((cells, text))
    }

    fn decide_py<'py>(
        &self,
        py: Python<'py>,
        requests: &[Bound<'py, PyAny>],
        options: &DecideOptions,
        typed: bool,
    ) -> Vec<Option<Bound<'py, PyAny>>> {
        let read: Vec<Option<E::Request>> = requests
            .iter()
            .map(|request| {
                let dict = request.cast::<PyDict>().ok()?;
                crate::pyserde::from_py(dict).ok()
            })
            .collect();
        let decided: Vec<Option<_>> = py.detach(|| {
            read.iter()
                .map(|request| self.0.decide_with(request.as_ref()?, options).ok())
                .collect()
        });
        decided
            .iter()
            .map(|decision| crate::pyserde::to_py(py, decision.as_ref()?, typed).ok())
            .collect()
    }
}

/// Builds the engine called `kind` from its JSON configuration (`None` for the defaults)
/// and an optional compiled policy, as `AnyEngine::new` does.
pub fn build(
    kind: &str,
    config_json: Option<&str>,
    policy: Option<Policy>,
) -> Result<Box<dyn Decider>, Error> {
    struct Build<'a> {
        config_json: Option<&'a str>,
        policy: Option<Policy>,
    }
    impl EngineVisitor for Build<'_> {
        type Output = Result<Box<dyn Decider>, Error>;
        fn visit<E: Engine>(self) -> Self::Output {
            let mut engine = E::from_config(config_from_json(self.config_json)?)?;
            if let Some(policy) = self.policy {
                engine = engine.attach_policy(policy)?;
            }
            Ok(Box::new(Typed(engine)))
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
