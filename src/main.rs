//! The `securebase` binary: parses the command line and hands over to [`securebase::cli`].

fn main() -> std::process::ExitCode {
    securebase::cli::main()
}
