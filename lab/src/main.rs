//! The `bypass-lab` binary: every role, the lab's verbs and the rehearsal.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
