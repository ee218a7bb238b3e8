//! Writes into hook arguments, found when a policy is bound to an engine.
//!
//! Every engine passes its hook arguments as read-only values: assigning to a property a
//! map already has fails in the script with rhai's "constant" error. Rhai still lets a
//! script *add* a key to a read-only map (`order.extra = 1`), which later hooks of the
//! same decision would then see. Such writes are refused before the policy runs: an
//! assignment whose target starts at a hook's parameter (`order.x = ...`,
//! `node.atp["A"] += 1`, `order.lines[0].x = ...`), or a method-style call on a
//! parameter of a script function that assigns to a property of `this`
//! (`order._mark()` with `fn _mark() { this.seen = true }`), or runs a function pointer
//! with `this` bound to a parameter (`order.call(f)`) in a script that writes through
//! `this` anywhere.
//!
//! Passing an argument to a script function (`_helper(order)`) or binding it to a
//! variable (`let copy = order;`) copies it, so writes there are allowed. A hook that
//! declares a variable with its parameter's name (`let order = ...`) is not checked for
//! that name.

use super::{root_variable, Bodies};
use rhai::{ASTNode, Expr, Position, Stmt, AST};
use std::collections::HashSet;

/// One write into a hook argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArgumentWrite {
    /// The hook whose body writes.
    pub hook: String,
    /// The parameter written into.
    pub param: String,
    /// Where the written target starts.
    pub position: Position,
    /// The method called, for a write through `this`.
    pub method: Option<String>,
}

/// Where the `this` an access chain starts at is, if it starts at `this`.
fn this_root(mut expr: &Expr) -> Option<Position> {
    loop {
        match expr {
            Expr::ThisPtr(pos) => return Some(*pos),
            Expr::Dot(bin, ..) | Expr::Index(bin, ..) => expr = &bin.lhs,
            _ => return None,
        }
    }
}

/// The target of an assignment to a property or an element (`a.b = ...`, `a[i] += ...`).
fn property_target<'a>(node: Option<&'a ASTNode<'a>>) -> Option<&'a Expr> {
    match node {
        Some(ASTNode::Stmt(Stmt::Assignment(assignment))) => {
            let lhs = &assignment.1.lhs;
            matches!(lhs, Expr::Dot(..) | Expr::Index(..)).then_some(lhs)
        }
        _ => None,
    }
}

/// What the walk found, with where.
enum Found {
    /// A variable the script binds (`let`, `const`, `for`).
    Binds(String, Position),
    /// An assignment to a property or element of an access chain starting at a variable.
    Writes(String, Position),
    /// An assignment to a property or element through `this`.
    WritesThis(Position),
    /// A method-style call `var.method(...)`.
    Calls(String, String, Position),
}

/// The writes into hook arguments made by the functions named in `hooks`.
///
/// Nodes are attributed to a function by position (the function whose body's braces
/// enclose them): rhai does not expose a function body's statements on their own.
pub(crate) fn argument_writes(ast: &AST, hooks: &[&str]) -> Vec<ArgumentWrite> {
    let mut found: Vec<Found> = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(var, _, pos))) => {
                found.push(Found::Binds(var.0.name.to_string(), *pos));
            }
            Some(ASTNode::Stmt(Stmt::For(f, pos))) => {
                found.push(Found::Binds(f.0.name.to_string(), *pos));
                if let Some(counter) = &f.1 {
                    found.push(Found::Binds(counter.name.to_string(), *pos));
                }
            }
            Some(ASTNode::Expr(Expr::Dot(bin, ..))) => {
                if let Expr::MethodCall(call, _) = &bin.rhs {
                    if let Some((root, pos)) = root_variable(&bin.lhs) {
                        found.push(Found::Calls(root.to_string(), call.name.to_string(), pos));
                    }
                }
            }
            node => {
                if let Some(target) = property_target(node) {
                    if let Some((root, pos)) = root_variable(target) {
                        found.push(Found::Writes(root.to_string(), pos));
                    } else if let Some(pos) = this_root(target) {
                        found.push(Found::WritesThis(pos));
                    }
                }
            }
        }
        true
    });
    if found.is_empty() {
        return Vec::new();
    }

    let bodies = Bodies::of(ast);
    let owner = |pos: Position| bodies.owner_name(pos);

    let writes_this: HashSet<&str> = found
        .iter()
        .filter_map(|f| match f {
            Found::WritesThis(pos) => owner(*pos),
            _ => None,
        })
        .collect();
    // Closures may write through `this` too (their bodies count as the enclosing
    // function's here).
    let any_writes_this = found.iter().any(|f| matches!(f, Found::WritesThis(..)));
    let mut out = Vec::new();
    for function in bodies.iter() {
        let hook = function.name.as_str();
        if !hooks.contains(&hook) {
            continue;
        }
        // Names the hook binds itself shadow its parameters.
        let bound: HashSet<&str> = found
            .iter()
            .filter_map(|f| match f {
                Found::Binds(name, pos) if owner(*pos) == Some(hook) => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let is_param = |name: &str| {
            !bound.contains(name) && function.params.iter().any(|p| p.as_str() == name)
        };
        for f in &found {
            let write = match f {
                Found::Writes(root, pos) => (root.as_str(), *pos, None),
                // `param.call(f)` runs a function pointer with `this` bound to `param`.
                Found::Calls(root, method, pos)
                    if writes_this.contains(method.as_str())
                        || (method == "call" && any_writes_this) =>
                {
                    (root.as_str(), *pos, Some(method.clone()))
                }
                _ => continue,
            };
            if owner(write.1) == Some(hook) && is_param(write.0) {
                out.push(ArgumentWrite {
                    hook: hook.to_string(),
                    param: write.0.to_string(),
                    position: write.1,
                    method: write.2,
                });
            }
        }
    }
    out.sort_by_key(|w| (w.position.line(), w.position.position()));
    out
}
