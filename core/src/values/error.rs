//! The one error type of the values editor: it always names the file, the place and the fix.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl ValuesError {
    pub fn new(file: &str, line: Option<usize>, column: Option<usize>, message: String, fix: &str) -> Self {
        ValuesError {
            file: file.to_string(),
            line,
            column,
            message,
            fix: fix.to_string(),
        }
    }
}

impl fmt::Display for ValuesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}; fix: {}", self.message, self.fix)
    }
}

impl std::error::Error for ValuesError {}
