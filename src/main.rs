use std::process::ExitCode;

use clap::Parser;
use kfscale::cli::{self, Cli};
use kfscale::diagnostic::Diagnostic;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    // Asked for JSON, a reader gets its errors as JSON lines too, even those found before the
    // arguments parse.
    let json = cli::json_requested(&args);
    // A Terraform flag kfscale lacks (`-target`, `-var`) would parse as short flags (`-t`) or, worse,
    // as one with a value (`-chdir=x` as `-c hdir=x`): say what it is before clap guesses.
    if let Some(hint) = cli::terraform_only_hint(&args) {
        let fix = "fix: drop it; `kfscale help <COMMAND>` lists each command's arguments";
        report(json, &format!("{hint}\n{fix}"));
        return finish(ExitCode::from(1));
    }
    let cli = match Cli::try_parse_from(cli::terraform_style_flags(args)) {
        Ok(cli) => cli,
        Err(err) if err.use_stderr() => {
            // clap exits 2 on usage errors, but 2 means "changes present" for plan: errors are 1.
            let fix = "fix: correct the arguments; `kfscale help <COMMAND>` lists each command's arguments";
            if json {
                let text = err.render().to_string();
                let text = text.trim().trim_start_matches("error:").trim();
                // clap's own hints ("tip: ...", the usage line) go to the detail, after the fix.
                let (what, hints) = text.split_once("\n\n").unwrap_or((text, ""));
                Diagnostic::error(&format!("{what}; {fix}"))
                    .and_then(hints.trim())
                    .emit();
            } else {
                let _ = err.print();
                kfscale::eoutln!("{fix}");
            }
            return finish(ExitCode::from(1));
        }
        // --help and --version: what was asked for, on stdout.
        Err(err) => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
    };
    kfscale::color::set_choice(cli.color.into());
    kfscale::logging::init(cli.verbose);
    // A panic's message may quote a value: it leaves through the stderr door, scrubbed, too.
    std::panic::set_hook(kfscale::stderr::panic_hook());
    let json = cli.json_output();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            report(json, &format!("{err:#}"));
            ExitCode::from(1)
        }
    };
    finish(code)
}

/// An error for the reader: a diagnostic line on stdout under `--json`, else `Error: ...` on stderr.
/// Both doors scrub: the chain may quote helm's and git's stderr.
fn report(json: bool, text: &str) {
    if json {
        Diagnostic::error(text).emit();
    } else {
        let style = kfscale::render::Style::for_stderr();
        kfscale::eoutln!("{} {text}", style.red("Error:"));
    }
}

/// A reader that went away (141) or a failed write (1) outranks what the command returned: its
/// output did not arrive.
fn finish(code: ExitCode) -> ExitCode {
    kfscale::output::exit_code().map(ExitCode::from).unwrap_or(code)
}
