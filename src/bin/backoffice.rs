//! `backoffice`: the command-line tool for policy authors.
//!
//! Check that a policy compiles and only defines its engine's hooks, run it on a request,
//! run a suite of test cases with line coverage, list hooks, write editor definitions and
//! measure speed. Built with the `cli` feature:
//! `cargo install --path . --features cli`.
//!
//! The library does no I/O; everything that touches files, the terminal or the clock
//! lives in this binary.

#[path = "backoffice/args.rs"]
mod args;
#[path = "backoffice/bench.rs"]
mod bench;
#[path = "backoffice/check.rs"]
mod check;
#[path = "backoffice/common.rs"]
mod common;
#[path = "backoffice/eval.rs"]
mod eval;
#[path = "backoffice/hooks.rs"]
mod hooks;
#[path = "backoffice/matching.rs"]
mod matching;
#[path = "backoffice/reason_codes.rs"]
mod reason_codes;
#[path = "backoffice/suite.rs"]
mod suite;

use args::{Cli, Command, ErrorFormat};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_errors = match &cli.command {
        Command::Check(args) => args.error_format == ErrorFormat::Json,
        Command::Eval(args) => args.error_format == ErrorFormat::Json,
        Command::Test(args) => args.error_format == ErrorFormat::Json,
        _ => false,
    };
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Test(args) => suite::run(&args),
        Command::Hooks(args) => hooks::run_hooks(&args),
        Command::Definitions(args) => hooks::run_definitions(&args),
        Command::Bench(args) => bench::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(failure) if json_errors => {
            let report = serde_json::json!({ "error": failure.to_json() });
            println!("{}", check::pretty(&report));
            ExitCode::FAILURE
        }
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::FAILURE
        }
    }
}
