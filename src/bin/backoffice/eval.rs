//! `backoffice eval`: one request through an engine, printed as JSON or as a table.

use crate::args::{EvalArgs, Format};
use crate::check::pretty;
use crate::common::{display, load_engine, read_text, stdin_once, Failure};
use crate::matching::{flatten, plain};
use backoffice::engine::AnyEngine;
use backoffice::policy::{CallObserver, DecideOptions, HookCall, OnHookError, PolicyRuntime};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A hook call that ended, with how long it took.
type Timed = (HookCall, Duration);

/// Times the hook calls of a policy for the decision log (the library reads no clock).
#[derive(Default)]
struct CallLog {
    /// When the running call started, and the calls that ended, with their durations.
    state: Mutex<(Option<Instant>, Vec<Timed>)>,
}

impl CallObserver for CallLog {
    fn started(&self, _hook: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.0 = Some(Instant::now());
        }
    }

    fn finished(&self, call: HookCall) {
        if let Ok(mut state) = self.state.lock() {
            let took = state.0.take().map(|t| t.elapsed()).unwrap_or_default();
            state.1.push((call, took));
        }
    }
}

impl CallLog {
    /// The calls logged so far, emptied.
    fn take(&self) -> Vec<Timed> {
        self.state
            .lock()
            .map(|mut state| std::mem::take(&mut state.1))
            .unwrap_or_default()
    }
}

/// The bucket a duration falls in, as the decision log names it: `under_100us`,
/// `100us_to_1ms`, `1ms_to_10ms`, `10ms_to_100ms` or `100ms_or_more`.
pub fn duration_bucket(took: Duration) -> &'static str {
    match took.as_micros() {
        0..100 => "under_100us",
        100..1_000 => "100us_to_1ms",
        1_000..10_000 => "1ms_to_10ms",
        10_000..100_000 => "10ms_to_100ms",
        _ => "100ms_or_more",
    }
}

/// One request's decision log: the decision (with its trace), the hook calls in order and
/// the duration bucket of the whole decision.
fn decision_log(
    engine: &AnyEngine,
    request: &str,
    options: &DecideOptions,
    log: &CallLog,
) -> Result<Value, Failure> {
    let _ = log.take();
    let started = Instant::now();
    let decision = engine.decide_json(request, options);
    let took = started.elapsed();
    let calls: Vec<Value> = log
        .take()
        .into_iter()
        .map(|(call, took)| {
            json!({
                "hook": call.hook,
                "args_digest": call.args_digest,
                "result": call.result,
                "error": call.error,
                "duration": duration_bucket(took),
            })
        })
        .collect();
    Ok(json!({
        "decision": decision?,
        "hook_calls": calls,
        "duration": duration_bucket(took),
    }))
}

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> Result<ExitCode, Failure> {
    stdin_once(args.config.as_deref(), &args.input)?;
    let runtime = if args.interpret {
        PolicyRuntime::new().interpreted()
    } else {
        PolicyRuntime::new()
    };
    let logging = args.explain && args.format == Format::Json;
    let log = Arc::new(CallLog::default());
    let loaded = load_engine(
        args.engine.as_deref(),
        args.policy.as_deref(),
        args.config.as_deref(),
        &runtime,
        logging.then(|| log.clone() as Arc<dyn CallObserver>),
    )?;
    let input = read_text(&args.input)?;
    let origin = display(&args.input);
    let options = DecideOptions {
        // The decision log always carries the full trace.
        trace: args.trace || logging,
        on_hook_error: if args.fallback {
            OnHookError::Fallback
        } else {
            OnHookError::Fail
        },
    };
    if logging {
        let report = match (args.batch, args.pick.as_deref()) {
            (true, _) => {
                let requests: Vec<Value> = match several_requests(&input) {
                    Some(requests) => requests.into_iter().map(|(_, r)| r).collect(),
                    None => {
                        return Err(Failure::new(format_args!(
                            "`--batch`: `{origin}` is not a JSON array of requests"
                        )))
                    }
                };
                let logs = requests
                    .iter()
                    .map(|r| decision_log(&loaded.engine, &r.to_string(), &options, &log))
                    .collect::<Result<Vec<_>, _>>()?;
                Value::Array(logs)
            }
            (false, Some(pick)) => {
                let requests = several_requests(&input).ok_or_else(|| {
                    Failure::new(format_args!(
                        "`--pick {pick}`: `{origin}` holds one request, not an array of them; leave out --pick"
                    ))
                })?;
                let request = picked(&requests, pick, &origin)?;
                decision_log(&loaded.engine, &request.to_string(), &options, &log)?
            }
            (false, None) => {
                if let Some(requests) = several_requests(&input) {
                    return Err(several_requests_failure(&requests, &origin));
                }
                decision_log(&loaded.engine, &input, &options, &log)?
            }
        };
        println!("{}", pretty(&report));
        return Ok(ExitCode::SUCCESS);
    }
    let decision = match (args.batch, args.pick.as_deref()) {
        (true, _) => match several_requests(&input) {
            Some(requests) => {
                let requests = Value::Array(requests.into_iter().map(|(_, r)| r).collect());
                loaded
                    .engine
                    .decide_batch_json(&requests.to_string(), &options)?
            }
            None => loaded.engine.decide_batch_json(&input, &options)?,
        },
        (false, Some(pick)) => {
            let requests = several_requests(&input).ok_or_else(|| {
                Failure::new(format_args!(
                    "`--pick {pick}`: `{origin}` holds one request, not an array of them; leave out --pick"
                ))
            })?;
            let request = picked(&requests, pick, &origin)?;
            loaded.engine.decide_json(&request.to_string(), &options)?
        }
        (false, None) => {
            if let Some(requests) = several_requests(&input) {
                return Err(several_requests_failure(&requests, &origin));
            }
            loaded.engine.decide_json(&input, &options)?
        }
    };
    if args.explain {
        match &decision {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    println!("== request {i}");
                    print!("{}", explain(item));
                }
            }
            single => print!("{}", explain(single)),
        }
    } else {
        println!("{}", pretty(&decision));
    }
    Ok(ExitCode::SUCCESS)
}

/// The requests of an input that is a JSON array of requests, or of named requests
/// (`{"title": ..., "request": {...}}`, as in `examples/data/returns_requests.json`),
/// each with its name when it has one; `None` for anything else (one request, or text
/// that is not JSON, which the engine reports).
fn several_requests(input: &str) -> Option<Vec<(Option<String>, Value)>> {
    if !input.trim_start().starts_with('[') {
        return None;
    }
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(input) else {
        return None;
    };
    Some(
        items
            .into_iter()
            .map(|item| match item {
                Value::Object(mut map) if map.contains_key("request") => {
                    let name = ["title", "name"]
                        .iter()
                        .find_map(|key| map.get(*key).and_then(Value::as_str))
                        .map(str::to_string);
                    (name, map.remove("request").unwrap_or(Value::Null))
                }
                other => (None, other),
            })
            .collect(),
    )
}

/// The request `pick` names: an index from 0, or a title.
fn picked<'a>(
    requests: &'a [(Option<String>, Value)],
    pick: &str,
    origin: &str,
) -> Result<&'a Value, Failure> {
    let by_index = pick
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|index| requests.get(index));
    let by_name = || {
        requests
            .iter()
            .find(|(name, _)| name.as_deref() == Some(pick))
    };
    by_index
        .or_else(by_name)
        .map(|(_, request)| request)
        .ok_or_else(|| {
            Failure(
                format!(
                "error: `--pick {pick}`: `{origin}` has no request with that index or title\n{}",
                request_list(requests)
            ),
                None,
            )
        })
}

/// The error for a file of several requests given without `--batch` or `--pick`.
fn several_requests_failure(requests: &[(Option<String>, Value)], origin: &str) -> Failure {
    Failure(format!(
        "error: `{origin}` holds {} requests (a JSON array), not one request\n  = help: add --batch to decide them all, or --pick INDEX or --pick TITLE to decide one\n{}",
        requests.len(),
        request_list(requests)
    ), None)
}

/// `  = requests: 0 "title", 1 "title", ...` for messages.
fn request_list(requests: &[(Option<String>, Value)]) -> String {
    let listed: Vec<String> = requests
        .iter()
        .enumerate()
        .map(|(index, (name, _))| match name {
            Some(name) => format!("{index} {name:?}"),
            None => index.to_string(),
        })
        .collect();
    format!("  = requests: {}", listed.join(", "))
}

/// A decision as readable tables: outcome fields, reasons, trace.
pub fn explain(decision: &Value) -> String {
    let mut text = String::new();
    if let Some(error) = decision.get("error") {
        text.push_str(&format!(
            "error: {}\n",
            error.get("message").map(plain).unwrap_or_default()
        ));
        return text;
    }
    let mut rows = Vec::new();
    if let Some(outcome) = decision.get("outcome") {
        flatten(outcome, "", &mut rows);
    }
    text.push_str("OUTCOME\n");
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(path, value)| {
            vec![
                if path.is_empty() {
                    "(value)".to_string()
                } else {
                    path
                },
                value,
            ]
        })
        .collect();
    text.push_str(&table(&["field", "value"], &rows));

    let reasons: Vec<Vec<String>> = decision
        .get("reasons")
        .and_then(Value::as_array)
        .map(|reasons| {
            reasons
                .iter()
                .map(|r| {
                    vec![
                        r.get("code").map(plain).unwrap_or_default(),
                        source_of(r.get("source")),
                        r.get("subject").map(plain).unwrap_or_default(),
                        r.get("message").map(plain).unwrap_or_default(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    text.push_str("\nREASONS\n");
    if reasons.is_empty() {
        text.push_str("(none)\n");
    } else {
        text.push_str(&table(&["code", "source", "subject", "message"], &reasons));
    }

    if let Some(trace) = decision.get("trace") {
        let steps: Vec<Vec<String>> = trace
            .get("steps")
            .and_then(Value::as_array)
            .map(|steps| {
                steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        vec![
                            (i + 1).to_string(),
                            s.get("stage").map(plain).unwrap_or_default(),
                            s.get("message").map(plain).unwrap_or_default(),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default();
        text.push_str("\nTRACE\n");
        text.push_str(&table(&["#", "stage", "message"], &steps));
        if let Some(output) = trace.get("policy_output").and_then(Value::as_array) {
            text.push_str("\nPOLICY OUTPUT\n");
            for line in output {
                text.push_str(&format!("{}\n", plain(line)));
            }
        }
    }
    text
}

fn source_of(source: Option<&Value>) -> String {
    let Some(source) = source else {
        return String::new();
    };
    match source.get("kind").and_then(Value::as_str) {
        Some("builtin") => format!("rule {}", source.get("rule").map(plain).unwrap_or_default()),
        Some("policy") => {
            let line = source
                .get("line")
                .map(|l| format!(":{}", plain(l)))
                .unwrap_or_default();
            format!(
                "{}{line} {}",
                source.get("policy").map(plain).unwrap_or_default(),
                source.get("hook").map(plain).unwrap_or_default()
            )
        }
        _ => plain(source),
    }
}

/// A plain-text table with a header row; columns padded to their widest cell (the last
/// column is not padded).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    };
    line(header.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}
