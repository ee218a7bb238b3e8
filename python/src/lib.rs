//! `backoffice._backoffice`: the compiled part of the Python package `backoffice`.
//!
//! A thin layer over each engine's typed Rust API ([`typed`]): requests go in as Python values,
//! JSON text or Arrow record batches, decisions come out as Python values, JSON text or
//! Arrow record batches. The GIL is released while Rust decides, and one [`Engine`] may be
//! used by any number of threads at once.
//!
//! Closing: [`Engine::close`] takes the engine away from new calls at once, then waits
//! (without the GIL) until every call already inside the engine has returned, and only then
//! frees it. Calls after `close` raise `ValueError`. A call never sees a freed engine.

mod arrow_de;
mod arrow_in;
mod arrow_out;
mod bench;
mod errors;
mod extract;
mod locate;
mod pyjson;
mod pyserde;
mod typed;

use arrow_array::RecordBatch;
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use backoffice::engine::{hooks_of, ENGINE_KINDS};
use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::Error;
use errors::Failure;
use locate::Doc;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use typed::Decider;

/// The name a policy gets when none is given.
const DEFAULT_POLICY_NAME: &str = "policy.rhai";

/// The engine and the calls inside it.
struct State {
    engine: Option<Arc<dyn Decider>>,
    in_flight: usize,
}

/// A decision engine for Python; see the package docs (`help(backoffice.Engine)`).
#[pyclass(frozen, module = "backoffice")]
struct Engine {
    kind: &'static str,
    policy: Option<(String, String)>,
    state: Mutex<State>,
    idle: Condvar,
}

/// A call inside the engine: holds it alive and counts as in flight until dropped.
struct Call<'a> {
    owner: &'a Engine,
    engine: Arc<dyn Decider>,
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        let mut state = self.owner.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            self.owner.idle.notify_all();
        }
    }
}

fn closed_error() -> PyErr {
    PyValueError::new_err("this Engine is closed")
}

impl Engine {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked while holding it; the state
        // (an Option and a counter) is still consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn enter(&self) -> PyResult<Call<'_>> {
        let mut state = self.lock();
        let engine = state.engine.clone().ok_or_else(closed_error)?;
        state.in_flight += 1;
        Ok(Call {
            owner: self,
            engine,
        })
    }
}

fn options(trace: bool, on_hook_error: Option<&str>) -> Result<DecideOptions, Error> {
    let mut object = serde_json::Map::new();
    object.insert("trace".into(), trace.into());
    if let Some(choice) = on_hook_error {
        object.insert("on_hook_error".into(), choice.into());
    }
    serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| Error::from_json(&e))
}

fn kind_of(py: Python<'_>, kind: &str) -> PyResult<&'static str> {
    ENGINE_KINDS
        .iter()
        .copied()
        .find(|k| *k == kind)
        .ok_or_else(|| {
            let err = hooks_of(kind)
                .err()
                .unwrap_or_else(|| Error::invalid("kind", format!("unknown engine kind `{kind}`")));
            errors::raise_invalid(py, &err)
        })
}

fn compile(py: Python<'_>, name: &str, source: &str) -> PyResult<Policy> {
    let source = source.to_string();
    let name = name.to_string();
    py.detach(move || Policy::compile(&name, &source, &PolicyRuntime::new()))
        .map_err(|e| errors::raise(py, &e))
}

/// A config given as None, JSON text or a Python value, as JSON text (None: defaults).
fn config_text(config: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match config {
        None => Ok(None),
        Some(value) if value.is_none() => Ok(None),
        Some(value) => {
            let text = pyjson::request_text(value, "config")?;
            Ok(if text.trim() == "null" {
                None
            } else {
                Some(text)
            })
        }
    }
}

#[pymethods]
impl Engine {
    #[new]
    #[pyo3(signature = (kind, config=None, policy=None, policy_name=None))]
    fn new(
        py: Python<'_>,
        kind: &str,
        config: Option<&Bound<'_, PyAny>>,
        policy: Option<&str>,
        policy_name: Option<&str>,
    ) -> PyResult<Self> {
        let kind = kind_of(py, kind)?;
        let config = config_text(config)?;
        let policy = match policy {
            Some(source) => Some(compile(
                py,
                policy_name.unwrap_or(DEFAULT_POLICY_NAME),
                source,
            )?),
            None => None,
        };
        let described = policy
            .as_ref()
            .map(|p| (p.name().to_string(), p.digest().to_string()));
        let engine = py
            .detach(|| {
                typed::build(kind, config.as_deref(), policy).map_err(|e| {
                    Failure::located(&e, kind, Doc::Config, config.as_deref().unwrap_or(""))
                })
            })
            .map_err(|f| f.raise(py))?;
        Ok(Engine {
            kind,
            policy: described,
            state: Mutex::new(State {
                engine: Some(Arc::from(engine)),
                in_flight: 0,
            }),
            idle: Condvar::new(),
        })
    }

    /// The engine's kind name: ``routing``, ``returns``, ``refunds`` or ``address``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind
    }

    /// ``{"name": ..., "digest": "sha256:..."}`` of the attached policy, or None.
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        match &self.policy {
            None => Ok(None),
            Some((name, digest)) => {
                let dict = PyDict::new(py);
                dict.set_item("name", name)?;
                dict.set_item("digest", digest)?;
                Ok(Some(dict))
            }
        }
    }

    /// Whether :meth:`close` has been called.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().engine.is_none()
    }

    /// Decides one request (a dict, or JSON text as ``str``/``bytes``) and returns the
    /// decision's JSON text, byte for byte what ``serde_json::to_string(&decision)`` gives
    /// a Rust caller of the engine's typed API.
    ///
    /// ``trace=True`` records how the decision was reached; ``on_hook_error`` is
    /// ``"fail"`` (the default) or ``"fallback"``. Raises ``InvalidArgument``,
    /// ``DecisionError`` or ``PolicyError``. The GIL is released while the engine works.
    #[pyo3(signature = (request, *, trace=false, on_hook_error=None))]
    fn decide_json(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        trace: bool,
        on_hook_error: Option<&str>,
    ) -> PyResult<String> {
        let options = options(trace, on_hook_error).map_err(|e| errors::raise_invalid(py, &e))?;
        let text = pyjson::request_text(request, "request")?;
        let call = self.enter()?;
        py.detach(|| decide_text(call.engine.as_ref(), &text, &options))
            .map_err(|f| f.raise(py))
    }

    /// Decides one request (a dict, or JSON text as ``str``/``bytes``) and returns the
    /// decision as a dict.
    ///
    /// A dict is read straight into the engine's typed request and the decision written
    /// straight to Python objects, with no JSON in between; the result (values, types and
    /// key order) is the one the same request as JSON text gets, and so is any error.
    ///
    /// In the request, ``Decimal`` amounts, aware ``datetime`` and ``date`` values may
    /// stand where the JSON has strings. In the decision (with ``typed=True``, the
    /// default) amounts, rates and percentages are ``Decimal``, timestamps aware UTC
    /// ``datetime`` (to the microsecond), dates ``date``; ``typed=False`` leaves them as
    /// the JSON's strings. Raises like :meth:`decide_json`.
    #[pyo3(signature = (request, *, trace=false, on_hook_error=None, typed=true))]
    fn decide<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
        trace: bool,
        on_hook_error: Option<&str>,
        typed: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(trace, on_hook_error).map_err(|e| errors::raise_invalid(py, &e))?;
        // A dict goes straight to the typed request and the decision straight to Python
        // values; anything else, and a request that path does not finish, takes the JSON
        // value path (the reference for results and errors).
        if request.cast::<PyDict>().is_ok() {
            if let Ok(call) = self.enter() {
                let fast =
                    call.engine
                        .decide_py(py, std::slice::from_ref(request), &options, typed);
                drop(call);
                if let Some(Some(decision)) = fast.into_iter().next() {
                    return Ok(decision);
                }
            }
        }
        let request = pyjson::request_value(request, "request")?;
        let call = self.enter()?;
        let value = py
            .detach(|| decide_request(call.engine.as_ref(), &request, &options, false))
            .map_err(|f| f.raise(py))?
            .0;
        drop(call);
        pyjson::to_py(py, &value, typed)
    }

    /// Decides many requests (an iterable of dicts or JSON texts, or the JSON text of an
    /// array) in one call without the GIL. Returns a list in input order whose elements
    /// are the decision dict, or the ``BackofficeError`` (not raised) of a request that
    /// failed.
    #[pyo3(signature = (requests, *, trace=false, on_hook_error=None, typed=true))]
    fn decide_batch<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        trace: bool,
        on_hook_error: Option<&str>,
        typed: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let options = options(trace, on_hook_error).map_err(|e| errors::raise_invalid(py, &e))?;
        // Each element's JSON text, or why it has none (that element's error); `None`
        // for an element already decided on the direct path (see `decide`).
        let mut texts: Vec<Option<Result<pyjson::Request, Failure>>> = Vec::new();
        let mut fast: Vec<Option<Bound<'py, PyAny>>> = Vec::new();
        if let Ok(text) = requests.cast::<PyString>() {
            // JSON text of an array of requests.
            let items: Vec<serde_json::Value> = serde_json::from_str(&text.to_cow()?)
                .map_err(|e| errors::raise(py, &Error::from_json(&e)))?;
            texts.extend(
                items
                    .iter()
                    .map(|item| Some(Ok(pyjson::Request::Text(item.to_string())))),
            );
        } else {
            let items = requests
                .try_iter()?
                .collect::<PyResult<Vec<Bound<'py, PyAny>>>>()?;
            if let Ok(call) = self.enter() {
                fast = call.engine.decide_py(py, &items, &options, typed);
            }
            for (index, item) in items.iter().enumerate() {
                if matches!(fast.get(index), Some(Some(_))) {
                    texts.push(None);
                    continue;
                }
                texts.push(Some(
                    pyjson::convert_request_value(item, "request").map_err(|e| Failure {
                        class: errors::Class::InvalidArgument,
                        object: Error::invalid(e.field, e.message).to_json_value(),
                    }),
                ));
            }
        }
        let call = self.enter()?;
        let results: Vec<Option<Result<serde_json::Value, Failure>>> = py.detach(|| {
            texts
                .into_iter()
                .map(|request| {
                    request.map(|request| {
                        decide_request(call.engine.as_ref(), &request?, &options, false)
                            .map(|(value, _)| value)
                    })
                })
                .collect()
        });
        drop(call);
        let out = PyList::empty(py);
        let mut fast = fast.into_iter();
        for result in results {
            let decided = fast.next().flatten();
            match (result, decided) {
                (Some(Ok(value)), _) => out.append(pyjson::to_py(py, &value, typed)?)?,
                (Some(Err(failure)), _) => out.append(failure.exception(py)?)?,
                (None, Some(decision)) => out.append(decision)?,
                (None, None) => {
                    return Err(PyValueError::new_err(
                        "internal error: a request was neither decided nor refused",
                    ))
                }
            }
        }
        Ok(out)
    }

    /// Decides every row of an Arrow record batch (``pyarrow.RecordBatch`` or any object
    /// with ``__arrow_c_array__``) and returns a ``pyarrow.RecordBatch`` of results, one
    /// row per input row, in order.
    ///
    /// The input columns follow the engine's documented flat schema (see
    /// ``backoffice.INPUT_SCHEMAS``); the result has ``result_schema(kind)``'s columns,
    /// preceded by the columns named in ``keep`` (copied as they are, and not read as
    /// input). A row that cannot be decided gets ``error_code``, ``error_message`` and
    /// ``error_field`` and nulls elsewhere; it never fails the batch. A column the engine
    /// does not know, or of a type with no request form, raises ``InvalidArgument``.
    /// ``include_json=True`` adds ``decision_json``. ``threads`` splits the rows over that
    /// many threads (0: one per core). The GIL is released while rows are decided.
    #[pyo3(signature = (batch, *, keep=None, include_json=false, threads=1, trace=false, on_hook_error=None))]
    #[allow(clippy::too_many_arguments)]
    fn decide_arrow<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        keep: Option<Vec<String>>,
        include_json: bool,
        threads: usize,
        trace: bool,
        on_hook_error: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(trace, on_hook_error).map_err(|e| errors::raise_invalid(py, &e))?;
        let batch = RecordBatch::from_pyarrow_bound(batch)?;
        let keep = keep.unwrap_or_default();
        let schema = batch.schema();
        let mut passthrough = Vec::new();
        for name in &keep {
            let index = schema.index_of(name).map_err(|_| {
                errors::raise_invalid(
                    py,
                    &Error::invalid("keep", format!("no column `{name}` in the batch")),
                )
            })?;
            let field = schema.field(index).clone();
            passthrough.push((field, batch.column(index).clone()));
        }
        let plan = arrow_in::InputPlan::new(self.kind, &batch, &keep)
            .map_err(|e| errors::raise_invalid(py, &Error::invalid(e.column, e.message)))?;
        let call = self.enter()?;
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let results =
            py.detach(|| decide_rows(call.engine.as_ref(), &plan, &options, threads, include_json));
        drop(call);
        let out = arrow_out::build(self.kind, &results, include_json, passthrough)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        out.to_pyarrow(py)
    }

    /// Takes the engine away from new calls, waits until calls in flight have returned,
    /// and frees it.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let mut state = self.lock();
            let engine = state.engine.take();
            while state.in_flight > 0 {
                state = self
                    .idle
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            drop(state);
            drop(engine);
        });
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        let policy = match &self.policy {
            Some((name, _)) => format!(", policy={name:?}"),
            None => String::new(),
        };
        format!("<backoffice.Engine {:?}{policy} ({state})>", self.kind)
    }
}

/// Decides one request's JSON text; a shape error names the field's path.
fn decide_text(
    engine: &dyn Decider,
    text: &str,
    options: &DecideOptions,
) -> Result<String, Failure> {
    engine
        .text_to_text(text, options)
        .map_err(|e| Failure::located(&e, engine.kind(), Doc::Request, text))
}

/// Decides one request into the decision's JSON value and, when `with_text`, its JSON
/// text. A request given as a value is read without text in between; if it fails, it is
/// decided again from its JSON text, so that the error (field, line, column) is the one
/// the same request as text gets.
fn decide_request(
    engine: &dyn Decider,
    request: &pyjson::Request,
    options: &DecideOptions,
    with_text: bool,
) -> Result<(serde_json::Value, Option<String>), Failure> {
    if let pyjson::Request::Value(value) = request {
        if let Ok(decided) = engine.value_to_value(value, options, with_text) {
            return Ok(decided);
        }
    }
    let text = request.text();
    let located = |e: Error| Failure::located(&e, engine.kind(), Doc::Request, &text);
    if with_text {
        let decision = engine.text_to_text(&text, options).map_err(located)?;
        let value = serde_json::from_str(&decision).map_err(|e| Failure {
            class: errors::Class::InvalidArgument,
            object: Error::from_json(&e).to_json_value(),
        })?;
        Ok((value, Some(decision)))
    } else {
        let value = engine.text_to_value(&text, options).map_err(located)?;
        Ok((value, None))
    }
}

/// Decides every row of `plan`, on `threads` threads over contiguous chunks.
fn decide_rows(
    engine: &dyn Decider,
    plan: &arrow_in::InputPlan,
    options: &DecideOptions,
    threads: usize,
    include_json: bool,
) -> Vec<arrow_out::RowResult> {
    let rows = plan.rows();
    let extract = arrow_out::plan(engine.kind());
    let one = |row: usize| -> arrow_out::RowResult {
        if let Some((cells, text)) = engine.cells_typed(plan, row, options, &extract, include_json)
        {
            return arrow_out::RowResult::Decided {
                text: text.unwrap_or_default(),
                cells,
            };
        }
        let request = match plan.request(row) {
            Ok(request) => request,
            Err((field, message)) => {
                return arrow_out::RowResult::Failed(Error::invalid(field, message).to_json_value())
            }
        };
        if let pyjson::Request::Value(value) = &request {
            if let Ok((cells, text)) =
                engine.cells(typed::Input::Value(value), options, &extract, include_json)
            {
                return arrow_out::RowResult::Decided {
                    text: text.unwrap_or_default(),
                    cells,
                };
            }
        }
        // The text path, also for a row that failed above: its error is the one the same
        // request as JSON text gets (field, line and column).
        let text = request.text();
        match engine.cells(typed::Input::Text(&text), options, &extract, include_json) {
            Ok((cells, decision)) => arrow_out::RowResult::Decided {
                text: decision.unwrap_or_default(),
                cells,
            },
            Err(e) => arrow_out::RowResult::Failed(
                Failure::located(&e, engine.kind(), Doc::Request, &text).object,
            ),
        }
    };
    let threads = threads.clamp(1, rows.max(1));
    if threads == 1 {
        return (0..rows).map(one).collect();
    }
    let chunk = rows.div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = t * chunk;
                let end = rows.min(start + chunk);
                scope.spawn(move || (start..end).map(one).collect::<Vec<_>>())
            })
            .collect();
        let mut out = Vec::with_capacity(rows);
        for (t, handle) in handles.into_iter().enumerate() {
            match handle.join() {
                Ok(part) => out.extend(part),
                Err(_) => {
                    let start = t * chunk;
                    let end = rows.min(start + chunk);
                    out.extend((start..end).map(|_| {
                        arrow_out::RowResult::Failed(serde_json::json!({
                            "code": "panic",
                            "message": "internal error: the backoffice library panicked; this is a bug",
                            "diagnostics": [],
                        }))
                    }));
                }
            }
        }
        out
    })
}

/// Compiles a policy and checks it against an engine's hooks; see `backoffice.check_policy`.
#[pyfunction]
#[pyo3(signature = (kind, source, name=None))]
fn check_policy<'py>(
    py: Python<'py>,
    kind: &str,
    source: &str,
    name: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let kind = kind_of(py, kind)?;
    let hooks = hooks_of(kind).map_err(|e| errors::raise_invalid(py, &e))?;
    let policy = compile(py, name.unwrap_or(DEFAULT_POLICY_NAME), source)?;
    policy
        .bind(kind, hooks)
        .map_err(|e| errors::raise(py, &e))?;
    let dict = PyDict::new(py);
    dict.set_item("kind", kind)?;
    dict.set_item("name", policy.name())?;
    dict.set_item("digest", policy.digest())?;
    let functions = PyList::empty(py);
    for f in policy.functions() {
        let info = PyDict::new(py);
        info.set_item("name", &f.name)?;
        info.set_item("params", &f.params)?;
        info.set_item("line", f.line)?;
        info.set_item("column", f.column)?;
        functions.append(info)?;
    }
    dict.set_item("functions", functions)?;
    Ok(dict)
}

/// The hook names an engine's policies may define.
#[pyfunction]
fn hooks(py: Python<'_>, kind: &str) -> PyResult<Vec<String>> {
    let hooks = hooks_of(kind).map_err(|e| errors::raise_invalid(py, &e))?;
    Ok(hooks.iter().map(|h| h.name.to_string()).collect())
}

/// The Arrow result schema of `decide_arrow` for an engine, as a `pyarrow.Schema`.
#[pyfunction]
#[pyo3(signature = (kind, include_json=false))]
fn result_schema<'py>(
    py: Python<'py>,
    kind: &str,
    include_json: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let kind = kind_of(py, kind)?;
    arrow_out::schema(kind, include_json).to_pyarrow(py)
}

/// Decisions per second of the engine's typed Rust API over `requests` (a list of
/// requests, parsed once, then `decide_with` over them in a loop for about `seconds`), for
/// the bench script; returns `(decisions, seconds)`. Not part of the stable API.
#[pyfunction]
#[pyo3(signature = (kind, requests, config=None, policy=None, policy_name=None, seconds=1.0))]
fn _rust_api_rate(
    py: Python<'_>,
    kind: &str,
    requests: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
    policy: Option<&str>,
    policy_name: Option<&str>,
    seconds: f64,
) -> PyResult<(u64, f64)> {
    let request = pyjson::request_text(requests, "requests")?;
    let config = config_text(config)?;
    let name = policy_name.unwrap_or(DEFAULT_POLICY_NAME);
    py.detach(|| {
        bench::rust_api_rate(
            kind,
            config.as_deref(),
            policy.map(|source| (name, source)),
            &request,
            seconds,
        )
    })
    .map_err(|e| errors::raise(py, &e))
}

/// The JSON text a Python value becomes as a request (dicts, lists, `Decimal`, `datetime`,
/// ...), for the tests of that conversion; raises `InvalidArgument` naming the path of a
/// value that has no JSON form. Not part of the stable API.
#[pyfunction]
fn _request_json(value: &Bound<'_, PyAny>) -> PyResult<String> {
    pyjson::request_text(value, "value")
}

#[pymodule]
fn _backoffice(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_function(wrap_pyfunction!(check_policy, m)?)?;
    m.add_function(wrap_pyfunction!(hooks, m)?)?;
    m.add_function(wrap_pyfunction!(result_schema, m)?)?;
    m.add_function(wrap_pyfunction!(_rust_api_rate, m)?)?;
    m.add_function(wrap_pyfunction!(_request_json, m)?)?;
    m.add("KINDS", ENGINE_KINDS.to_vec())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_POLICY_NAME", DEFAULT_POLICY_NAME)?;
    Ok(())
}
