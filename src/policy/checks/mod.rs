//! Bind-time analyses of a policy's compiled script, one file per analysis, over one way
//! of visiting a function's body.
//!
//! - [`reads`]: what each hook reads of its arguments (drives argument building in the
//!   [session](super::session) and the field checks);
//! - [`fields`]: `policy.unknown_field` and `policy.type_mismatch` against the engine's
//!   [schemas](super::schema);
//! - [`arguments`]: `policy.argument_write`, writes into a hook's read-only arguments;
//! - [`closures`]: `policy.closure_cycle`, closures stored in a variable they capture;
//! - [`functions`]: `policy.sandbox` and `policy.unknown_function`, calls that are not
//!   allowed or of functions that exist nowhere;
//! - [`lines`]: the executable lines of a script, for line coverage;
//! - [`returned`]: where a hook hands back its value, for `policy.bad_return`.
//!
//! Rhai does not expose a function body's statements on their own, so every analysis
//! attributes the nodes of [`AST::walk`] to functions by position, through [`Bodies`] and
//! [`walk_body`], and follows access chains with [`root_variable`]; checks of the whole
//! script (top-level statements included) visit its nodes with [`walk_script`].

pub(crate) mod arguments;
pub(crate) mod closures;
pub(crate) mod fields;
pub(crate) mod functions;
pub(crate) mod lines;
pub(crate) mod reads;
pub(crate) mod returned;

use rhai::{ASTNode, Expr, Position, ScriptFuncDef, AST};

/// Where a function's body starts and ends (its braces), when rhai knows.
type Range = (Option<(usize, usize)>, Option<(usize, usize)>);

/// The body of `def` as a range of places.
fn body_range(def: &ScriptFuncDef) -> Range {
    (
        place(def.body.start_position()),
        place(def.body.end_position()),
    )
}

/// The named functions of a script (hooks and helpers; closures are part of the function
/// they are written in), each with the range of its body, in definition order.
pub(crate) struct Bodies<'a> {
    functions: Vec<(&'a ScriptFuncDef, Range)>,
}

impl<'a> Bodies<'a> {
    /// The named functions of `ast`.
    pub(crate) fn of(ast: &'a AST) -> Self {
        Bodies {
            functions: function_defs(ast)
                .filter(|f| !f.name.starts_with("anon$"))
                .map(|f| (f, body_range(f)))
                .collect(),
        }
    }

    /// The functions, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a ScriptFuncDef> + '_ {
        self.functions.iter().map(|(f, _)| *f)
    }

    /// How many functions there are.
    pub(crate) fn len(&self) -> usize {
        self.functions.len()
    }

    /// The index of the function whose body encloses `pos`; `None` when no body does or
    /// the position is unknown.
    pub(crate) fn owner(&self, pos: Position) -> Option<usize> {
        let at = place(pos)?;
        self.functions.iter().position(|(_, (start, end))| {
            start.is_some_and(|s| s <= at) && end.is_some_and(|e| at <= e)
        })
    }

    /// The index of `def` (a named function of the same script).
    pub(crate) fn index_of(&self, def: &ScriptFuncDef) -> Option<usize> {
        self.functions
            .iter()
            .position(|(f, _)| std::ptr::eq(*f, def))
    }

    /// The name of the function whose body encloses `pos`.
    pub(crate) fn owner_name(&self, pos: Position) -> Option<&'a str> {
        let index = self.owner(pos)?;
        self.functions.get(index).map(|(f, _)| f.name.as_str())
    }
}

/// The variable at the start of an access chain (`a` in `a.b[0].c`), with its position.
pub(crate) fn root_variable(mut expr: &Expr) -> Option<(&str, Position)> {
    loop {
        match expr {
            Expr::Variable(v, _, pos) => return Some((v.1.as_str(), *pos)),
            Expr::Dot(bin, ..) | Expr::Index(bin, ..) => expr = &bin.lhs,
            _ => return None,
        }
    }
}

/// The script functions the policy defines (hooks, helpers and closures).
pub(crate) fn function_defs(ast: &AST) -> impl Iterator<Item = &ScriptFuncDef> {
    ast.iter_fn_def().map(|f| f.as_ref())
}

/// Walks every node inside `def`'s body (closures written inside it included), calling
/// `on_node` with the path from the root down to the node (the node last).
///
/// Rhai does not expose a function body's statements on their own, so nodes are
/// attributed to a function by position: those between its body's braces.
pub(crate) fn walk_body(
    ast: &AST,
    def: &ScriptFuncDef,
    on_node: &mut dyn FnMut(&[ASTNode]) -> bool,
) {
    let (Some(start), Some(end)) = body_range(def) else {
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

/// Walks every node of the script (every function, closures and top-level statements),
/// calling `on_node` with the node.
pub(crate) fn walk_script(ast: &AST, on_node: &mut dyn FnMut(&ASTNode)) {
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(node) = path.last() {
            on_node(node);
        }
        true
    });
}

/// A position as (line, column), for ordering.
pub(crate) fn place(pos: Position) -> Option<(usize, usize)> {
    Some((pos.line()?, pos.position().unwrap_or(0)))
}
