//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Policies are documented in the `backoffice::policy` module docs (run `cargo doc --open`).
The test-file format for `backoffice test` is documented in docs/policy-tests.md.";

/// Check, run, test and measure backoffice policies (`.rhai` files).
#[derive(Debug, Parser)]
#[command(name = "backoffice", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile policies and check their hooks; print every problem rustc-style.
    #[command(
        after_help = "The engine comes from --engine, else from a `// engine: NAME` comment \
at the top of the file, else from the file name (`returns.rhai`).\n\nExit status: 0 when every \
policy is clean, 1 when any has an error."
    )]
    Check(CheckArgs),
    /// Run one request through an engine (with a policy) and print the decision.
    Eval(EvalArgs),
    /// Run policy test files (`*.test.json`) and report line coverage.
    #[command(
        after_help = "The test-file format is documented in docs/policy-tests.md.\n\n\
Exit status: 0 when every case passes (and coverage meets --threshold), 1 otherwise."
    )]
    Test(TestArgs),
    /// List each engine's hooks: parameters, return shape and what they decide.
    Hooks(HooksArgs),
    /// Write Rhai definition files (`*.d.rhai`) for editor completion.
    Definitions(DefinitionsArgs),
    /// Measure evaluations per second and the median latency of one request.
    Bench(BenchArgs),
}

/// How `check`, `eval` and `test` print diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    /// rustc-style text.
    Human,
    /// One JSON document.
    Json,
}

/// How `test`, `hooks` and `bench` print their report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// One JSON document.
    Json,
}

/// Where `test` writes line coverage besides its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// Only the summary in the report.
    Summary,
    /// The summary, and an lcov tracefile (`TN`/`SF`/`DA`/`LF`/`LH`/`end_of_record`) at
    /// `--coverage-output`.
    Lcov,
}

/// `backoffice check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The engine the policies are for (routing, returns, refunds, address).
    #[arg(long, value_name = "ENGINE")]
    pub engine: Option<String>,
    /// Diagnostics as rustc-style text or as JSON.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub error_format: ErrorFormat,
    /// Also say, for every hook, whether it runs on the native evaluator and, if not,
    /// which construct at which line keeps it on the interpreter.
    #[arg(long)]
    pub explain: bool,
}

/// `backoffice eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The engine (optional when the policy names it).
    #[arg(long, value_name = "ENGINE")]
    pub engine: Option<String>,
    /// The policy file; without it the engine's built-in behaviour decides.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The engine configuration (JSON), or `-` for standard input; the defaults when
    /// absent.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The request (JSON), or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// A failure as rustc-style text on stderr, or as a JSON error object
    /// (`{"error": {code, message, field?, diagnostics}}`) on stdout.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub error_format: ErrorFormat,
    /// The input is a JSON array of requests (or of named requests,
    /// `{"title": ..., "request": {...}}`); print an array of decisions.
    #[arg(long, conflicts_with = "pick")]
    pub batch: bool,
    /// Decide one request of a file that holds several: its index (from 0) or its
    /// `title`/`name`.
    #[arg(long, value_name = "NAME|INDEX")]
    pub pick: Option<String>,
    /// Record and print how the decision was reached.
    #[arg(long)]
    pub trace: bool,
    /// Print a readable table of outcome fields and reasons instead of JSON; with
    /// `--format json`, the decision log (documented in docs/decision-log.md).
    #[arg(long)]
    pub explain: bool,
    /// With `--explain`: tables for people, or the decision log as one JSON document
    /// (the decision with its trace, every hook call with a digest of its arguments,
    /// its result and a duration bucket).
    #[arg(
        long,
        value_enum,
        default_value = "human",
        value_name = "FORMAT",
        requires = "explain"
    )]
    pub format: Format,
    /// When a hook fails, take the engine's safe outcome instead of failing.
    #[arg(long)]
    pub fallback: bool,
    /// Run every hook on the rhai interpreter instead of the native evaluator.
    #[arg(long)]
    pub interpret: bool,
}

/// `backoffice test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files (`*.test.json`) or directories to search for them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only run cases whose name (or `FILE :: NAME`) matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub run: Option<String>,
    /// Report as text or as one JSON document.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub format: Format,
    /// Fail when the line coverage of any policy is below this percentage.
    #[arg(long, value_name = "PERCENT")]
    pub threshold: Option<rust_decimal::Decimal>,
    /// Do not report coverage.
    #[arg(long)]
    pub no_coverage: bool,
    /// Also write line coverage as an lcov tracefile (for editors and coverage
    /// services), besides the summary.
    #[arg(long, value_enum, default_value = "summary", value_name = "FORMAT")]
    pub coverage_format: CoverageFormat,
    /// Where `--coverage-format lcov` writes the tracefile.
    #[arg(long, default_value = "lcov.info", value_name = "FILE")]
    pub coverage_output: PathBuf,
    /// Diagnostics (a policy that does not compile, a hook that fails) as rustc-style
    /// text or as JSON objects.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub error_format: ErrorFormat,
    /// Treat warnings (such as `excludes` of a reason code nothing can emit) as failures.
    #[arg(long)]
    pub strict: bool,
    /// Run every hook on the rhai interpreter instead of the native evaluator (the
    /// results and the coverage are the same).
    #[arg(long)]
    pub interpret: bool,
}

/// `backoffice hooks`.
#[derive(Debug, Args)]
pub struct HooksArgs {
    /// Only this engine's hooks.
    #[arg(long, value_name = "ENGINE")]
    pub engine: Option<String>,
    /// Text or JSON.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub format: Format,
    /// Print the hooks and their arguments' fields as the Markdown of
    /// `docs/hook-arguments.md` (which a test keeps in step with this output).
    #[arg(long, conflicts_with = "format")]
    pub markdown: bool,
}

/// `backoffice definitions`.
#[derive(Debug, Args)]
pub struct DefinitionsArgs {
    /// The directory to write the `*.d.rhai` files into (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `backoffice bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The engine (optional when the policy names it).
    #[arg(long, value_name = "ENGINE")]
    pub engine: Option<String>,
    /// The policy file; without it the built-in behaviour is measured.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The engine configuration (JSON), or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The request (JSON), or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// How long to measure, in seconds (after a warm-up of a tenth of it).
    #[arg(long, default_value = "2", value_name = "SECONDS")]
    pub seconds: rust_decimal::Decimal,
    /// Stop after this many evaluations even if time is left (the warm-up then runs at
    /// most a tenth of them).
    #[arg(long, value_name = "N")]
    pub max_iterations: Option<u64>,
    /// Text or JSON.
    #[arg(long, value_enum, default_value = "human", value_name = "FORMAT")]
    pub format: Format,
}
