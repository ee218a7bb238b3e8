//! What each hook reads of its arguments: the fields of every parameter, with where, or
//! "the whole value" when a parameter is used any other way.
//!
//! A hook sees its arguments only through its parameter names (functions cannot see
//! outside variables, and `eval` is disabled). When every use of a parameter is a
//! property read `item.name` (possibly continued: `item.price.amount`, `order.lines[0]`),
//! only those properties can be observed; any other use (passing the value to a function
//! or a closure, `item["sku"]`, `item.keys()`, `for x in item`, returning or printing it,
//! binding it to a variable) can observe every field. A hook that declares a variable with
//! a parameter's name is treated as reading the whole parameter (the analysis does not
//! follow scopes).
//!
//! A `for` loop over a property chain (`for item in request.items`) whose loop variable is
//! itself only read by property (`item.sku`, `item.price.amount`) reads only those
//! properties of each element: they are kept with the chain ([`FieldRead::elements`]), so
//! the session builds nested records with only the fields a hook can see. A loop variable
//! whose name is declared anywhere else in the hook (another loop, a `let`, a parameter)
//! is treated as reading whole elements.
//!
//! The session builds only the fields found here; the field checks report names the
//! schema does not have.

use super::{function_defs, walk_body};
use rhai::{ASTNode, Expr, Position, Stmt, AST};

/// One property read off a parameter: `param.first.second...`, as the chain of names
/// (the first is the parameter's field), with the position of each name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldRead {
    /// Property names from the parameter outwards (`["price", "amount"]`); a chain stops
    /// at the first index or method call.
    pub path: Vec<(String, Position)>,
    /// When the chain is the list a `for` loop walks (the whole chain, no index or method
    /// call) and the loop variable is only read by property: what the loop reads of each
    /// element. `None`: elements may be seen whole.
    pub elements: Option<ParamReads>,
}

/// What one hook reads of one of its parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParamReads {
    /// The parameter is used other than by property reads (its whole value is visible).
    pub whole: bool,
    /// Its property reads, in source order.
    pub fields: Vec<FieldRead>,
    /// The hook declares a variable with the parameter's name, so a read of that name
    /// may be of the variable (field checks skip the parameter).
    pub shadowed: bool,
}

impl ParamReads {
    /// What is read of the field called `name`, whose values are records (`nested`) or
    /// arrays of records: `None` when it may be seen whole.
    pub fn nested(&self, name: &str, list: bool) -> Option<ParamReads> {
        if self.whole {
            return None;
        }
        let mut out = ParamReads::default();
        for read in &self.fields {
            let Some(((first, _), rest)) = read.path.split_first() else {
                continue;
            };
            if first != name {
                continue;
            }
            match (list, rest.is_empty(), &read.elements) {
                // `record.field.more`: a property chain on the nested record.
                (false, false, _) => out.fields.push(FieldRead {
                    path: rest.to_vec(),
                    elements: read.elements.clone(),
                }),
                // `for x in record.list`, `x` read by property only.
                (true, true, Some(elements)) => {
                    if elements.whole {
                        return None;
                    }
                    out.fields.extend(elements.fields.iter().cloned());
                }
                _ => return None,
            }
        }
        Some(out)
    }

    /// Whether the field called `name` may be read.
    pub fn reads(&self, name: &str) -> bool {
        self.whole
            || self
                .fields
                .iter()
                .any(|f| f.path.first().is_some_and(|(n, _)| n == name))
    }
}

/// The reads of every parameter of the script function `hook` (by position), or `None`
/// when the script does not define it.
pub(crate) fn hook_reads(ast: &AST, hook: &str) -> Option<Vec<ParamReads>> {
    let def = function_defs(ast).find(|f| f.name.as_str() == hook)?;
    let params: Vec<&str> = def.params.iter().map(|p| p.as_str()).collect();
    // Loop variables declared once (by their loop) and named like no parameter: their
    // property reads are what the loop reads of each element. Per name: declared by one
    // loop and nothing else.
    let mut declared: Vec<(String, bool)> = Vec::new();
    let mut declare = |name: &str, by_loop: bool| match declared.iter_mut().find(|(n, _)| n == name)
    {
        Some((_, once_by_loop)) => *once_by_loop = false,
        None => declared.push((name.to_string(), by_loop)),
    };
    walk_body(ast, def, &mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(var, ..))) => declare(&var.0.name, false),
            Some(ASTNode::Stmt(Stmt::For(f, ..))) => {
                declare(&f.0.name, true);
                if let Some(counter) = &f.1 {
                    declare(&counter.name, false);
                }
            }
            _ => {}
        }
        true
    });
    let mut names: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    names.extend(
        declared
            .into_iter()
            .filter(|(n, once_by_loop)| *once_by_loop && !params.contains(&n.as_str()))
            .map(|(n, _)| n),
    );
    let mut reads = vec![ParamReads::default(); names.len()];
    // (reader, its read, loop variable): chains that are the list of a loop.
    let mut loops: Vec<(usize, usize, usize)> = Vec::new();
    walk_body(ast, def, &mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(var, ..))) => mark_whole(&params, &mut reads, &var.0.name),
            Some(ASTNode::Stmt(Stmt::For(f, ..))) => {
                mark_whole(&params, &mut reads, &f.0.name);
                if let Some(counter) = &f.1 {
                    mark_whole(&params, &mut reads, &counter.name);
                }
            }
            Some(ASTNode::Expr(expr @ Expr::Variable(variable, ..))) => {
                let name = variable.1.as_str();
                if let Some(index) = names.iter().position(|p| p == name) {
                    let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
                    let chain = parent.and_then(|parent| property_chain(parent, expr));
                    if let Some(slot) = reads.get_mut(index) {
                        match chain {
                            Some((chain, whole_chain)) => {
                                let loop_var = whole_chain
                                    .then(|| loop_over(path))
                                    .flatten()
                                    .and_then(|v| names.iter().position(|n| n == v));
                                if let Some(var) = loop_var {
                                    loops.push((index, slot.fields.len(), var));
                                }
                                slot.fields.push(FieldRead {
                                    path: chain,
                                    elements: None,
                                });
                            }
                            None => slot.whole = true,
                        }
                    }
                }
            }
            _ => {}
        }
        true
    });
    // Inner loops come later in the source: attach them first, so an outer loop's
    // elements carry what its inner loops read.
    for (reader, read, var) in loops.into_iter().rev() {
        if reader == var {
            continue;
        }
        let elements = reads.get(var).cloned();
        if let Some(field) = reads.get_mut(reader).and_then(|r| r.fields.get_mut(read)) {
            field.elements = elements;
        }
    }
    reads.truncate(params.len());
    Some(reads)
}

/// The variable of the `for` loop whose list is the chain that ends `path` (a variable,
/// under the chain, under the loop).
fn loop_over<'p>(path: &'p [ASTNode]) -> Option<&'p str> {
    let len = path.len();
    let (Some(ASTNode::Stmt(Stmt::For(f, ..))), Some(ASTNode::Expr(chain))) = (
        len.checked_sub(3).and_then(|i| path.get(i)),
        len.checked_sub(2).and_then(|i| path.get(i)),
    ) else {
        return None;
    };
    std::ptr::eq(&f.2.expr, *chain).then(|| f.0.name.as_str())
}

fn mark_whole(params: &[&str], reads: &mut [ParamReads], name: &str) {
    if let Some(slot) = params
        .iter()
        .position(|p| *p == name)
        .and_then(|i| reads.get_mut(i))
    {
        slot.whole = true;
        slot.shadowed = true;
    }
}

/// The property chain read when `variable` is the object of `parent`
/// (`variable.a.b[0].c` gives `a, b`), and whether it is the whole chain (no index or
/// method call follows).
fn property_chain(
    parent: &ASTNode<'_>,
    variable: &Expr,
) -> Option<(Vec<(String, Position)>, bool)> {
    let ASTNode::Expr(Expr::Dot(dot, ..)) = parent else {
        return None;
    };
    if !std::ptr::eq(&dot.lhs, variable) {
        return None;
    }
    let mut path = Vec::new();
    let mut rhs = &dot.rhs;
    let mut whole_chain = false;
    loop {
        match rhs {
            Expr::Property(property, pos) => {
                path.push((property.2.to_string(), *pos));
                whole_chain = true;
                break;
            }
            Expr::Dot(chain, ..) => match &chain.lhs {
                Expr::Property(property, pos) => {
                    path.push((property.2.to_string(), *pos));
                    rhs = &chain.rhs;
                }
                _ => break,
            },
            Expr::Index(chain, ..) => {
                if let Expr::Property(property, pos) = &chain.lhs {
                    path.push((property.2.to_string(), *pos));
                }
                break;
            }
            _ => break,
        }
    }
    // A method call straight on the parameter (`item.keys()`) sees the whole value.
    (!path.is_empty()).then_some((path, whole_chain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicyRuntime};

    fn reads(source: &str, hook: &str) -> Vec<ParamReads> {
        let policy = Policy::compile("t.rhai", source, &PolicyRuntime::new()).unwrap();
        hook_reads(policy.ast(), hook).unwrap()
    }

    fn names(r: &ParamReads) -> Vec<String> {
        r.fields
            .iter()
            .map(|f| {
                f.path
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect()
    }

    #[test]
    fn property_chains_are_read_per_parameter() {
        let r = reads(
            "fn h(item, request) { if item.price.amount > 3 && request.lines[0].sku == \"a\" { item.sku } }",
            "h",
        );
        assert_eq!(names(&r[0]), ["price.amount", "sku"]);
        assert!(!r[0].whole);
        assert_eq!(names(&r[1]), ["lines"]);
        assert!(!r[1].whole);
    }

    #[test]
    fn other_uses_see_the_whole_value() {
        for body in [
            "_f(item)",
            "item.keys()",
            "item[\"sku\"]",
            "let x = item; x.sku",
            "let item = 1; item",
            "[1].filter(|x| item.sku == x)",
            "item",
        ] {
            let source = format!("fn h(item) {{ {body} }} fn _f(x) {{ x }}");
            assert!(reads(&source, "h")[0].whole, "{body}");
        }
    }

    #[test]
    fn an_unused_parameter_reads_nothing() {
        let r = reads("fn h(item, request) { 1 }", "h");
        assert_eq!(r, vec![ParamReads::default(), ParamReads::default()]);
    }

    fn element_names(r: &ParamReads, field: usize) -> Option<Vec<String>> {
        r.fields[field].elements.as_ref().map(names)
    }

    #[test]
    fn a_loop_over_a_chain_reads_the_properties_of_its_variable() {
        let r = reads(
            "fn h(request) { for item in request.items { if item.sku == \"a\" { return item.price.amount; } } }",
            "h",
        );
        assert_eq!(names(&r[0]), ["items"]);
        assert_eq!(
            element_names(&r[0], 0),
            Some(vec!["sku".to_string(), "price.amount".to_string()])
        );
        assert!(!r[0].fields[0].elements.as_ref().unwrap().whole);
    }

    #[test]
    fn nested_loops_carry_their_reads_outwards() {
        let r = reads(
            "fn h(order) { for line in order.lines { for part in line.parts { print(part.sku); } } }",
            "h",
        );
        let lines = r[0].fields[0].elements.as_ref().unwrap();
        assert_eq!(names(lines), ["parts"]);
        assert_eq!(element_names(lines, 0), Some(vec!["sku".to_string()]));
        let nested = r[0].nested("lines", true).unwrap();
        assert_eq!(names(&nested), ["parts"]);
        let parts = nested.nested("parts", true).unwrap();
        assert_eq!(names(&parts), ["sku"]);
    }

    #[test]
    fn a_loop_variable_seen_whole_or_declared_twice_reads_whole_elements() {
        for body in [
            "for item in request.items { _f(item) }",
            "for item in request.items { item.sku } let item = 1;",
            "for item in request.items { item.sku } for item in request.items { item.sku }",
            "for (item, i) in request.items { let x = item; x.sku }",
        ] {
            let source = format!("fn h(request) {{ {body} }} fn _f(x) {{ x }}");
            let r = reads(&source, "h");
            let whole = r[0].fields[0].elements.as_ref().is_none_or(|e| e.whole);
            assert!(whole, "{body}");
            assert_eq!(r[0].nested("items", true), None, "{body}");
        }
        // An index or a method call ends the chain: the loop walks something else.
        let r = reads(
            "fn h(request) { for t in request.items[0].tags { t.x } for c in request.items.keys() { c.y } }",
            "h",
        );
        assert_eq!(element_names(&r[0], 0), None);
        assert_eq!(element_names(&r[0], 1), None);
        assert_eq!(r[0].nested("items", true), None);
    }

    #[test]
    fn nested_reads_of_a_record_field() {
        let r = reads(
            "fn h(request) { request.customer.tier == \"gold\" && request.customer.address.country == \"FR\" }",
            "h",
        );
        let customer = r[0].nested("customer", false).unwrap();
        assert_eq!(names(&customer), ["tier", "address.country"]);
        // Read whole, or as a list when it is a record: no narrowing.
        let r = reads(
            "fn h(request) { print(request.customer); request.customer.tier }",
            "h",
        );
        assert_eq!(r[0].nested("customer", false), None);
    }
}
