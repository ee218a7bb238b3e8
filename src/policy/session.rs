//! The hook session: the one place that calls policy hooks, for every engine.
//!
//! An engine binds its policy once ([`BoundHooks::bind`], in `with_policy`) and opens a
//! [`HookSession`] per decision. A stage asks the session for a hook's answer, giving
//! typed views of its arguments ([`HookArg`]), what happens if the hook fails
//! ([`Fallback`]) and how to read the result; the session
//!
//! 1. returns [`Answer::Default`] at once when the policy does not define the hook (no
//!    argument is built);
//! 2. builds each argument from its view, with only the fields the hook can read
//!    (found by the bind-time read analysis), all read-only; an argument the decision passes
//!    again and again ([`Arg::shared`]) is built once per decision and shared, unless the
//!    hook reads one of its [live](super::schema::Field::live) fields, which the engine sets
//!    as the decision goes on: then it is built from the view at each call, so a hook
//!    always sees what the engine has decided so far;
//! 3. calls the hook, keeps what it printed (when tracing), reads the result with the
//!    stage's reader, and annotates any diagnostic with the policy and the hook's position;
//! 4. applies the failure switch ([`OnHookError`]) once for every engine: `Fail` gives the
//!    error that fails the decision, `Fallback` gives [`Answer::Failed`] with the
//!    `policy_error` reason to record (one per hook and subject in a decision) while the
//!    engine takes its documented safe outcome.
//!
//! Engine stages never build, pool or patch script values themselves.
//!
//! # Measurements
//!
//! Figures are callgrind instruction counts per decision of the engine benches
//! (`benches/<engine>.rs`, with their example policies), before → after this design:
//! see the CHANGELOG entry "One hook session". What it does for speed, in one place:
//!
//! - maps are copied from a template holding the keys of exactly the fields a hook reads
//!   (fields are declared in key order, so values are written in order with no key
//!   search or comparison);
//! - nested records get the same treatment: a hook reading `request.customer.tier`, or
//!   looping `for item in request.items` and reading only `item.sku` and `item.reason`,
//!   gets nested maps with only those fields (the read analysis of
//!   `policy::checks::reads`); the returns example policy went from 157,052 to 117,179 instructions per decision natively
//!   (182,756 to 143,030 on the interpreter), `examples/policy_cost.rs`;
//! - a parameter a hook never mentions is passed as `()` and costs nothing;
//! - words from a fixed set (statuses, kinds) are strings made once per bound policy and
//!   handed out by reference count;
//! - shared arguments are built at most once per decision and field set;
//! - an argument is made read-only in one recursive pass once it is complete (marking
//!   each value as it was written, then each nested map again, walked nested values up
//!   to three times: about 20k of 188k instructions per returns decision with the
//!   example policy).

use super::checks::reads::{hook_reads, ParamReads};
use super::schema::{FieldType, Record};
use super::{DecideOptions, HookSpec, OnHookError, Policy};
use crate::{Diagnostic, Error, Money, PolicySource, Reason};
use chrono::{DateTime, Utc};
use rhai::{Array, Dynamic, FuncArgs, ImmutableString, Map};
use rust_decimal::Decimal;

/// A hook of an engine, by its position in the engine's hook list. Engines name theirs
/// once: `const ELIGIBILITY: HookId = HookId::named(HOOKS, "eligibility");`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookId(u8);

impl HookId {
    /// The hook called `name` in `hooks`. A name that is not there gives an id that no
    /// policy defines (each engine's tests check its ids).
    // A `const fn` cannot call `get`; every index is checked against its length first.
    #[allow(clippy::indexing_slicing)]
    pub const fn named(hooks: &[HookSpec], name: &str) -> HookId {
        let mut i = 0;
        while i < hooks.len() && i < 64 {
            let candidate = hooks[i].name.as_bytes();
            let wanted = name.as_bytes();
            if candidate.len() == wanted.len() {
                let mut j = 0;
                while j < wanted.len() && candidate[j] == wanted[j] {
                    j += 1;
                }
                if j == wanted.len() {
                    return HookId(i as u8);
                }
            }
            i += 1;
        }
        HookId(u8::MAX)
    }

    fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A set of field positions of one record (records have at most 64 fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Mask(u64);

impl Mask {
    const ALL: Mask = Mask(u64::MAX);

    fn has(self, position: usize) -> bool {
        u32::try_from(position)
            .ok()
            .and_then(|p| self.0.checked_shr(p))
            .is_some_and(|bits| bits & 1 == 1)
    }

    fn with(self, position: usize) -> Mask {
        let bit = u32::try_from(position)
            .ok()
            .and_then(|p| 1u64.checked_shl(p))
            .unwrap_or(0);
        Mask(self.0 | bit)
    }

    fn of_record(record: &Record) -> Mask {
        (0..record.fields.len()).fold(Mask(0), Mask::with)
    }
}

/// How one hook receives one of its parameters.
#[derive(Debug, Clone)]
struct ParamPlan {
    /// The fields to build, nested records included.
    shape: Shape,
    /// Identifies the shape among the bound policy's plans (equal shapes, equal ids):
    /// a shared argument is built once per decision and shape.
    id: u32,
    /// Whether a built value may be reused for later calls (it holds no live field).
    reusable: bool,
}

/// The fields of a record that a hook can read, and of its nested records.
#[derive(Debug, Clone)]
struct Shape {
    /// The fields to build.
    mask: Mask,
    /// A map holding those fields' keys, in order, with `()` values.
    template: Map,
    /// For fields holding a record or an array of records of which the hook reads only
    /// some fields (by position): their shape. Other nested records are built in full.
    nested: Vec<(usize, Shape)>,
}

impl Shape {
    /// Every field, nested records in full.
    fn full(record: &Record) -> Shape {
        Shape {
            mask: Mask::of_record(record),
            template: template(record, Mask::ALL),
            nested: Vec::new(),
        }
    }

    /// What a hook reading `read` of a `record` can see.
    fn of(record: &'static Record, read: &ParamReads) -> Shape {
        if read.whole {
            return Shape::full(record);
        }
        let mask = record
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| read.reads(f.name))
            .fold(Mask(0), |m, (i, _)| m.with(i));
        let nested = record
            .fields
            .iter()
            .enumerate()
            .filter(|(i, _)| mask.has(*i))
            .filter_map(|(i, f)| {
                let (inner, list) = match f.ty.required() {
                    FieldType::Array(inner) => (inner.record()?, true),
                    other => (other.record()?, false),
                };
                let reads = read.nested(f.name, list)?;
                Some((i, Shape::of(inner, &reads)))
            })
            .collect();
        Shape {
            mask,
            template: template(record, mask),
            nested,
        }
    }

    /// The shape of the nested record(s) at field `position`; `None`: in full.
    fn at(&self, position: usize) -> Option<&Shape> {
        self.nested
            .iter()
            .find(|(p, _)| *p == position)
            .map(|(_, shape)| shape)
    }

    /// Whether `self` and `other` build the same fields.
    fn same(&self, other: &Shape) -> bool {
        self.mask == other.mask
            && self.nested.len() == other.nested.len()
            && self
                .nested
                .iter()
                .zip(&other.nested)
                .all(|((p, a), (q, b))| p == q && a.same(b))
    }
}

/// Per record: the full template and the shared strings of its word fields.
#[derive(Debug, Clone)]
struct RecordTables {
    record: &'static Record,
    full: Map,
    words: Vec<Vec<ImmutableString>>,
}

/// A policy bound to an engine's hooks: what it defines, and how each hook's arguments
/// are built. Made once in the engine's `with_policy`; `Send + Sync`, shared by every
/// decision.
#[derive(Debug, Clone)]
pub struct BoundHooks {
    policy: Policy,
    hooks: &'static [HookSpec],
    defined: u64,
    /// Per hook, per parameter.
    plans: Vec<Vec<ParamPlan>>,
    tables: Vec<RecordTables>,
}

fn template(record: &Record, mask: Mask) -> Map {
    record
        .fields
        .iter()
        .enumerate()
        .filter(|(i, _)| mask.has(*i))
        .map(|(_, f)| (f.name.into(), Dynamic::UNIT))
        .collect()
}

impl BoundHooks {
    /// Checks `policy` against the engine's hooks ([`Policy::bind`]) and works out how
    /// each hook's arguments are built.
    pub fn bind(
        policy: Policy,
        engine: &str,
        hooks: &'static [HookSpec],
    ) -> Result<BoundHooks, Error> {
        policy.bind(engine, hooks)?;
        let mut defined = 0u64;
        let mut plans = Vec::with_capacity(hooks.len());
        let mut tables: Vec<RecordTables> = Vec::new();
        // Distinct argument shapes so far (each plan's `id`).
        let mut shapes = 0u32;
        for (position, spec) in hooks.iter().enumerate() {
            let reads = if policy.has_hook(spec.name) {
                defined |= u32::try_from(position)
                    .ok()
                    .and_then(|p| 1u64.checked_shl(p))
                    .unwrap_or(0);
                hook_reads(policy.ast(), spec.name).unwrap_or_default()
            } else {
                Vec::new()
            };
            let mut params = Vec::with_capacity(spec.args.len());
            for (index, ty) in spec.args.iter().enumerate() {
                let read = reads.get(index).cloned().unwrap_or_default();
                let mut plan = plan(*ty, &read);
                let equal = plans
                    .iter()
                    .flatten()
                    .chain(params.iter())
                    .find(|p: &&ParamPlan| p.shape.same(&plan.shape));
                plan.id = match equal {
                    Some(p) => p.id,
                    None => {
                        shapes = shapes.saturating_add(1);
                        shapes
                    }
                };
                params.push(plan);
                if let Some(record) = ty.record() {
                    for r in record.reachable() {
                        if !tables.iter().any(|t| std::ptr::eq(t.record, r)) {
                            tables.push(RecordTables {
                                record: r,
                                full: template(r, Mask::ALL),
                                words: r
                                    .fields
                                    .iter()
                                    .map(|f| match f.ty.required() {
                                        FieldType::Word(words) => {
                                            words.iter().map(|w| (*w).into()).collect()
                                        }
                                        _ => Vec::new(),
                                    })
                                    .collect(),
                            });
                        }
                    }
                }
            }
            plans.push(params);
        }
        Ok(BoundHooks {
            policy,
            hooks,
            defined,
            plans,
            tables,
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether the policy defines `hook`.
    pub fn defines(&self, hook: HookId) -> bool {
        u32::from(hook.0) < 64 && (self.defined >> hook.0) & 1 == 1
    }

    /// Whether the policy defines any of the engine's hooks.
    pub fn defines_any(&self) -> bool {
        self.defined != 0
    }

    fn tables(&self, record: &'static Record) -> Option<&RecordTables> {
        self.tables.iter().find(|t| std::ptr::eq(t.record, record))
    }
}

/// The plan for one parameter of type `ty` given what the hook reads of it (its `id` is
/// set by [`BoundHooks::bind`]).
fn plan(ty: FieldType, read: &ParamReads) -> ParamPlan {
    let Some(record) = ty.record() else {
        return ParamPlan {
            shape: Shape {
                mask: if read.whole || !read.fields.is_empty() {
                    Mask::ALL
                } else {
                    Mask(0)
                },
                template: Map::new(),
                nested: Vec::new(),
            },
            id: 0,
            reusable: true,
        };
    };
    let shape = Shape::of(record, read);
    let reusable = !record
        .fields
        .iter()
        .enumerate()
        .any(|(i, f)| shape.mask.has(i) && f.live);
    ParamPlan {
        shape,
        id: 0,
        reusable,
    }
}

/// A typed value that becomes a hook argument: the engine's view of an item, a request,
/// a node... It writes its fields, in the order of its record, into a [`Fill`], which
/// keeps only those the hook reads.
pub trait HookArg {
    /// The record this value fills.
    fn record(&self) -> &'static Record;
    /// Writes every field of the record, in its order, into `fill`.
    fn fill(&self, fill: &mut Fill<'_>);
}

/// Where a [`HookArg`] writes its fields. Each method takes the field's name (checked
/// against the record in test and debug builds) and a value, which is computed only when
/// the hook reads the field.
pub struct Fill<'a> {
    record: &'static Record,
    /// The fields to build, of nested records too (`None`: all).
    shape: Option<&'a Shape>,
    position: usize,
    slots: std::collections::btree_map::ValuesMut<'a, rhai::Identifier, Dynamic>,
    hooks: &'a BoundHooks,
}

impl<'a> Fill<'a> {
    /// Whether the field at the current position is wanted; moves to the next field.
    fn next(&mut self, name: &'static str) -> Option<usize> {
        let position = self.position;
        self.position = position.saturating_add(1);
        debug_assert_eq!(
            self.record.fields.get(position).map(|f| f.name),
            Some(name),
            "fields of `{}` filled out of order",
            self.record.name
        );
        self.shape
            .map_or(Mask::ALL, |s| s.mask)
            .has(position)
            .then_some(position)
    }

    /// Writes the next wanted field (made read-only with the whole argument later).
    fn write(&mut self, value: Dynamic) {
        if let Some(slot) = self.slots.next() {
            *slot = value;
        }
    }

    /// A field of any type, computed by `value`.
    pub fn value(&mut self, name: &'static str, value: impl FnOnce() -> Dynamic) {
        if self.next(name).is_some() {
            self.write(value());
        }
    }

    /// A string field.
    pub fn text(&mut self, name: &'static str, value: &str) {
        if self.next(name).is_some() {
            self.write(Dynamic::from(ImmutableString::from(value)));
        }
    }

    /// An optional string field (`()` when absent).
    pub fn opt_text(&mut self, name: &'static str, value: Option<&str>) {
        if self.next(name).is_some() {
            self.write(value.map_or(Dynamic::UNIT, |v| Dynamic::from(ImmutableString::from(v))));
        }
    }

    /// A field holding one word of the field's fixed set (shared, not allocated).
    pub fn word(&mut self, name: &'static str, value: &str) {
        if let Some(position) = self.next(name) {
            let shared = self
                .hooks
                .tables(self.record)
                .and_then(|t| t.words.get(position))
                .and_then(|words| words.iter().find(|w| w.as_str() == value))
                .cloned();
            self.write(Dynamic::from(shared.unwrap_or_else(|| value.into())));
        }
    }

    /// An integer field.
    pub fn int(&mut self, name: &'static str, value: impl TryInto<i64>) {
        if self.next(name).is_some() {
            self.write(Dynamic::from_int(value.try_into().unwrap_or(i64::MAX)));
        }
    }

    /// An optional integer field.
    pub fn opt_int(&mut self, name: &'static str, value: Option<impl TryInto<i64>>) {
        if self.next(name).is_some() {
            self.write(value.map_or(Dynamic::UNIT, |v| {
                Dynamic::from_int(v.try_into().unwrap_or(i64::MAX))
            }));
        }
    }

    /// A decimal field.
    pub fn decimal(&mut self, name: &'static str, value: Decimal) {
        if self.next(name).is_some() {
            self.write(Dynamic::from_decimal(value));
        }
    }

    /// An optional decimal field.
    pub fn opt_decimal(&mut self, name: &'static str, value: Option<Decimal>) {
        if self.next(name).is_some() {
            self.write(value.map_or(Dynamic::UNIT, Dynamic::from_decimal));
        }
    }

    /// A boolean field.
    pub fn bool(&mut self, name: &'static str, value: bool) {
        if self.next(name).is_some() {
            self.write(Dynamic::from_bool(value));
        }
    }

    /// A money field (`#{amount, currency}`).
    pub fn money(&mut self, name: &'static str, value: &Money) {
        if self.next(name).is_some() {
            self.write(money_map(value));
        }
    }

    /// A timestamp field.
    pub fn timestamp(&mut self, name: &'static str, value: DateTime<Utc>) {
        if self.next(name).is_some() {
            self.write(super::bridge::timestamp(value));
        }
    }

    /// An array of strings.
    pub fn strings<S: AsRef<str>>(&mut self, name: &'static str, values: &[S]) {
        if self.next(name).is_some() {
            let array: Array = values
                .iter()
                .map(|v| Dynamic::from(ImmutableString::from(v.as_ref())))
                .collect();
            self.write(Dynamic::from_array(array));
        }
    }

    /// The shape of the nested record(s) at `position`.
    fn nested(&self, position: usize) -> Option<&'a Shape> {
        self.shape.and_then(|s| s.at(position))
    }

    /// A nested record, with the fields the hook reads.
    pub fn record(&mut self, name: &'static str, value: &dyn HookArg) {
        if let Some(position) = self.next(name) {
            let built = build(self.hooks, value, self.nested(position));
            self.write(built);
        }
    }

    /// An optional nested record (`()` when absent), with the fields the hook reads.
    pub fn opt_record(&mut self, name: &'static str, value: Option<&dyn HookArg>) {
        if let Some(position) = self.next(name) {
            let shape = self.nested(position);
            let built = value.map_or(Dynamic::UNIT, |v| build(self.hooks, v, shape));
            self.write(built);
        }
    }

    /// An array of nested records, each with the fields the hook reads.
    pub fn records<'v>(
        &mut self,
        name: &'static str,
        values: impl IntoIterator<Item = &'v dyn HookArg>,
    ) {
        if let Some(position) = self.next(name) {
            let (hooks, shape) = (self.hooks, self.nested(position));
            let array: Array = values.into_iter().map(|v| build(hooks, v, shape)).collect();
            self.write(Dynamic::from_array(array));
        }
    }

    /// An array of nested records made on the spot (views that borrow the engine's
    /// state), each with the fields the hook reads; `values` is consumed only when the
    /// hook reads the field.
    pub fn record_list<V: HookArg>(
        &mut self,
        name: &'static str,
        values: impl IntoIterator<Item = V>,
    ) {
        if let Some(position) = self.next(name) {
            let (hooks, shape) = (self.hooks, self.nested(position));
            let array: Array = values
                .into_iter()
                .map(|v| build(hooks, &v, shape))
                .collect();
            self.write(Dynamic::from_array(array));
        }
    }

    /// A map from string keys to strings (a `map<string, string>` field); `entries` is
    /// consumed only when the hook reads the field.
    pub fn text_map<'v>(
        &mut self,
        name: &'static str,
        entries: impl IntoIterator<Item = (&'v str, &'v str)>,
    ) {
        if self.next(name).is_some() {
            let map: Map = entries
                .into_iter()
                .map(|(k, v)| (k.into(), Dynamic::from(ImmutableString::from(v))))
                .collect();
            self.write(Dynamic::from_map(map));
        }
    }
}

/// A money map, `#{amount, currency}`, read-only.
fn money_map(value: &Money) -> Dynamic {
    super::bridge::money(value)
}

/// Builds the map of `value` with the fields of `shape` (`None`: every field).
/// Values are left read-write: the finished argument is made read-only in one
/// recursive pass ([`HookSession::arguments`]), not once per nesting level.
fn build(hooks: &BoundHooks, value: &dyn HookArg, shape: Option<&Shape>) -> Dynamic {
    let record = value.record();
    let mut map = match shape {
        Some(s) => s.template.clone(),
        None => hooks
            .tables(record)
            .map_or_else(|| self::template(record, Mask::ALL), |t| t.full.clone()),
    };
    {
        let mut fill = Fill {
            record,
            shape,
            position: 0,
            slots: map.values_mut(),
            hooks,
        };
        value.fill(&mut fill);
    }
    Dynamic::from_map(map)
}

/// One argument of a hook call.
pub enum Arg<'v> {
    /// A value built for this call.
    Fresh(&'v dyn HookArg),
    /// A value the decision passes to many calls, identified by `key` (the same key for
    /// the same value within a decision): built once per field set and shared.
    Shared(u32, &'v dyn HookArg),
    /// A plain script value.
    Value(Dynamic),
}

impl<'v> Arg<'v> {
    /// A value built for this call.
    pub fn fresh(value: &'v dyn HookArg) -> Self {
        Arg::Fresh(value)
    }

    /// A value passed to many calls of a decision (see [`Arg::Shared`]).
    pub fn shared(key: u32, value: &'v dyn HookArg) -> Self {
        Arg::Shared(key, value)
    }
}

/// What a failing hook falls back to, for its `policy_error` reason.
#[derive(Debug, Clone, Copy)]
pub struct Fallback<'a> {
    /// What the engine does instead, e.g. `"the node stays eligible"`.
    pub text: &'a str,
    /// What the reason is about (a line id), if anything.
    pub subject: Option<&'a str>,
}

impl<'a> Fallback<'a> {
    /// A fallback described by `text`.
    pub fn new(text: &'a str) -> Self {
        Fallback {
            text,
            subject: None,
        }
    }

    /// The same, about `subject`.
    pub fn about(self, subject: &'a str) -> Self {
        Fallback {
            subject: Some(subject),
            ..self
        }
    }
}

/// A hook's answer.
// `Failed` is large, but rare: boxing it would cost an allocation per failure for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Answer<T> {
    /// The policy does not define the hook, or it returned `()`: the built-in behaviour.
    Default,
    /// What the hook decided, read and checked.
    Value(T),
    /// The hook failed and the decision falls back ([`OnHookError::Fallback`]); the
    /// reason to record, unless this hook already failed for the same subject in this
    /// decision.
    Failed(Option<Reason>),
}

/// A value a hook changed, for the reason that records it ([`HookSession::changed`]).
///
/// Values are written as people read them (`15 %`, `60 days`, `store_credit`): enum
/// values in their JSON spelling, amounts with their currency.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The reason's stable code, e.g. `restocking_fee_from_policy`.
    pub code: &'static str,
    /// What the value is, as a noun phrase: `the restocking fee of line 1`.
    pub what: &'a str,
    /// The value the built-in rules (the configuration) give.
    pub builtin: &'a str,
    /// The value that applies now that the hook answered.
    pub chosen: &'a str,
    /// More to say, after a semicolon: the hook's own reason, a limit that applied.
    pub note: Option<&'a str>,
    /// What the reason is about (a line id, a node id), when it is about one thing.
    pub subject: Option<&'a str>,
}

impl<'a> Change<'a> {
    /// `what` changed from `builtin` to `chosen`, recorded under `code`.
    pub fn new(code: &'static str, what: &'a str, builtin: &'a str, chosen: &'a str) -> Self {
        Change {
            code,
            what,
            builtin,
            chosen,
            note: None,
            subject: None,
        }
    }

    /// The same, with a note after the values.
    pub fn note(self, note: &'a str) -> Self {
        Change {
            note: Some(note),
            ..self
        }
    }

    /// The same, about `subject`.
    pub fn about(self, subject: &'a str) -> Self {
        Change {
            subject: Some(subject),
            ..self
        }
    }
}

/// The reason recording that the policy's `hook` changed a value, or `None` when the hook
/// left it as the built-in rules have it. The one rule for every engine:
///
/// - a hook that answers `()` has no opinion: the built-in value applies, with no policy
///   reason (callers do not ask);
/// - a hook whose answer leaves the value as the built-in rules have it changed nothing:
///   no reason either (the call is in the trace and the decision log);
/// - a hook whose answer changes the value gives one reason, with `change.code`, the
///   message ``the policy's `HOOK` changes WHAT from BUILTIN to CHOSEN`` (then `; NOTE`),
///   and the policy's source: its name, digest, the hook and the hook's line.
pub fn changed(source: PolicySource, change: Change<'_>) -> Option<Reason> {
    if change.builtin == change.chosen {
        return None;
    }
    let mut message = String::with_capacity(
        48 + source.hook.len() + change.what.len() + change.builtin.len() + change.chosen.len(),
    );
    message.push_str("the policy's `");
    message.push_str(&source.hook);
    message.push_str("` changes ");
    message.push_str(change.what);
    message.push_str(" from ");
    message.push_str(change.builtin);
    message.push_str(" to ");
    message.push_str(change.chosen);
    if let Some(note) = change.note {
        message.push_str("; ");
        message.push_str(note);
    }
    let reason = Reason::from_policy(change.code, message, source);
    Some(match change.subject {
        Some(subject) => reason.about(subject),
        None => reason,
    })
}

/// One decision's calls of policy hooks.
pub struct HookSession<'h> {
    hooks: Option<&'h BoundHooks>,
    on_error: OnHookError,
    keep_output: bool,
    output: Vec<String>,
    /// Shared arguments built so far: (key, shape id, value).
    shared: Vec<(u32, u32, Dynamic)>,
    /// Hooks and subjects that already failed.
    failed: Vec<(u8, Option<String>)>,
}

impl<'h> HookSession<'h> {
    /// A session for one decision with `options`; `hooks` is `None` without a policy.
    pub fn new(hooks: Option<&'h BoundHooks>, options: &DecideOptions) -> Self {
        HookSession {
            hooks,
            on_error: options.on_hook_error,
            keep_output: options.trace,
            output: Vec::new(),
            shared: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Whether the policy defines `hook`.
    pub fn defines(&self, hook: HookId) -> bool {
        self.hooks.is_some_and(|h| h.defines(hook))
    }

    /// Identifies the policy and `hook`, for reasons.
    pub fn source(&self, hook: HookId) -> Option<PolicySource> {
        let hooks = self.hooks?;
        let spec = hooks.hooks.get(hook.index())?;
        Some(hooks.policy.source_ref(spec.name))
    }

    /// The reason recording that `hook` changed a value ([`changed`]); `None` when the
    /// value is the built-in one, or the policy does not define `hook`.
    pub fn changed(&self, hook: HookId, change: Change<'_>) -> Option<Reason> {
        changed(self.source(hook)?, change)
    }

    /// What the hooks printed so far (kept only when tracing), emptied.
    pub fn take_output(&mut self) -> Vec<String> {
        std::mem::take(&mut self.output)
    }

    /// Calls `hook` with `args` and reads its result with `read` (which is not called
    /// for `()`). See the [module docs](self) for what happens on the way.
    ///
    /// The check for an undefined hook is inlined into the caller, so a stage asking
    /// for a hook the policy lacks (or with no policy at all) pays a branch, not a call
    /// that moves a large `Result<Answer<T>, Error>` (measured: about 1.5k instructions
    /// per returns decision without a policy).
    #[inline(always)]
    pub fn call<T, const N: usize>(
        &mut self,
        hook: HookId,
        args: [Arg<'_>; N],
        fallback: Fallback<'_>,
        read: impl FnOnce(&Dynamic) -> Result<T, Diagnostic>,
    ) -> Result<Answer<T>, Error> {
        match self.hooks.filter(|h| h.defines(hook)) {
            None => Ok(Answer::Default),
            Some(hooks) => self.call_defined(hooks, hook, args, fallback, read),
        }
    }

    /// [`HookSession::call`] for a hook the policy defines.
    #[inline(never)]
    fn call_defined<T, const N: usize>(
        &mut self,
        hooks: &'h BoundHooks,
        hook: HookId,
        args: [Arg<'_>; N],
        fallback: Fallback<'_>,
        read: impl FnOnce(&Dynamic) -> Result<T, Diagnostic>,
    ) -> Result<Answer<T>, Error> {
        let Some(spec) = hooks.hooks.get(hook.index()) else {
            return Ok(Answer::Default);
        };
        let values = self.arguments(hooks, hook, args);
        let result = hooks.policy.call(spec.name, values).and_then(|out| {
            if self.keep_output {
                self.output.extend(out.output);
            }
            if super::bridge::is_unit(&out.value) {
                Ok(None)
            } else {
                read(&out.value).map(Some)
            }
        });
        match result {
            Ok(Some(value)) => Ok(Answer::Value(value)),
            Ok(None) => Ok(Answer::Default),
            Err(diagnostic) => {
                let diagnostic = hooks.policy.annotate(diagnostic.with_hook(spec.name));
                match self.on_error {
                    OnHookError::Fail => Err(Error::Policy {
                        diagnostics: vec![diagnostic],
                    }),
                    OnHookError::Fallback => {
                        let key = (hook.0, fallback.subject.map(str::to_string));
                        if self.failed.contains(&key) {
                            return Ok(Answer::Failed(None));
                        }
                        self.failed.push(key);
                        let mut reason = Reason::policy_error(
                            diagnostic,
                            hooks.policy.source_ref(spec.name),
                            fallback.text,
                        );
                        if let Some(subject) = fallback.subject {
                            reason = reason.about(subject);
                        }
                        Ok(Answer::Failed(Some(reason)))
                    }
                }
            }
        }
    }

    fn arguments<const N: usize>(
        &mut self,
        hooks: &BoundHooks,
        hook: HookId,
        args: [Arg<'_>; N],
    ) -> ScriptArgs<N> {
        let plans = hooks.plans.get(hook.index());
        let mut values: [Dynamic; N] = std::array::from_fn(|_| Dynamic::UNIT);
        for (param, (slot, arg)) in values.iter_mut().zip(args).enumerate() {
            // A parameter without a schema is built in full.
            let plan = plans.and_then(|p| p.get(param));
            let (shape, id, reusable) = plan.map_or((None, u32::MAX, true), |p| {
                (Some(&p.shape), p.id, p.reusable)
            });
            if shape.is_some_and(|s| s.mask == Mask(0)) {
                continue; // the hook never mentions this parameter
            }
            *slot = match arg {
                Arg::Value(value) => value,
                // Passed shared: rhai sets the access mode of a value it binds to a
                // parameter, recursively, which would make a plain map writable again;
                // a shared value keeps its contents' mode.
                Arg::Fresh(view) => build(hooks, view, shape).into_read_only().into_shared(),
                Arg::Shared(key, view) => {
                    if !reusable {
                        build(hooks, view, shape).into_read_only().into_shared()
                    } else if let Some((.., v)) =
                        self.shared.iter().find(|(k, i, _)| *k == key && *i == id)
                    {
                        v.clone()
                    } else {
                        let built = build(hooks, view, shape).into_read_only().into_shared();
                        self.shared.push((key, id, built.clone()));
                        built
                    }
                }
            };
        }
        ScriptArgs(values)
    }
}

/// The values passed to a hook.
struct ScriptArgs<const N: usize>([Dynamic; N]);

impl<const N: usize> FuncArgs for ScriptArgs<N> {
    fn parse<ARGS: Extend<Dynamic>>(self, args: &mut ARGS) {
        args.extend(self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyRuntime;

    fn keys(shape: &Shape) -> Vec<String> {
        shape.template.keys().map(|k| k.to_string()).collect()
    }

    #[test]
    fn nested_records_are_built_with_the_fields_a_loop_reads() {
        let source = "fn fraud_signals(request) { for item in request.items { if item.reason == \"damaged\" { print(item.sku); } } [] }\n\
                      fn settlement(request) { print(request.customer.loyalty_tier); () }";
        let policy = Policy::compile("p.rhai", source, &PolicyRuntime::new()).unwrap();
        let bound = BoundHooks::bind(policy, "returns", crate::returns::hooks::HOOKS).unwrap();
        let shape_of = |hook: &str| {
            let at = crate::returns::hooks::HOOKS
                .iter()
                .position(|h| h.name == hook)
                .unwrap();
            &bound.plans[at][0].shape
        };
        let request = &crate::returns::hooks::REQUEST;
        let fraud = shape_of("fraud_signals");
        assert_eq!(keys(fraud), ["items"]);
        let items = fraud.at(request.position("items").unwrap()).unwrap();
        assert_eq!(keys(items), ["reason", "sku"]);
        let settlement = shape_of("settlement");
        assert_eq!(keys(settlement), ["customer"]);
        let customer = settlement
            .at(request.position("customer").unwrap())
            .unwrap();
        assert_eq!(keys(customer), ["loyalty_tier"]);
        // Different shapes are built separately within a decision.
        let id = |hook: &str| {
            let at = crate::returns::hooks::HOOKS
                .iter()
                .position(|h| h.name == hook)
                .unwrap();
            bound.plans[at][0].id
        };
        assert_ne!(id("fraud_signals"), id("settlement"));
    }

    #[test]
    fn a_loop_variable_seen_whole_gets_whole_elements() {
        let source = "fn fraud_signals(request) { for item in request.items { print(item); } [] }";
        let policy = Policy::compile("p.rhai", source, &PolicyRuntime::new()).unwrap();
        let bound = BoundHooks::bind(policy, "returns", crate::returns::hooks::HOOKS).unwrap();
        let at = crate::returns::hooks::HOOKS
            .iter()
            .position(|h| h.name == "fraud_signals")
            .unwrap();
        let shape = &bound.plans[at][0].shape;
        assert_eq!(keys(shape), ["items"]);
        assert!(shape.nested.is_empty());
    }
}
