//! The `linchpin` binary: parse the command line, run the subcommand, exit with its code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
