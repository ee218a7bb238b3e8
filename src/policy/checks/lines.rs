//! The executable lines of a script, for line coverage: every line holding a statement
//! other than a block or an empty statement.

use super::walk_script;
use rhai::{ASTNode, Stmt, AST};
use std::collections::BTreeSet;

/// The lines of `ast` that hold a statement (blocks and empty statements aside).
pub(crate) fn statement_lines(ast: &AST) -> BTreeSet<u32> {
    let mut lines = BTreeSet::new();
    walk_script(ast, &mut |node| match node {
        ASTNode::Stmt(Stmt::Block(..)) | ASTNode::Stmt(Stmt::Noop(..)) => {}
        ASTNode::Stmt(stmt) => {
            if let Some(line) = stmt.position().line() {
                lines.insert(u32::try_from(line).unwrap_or(u32::MAX));
            }
        }
        _ => {}
    });
    lines
}
