//! The library's errors as Python exceptions.
//!
//! The classes live in `backoffice/errors.py` (so that their docstrings and attributes are
//! plain Python); each is built from the error's JSON object
//! `{code, message, field?, diagnostics}`, exactly what the C ABI and the CLI print.

use crate::pyjson::{to_py, ConvertError};
use backoffice::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// Which Python class an error becomes; the same split as the C ABI's status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Malformed input: JSON that does not parse or has the wrong shape, a Python value
    /// that has no JSON form, an unknown engine kind, a bad Arrow column.
    InvalidArgument,
    /// The engine refused the request or could not decide it.
    DecisionError,
    /// The policy failed to compile, bind or run.
    PolicyError,
}

impl Class {
    /// The class an engine error belongs to (as `status_of` in the C ABI).
    pub fn of(error: &Error) -> Class {
        match error {
            Error::Json { .. } => Class::InvalidArgument,
            Error::Policy { .. } => Class::PolicyError,
            _ => Class::DecisionError,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::InvalidArgument => "InvalidArgument",
            Class::DecisionError => "DecisionError",
            Class::PolicyError => "PolicyError",
        }
    }
}

static CLASSES: [PyOnceLock<Py<PyType>>; 3] =
    [PyOnceLock::new(), PyOnceLock::new(), PyOnceLock::new()];

fn class(py: Python<'_>, class: Class) -> PyResult<&Bound<'_, PyType>> {
    let cell = match class {
        Class::InvalidArgument => &CLASSES[0],
        Class::DecisionError => &CLASSES[1],
        Class::PolicyError => &CLASSES[2],
    };
    cell.import(py, "backoffice.errors", class.name())
}

/// The exception object (not raised) for an error object of a class.
pub fn exception<'py>(
    py: Python<'py>,
    class_of: Class,
    error: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    let object = to_py(py, error, false)?;
    class(py, class_of)?.call1((object,))
}

fn raised(py: Python<'_>, class_of: Class, error: &serde_json::Value) -> PyErr {
    match exception(py, class_of, error) {
        Ok(exception) => PyErr::from_value(exception),
        Err(err) => err,
    }
}

/// An engine error as its class and error object, made without the GIL; raised later.
#[derive(Debug)]
pub struct Failure {
    /// The Python class it becomes.
    pub class: Class,
    /// `{code, message, field?, diagnostics}`.
    pub object: serde_json::Value,
}

impl Failure {
    /// An error about `text` (engine `kind`'s `doc`), a shape error with its field's path.
    pub fn located(error: &Error, kind: &str, doc: crate::locate::Doc, text: &str) -> Self {
        Failure {
            class: Class::of(error),
            object: crate::locate::error_object(error, kind, doc, text),
        }
    }

    /// The exception object (not raised).
    pub fn exception<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        exception(py, self.class, &self.object)
    }

    /// The exception, to raise.
    pub fn raise(&self, py: Python<'_>) -> PyErr {
        raised(py, self.class, &self.object)
    }
}

/// Raises an engine error as its Python class.
pub fn raise(py: Python<'_>, error: &Error) -> PyErr {
    raised(py, Class::of(error), &error.to_json_value())
}

/// Raises an engine error as `InvalidArgument` whatever its kind (bad arguments).
pub fn raise_invalid(py: Python<'_>, error: &Error) -> PyErr {
    raised(py, Class::InvalidArgument, &error.to_json_value())
}

/// `InvalidArgument` for a Python value that cannot become JSON.
pub fn invalid_argument(py: Python<'_>, error: &ConvertError) -> PyErr {
    raise_invalid(py, &Error::invalid(&error.field, &error.message))
}
