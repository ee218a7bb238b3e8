//! `cargo run --example quickstart`: runs every engine on the bundled sample data and
//! policies in `examples/data/` and `examples/policies/`, and prints a readable report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod address;
mod money;
mod refunds;
mod returns;
mod routing;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("backoffice {} quickstart\n", env!("CARGO_PKG_VERSION"));
    money::run()?;
    for section in [routing::run, returns::run, refunds::run, address::run] {
        println!();
        section()?;
    }
    Ok(())
}
