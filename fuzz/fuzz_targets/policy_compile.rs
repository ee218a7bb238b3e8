//! Fuzz target `policy_compile`: policy source → compile, render the diagnostics, and bind
//! to every engine. An input that is UTF-8 is the source itself (the seeds in
//! `fuzz/corpus/policy_compile` are policies; libFuzzer's mutations are helped by the
//! Rhai token dictionary `fuzz/dicts/rhai.dict` that `fuzz/run` passes). Any other input
//! is read by `arbitrary` as a script of the policy grammar (`backoffice_fuzz::Script`)
//! for one engine, optionally damaged by a few edits (tokens inserted, spans deleted):
//! near-valid source reaches the later stages of the parser and the attach-time checks.
//!
//! Asserts: no panic; every diagnostic has a `policy.` code, and none is
//! `policy.internal`.
#![no_main]

use arbitrary::Arbitrary;
use backoffice::engine::{hooks_of, ENGINE_KINDS};
use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::Error;
use backoffice_fuzz::{Script, ENGINES};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn runtime() -> &'static PolicyRuntime {
    static RUNTIME: OnceLock<PolicyRuntime> = OnceLock::new();
    RUNTIME.get_or_init(PolicyRuntime::new)
}

/// Tokens an edit inserts.
const TOKENS: &[&str] = &[
    "{", "}", "(", ")", "[", "]", ";", ",", ".", "#{", "`", "${", "\"", "=", "+=", "==", "!",
    "fn ", "let ", "const ", "if ", "else ", "for ", "in ", "while ", "loop ", "return ", "break",
    "continue", "switch ", "=>", "|x| ", "this", "import ", "eval(", "Fn(\"", ".call(", "_h",
    "order", "item", "request", "node", "refund", "address", "1", "-", "0.5", "//", "/*", "*/",
];

#[derive(Debug, Arbitrary)]
enum Edit {
    Insert(u16, u8),
    Delete(u16, u8),
}

#[derive(Debug, Arbitrary)]
struct Generated {
    engine: u8,
    script: Script,
    edits: Vec<Edit>,
}

fn check(err: &Error) {
    let _ = err.to_string();
    if let Error::Policy { diagnostics } = err {
        for d in diagnostics {
            assert!(
                d.code.starts_with("policy.") && d.code != "policy.internal",
                "{d:?}"
            );
            let _ = d.to_string();
        }
    }
}

/// `source` with `edits` applied at character boundaries.
fn damage(mut source: String, edits: &[Edit]) -> String {
    for edit in edits.iter().take(4) {
        let len = source.len().max(1);
        let at = |pos: u16| {
            let mut p = usize::from(pos) % len;
            while p > 0 && !source.is_char_boundary(p) {
                p -= 1;
            }
            p.min(source.len())
        };
        match *edit {
            Edit::Insert(pos, token) => {
                let p = at(pos);
                let token = TOKENS.get(usize::from(token) % TOKENS.len()).unwrap_or(&"");
                source.insert_str(p, token);
            }
            Edit::Delete(pos, count) => {
                let start = at(pos);
                let mut end = (start + usize::from(count % 16)).min(source.len());
                while end > start && !source.is_char_boundary(end) {
                    end -= 1;
                }
                source.replace_range(start..end, "");
            }
        }
    }
    source
}

fuzz_target!(|data: &[u8]| {
    let source = match std::str::from_utf8(data) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let Ok(Generated {
                engine,
                script,
                edits,
            }) = Generated::arbitrary_take_rest(arbitrary::Unstructured::new(data))
            else {
                return;
            };
            let Some(grammar) = ENGINES.get(usize::from(engine) % ENGINES.len()) else {
                return;
            };
            damage(script.render_for(grammar), &edits)
        }
    };
    match Policy::compile("fuzz.rhai", &source, runtime()) {
        Ok(policy) => {
            for kind in ENGINE_KINDS {
                let hooks = hooks_of(kind).expect("every listed kind has hooks");
                if let Err(err) = policy.bind(kind, hooks) {
                    check(&err);
                }
            }
        }
        Err(err) => check(&err),
    }
});
