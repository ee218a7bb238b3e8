//! Hostile scripts end quickly with typed diagnostics; nothing escapes the sandbox.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{Limits, Policy, PolicyRuntime};
use std::time::{Duration, Instant};

fn policy(source: &str) -> Policy {
    Policy::compile("hostile.rhai", source, &PolicyRuntime::new()).unwrap()
}

/// Wall-clock bound for a hostile call: the 50 ms holds for optimised builds (see
/// the `policy/hostile_loop` bench); unoptimised test builds run rhai about 10× slower.
fn budget() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(50)
    }
}

#[test]
fn endless_loop_stops_at_the_operation_limit() {
    let p = policy("fn h() { loop {} }");
    let start = Instant::now();
    let d = p.call("h", ()).unwrap_err();
    let took = start.elapsed();
    assert_eq!(d.code, "policy.limit.operations");
    assert_eq!((d.line, d.column), (Some(1), Some(1)));
    assert!(took < budget(), "loop took {took:?}");
}

#[test]
fn a_lower_operation_limit_stops_sooner() {
    let runtime = PolicyRuntime::new().with_limits(Limits {
        max_operations: 1_000,
        ..Limits::default()
    });
    let p = Policy::compile(
        "p.rhai",
        "fn h() { let n = 0; while n < 2000 { n += 1; } n }",
        &runtime,
    )
    .unwrap();
    assert_eq!(p.call("h", ()).unwrap_err().code, "policy.limit.operations");
    let p = Policy::compile(
        "p.rhai",
        "fn h() { let n = 0; while n < 100 { n += 1; } n }",
        &runtime,
    )
    .unwrap();
    assert_eq!(p.call("h", ()).unwrap().value.as_int(), Ok(100));
}

#[test]
fn unbounded_recursion_is_a_call_depth_error_on_a_small_thread_stack() {
    // Rust's default stack for spawned threads is 2 MiB; the default limits must fit in
    // it even in unoptimised builds, with the deepest expressions the parser accepts.
    // For each way of nesting, the deepest recursive body the parser accepts.
    let wrappers: [fn(&str) -> String; 11] = [
        |e| format!("1 + ({e})"),
        |e| format!("if n > -1 {{ {e} }} else {{ 0 }}"),
        |e| format!("[{e}]"),
        |e| format!("#{{a: {e}}}"),
        |e| format!("{{ let x = 1; {e} }}"),
        |e| format!("_id({e})"),
        |e| format!("{{ let i = 0; while i < 1 {{ i += 1; {e}; }} 0 }}"),
        |e| format!("{{ for i in [1] {{ {e}; }} 0 }}"),
        |e| format!("[{e}][0]"),
        |e| format!("#{{a: {e}}}.a"),
        |e| format!("(|| {e}).call()"),
    ];
    let runtime = PolicyRuntime::new();
    let mut sources = vec!["fn h() { _r(0) }\nfn _r(n) { _r(n + 1) }".to_string()];
    for wrap in wrappers {
        let deepest = (1..64).rev().find_map(|depth| {
            let mut body = "_r(n + 1)".to_string();
            for _ in 0..depth {
                body = wrap(&body);
            }
            let source = format!("fn h() {{ _r(0) }}\nfn _id(x) {{ x }}\nfn _r(n) {{ {body} }}");
            Policy::compile("deep.rhai", &source, &runtime)
                .ok()
                .map(|_| source)
        });
        sources.push(deepest.unwrap());
    }
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            for source in sources {
                let p = policy(&source);
                let start = Instant::now();
                let d = p.call("h", ()).unwrap_err();
                assert_eq!(d.code, "policy.limit.call_depth", "{source}");
                assert!(start.elapsed() < budget());
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn doubling_a_string_is_a_size_error() {
    let p = policy("fn h() { let s = \"x\"; loop { s += s; } }");
    let start = Instant::now();
    assert_eq!(p.call("h", ()).unwrap_err().code, "policy.limit.size");
    assert!(start.elapsed() < budget());
    let p = policy("fn h() { let a = [1]; loop { a += a; } }");
    assert_eq!(p.call("h", ()).unwrap_err().code, "policy.limit.size");
    let p = policy("fn h() { let s = \"x\"; let a = []; loop { s += s; a.push(s); } }");
    assert_eq!(p.call("h", ()).unwrap_err().code, "policy.limit.size");
}

#[test]
fn print_floods_are_cut() {
    let p = policy("fn h() { let s = \"0123456789\"; for i in 0..20000 { print(s); } 1 }");
    let out = p.call("h", ()).unwrap();
    assert_eq!(out.value.as_int(), Ok(1));
    // 64 KiB of output in 10-byte lines, then one marker line.
    assert_eq!(out.output.len(), 6553 + 1);
    assert_eq!(
        out.output.last().unwrap(),
        "… (further policy output dropped: output limit reached)"
    );
    // The next call starts with an empty buffer.
    let p2 = policy("fn h() { print(\"again\"); 2 }");
    assert_eq!(p2.call("h", ()).unwrap().output, vec!["again".to_string()]);
}

#[test]
fn forbidden_things_are_compile_errors() {
    for (source, code, line, column) in [
        ("fn h() { eval(\"1\") }", "policy.sandbox", 1, 10),
        ("import \"fs\" as fs;\nfn h() { 1 }", "policy.sandbox", 1, 1),
        ("fn h() {\n  timestamp()\n}", "policy.sandbox", 2, 3),
        ("fn h() { let t = timestamp(); t }", "policy.sandbox", 1, 18),
        (
            "fn h() { open_file(\"/etc/passwd\") }",
            "policy.unknown_function",
            1,
            10,
        ),
        ("fn h() { rand() }", "policy.unknown_function", 1, 10),
        ("fn h() { env(\"HOME\") }", "policy.unknown_function", 1, 10),
        ("fn h() { sleep(100) }", "policy.sandbox", 1, 10),
        ("fn h() { x }", "policy.undefined_variable", 1, 10),
    ] {
        let err = Policy::compile("p.rhai", source, &PolicyRuntime::new())
            .map(|_| source)
            .unwrap_err();
        let d = &err.diagnostics()[0];
        assert_eq!(
            (d.code.as_str(), d.line, d.column),
            (code, Some(line), Some(column)),
            "{source}"
        );
    }
}

#[test]
fn an_unknown_hook_is_rejected_with_its_position() {
    use backoffice::policy::HookSpec;
    static HOOKS: &[HookSpec] = &[HookSpec {
        name: "rank",
        params: &["node", "order"],
        args: &[],
        returns: "an integer",
        doc: "Rank one node.",
    }];
    let p = policy("fn rank(node, order) { 1 }\n\n   fn steal_orders(order) { 0 }");
    let err = p.bind("routing", HOOKS).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "policy.unknown_hook");
    assert_eq!((d.line, d.column), (Some(3), Some(4)));
}

#[test]
fn scripts_cannot_escape_through_closures_or_fn_pointers() {
    // Function pointers to names that do not exist fail at call time, inside the sandbox.
    let p = policy("fn h() { let f = Fn(\"timestamp\"); f.call() }");
    assert_eq!(p.call("h", ()).unwrap_err().code, "policy.runtime");
    let p = policy("fn h() { let f = Fn(\"ev\" + \"al\"); f.call(\"1\") }");
    assert_eq!(p.call("h", ()).unwrap_err().code, "policy.runtime");
    // The standard package's `sleep` is shadowed, so it cannot block the thread.
    let p = policy("fn h() { let f = Fn(\"sl\" + \"eep\"); f.call(100) }");
    let start = Instant::now();
    let d = p.call("h", ()).unwrap_err();
    assert_eq!(d.code, "policy.runtime");
    assert_eq!(d.message, "`sleep()` is not available in policies");
    assert!(start.elapsed() < Duration::from_secs(1));
    // Shared (captured) values inside arrays and maps are handled.
    let p = policy("fn h() { let x = [1]; let f = || x; x.push(2); let a = []; for i in 0..10 { a.push(x); } let m = #{}; m.k = x; m.l = [x, f]; a.len() + m.len() }");
    assert_eq!(p.call("h", ()).unwrap().value.as_int(), Ok(12));
}

#[test]
fn print_goes_to_the_call_not_to_stdout() {
    // Run this test binary again as a child process, executing only `child_prints`, and
    // look at what it wrote to its real stdout.
    if std::env::var_os("BACKOFFICE_PRINT_CHILD").is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "child_prints", "--nocapture", "--test-threads=1"])
        .env("BACKOFFICE_PRINT_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("child_prints"),
        "the child test did not run: {stdout}"
    );
    assert!(
        !stdout.contains("MARKER-7f3a"),
        "policy output leaked to stdout: {stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("MARKER-7f3a"),
        "policy output leaked to stderr: {stderr}"
    );
}

#[test]
fn child_prints() {
    let p = policy("fn h() { print(\"MARKER-7f3a print\"); debug(\"MARKER-7f3a debug\"); 1 }");
    let out = p.call("h", ()).unwrap();
    assert_eq!(
        out.output,
        vec![
            "MARKER-7f3a print".to_string(),
            "[debug line 1] \"MARKER-7f3a debug\"".to_string()
        ]
    );
}

#[test]
fn hostile_sources_fail_to_compile_cleanly_on_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let runtime = PolicyRuntime::new();
            let n = 100_000;
            let depth = "policy.limit.expr_depth";
            let cases: Vec<(String, &str)> = vec![
                (
                    format!("fn h() {{ {}1{} }}", "(".repeat(n), ")".repeat(n)),
                    depth,
                ),
                (
                    format!("fn h() {{ {}1{} }}", "[".repeat(n), "]".repeat(n)),
                    depth,
                ),
                (
                    format!("fn h() {{ {}1{} }}", "{".repeat(n), "}".repeat(n)),
                    depth,
                ),
                (format!("fn h() {{ {}true }}", "!".repeat(n)), depth),
                (
                    format!("fn h(x) {{ {}1{} }}", "if x { ".repeat(n), " }".repeat(n)),
                    depth,
                ),
                (
                    format!("fn h() {{ {}1{} }}", "`${".repeat(n), "}`".repeat(n)),
                    depth,
                ),
                (
                    format!("fn h() {{ {}1{} }}", "#{a:".repeat(n), "}".repeat(n)),
                    depth,
                ),
                (format!("fn h(x) {{ x{} }}", ".a".repeat(n)), depth),
                (
                    format!("fn h(x) {{ {}x{} }}", "abs(".repeat(n), ")".repeat(n)),
                    depth,
                ),
                (format!("fn h(x) {{ x{} }}", " + x".repeat(n)), depth),
                (format!("fn h(x) {{ {}1 }}", "|| ".repeat(n)), depth),
                (format!("fn h() {{ {}1 }}", "-".repeat(n)), "policy.syntax"),
                (
                    format!("fn h() {{ \"{}\" }}", "x".repeat(200_000)),
                    "policy.limit.size",
                ),
                ("fn h() { \"abc".to_string(), "policy.syntax"),
                (
                    "fn h() { 99999999999999999999999999999999999 }".to_string(),
                    "policy.syntax",
                ),
            ];
            for (source, code) in cases {
                let start = Instant::now();
                let err = Policy::compile("p.rhai", &source, &runtime).unwrap_err();
                let head: String = source.chars().take(30).collect();
                assert_eq!(err.diagnostics()[0].code, code, "{head}");
                assert!(start.elapsed() < budget(), "{head}");
            }
            // Many functions are fine.
            let many: String = (0..1000)
                .map(|i| format!("fn f{i}() {{ {i} }}\n"))
                .collect();
            let p = Policy::compile("many.rhai", &many, &runtime).unwrap();
            assert_eq!(p.functions().len(), 1000);
            assert_eq!(p.functions()[999].line, 1000);
        })
        .unwrap()
        .join()
        .unwrap();
}
