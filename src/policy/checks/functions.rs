//! `policy.sandbox` and `policy.unknown_function`: calls a sandboxed script cannot make
//! (`timestamp()`, `eval`, `sleep()`), and calls of functions that exist nowhere, which
//! would only fail when the hook runs.

use super::walk_script;
use crate::policy::compiled::located;
use crate::policy::runtime::PolicyRuntime;
use crate::Diagnostic;
use rhai::{ASTNode, Expr, Position, Stmt, AST};
use std::collections::HashSet;

/// The diagnostics of every call in `ast` (the script `source` of policy `policy`):
/// sandboxed calls in the order of the walk, then calls of unknown functions.
pub(crate) fn check_calls(
    ast: &AST,
    runtime: &PolicyRuntime,
    policy: &str,
    source: &str,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut calls: Vec<(String, Position)> = Vec::new();
    let mut variables: HashSet<String> = ast
        .iter_functions()
        .flat_map(|f| f.params.iter().map(|p| p.to_string()).collect::<Vec<_>>())
        .collect();
    let mut on_call = |function: &str, pos: Position| {
        if let Some(d) = sandbox_call(function, pos, policy, source) {
            diagnostics.push(d);
        } else {
            calls.push((function.to_string(), pos));
        }
    };
    walk_script(ast, &mut |node| match node {
        ASTNode::Stmt(Stmt::FnCall(call, pos)) | ASTNode::Expr(Expr::FnCall(call, pos)) => {
            on_call(call.name.as_str(), *pos);
        }
        ASTNode::Stmt(Stmt::Var(var, ..)) => {
            variables.insert(var.0.name.to_string());
        }
        _ => {}
    });
    // Operators are calls too (`+`, `==`): only names are checked, and a variable
    // holding a function pointer may be called like a function.
    let defined: HashSet<&str> = ast.iter_functions().map(|f| f.name).collect();
    for (function, pos) in &calls {
        let is_name = function
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_');
        if is_name
            && !defined.contains(function.as_str())
            && !variables.contains(function)
            && !runtime.is_known_function(function)
        {
            diagnostics.push(unknown_function(
                function, *pos, &defined, runtime, policy, source,
            ));
        }
    }
    diagnostics
}

/// `policy.unknown_function` for a call of `function` at `pos`, suggesting the closest
/// of the script's own functions and the runtime's.
fn unknown_function(
    function: &str,
    pos: Position,
    defined: &HashSet<&str>,
    runtime: &PolicyRuntime,
    policy: &str,
    source: &str,
) -> Diagnostic {
    let mut builtin: Vec<&str> = runtime
        .inner
        .known_functions
        .iter()
        .map(String::as_str)
        .collect();
    builtin.sort_unstable();
    let mut candidates: Vec<&str> = defined
        .iter()
        .copied()
        .filter(|f| !f.starts_with("anon$"))
        .collect();
    candidates.sort_unstable();
    candidates.extend(builtin);
    let help = match crate::error::closest_name(function, candidates) {
        Some(similar) => format!("did you mean `{similar}`? the functions policies can call are listed in the `backoffice::policy` documentation"),
        None => "check the spelling; the functions policies can call are listed in the `backoffice::policy` documentation".to_string(),
    };
    located(
        Diagnostic::error(
            "policy.unknown_function",
            format!("there is no function called `{function}`"),
        )
        .with_help(help)
        .with_policy(policy),
        pos,
        source,
    )
}

/// Calls a sandboxed script cannot make, with the advice to give.
fn sandbox_call(function: &str, pos: Position, policy: &str, source: &str) -> Option<Diagnostic> {
    let (message, help) = match function {
        "timestamp" => (
            "`timestamp()` is not available: policies cannot read the clock",
            "use the time passed in the request (e.g. `request.now`), so that the same input always gives the same decision",
        ),
        "eval" => (
            "`eval` is not available in policies",
            "write the code directly in the hook",
        ),
        "sleep" => (
            "`sleep()` is not available: a policy must not block the thread it runs on",
            "decide from the input; waiting belongs to the caller",
        ),
        _ => return None,
    };
    Some(located(
        Diagnostic::error("policy.sandbox", message)
            .with_help(help)
            .with_policy(policy),
        pos,
        source,
    ))
}
