//! Helpers both lint test files share.

use flyte_deploy::{Chart, LintError, Linter, Report, Rule};

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Lints `text` against `chart`.
pub(crate) fn lint(chart: Chart, text: &str) -> Result<Report, LintError> {
    Linter::new().chart(chart).lint(text)
}

/// (line, column) of every finding of `rule`, in file order.
pub(crate) fn positions(report: &Report, rule: Rule) -> Vec<(usize, usize)> {
    report.of(rule).map(|f| (f.line, f.column)).collect()
}
