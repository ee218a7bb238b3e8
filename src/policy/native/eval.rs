//! Runs a lowered hook over rhai values with rhai's semantics on the success path.
//!
//! Anything the evaluator is not certain to do exactly as rhai does (an error of any
//! kind, a limit reached, an operand type it does not handle) stops the evaluation with
//! a [`Bail`]; the caller then runs the hook on the interpreter, which gives the value or
//! the diagnostic (code, message, position) rhai gives. Hooks are pure, so running one
//! again changes nothing; what a bailed run printed is discarded.
//!
//! # Counting operations
//!
//! The evaluator counts operations where rhai 1.27 counts them (`track_operation` in its
//! evaluator), so that both stop a script at the same count:
//!
//! - one per statement, and one per expression evaluated (literals included), one more
//!   for the hook call itself;
//! - a call's argument that is a literal counts one, any other argument is an expression;
//! - a function call counts one more for its first argument when that is a variable
//!   (instead of evaluating it) and one for the call (`type_of` is a keyword: none); the
//!   custom operators `/`, `==`, `!=`, `<`, `<=`, `>` and `>=` evaluate both arguments
//!   and count one for the call;
//! - an operator with a built-in meaning (`+`, `-`, `in`, ...) counts only its expression
//!   and arguments;
//! - a property chain counts one per level while its arguments are evaluated (not for a
//!   single property, literal index or method without arguments), one for a variable at
//!   its root (any other root is an expression), one per step, and one more for `contains`
//!   on an array; `var.push(x)` as a statement counts as that chain;
//! - a loop over an empty body counts one per iteration;
//! - an interpolated string counts one more per part that is not a string: rhai prints it
//!   with a `to_string` call, which counts an operation but ignores the limit (on the
//!   error it prints the value itself), so that operation never stops a script; the next
//!   one does. A call's count is therefore the count at its last operation that can stop
//!   it ([`Outcome::operations`]), the smallest limit it passes.
//!
//! The differential tests (`native/tests.rs`) check the count against rhai's limit for
//! every program they run: rhai passes at the native count and stops one below it.

use super::ir::{Arg, BinOp, Builtin, CallArgs, Function, Node, Step, Stmt, UnOp};
use crate::policy::Limits;
use rhai::{Array, Dynamic, ImmutableString, Map, INT};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Why an evaluation stopped before its end: the interpreter takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bail {
    /// The operation limit, call depth, variable or size limit would be reached.
    Limit,
    /// rhai raises an error here (overflow, division by zero, missing property, ...).
    Error,
    /// An operand type the evaluator does not handle.
    Unsupported,
}

pub(crate) enum Flow {
    Return(Dynamic),
    Break,
    Continue,
    Bail(Bail),
}

impl From<Bail> for Flow {
    fn from(b: Bail) -> Self {
        Flow::Bail(b)
    }
}

type R<T = Dynamic> = Result<T, Flow>;

/// What a finished evaluation gives: the value and the operations counted.
pub(crate) struct Outcome {
    pub value: Dynamic,
    pub operations: u64,
    pub output: Vec<String>,
    /// The lines run, when the machine records them ([`Machine::recording_lines`]).
    pub lines: Vec<u32>,
}

/// One evaluation.
pub(crate) struct Machine<'p> {
    functions: &'p [Function],
    limits: &'p Limits,
    ops: u64,
    /// `ops` at the last operation that can stop the call (see the module docs).
    stopping: u64,
    depth: usize,
    frame: Vec<Dynamic>,
    base: usize,
    output: Vec<String>,
    output_bytes: usize,
    output_full: bool,
    /// Lines run, for line coverage (see [`Machine::recording_lines`]).
    lines: Option<std::collections::BTreeSet<u32>>,
}

impl<'p> Machine<'p> {
    pub(crate) fn new(functions: &'p [Function], limits: &'p Limits) -> Self {
        Machine {
            functions,
            limits,
            ops: 0,
            stopping: 0,
            depth: 0,
            frame: Vec::with_capacity(16),
            base: 0,
            output: Vec::new(),
            output_bytes: 0,
            output_full: false,
            lines: None,
        }
    }

    /// Records the lines run (functions entered and [`Stmt::Line`] statements), for line
    /// coverage; [`Outcome::lines`] gives them.
    pub(crate) fn recording_lines(mut self) -> Self {
        self.lines = Some(std::collections::BTreeSet::new());
        self
    }

    #[inline]
    fn record(&mut self, line: u32) {
        if let Some(lines) = &mut self.lines {
            if line > 0 {
                lines.insert(line);
            }
        }
    }

    /// Runs function `index` (a hook) with `args`.
    pub(crate) fn run(mut self, index: usize, args: Vec<Dynamic>) -> Result<Outcome, Bail> {
        match self.call_function(index, args) {
            Ok(value) => Ok(Outcome {
                value,
                operations: self.stopping,
                output: self.output,
                lines: self
                    .lines
                    .map(|l| l.into_iter().collect())
                    .unwrap_or_default(),
            }),
            Err(Flow::Bail(b)) => Err(b),
            Err(_) => Err(Bail::Unsupported),
        }
    }

    #[inline]
    fn tick(&mut self) -> R<()> {
        self.ops += 1;
        if self.limits.max_operations > 0 && self.ops > self.limits.max_operations {
            return Err(Flow::Bail(Bail::Limit));
        }
        self.stopping = self.ops;
        Ok(())
    }

    /// An operation rhai counts without stopping at the limit (`to_string` in an
    /// interpolation). Past the limit rhai prints the value's own text instead, which is
    /// the same for numbers and booleans; for any other value the call is handed back.
    fn soft_tick(&mut self, value: &Dynamic) -> R<()> {
        self.ops += 1;
        if self.limits.max_operations > 0
            && self.ops > self.limits.max_operations
            && !(value.is_int() || value.is_decimal() || value.is_bool())
        {
            return Err(Flow::Bail(Bail::Limit));
        }
        Ok(())
    }

    fn call_function(&mut self, index: usize, args: Vec<Dynamic>) -> R {
        let functions = self.functions;
        let Some(f) = functions.get(index) else {
            return Err(Bail::Unsupported.into());
        };
        self.tick()?;
        self.record(f.line);
        self.depth += 1;
        if self.depth > self.limits.max_call_depth {
            return Err(Bail::Limit.into());
        }
        if self.frame.len() + args.len() > self.limits.max_variables {
            return Err(Bail::Limit.into());
        }
        let saved_base = self.base;
        self.base = self.frame.len();
        self.frame.extend(args);
        let result = self.block_value(&f.body);
        self.frame.truncate(self.base);
        self.base = saved_base;
        self.depth -= 1;
        match result {
            Ok(v) => Ok(v),
            Err(Flow::Return(v)) => Ok(v),
            Err(Flow::Break | Flow::Continue) => Err(Bail::Unsupported.into()),
            Err(bail) => Err(bail),
        }
    }

    /// A block: its statements in a scope that ends with it; the last one's value.
    fn block_value(&mut self, stmts: &[Stmt]) -> R {
        let len = self.frame.len();
        let mut value = Dynamic::UNIT;
        let mut result = Ok(());
        for s in stmts {
            match self.stmt(s) {
                Ok(v) => value = v,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.frame.truncate(len);
        result.map(|()| value)
    }

    fn slot(&self, slot: usize) -> R<&Dynamic> {
        self.frame
            .get(self.base + slot)
            .ok_or(Flow::Bail(Bail::Unsupported))
    }

    fn stmt(&mut self, stmt: &Stmt) -> R {
        if let Stmt::Line(line, inner) = stmt {
            self.record(*line);
            return self.stmt(inner);
        }
        self.tick()?;
        match stmt {
            Stmt::Noop => Ok(Dynamic::UNIT),
            Stmt::Expr(e) => Ok(self.expr(e)?.flatten()),
            Stmt::Call(e) => self.call_node(e),
            Stmt::Let(e) => {
                let value = self.expr(e)?.flatten();
                if self.frame.len() >= self.limits.max_variables {
                    return Err(Bail::Limit.into());
                }
                self.frame.push(value);
                Ok(Dynamic::UNIT)
            }
            Stmt::Assign(slot, op, e) => {
                let value = self.expr(e)?.flatten();
                self.tick()?;
                let new = match op {
                    None => value,
                    Some(op) => {
                        let current = self.slot(*slot)?.clone();
                        binary(*op, &current, &value, self.limits)?
                    }
                };
                let base = self.base;
                let target = self
                    .frame
                    .get_mut(base + slot)
                    .ok_or(Flow::Bail(Bail::Unsupported))?;
                if target.is_shared() || target.is_read_only() {
                    return Err(Bail::Unsupported.into());
                }
                *target = new;
                Ok(Dynamic::UNIT)
            }
            Stmt::Push(slot, arg) => {
                // `var.push(x)`: the expression, the chain level, the argument (and one
                // the root, the dispatch.
                self.tick()?;
                self.tick()?;
                let value = self.arg(arg)?;
                self.tick()?;
                self.tick()?;
                let limits = self.limits;
                let base = self.base;
                let target = self
                    .frame
                    .get_mut(base + slot)
                    .ok_or(Flow::Bail(Bail::Unsupported))?;
                if target.is_shared() || target.is_read_only() {
                    return Err(Bail::Unsupported.into());
                }
                let Some(mut array) = target.write_lock::<Array>() else {
                    return Err(Bail::Unsupported.into());
                };
                array.push(value);
                drop(array);
                check_size(target, limits)?;
                Ok(Dynamic::UNIT)
            }
            Stmt::If(x) => {
                let (cond, body, branch) = &**x;
                let c = self.expr(cond)?.as_bool().map_err(|_| Bail::Error)?;
                if c && !body.is_empty() {
                    self.block_value(body)
                } else if !c && !branch.is_empty() {
                    self.block_value(branch)
                } else {
                    Ok(Dynamic::UNIT)
                }
            }
            Stmt::Switch(s) => {
                let value = self.expr(&s.value)?;
                let mut chosen = None;
                if value.is_int() || value.is_string() || value.is_bool() || value.is_unit() {
                    let hash = super::ast::switch_hash(&value);
                    if let Ok(at) = s.cases.binary_search_by_key(&hash, |(h, _)| *h) {
                        if let Some((_, blocks)) = s.cases.get(at) {
                            for &i in blocks {
                                let Some((cond, rhs)) = s.branches.get(i) else {
                                    return Err(Bail::Unsupported.into());
                                };
                                let ok = match cond {
                                    None => true,
                                    Some(c) => self.expr(c)?.as_bool().map_err(|_| Bail::Error)?,
                                };
                                if ok {
                                    chosen = Some(rhs);
                                    break;
                                }
                            }
                        }
                    }
                } else {
                    return Err(Bail::Unsupported.into());
                }
                let chosen = chosen.or_else(|| {
                    s.default
                        .and_then(|d| s.branches.get(d))
                        .map(|(_, rhs)| rhs)
                });
                match chosen {
                    Some(rhs) => self.expr(rhs),
                    None => Ok(Dynamic::UNIT),
                }
            }
            Stmt::While(x) => {
                let (cond, body, _) = &**x;
                loop {
                    if let Some(c) = cond {
                        if !self.expr(c)?.as_bool().map_err(|_| Bail::Error)? {
                            break;
                        }
                    }
                    if body.is_empty() {
                        self.tick()?;
                        continue;
                    }
                    match self.block_value(body) {
                        Ok(_) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(Dynamic::UNIT)
            }
            Stmt::For(x) => self.for_loop(x),
            Stmt::Break => Err(Flow::Break),
            Stmt::Continue => Err(Flow::Continue),
            Stmt::Return(value) => {
                let v = match value {
                    Some(e) => self.expr(e)?.flatten(),
                    None => Dynamic::UNIT,
                };
                Err(Flow::Return(v))
            }
            Stmt::Block(stmts) => {
                if stmts.is_empty() {
                    Ok(Dynamic::UNIT)
                } else {
                    self.block_value(stmts)
                }
            }
            Stmt::Line(_, inner) => self.stmt(inner),
        }
    }

    fn for_loop(&mut self, x: &(Option<usize>, usize, Node, Vec<Stmt>)) -> R {
        let (counter, _slot, iterable, body) = x;
        if self.frame.len() + 1 + usize::from(counter.is_some()) >= self.limits.max_variables {
            return Err(Bail::Limit.into());
        }
        let iterable = self.expr(iterable)?.flatten();
        let items: Box<dyn Iterator<Item = Dynamic>> = if iterable.is_array() {
            match iterable.into_array() {
                Ok(a) => Box::new(a.into_iter()),
                Err(_) => return Err(Bail::Unsupported.into()),
            }
        } else if let Some(r) = iterable.read_lock::<std::ops::Range<INT>>() {
            Box::new(r.clone().map(Dynamic::from_int))
        } else if let Some(r) = iterable.read_lock::<std::ops::RangeInclusive<INT>>() {
            Box::new(r.clone().map(Dynamic::from_int))
        } else {
            return Err(Bail::Unsupported.into());
        };
        let len = self.frame.len();
        if counter.is_some() {
            self.frame.push(Dynamic::from_int(0));
        }
        self.frame.push(Dynamic::UNIT);
        let var = self.frame.len() - 1;
        let mut result = Ok(Dynamic::UNIT);
        let mut n: INT = -1;
        for item in items {
            if body.is_empty() {
                if let Err(e) = self.tick() {
                    result = Err(e);
                    break;
                }
                continue;
            }
            n += 1;
            if counter.is_some() {
                if let Some(c) = self.frame.get_mut(len) {
                    *c = Dynamic::from_int(n);
                }
            }
            if let Some(v) = self.frame.get_mut(var) {
                *v = item.flatten();
            }
            match self.block_value(body) {
                Ok(_) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.frame.truncate(len);
        result
    }

    /// A literal argument counts one; anything else is evaluated.
    fn arg(&mut self, arg: &Arg) -> R {
        match arg {
            Arg::Literal(v) => {
                self.tick()?;
                Ok(v.clone())
            }
            Arg::Expr(e) => Ok(self.expr(e)?.flatten()),
        }
    }

    fn call_args(&mut self, args: &CallArgs) -> R<Vec<Dynamic>> {
        let mut values = Vec::with_capacity(args.args.len());
        let mut iter = args.args.iter();
        if args.first_is_variable {
            self.tick()?;
            let first = iter.next();
            let rest = iter.map(|a| self.arg(a)).collect::<R<Vec<_>>>()?;
            match first {
                Some(Arg::Expr(Node::Variable(slot))) => {
                    values.push(self.slot(*slot)?.clone().flatten())
                }
                _ => return Err(Bail::Unsupported.into()),
            }
            values.extend(rest);
        } else {
            for a in iter {
                values.push(self.arg(a)?);
            }
        }
        Ok(values)
    }

    /// A call node without the expression's own count (a call statement).
    fn call_node(&mut self, node: &Node) -> R {
        match node {
            Node::Builtin(b, args) => {
                let values = self.call_args(args)?;
                // `type_of` is a keyword: it is not dispatched.
                if *b != Builtin::TypeOf {
                    self.tick()?;
                }
                self.builtin(*b, &values)
            }
            Node::Helper(index, args) => {
                // Dispatch and the call of the script function count one together.
                let values = self.call_args(args)?;
                self.call_function(*index, values)
            }
            Node::Unary(op, a) => {
                let v = self.arg(a)?;
                unary(*op, &v)
            }
            Node::Binary(op, pair) => {
                let a = self.arg(&pair.0)?;
                let b = self.arg(&pair.1)?;
                if *op == BinOp::In {
                    // `in` has no built-in on arrays: dispatched to `contains`.
                    let (found, extra) = contains(&a, &b)?;
                    for _ in 0..extra * 2 {
                        self.tick()?;
                    }
                    return Ok(Dynamic::from_bool(found));
                }
                binary(*op, &a, &b, self.limits)
            }
            _ => Err(Bail::Unsupported.into()),
        }
    }

    fn expr(&mut self, node: &Node) -> R {
        self.tick()?;
        match node {
            Node::Constant(v) => Ok(v.clone()),
            Node::Variable(slot) => Ok(self.slot(*slot)?.clone()),
            Node::Array(items) => {
                let mut array = Array::with_capacity(items.len());
                for i in items {
                    array.push(self.expr(i)?.flatten());
                }
                let value = Dynamic::from_array(array);
                check_size(&value, self.limits)?;
                Ok(value)
            }
            Node::Map(template, values) => {
                let mut map: Map = (**template).clone();
                for (k, e) in values {
                    let v = self.expr(e)?.flatten();
                    match map.get_mut(k.as_str()) {
                        Some(slot) => *slot = v,
                        None => return Err(Bail::Unsupported.into()),
                    }
                }
                let value = Dynamic::from_map(map);
                check_size(&value, self.limits)?;
                Ok(value)
            }
            Node::And(items) => {
                for i in items {
                    if !self.expr(i)?.as_bool().map_err(|_| Bail::Error)? {
                        return Ok(Dynamic::FALSE);
                    }
                }
                Ok(Dynamic::TRUE)
            }
            Node::Or(items) => {
                for i in items {
                    if self.expr(i)?.as_bool().map_err(|_| Bail::Error)? {
                        return Ok(Dynamic::TRUE);
                    }
                }
                Ok(Dynamic::FALSE)
            }
            Node::Coalesce(items) => {
                let mut value = Dynamic::UNIT;
                for i in items {
                    value = self.expr(i)?;
                    if !value.is_unit() {
                        break;
                    }
                }
                Ok(value)
            }
            Node::Unary(..) | Node::Binary(..) | Node::Builtin(..) | Node::Helper(..) => {
                self.call_node(node)
            }
            Node::Chain(root, steps) => self.chain(root, steps),
            Node::Interpolated(parts) => {
                let mut text = String::new();
                for p in parts {
                    let v = self.expr(p)?.flatten();
                    // A value that is not a string is printed by a `to_string` call.
                    if !v.is_string() {
                        self.soft_tick(&v)?;
                    }
                    append_display(&mut text, &v)?;
                    if text.len() > self.limits.max_string_size {
                        return Err(Bail::Limit.into());
                    }
                }
                Ok(Dynamic::from(ImmutableString::from(text)))
            }
            Node::Block(stmts) => self.block_value(stmts),
        }
    }

    fn chain(&mut self, root: &Node, steps: &[Step]) -> R {
        // rhai evaluates the chain's index and method arguments first, one operation
        // per level of the chain, except for a single property, literal index or
        // method without arguments.
        let short = match steps {
            [Step::Property(_)] => true,
            [Step::Index(Node::Constant(_))] => true,
            [Step::Method(_, args)] => args.is_empty(),
            _ => false,
        };
        let mut values: Vec<Vec<Dynamic>> = Vec::with_capacity(steps.len());
        for step in steps {
            if !short {
                self.tick()?;
            }
            match step {
                Step::Property(_) => values.push(Vec::new()),
                Step::Index(Node::Constant(v)) if short => values.push(vec![v.clone()]),
                Step::Index(e) => values.push(vec![self.expr(e)?.flatten()]),
                Step::Method(_, args) => {
                    let mut v = Vec::with_capacity(args.len());
                    for a in args {
                        v.push(self.arg(a)?);
                    }
                    values.push(v);
                }
            }
        }
        // The root (one for a variable; any other root is evaluated), then one per
        // step taken.
        let owned;
        let root = match root {
            Node::Variable(slot) => {
                self.tick()?;
                for _ in steps {
                    self.tick()?;
                }
                self.slot(*slot)?
            }
            other => {
                owned = self.expr(other)?.flatten();
                for _ in steps {
                    self.tick()?;
                }
                &owned
            }
        };
        let (value, extra) = walk(root, steps, &values, self.limits)?;
        for _ in 0..extra {
            self.tick()?;
        }
        Ok(value)
    }

    fn builtin(&mut self, builtin: Builtin, args: &[Dynamic]) -> R {
        match (builtin, args) {
            (Builtin::Print, [v]) => {
                let mut text = String::new();
                append_display(&mut text, v)?;
                self.capture(text);
                Ok(Dynamic::UNIT)
            }
            (Builtin::Debug(line), [v]) => {
                let shown = if let Some(s) = v.read_lock::<ImmutableString>() {
                    format!("{:?}", s.as_str())
                } else {
                    let mut text = String::new();
                    append_display(&mut text, v)?;
                    text
                };
                let text = if line > 0 {
                    format!("[debug line {line}] {shown}")
                } else {
                    format!("[debug] {shown}")
                };
                self.capture(text);
                Ok(Dynamic::UNIT)
            }
            (Builtin::TypeOf, [v]) => {
                if v.is_int()
                    || v.is_decimal()
                    || v.is_string()
                    || v.is_bool()
                    || v.is_unit()
                    || v.is_array()
                    || v.is_map()
                {
                    Ok(super::ir::text(v.type_name()))
                } else {
                    Err(Bail::Unsupported.into())
                }
            }
            (Builtin::Compare(op), [a, b]) => binary(op, a, b, self.limits),
            (b, [target, rest @ ..]) => {
                let (value, extra) = method(b, target, rest, self.limits)?;
                for _ in 0..extra {
                    self.tick()?;
                }
                Ok(value)
            }
            _ => Err(Bail::Unsupported.into()),
        }
    }

    /// The runtime's capture rule: at most `max_output_bytes` per call, then one `…` line.
    fn capture(&mut self, text: String) {
        if self.output_full {
            return;
        }
        if self.output_bytes.saturating_add(text.len()) > self.limits.max_output_bytes {
            self.output_full = true;
            self.output
                .push("… (further policy output dropped: output limit reached)".to_string());
            return;
        }
        self.output_bytes = self.output_bytes.saturating_add(text.len());
        self.output.push(text);
    }
}

/// Follows `steps` from `value` by reference (shared values are read-locked on the way).
fn walk(
    value: &Dynamic,
    steps: &[Step],
    values: &[Vec<Dynamic>],
    limits: &Limits,
) -> Result<(Dynamic, u64), Bail> {
    let (Some(step), Some(args)) = (steps.first(), values.first()) else {
        return Ok((value.clone(), 0));
    };
    let rest = steps.get(1..).unwrap_or(&[]);
    let rest_values = values.get(1..).unwrap_or(&[]);
    match step {
        Step::Property(name) => {
            let map = value.read_lock::<Map>().ok_or(Bail::Unsupported)?;
            let child = map.get(name.as_str()).ok_or(Bail::Error)?;
            walk(child, rest, rest_values, limits)
        }
        Step::Index(_) => {
            let index = args.first().ok_or(Bail::Unsupported)?;
            if let Some(array) = value.read_lock::<Array>() {
                let i = index.as_int().map_err(|_| Bail::Unsupported)?;
                let i = usize::try_from(i).map_err(|_| Bail::Unsupported)?;
                let child = array.get(i).ok_or(Bail::Error)?;
                walk(child, rest, rest_values, limits)
            } else if let Some(map) = value.read_lock::<Map>() {
                let key = index
                    .read_lock::<ImmutableString>()
                    .ok_or(Bail::Unsupported)?;
                let child = map.get(key.as_str()).ok_or(Bail::Unsupported)?;
                walk(child, rest, rest_values, limits)
            } else {
                Err(Bail::Unsupported)
            }
        }
        Step::Method(b, _) => {
            let (result, extra) = method(*b, value, args, limits)?;
            let (value, more) = walk(&result, rest, rest_values, limits)?;
            Ok((value, extra + more))
        }
    }
}

/// A built-in method on `target`, with the operations it counts inside (array
/// `contains` counts one for its comparisons).
fn method(
    b: Builtin,
    target: &Dynamic,
    args: &[Dynamic],
    limits: &Limits,
) -> Result<(Dynamic, u64), Bail> {
    if let (Builtin::Contains, [item]) = (b, args) {
        return contains(target, item).map(|(found, extra)| (Dynamic::from_bool(found), extra));
    }
    simple_method(b, target, args, limits).map(|v| (v, 0))
}

fn simple_method(
    b: Builtin,
    target: &Dynamic,
    args: &[Dynamic],
    limits: &Limits,
) -> Result<Dynamic, Bail> {
    let text = |v: &Dynamic| v.read_lock::<ImmutableString>().map(|s| s.clone());
    let sized = |v: Dynamic| check_size(&v, limits).map(|()| v);
    match (b, args) {
        (Builtin::Helper(h), rest) => {
            let mut all = Vec::with_capacity(rest.len() + 1);
            all.push(target.clone().flatten());
            all.extend(rest.iter().cloned());
            match h.call(&all) {
                None => Err(Bail::Unsupported),
                Some(Err(_)) => Err(Bail::Error),
                Some(Ok(v)) => sized(v),
            }
        }
        (Builtin::Keys, []) => {
            let map = target.read_lock::<Map>().ok_or(Bail::Unsupported)?;
            let keys: Array = map
                .keys()
                .map(|k| Dynamic::from(ImmutableString::from(k.as_str())))
                .collect();
            sized(Dynamic::from_array(keys))
        }
        (Builtin::Values, []) => {
            let map = target.read_lock::<Map>().ok_or(Bail::Unsupported)?;
            let values: Array = map.values().cloned().collect();
            sized(Dynamic::from_array(values))
        }
        (Builtin::StartsWith | Builtin::EndsWith, [x]) => {
            let (s, x) = (
                text(target).ok_or(Bail::Unsupported)?,
                text(x).ok_or(Bail::Unsupported)?,
            );
            Ok(Dynamic::from_bool(if b == Builtin::StartsWith {
                s.starts_with(x.as_str())
            } else {
                s.ends_with(x.as_str())
            }))
        }
        (Builtin::Split, [d]) => {
            let (s, d) = (
                text(target).ok_or(Bail::Unsupported)?,
                text(d).ok_or(Bail::Unsupported)?,
            );
            let parts: Array = if s.is_empty() || (!d.is_empty() && !s.contains(d.as_str())) {
                vec![Dynamic::from(s.clone())]
            } else {
                s.split(d.as_str())
                    .map(|p| Dynamic::from(ImmutableString::from(p)))
                    .collect()
            };
            sized(Dynamic::from_array(parts))
        }
        (Builtin::ToString, []) => {
            let mut out = String::new();
            append_display(&mut out, target)?;
            sized(Dynamic::from(ImmutableString::from(out)))
        }
        (Builtin::Len, []) => {
            let n = if let Some(s) = target.read_lock::<ImmutableString>() {
                s.chars().count()
            } else if let Some(a) = target.read_lock::<Array>() {
                a.len()
            } else if let Some(m) = target.read_lock::<Map>() {
                m.len()
            } else {
                return Err(Bail::Unsupported);
            };
            Ok(Dynamic::from_int(
                INT::try_from(n).map_err(|_| Bail::Unsupported)?,
            ))
        }
        (Builtin::IsEmpty, []) => {
            let empty = if let Some(s) = target.read_lock::<ImmutableString>() {
                s.is_empty()
            } else if let Some(a) = target.read_lock::<Array>() {
                a.is_empty()
            } else if let Some(m) = target.read_lock::<Map>() {
                m.is_empty()
            } else {
                return Err(Bail::Unsupported);
            };
            Ok(Dynamic::from_bool(empty))
        }
        (Builtin::ToUpper, []) => {
            let s = target
                .read_lock::<ImmutableString>()
                .ok_or(Bail::Unsupported)?;
            Ok(Dynamic::from(ImmutableString::from(s.to_uppercase())))
        }
        (Builtin::ToLower, []) => {
            let s = target
                .read_lock::<ImmutableString>()
                .ok_or(Bail::Unsupported)?;
            Ok(Dynamic::from(ImmutableString::from(s.to_lowercase())))
        }
        (Builtin::Divide, [b]) => divide(target, b),
        _ => Err(Bail::Unsupported),
    }
}

fn contains(container: &Dynamic, item: &Dynamic) -> Result<(bool, u64), Bail> {
    if let Some(array) = container.read_lock::<Array>() {
        for element in array.iter() {
            if equals(element, item)? {
                return Ok((true, 1));
            }
        }
        return Ok((false, 1));
    }
    if let Some(s) = container.read_lock::<ImmutableString>() {
        let needle = item
            .read_lock::<ImmutableString>()
            .ok_or(Bail::Unsupported)?;
        return Ok((s.contains(needle.as_str()), 0));
    }
    if let Some(m) = container.read_lock::<Map>() {
        let key = item
            .read_lock::<ImmutableString>()
            .ok_or(Bail::Unsupported)?;
        return Ok((m.contains_key(key.as_str()), 0));
    }
    Err(Bail::Unsupported)
}

fn divide(a: &Dynamic, b: &Dynamic) -> Result<Dynamic, Bail> {
    use crate::policy::bridge::{div_decimals, div_ints};
    let result = match (a.as_int(), b.as_int(), a.as_decimal(), b.as_decimal()) {
        (Ok(x), Ok(y), ..) => div_ints(x, y),
        (_, _, Ok(x), Ok(y)) => div_decimals(x, y),
        (Ok(x), _, _, Ok(y)) => div_decimals(Decimal::from(x), y),
        (_, Ok(y), Ok(x), _) => div_decimals(x, Decimal::from(y)),
        _ => return Err(Bail::Unsupported),
    };
    result.map(Dynamic::from_decimal).map_err(|_| Bail::Error)
}

/// Text for interpolation and `print`: strings as they are, numbers and booleans as rhai
/// prints them, timestamps in RFC 3339.
fn append_display(text: &mut String, v: &Dynamic) -> Result<(), Bail> {
    use std::fmt::Write;
    if let Some(s) = v.read_lock::<ImmutableString>() {
        text.push_str(s.as_str());
    } else if let Ok(i) = v.as_int() {
        let _ = write!(text, "{i}");
    } else if let Ok(d) = v.as_decimal() {
        let _ = write!(text, "{d}");
    } else if let Ok(b) = v.as_bool() {
        let _ = write!(text, "{b}");
    } else if let Some(t) = v.read_lock::<crate::policy::Timestamp>() {
        let _ = write!(text, "{}", &*t);
    } else {
        return Err(Bail::Unsupported);
    }
    Ok(())
}

fn unary(op: UnOp, v: &Dynamic) -> R {
    match op {
        UnOp::Not => Ok(Dynamic::from_bool(
            !v.as_bool().map_err(|_| Bail::Unsupported)?,
        )),
        UnOp::Neg => {
            if let Ok(i) = v.as_int() {
                Ok(Dynamic::from_int(i.checked_neg().ok_or(Bail::Error)?))
            } else if let Ok(d) = v.as_decimal() {
                Ok(Dynamic::from_decimal(-d))
            } else {
                Err(Bail::Unsupported.into())
            }
        }
        UnOp::Plus => {
            if v.is_int() || v.is_decimal() {
                Ok(v.clone())
            } else {
                Err(Bail::Unsupported.into())
            }
        }
    }
}

enum Num {
    Int(INT, INT),
    Dec(Decimal, Decimal),
}

fn numbers(a: &Dynamic, b: &Dynamic) -> Option<Num> {
    match (a.as_int(), b.as_int()) {
        (Ok(x), Ok(y)) => Some(Num::Int(x, y)),
        (Ok(x), Err(_)) => b.as_decimal().ok().map(|y| Num::Dec(Decimal::from(x), y)),
        (Err(_), Ok(y)) => a.as_decimal().ok().map(|x| Num::Dec(x, Decimal::from(y))),
        (Err(_), Err(_)) => match (a.as_decimal(), b.as_decimal()) {
            (Ok(x), Ok(y)) => Some(Num::Dec(x, y)),
            _ => None,
        },
    }
}

/// Ordering of two values rhai compares with a built-in: numbers (integers and decimals
/// mixed), strings, booleans (equality only) and `()`.
fn compare(a: &Dynamic, b: &Dynamic) -> Result<Option<Ordering>, Bail> {
    if let Some(n) = numbers(a, b) {
        return Ok(Some(match n {
            Num::Int(x, y) => x.cmp(&y),
            Num::Dec(x, y) => x.cmp(&y),
        }));
    }
    if let (Some(x), Some(y)) = (
        a.read_lock::<ImmutableString>(),
        b.read_lock::<ImmutableString>(),
    ) {
        return Ok(Some(x.as_str().cmp(y.as_str())));
    }
    // The runtime registers the comparisons of two timestamps.
    if let (Some(x), Some(y)) = (
        a.read_lock::<crate::policy::Timestamp>(),
        b.read_lock::<crate::policy::Timestamp>(),
    ) {
        return Ok(Some(x.cmp(&y)));
    }
    Err(Bail::Unsupported)
}

fn equals(a: &Dynamic, b: &Dynamic) -> Result<bool, Bail> {
    if let (Ok(x), Ok(y)) = (a.as_bool(), b.as_bool()) {
        return Ok(x == y);
    }
    match (a.is_unit(), b.is_unit()) {
        (true, true) => return Ok(true),
        // `x == ()` tests an optional value: different types are never equal.
        (true, false) | (false, true) => return Ok(false),
        _ => {}
    }
    compare(a, b).map(|o| o == Some(Ordering::Equal))
}

pub(crate) fn binary(op: BinOp, a: &Dynamic, b: &Dynamic, limits: &Limits) -> R {
    let arithmetic =
        |int: fn(INT, INT) -> Option<INT>, dec: fn(Decimal, Decimal) -> Option<Decimal>| -> R {
            match numbers(a, b) {
                Some(Num::Int(x, y)) => Ok(Dynamic::from_int(int(x, y).ok_or(Bail::Error)?)),
                Some(Num::Dec(x, y)) => Ok(Dynamic::from_decimal(dec(x, y).ok_or(Bail::Error)?)),
                None => Err(Bail::Unsupported.into()),
            }
        };
    match op {
        BinOp::Add => {
            if let (Some(x), Some(y)) = (
                a.read_lock::<ImmutableString>(),
                b.read_lock::<ImmutableString>(),
            ) {
                if x.len() + y.len() > limits.max_string_size {
                    return Err(Bail::Limit.into());
                }
                let mut s = String::with_capacity(x.len() + y.len());
                s.push_str(x.as_str());
                s.push_str(y.as_str());
                return Ok(Dynamic::from(ImmutableString::from(s)));
            }
            arithmetic(INT::checked_add, Decimal::checked_add)
        }
        BinOp::Sub => arithmetic(INT::checked_sub, Decimal::checked_sub),
        BinOp::Mul => arithmetic(INT::checked_mul, Decimal::checked_mul),
        BinOp::Rem => arithmetic(INT::checked_rem, Decimal::checked_rem),
        BinOp::Eq => Ok(Dynamic::from_bool(equals(a, b)?)),
        BinOp::Ne => Ok(Dynamic::from_bool(!equals(a, b)?)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let o = compare(a, b)?.ok_or(Bail::Unsupported)?;
            Ok(Dynamic::from_bool(match op {
                BinOp::Lt => o == Ordering::Less,
                BinOp::Le => o != Ordering::Greater,
                BinOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }))
        }
        BinOp::In => Ok(Dynamic::from_bool(contains(a, b)?.0)),
        BinOp::Range => match (a.as_int(), b.as_int()) {
            (Ok(x), Ok(y)) => Ok(Dynamic::from(x..y)),
            _ => Err(Bail::Unsupported.into()),
        },
        BinOp::RangeInclusive => match (a.as_int(), b.as_int()) {
            (Ok(x), Ok(y)) => Ok(Dynamic::from(x..=y)),
            _ => Err(Bail::Unsupported.into()),
        },
    }
}

/// rhai's data-size rule: arrays (nested included), maps (nested included) and strings
/// (all inside the value together) within their limits.
fn check_size(value: &Dynamic, limits: &Limits) -> Result<(), Bail> {
    fn sizes(v: &Dynamic, acc: &mut (usize, usize, usize)) {
        if let Some(a) = v.read_lock::<Array>() {
            acc.0 += a.len();
            for x in a.iter() {
                sizes(x, acc);
            }
        } else if let Some(m) = v.read_lock::<Map>() {
            acc.1 += m.len();
            for x in m.values() {
                sizes(x, acc);
            }
        } else if let Some(s) = v.read_lock::<ImmutableString>() {
            acc.2 += s.len();
        }
    }
    let mut acc = (0, 0, 0);
    sizes(value, &mut acc);
    if acc.0 > limits.max_array_size
        || acc.1 > limits.max_map_size
        || acc.2 > limits.max_string_size
    {
        return Err(Bail::Limit);
    }
    Ok(())
}
