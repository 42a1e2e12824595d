//! Terminal colours through anstyle; whether to paint is `crate::color`'s decision (`--color`,
//! NO_COLOR, CLICOLOR_FORCE, TERM=dumb, a terminal or not), and a command's `--no-color` says never.
use anstyle::{AnsiColor, Effects};

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn for_stdout(no_color_flag: bool) -> Style {
        Style {
            color: !no_color_flag && crate::color::stdout(),
        }
    }

    /// For text on stderr (errors, progress).
    pub fn for_stderr() -> Style {
        Style {
            color: crate::color::stderr(),
        }
    }

    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    pub fn green(&self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }

    pub fn red(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::BOLD), text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint(anstyle::Style::new().effects(Effects::DIMMED), text)
    }
}
