use std::process::ExitCode;

use clap::Parser;
use kfscale::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(cli::terraform_style_flags(std::env::args_os())) {
        Ok(cli) => cli,
        Err(err) => {
            // clap exits 2 on usage errors, but 2 means "changes present" for plan: errors are 1.
            let code = if err.use_stderr() { 1 } else { 0 };
            let _ = err.print();
            if err.use_stderr() {
                eprintln!("fix: correct the arguments; `kfscale help <COMMAND>` lists each command's arguments");
            }
            return ExitCode::from(code);
        }
    };
    kfscale::logging::init(cli.verbose);
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::from(1)
        }
    }
}
