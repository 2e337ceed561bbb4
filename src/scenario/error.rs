//! A refused scenario, with where: `file:line:column: message`.

use std::fmt;

/// Why a scenario was refused, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name, or a label such as `<embedded>` or `<request body>`.
    pub source: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    /// `file:line:column: message`, or `file: message` for a failure that
    /// has no place in the text (a file that cannot be read): line 0 would
    /// send an editor nowhere.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.source, self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.source, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ScenarioError {}
