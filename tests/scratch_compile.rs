#![allow(clippy::unwrap_used, missing_docs)]
use backoffice::policy::*;
#[test]
fn hostile_compile() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let rt = PolicyRuntime::new();
            let n = 100_000;
            let cases: Vec<(String, String)> = vec![
                (
                    "parens".into(),
                    format!("fn h() {{ {}1{} }}", "(".repeat(n), ")".repeat(n)),
                ),
                (
                    "brackets".into(),
                    format!("fn h() {{ {}1{} }}", "[".repeat(n), "]".repeat(n)),
                ),
                (
                    "blocks".into(),
                    format!("fn h() {{ {}1{} }}", "{".repeat(n), "}".repeat(n)),
                ),
                ("unary".into(), format!("fn h() {{ {}1 }}", "-".repeat(n))),
                ("not".into(), format!("fn h() {{ {}true }}", "!".repeat(n))),
                (
                    "ifs".into(),
                    format!("fn h(x) {{ {}1{} }}", "if x { ".repeat(n), " }".repeat(n)),
                ),
                (
                    "interp".into(),
                    format!("fn h() {{ {}1{} }}", "`${".repeat(n), "}`".repeat(n)),
                ),
                (
                    "maps".into(),
                    format!("fn h() {{ {}1{} }}", "#{a:".repeat(n), "}".repeat(n)),
                ),
                ("dots".into(), format!("fn h(x) {{ x{} }}", ".a".repeat(n))),
                (
                    "calls".into(),
                    format!("fn h(x) {{ {}x{} }}", "abs(".repeat(n), ")".repeat(n)),
                ),
                (
                    "chain".into(),
                    format!("fn h(x) {{ x{} }}", " + x".repeat(n)),
                ),
                (
                    "closures".into(),
                    format!("fn h(x) {{ {}1 }}", "|| ".repeat(n)),
                ),
                (
                    "fns".into(),
                    (0..5000)
                        .map(|i| format!("fn f{i}() {{ {i} }}\n"))
                        .collect(),
                ),
                ("unterminated".into(), "fn h() { \"abc".into()),
                ("bad utf".into(), "fn h() { \"\u{FEFF}\u{202E}x\" }".into()),
                (
                    "long string".into(),
                    format!("fn h() {{ \"{}\" }}", "x".repeat(200_000)),
                ),
                (
                    "big int".into(),
                    "fn h() { 99999999999999999999999999999999999 }".into(),
                ),
            ];
            for (name, src) in cases {
                let t = std::time::Instant::now();
                let r = Policy::compile("p", &src, &rt);
                println!(
                    "{name}: {:?} {:?}",
                    r.as_ref().map(|_| ()).map_err(|e| e
                        .diagnostics()
                        .iter()
                        .map(|d| d.code.clone())
                        .collect::<Vec<_>>()),
                    t.elapsed()
                );
                if let Ok(p) = r {
                    println!(
                        "   call: {:?}",
                        p.call("h", (1_i64,))
                            .map(|o| o.value.type_name())
                            .map_err(|d| d.code)
                    );
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
