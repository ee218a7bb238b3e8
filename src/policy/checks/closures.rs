//! Compile-time check against closures stored inside a variable they capture.
//!
//! In Rhai a closure that uses a variable of the enclosing function *captures* it: the
//! variable becomes a shared cell (an `Arc`) held both by the function and by the
//! closure. If a value containing that closure is then stored into the cell (`f = || f`,
//! `a.push(|| a)`, `m.f = || m`, `let g = || a; a.push(g)`), the cell and the closure
//! keep each other alive: a reference cycle that is never freed. A hook doing that
//! leaks memory on every call.
//!
//! The rule, checked per function (a hook or helper together with the closures written
//! inside it, which share its variable names):
//!
//! - every variable gets a *kind*, the most general value it may hold anywhere in the
//!   function: `Scalar` (number, string, character, boolean), `Data` (may be an array,
//!   map or other value, but holds no function pointer) or `Function` (may hold or
//!   contain a function pointer or closure). Closures, `Fn(...)`, `curry`, `call`, calls
//!   of script functions, `this` and the parameters of helpers and closures are
//!   `Function`; hook parameters (data from the engine) are `Data`.
//! - a variable that any closure of the function captures may not be written with a
//!   value of kind `Function`: assignment (`x = v`, `x.p = v`, `x[i] = v`), compound
//!   assignment (except on a variable that only ever holds scalars: `n += v` on a
//!   number or string cannot store `v`), or a method call on it given such a value
//!   (`x.push(v)`); read-only methods (`contains`, `get`, `len`, ...) are allowed
//!   unless the variable itself may hold functions (a map property holding a closure
//!   is called as a method with `this` bound to the map). `f.call(x)` on a variable only
//!   ever bound to a closure runs it without binding `this`, so it writes nothing into `f`.
//! - a variable bound in a way not modelled here (a `catch` variable, anything else) may
//!   hold anything.
//!
//! Policies without any capturing closure skip the analysis. It ignores statement order
//! (a loop can run a write after a capture that appears below it) and merges variables
//! of the same name, so it only errs on the side of refusing. Function-style calls
//! (`push(x, v)`) pass a captured (shared) variable by value, so they cannot write into
//! it. Values are only ever shared through captures: rhai copies a shared value when it
//! is read into a `let`, an argument, an array or a map.

use super::{root_variable, Bodies};
use rhai::{ASTNode, Dynamic, Expr, FnPtr, Position, Stmt, AST};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The most general value a variable or expression may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Scalar,
    Data,
    Function,
}

/// Methods that never store an argument into their receiver and never run a function
/// argument with `this` bound to the receiver's contents (`filter` and `map` pass each
/// item by value).
const READ_ONLY_METHODS: &[&str] = &[
    "contains",
    "len",
    "is_empty",
    "get",
    "keys",
    "values",
    "starts_with",
    "ends_with",
    "to_string",
    "to_debug",
    "type_of",
    "filter",
    "map",
];

/// A write that stores a closure into a variable a closure captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle {
    /// The captured variable.
    pub variable: String,
    /// Where the offending write is (the variable's occurrence in it).
    pub at: Position,
    /// Where a closure captures the variable.
    pub captured_at: Position,
    /// `None` for an assignment, the method's name for a method call.
    pub method: Option<String>,
}

/// Everything about one analysis unit (a named function and its closures).
struct Unit<'a> {
    is_native: &'a dyn Fn(&str) -> bool,
    script_functions: &'a HashSet<String>,
    kinds: HashMap<String, Kind>,
    /// Variables that may hold something other than a single function pointer (every
    /// other variable is only ever bound to a closure or `Fn(...)`, so `f.call(x)` on it
    /// runs the closure without binding `this`).
    not_fn_only: HashSet<String>,
    /// Variables some closure captures, with the first place one does.
    captures: BTreeMap<String, Position>,
}

/// Finds every write that may store a closure into a variable a closure captures.
pub(crate) fn find_cycles(ast: &AST, is_native: &dyn Fn(&str) -> bool) -> Vec<Cycle> {
    // Most policies capture nothing: then there is nothing to check.
    let mut captures_anything = false;
    ast.walk(&mut |path: &[ASTNode]| {
        captures_anything = matches!(path.last(), Some(ASTNode::Stmt(Stmt::Share(..))));
        !captures_anything
    });
    if !captures_anything {
        return Vec::new();
    }
    let script_functions: HashSet<String> =
        ast.iter_functions().map(|f| f.name.to_string()).collect();
    // Functions the script itself calls: their parameters may receive anything. Closures
    // (name -> how many variables they capture, their first parameters).
    let mut called: HashSet<String> = HashSet::new();
    let mut captured_counts: HashMap<String, usize> = HashMap::new();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Expr(Expr::FnCall(call, _)) | ASTNode::Stmt(Stmt::FnCall(call, _))) =
            path.last()
        {
            called.insert(call.name.to_string());
            if call.name == "curry" {
                if let Some(Expr::DynamicConstant(value, _)) = call.args.first() {
                    for closure in closure_names(value) {
                        captured_counts.insert(closure, call.args.len().saturating_sub(1));
                    }
                }
            }
        }
        true
    });

    // One unit per named function: its body and the closures written inside it (whose
    // bodies lie between its braces). A node belongs to the unit whose braces enclose
    // the function statement it is part of; one without a position belongs to all.
    let defs: Vec<_> = ast.iter_fn_def().collect();
    let bodies = Bodies::of(ast);
    let mut units: Vec<Unit<'_>> = bodies
        .iter()
        .map(|_| Unit {
            is_native,
            script_functions: &script_functions,
            kinds: HashMap::new(),
            not_fn_only: HashSet::new(),
            captures: BTreeMap::new(),
        })
        .collect();
    let owners = |pos: Position| match bodies.owner(pos) {
        Some(i) => i..i.saturating_add(1),
        None => 0..bodies.len(),
    };

    // Parameters: a hook's arguments come from the engine (data) unless the script
    // calls the hook itself; a helper's or a closure's may be anything. A closure's
    // captured parameters are the enclosing function's variables.
    for f in &defs {
        let (skip, kind) = if f.name.starts_with("anon$") {
            (
                captured_counts.get(f.name.as_str()).copied().unwrap_or(0),
                Kind::Function,
            )
        } else if f.name.starts_with('_') || called.contains(f.name.as_str()) {
            (0, Kind::Function)
        } else {
            (0, Kind::Data)
        };
        let range = if f.name.starts_with("anon$") {
            owners(f.body.start_position())
        } else {
            // A named function is its own unit.
            match bodies.index_of(f) {
                Some(i) => i..i.saturating_add(1),
                None => 0..units.len(),
            }
        };
        for unit in units.get_mut(range).into_iter().flatten() {
            for param in f.params.iter().skip(skip) {
                unit.raise(param, kind);
                unit.not_fn_only.insert(param.to_string());
            }
        }
    }

    // What each unit captures, binds and uses.
    let mut bound: Vec<HashSet<String>> = units
        .iter()
        .map(|u| u.kinds.keys().cloned().collect())
        .collect();
    let mut used: Vec<HashSet<String>> = vec![HashSet::new(); units.len()];
    ast.walk(&mut |path: &[ASTNode]| {
        let Some(first) = path.first() else {
            return true;
        };
        for i in owners(first.position()) {
            let (Some(bound), Some(used), Some(unit)) =
                (bound.get_mut(i), used.get_mut(i), units.get_mut(i))
            else {
                continue;
            };
            match path.last() {
                Some(ASTNode::Stmt(Stmt::Share(shared))) => {
                    for (ident, _) in shared.iter() {
                        let entry = unit
                            .captures
                            .entry(ident.name.to_string())
                            .or_insert(ident.pos);
                        if before(ident.pos, *entry) {
                            *entry = ident.pos;
                        }
                    }
                }
                Some(ASTNode::Stmt(Stmt::Var(var, ..))) => {
                    bound.insert(var.0.name.to_string());
                }
                Some(ASTNode::Stmt(Stmt::For(f, _))) => {
                    bound.insert(f.0.name.to_string());
                    if let Some(counter) = &f.1 {
                        bound.insert(counter.name.to_string());
                    }
                }
                Some(ASTNode::Expr(e @ Expr::Variable(..))) => {
                    if let Some(name) = variable_name(e) {
                        used.insert(name.to_string());
                    }
                }
                _ => {}
            }
        }
        true
    });
    // A variable bound in a way not modelled here may hold anything.
    for (i, unit) in units.iter_mut().enumerate() {
        let (Some(bound), Some(used)) = (bound.get(i), used.get(i)) else {
            continue;
        };
        for name in used.difference(bound) {
            unit.raise(name, Kind::Function);
            unit.not_fn_only.insert(name.clone());
        }
    }

    // Kinds only grow, over three levels: this ends.
    loop {
        let previous: Vec<_> = units
            .iter()
            .map(|u| (u.kinds.clone(), u.not_fn_only.len()))
            .collect();
        ast.walk(&mut |path: &[ASTNode]| {
            if let Some(first) = path.first() {
                for i in owners(first.position()) {
                    if let Some(unit) = units.get_mut(i) {
                        if !unit.captures.is_empty() {
                            unit.infer(path);
                        }
                    }
                }
            }
            true
        });
        let now: Vec<_> = units
            .iter()
            .map(|u| (u.kinds.clone(), u.not_fn_only.len()))
            .collect();
        if now == previous {
            break;
        }
    }

    let mut found: Vec<Cycle> = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(first) = path.first() {
            for i in owners(first.position()) {
                if let Some(cycle) = units.get(i).and_then(|unit| unit.check(path)) {
                    if !found.contains(&cycle) {
                        found.push(cycle);
                    }
                }
            }
        }
        true
    });
    found.sort_by_key(|c| (c.at.line(), c.at.position()));
    found
}

fn before(a: Position, b: Position) -> bool {
    (a.line(), a.position()) < (b.line(), b.position())
}

/// Names of the closures (anonymous functions) a constant points to, however nested.
fn closure_names(value: &Dynamic) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(ptr) = value.read_lock::<FnPtr>() {
        if ptr.fn_name().starts_with("anon$") {
            out.push(ptr.fn_name().to_string());
        }
    } else if let Some(array) = value.read_lock::<rhai::Array>() {
        for item in array.iter() {
            out.extend(closure_names(item));
        }
    } else if let Some(map) = value.read_lock::<rhai::Map>() {
        for item in map.values() {
            out.extend(closure_names(item));
        }
    }
    out
}

fn constant_kind(value: &Dynamic) -> Kind {
    if value.is_fnptr() {
        Kind::Function
    } else if value.is_int()
        || value.is_decimal()
        || value.is_string()
        || value.is_bool()
        || value.is_char()
    {
        Kind::Scalar
    } else if let Some(array) = value.read_lock::<rhai::Array>() {
        array.iter().map(constant_kind).fold(Kind::Data, Kind::max)
    } else if let Some(map) = value.read_lock::<rhai::Map>() {
        map.values().map(constant_kind).fold(Kind::Data, Kind::max)
    } else {
        Kind::Data
    }
}

fn variable_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Variable(v, ..) => Some(v.1.as_str()),
        _ => None,
    }
}

/// The variables whose value a method call at the end of `path` may modify: the roots
/// of every access chain the call is part of.
fn receivers<'p>(path: &'p [ASTNode<'p>]) -> Vec<(&'p str, Position)> {
    let mut out = Vec::new();
    for node in path.iter().rev().skip(1) {
        match node {
            ASTNode::Expr(Expr::Dot(bin, ..)) | ASTNode::Expr(Expr::Index(bin, ..)) => {
                if let Some(root) = root_variable(&bin.lhs) {
                    out.push(root);
                }
            }
            _ => break,
        }
    }
    out
}

/// Whether `expr` is a closure (`|x| ...`, with or without captures) or `Fn("name")`.
fn is_function_literal(expr: &Expr) -> bool {
    match expr {
        Expr::DynamicConstant(value, _) => value.is_fnptr(),
        Expr::FnCall(call, _) => call.name == "Fn",
        Expr::Stmt(block) => match block.statements() {
            [Stmt::Share(..), Stmt::FnCall(call, _)] => call.name == "curry",
            [Stmt::Share(..), Stmt::Expr(e)] => {
                matches!(&**e, Expr::FnCall(call, _) if call.name == "curry")
            }
            _ => false,
        },
        _ => false,
    }
}

impl Unit<'_> {
    /// Whether the method call at the end of `path` is `f.call(...)` on a variable `f`
    /// that only ever holds a function pointer: that runs the function without binding
    /// `this`, so it writes nothing into `f`.
    fn calls_function_variable(&self, path: &[ASTNode]) -> bool {
        let Some(ASTNode::Expr(method @ Expr::MethodCall(call, _))) = path.last() else {
            return false;
        };
        let Some(ASTNode::Expr(Expr::Dot(bin, ..))) =
            path.len().checked_sub(2).and_then(|i| path.get(i))
        else {
            return false;
        };
        call.name == "call"
            && std::ptr::eq(&bin.rhs, *method)
            && variable_name(&bin.lhs).is_some_and(|f| !self.not_fn_only.contains(f))
    }

    fn kind_of_variable(&self, name: &str) -> Kind {
        self.kinds.get(name).copied().unwrap_or(Kind::Scalar)
    }

    fn raise(&mut self, name: &str, kind: Kind) {
        let entry = self.kinds.entry(name.to_string()).or_insert(kind);
        if kind > *entry {
            *entry = kind;
        }
    }

    /// Whether calling `name` (not an operator) may return or run a function pointer.
    fn call_may_run_script(&self, name: &str) -> bool {
        matches!(name, "call" | "curry" | "Fn")
            || self.script_functions.contains(name)
            || !(self.is_native)(name)
    }

    /// The most general value `expr` may evaluate to.
    fn kind(&self, expr: &Expr) -> Kind {
        match expr {
            Expr::Variable(..) => variable_name(expr)
                .map(|n| self.kind_of_variable(n))
                .unwrap_or(Kind::Function),
            Expr::ThisPtr(..) => Kind::Function,
            Expr::DynamicConstant(value, _) => constant_kind(value),
            Expr::IntegerConstant(..)
            | Expr::BoolConstant(..)
            | Expr::CharConstant(..)
            | Expr::StringConstant(..)
            | Expr::InterpolatedString(..)
            | Expr::Property(..)
            | Expr::And(..)
            | Expr::Or(..) => Kind::Scalar,
            Expr::Unit(..) => Kind::Data,
            Expr::Array(items, _) => items
                .iter()
                .map(|e| self.kind(e))
                .fold(Kind::Data, Kind::max),
            Expr::Map(map, _) => map
                .0
                .iter()
                .map(|(_, e)| self.kind(e))
                .fold(Kind::Data, Kind::max),
            Expr::Coalesce(items, _) => items
                .iter()
                .map(|e| self.kind(e))
                .fold(Kind::Scalar, Kind::max),
            Expr::Dot(bin, ..) | Expr::Index(bin, ..) => {
                self.kind(&bin.lhs).max(self.kind(&bin.rhs))
            }
            Expr::FnCall(call, _) | Expr::MethodCall(call, _) => {
                let args = || {
                    call.args
                        .iter()
                        .map(|e| self.kind(e))
                        .fold(Kind::Scalar, Kind::max)
                };
                // An operator call is named after its operator (`+`, `..`, `>`).
                match call.op_token.as_ref().map(|_| call.name.as_str()) {
                    // `+` joins strings, arrays and maps.
                    Some("+") => args(),
                    Some(".." | "..=") => Kind::Data,
                    // Arithmetic, comparisons and logic give numbers and booleans.
                    Some(_) => Kind::Scalar,
                    None if self.call_may_run_script(&call.name) => Kind::Function,
                    None => Kind::Data.max(args()),
                }
            }
            // Blocks (`if`/`switch` expressions, closures): the join over everything in
            // them, node by node (linear in the block's size).
            Expr::Stmt(..) => {
                let mut kind = Kind::Scalar;
                expr.walk(&mut Vec::new(), &mut |path: &[ASTNode]| {
                    kind = kind.max(self.node_kind(path.last()));
                    true
                });
                kind
            }
            _ => Kind::Function,
        }
    }

    /// What one node of a block contributes to the block's value, without looking
    /// into its children (the walk visits them).
    fn node_kind(&self, node: Option<&ASTNode>) -> Kind {
        match node {
            Some(ASTNode::Expr(e)) => match e {
                Expr::Variable(..) => variable_name(e)
                    .map(|n| self.kind_of_variable(n))
                    .unwrap_or(Kind::Function),
                Expr::ThisPtr(..) => Kind::Function,
                Expr::DynamicConstant(value, _) => constant_kind(value),
                Expr::Array(..) | Expr::Map(..) | Expr::Unit(..) => Kind::Data,
                Expr::FnCall(call, _) | Expr::MethodCall(call, _) => self.call_kind(call),
                Expr::IntegerConstant(..)
                | Expr::BoolConstant(..)
                | Expr::CharConstant(..)
                | Expr::StringConstant(..)
                | Expr::InterpolatedString(..)
                | Expr::Property(..)
                | Expr::And(..)
                | Expr::Or(..)
                | Expr::Stmt(..)
                | Expr::Dot(..)
                | Expr::Index(..)
                | Expr::Coalesce(..) => Kind::Scalar,
                _ => Kind::Function,
            },
            Some(ASTNode::Stmt(Stmt::Share(..))) => Kind::Function,
            Some(ASTNode::Stmt(Stmt::FnCall(call, _))) => self.call_kind(call),
            _ => Kind::Scalar,
        }
    }

    /// What a call itself may produce beyond its arguments.
    fn call_kind(&self, call: &rhai::FnCallExpr) -> Kind {
        if call.op_token.is_some() {
            Kind::Scalar
        } else if self.call_may_run_script(&call.name) {
            Kind::Function
        } else {
            Kind::Data
        }
    }

    /// What a method call stores into its receiver, at most.
    fn method_stores(&self, name: &str, args: &[Expr]) -> Kind {
        let stored = args
            .iter()
            .map(|a| self.kind(a))
            .fold(Kind::Scalar, Kind::max);
        if self.call_may_run_script(name) {
            Kind::Function
        } else if READ_ONLY_METHODS.contains(&name) {
            Kind::Scalar
        } else {
            stored
        }
    }

    /// What the assignment at the end of `path` stores into its root variable.
    fn assigned(&self, op: &rhai::OpAssignment, lhs: &Expr, rhs: &Expr, root: &str) -> Kind {
        let value = self.kind(rhs);
        if !op.is_op_assignment() {
            return value;
        }
        let current = self.kind_of_variable(root);
        if matches!(lhs, Expr::Variable(..)) && current == Kind::Scalar {
            // A number, string, character or boolean combined with anything is a
            // scalar again (or an error): it cannot hold the right-hand side.
            Kind::Scalar
        } else {
            current.max(value)
        }
    }

    /// One step of kind inference at the node at the end of `path`.
    fn infer(&mut self, path: &[ASTNode]) {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(var, ..))) => {
                let kind = self.kind(&var.1);
                self.raise(var.0.name.as_str(), kind);
                if !is_function_literal(&var.1) {
                    self.not_fn_only.insert(var.0.name.to_string());
                }
            }
            Some(ASTNode::Stmt(Stmt::For(f, _))) => {
                let kind = self.kind(&f.2.expr);
                self.raise(f.0.name.as_str(), kind);
                self.not_fn_only.insert(f.0.name.to_string());
                if let Some(counter) = &f.1 {
                    self.raise(counter.name.as_str(), Kind::Scalar);
                    self.not_fn_only.insert(counter.name.to_string());
                }
            }
            // `catch (e)` binds whatever was thrown.
            Some(ASTNode::Stmt(Stmt::TryCatch(flow, _))) => {
                if let Some(name) = variable_name(&flow.expr) {
                    let name = name.to_string();
                    self.raise(&name, Kind::Function);
                    self.not_fn_only.insert(name);
                }
            }
            Some(ASTNode::Stmt(Stmt::Assignment(assignment))) => {
                let (op, bin) = &**assignment;
                if let Some((root, _)) = root_variable(&bin.lhs) {
                    let kind = self.assigned(op, &bin.lhs, &bin.rhs, root);
                    let root = root.to_string();
                    self.raise(&root, kind);
                    let replaces_with_function = !op.is_op_assignment()
                        && matches!(bin.lhs, Expr::Variable(..))
                        && is_function_literal(&bin.rhs);
                    if !replaces_with_function {
                        self.not_fn_only.insert(root);
                    }
                }
            }
            Some(ASTNode::Expr(Expr::MethodCall(call, _))) => {
                let kind = self.method_stores(&call.name, &call.args);
                let roots: Vec<String> =
                    receivers(path).iter().map(|(n, _)| n.to_string()).collect();
                for root in roots {
                    self.raise(&root, kind);
                }
            }
            // `f(x, ...)` passes an unshared variable `x` by reference.
            Some(ASTNode::Expr(Expr::FnCall(call, _)) | ASTNode::Stmt(Stmt::FnCall(call, _)))
                if call.op_token.is_none() =>
            {
                if let Some((first, rest)) = call.args.split_first() {
                    if let Some(name) = variable_name(first) {
                        let kind = self.method_stores(&call.name, rest);
                        let name = name.to_string();
                        self.raise(&name, kind);
                        self.not_fn_only.insert(name);
                    }
                }
            }
            _ => {}
        }
    }

    /// The cycle the node at the end of `path` may create, if any.
    fn check(&self, path: &[ASTNode]) -> Option<Cycle> {
        let captures = &self.captures;
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Assignment(assignment))) => {
                let (op, bin) = &**assignment;
                let (root, at) = root_variable(&bin.lhs)?;
                let captured_at = *captures.get(root)?;
                (self.assigned(op, &bin.lhs, &bin.rhs, root) == Kind::Function).then(|| Cycle {
                    variable: root.to_string(),
                    at,
                    captured_at,
                    method: None,
                })
            }
            Some(ASTNode::Expr(Expr::MethodCall(_, _))) if self.calls_function_variable(path) => {
                None
            }
            Some(ASTNode::Expr(Expr::MethodCall(call, _))) => {
                let passes_function = call.args.iter().any(|a| self.kind(a) == Kind::Function);
                receivers(path).into_iter().find_map(|(root, at)| {
                    let captured_at = *captures.get(root)?;
                    let stores = self.method_stores(&call.name, &call.args) == Kind::Function;
                    // A map property holding a closure is called with `this` bound to
                    // the map, whatever the method's name.
                    let dispatches = self.kind_of_variable(root) == Kind::Function;
                    (passes_function && (stores || dispatches)).then(|| Cycle {
                        variable: root.to_string(),
                        at,
                        captured_at,
                        method: Some(call.name.to_string()),
                    })
                })
            }
            _ => None,
        }
    }
}
