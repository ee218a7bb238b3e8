//! Bind-time analyses of a policy's compiled script, one file per analysis, over one way
//! of visiting a function's body.
//!
//! - [`reads`]: what each hook reads of its arguments (drives argument building in the
//!   [session](super::session) and the field checks);
//! - [`fields`]: `policy.unknown_field` and `policy.type_mismatch` against the engine's
//!   [schemas](super::schema).

pub(crate) mod fields;
pub(crate) mod reads;

use rhai::{ASTNode, AST};

/// The script functions the policy defines (hooks, helpers and closures).
pub(crate) fn function_defs(ast: &AST) -> impl Iterator<Item = &rhai::ScriptFuncDef> {
    ast.iter_fn_def().map(|f| f.as_ref())
}

/// Walks every node inside `def`'s body (closures written inside it included), calling
/// `on_node` with the path from the root down to the node (the node last).
///
/// Rhai does not expose a function body's statements on their own, so nodes are
/// attributed to a function by position: those between its body's braces.
pub(crate) fn walk_body(
    ast: &AST,
    def: &rhai::ScriptFuncDef,
    on_node: &mut dyn FnMut(&[ASTNode]) -> bool,
) {
    let (Some(start), Some(end)) = (
        place(def.body.start_position()),
        place(def.body.end_position()),
    ) else {
        return;
    };
    ast.walk(&mut |path: &[ASTNode]| {
        let inside = path
            .last()
            .and_then(|node| place(node.position()))
            .is_some_and(|at| start <= at && at <= end);
        if inside {
            on_node(path)
        } else {
            true
        }
    });
}

/// A position as (line, column), for ordering.
pub(crate) fn place(pos: rhai::Position) -> Option<(usize, usize)> {
    Some((pos.line()?, pos.position().unwrap_or(0)))
}
