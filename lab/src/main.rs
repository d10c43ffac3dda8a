//! The `bypass-lab` binary: every role, the lab's verbs and the rehearsal.

fn main() -> std::process::ExitCode {
    bypass_lab::cli::main()
}
