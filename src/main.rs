//! The `linchpin` binary: parse the command line, run the subcommand, exit with its code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

/// Estates of millions of resources are allocation-heavy to load; mimalloc keeps that linear.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
