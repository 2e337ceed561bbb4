//! The report as JUnit XML (one test case per rule exercised, failing where
//! an error deviation occurred) and as Markdown for a pull request.

use std::fmt::Write;

use super::{Report, Severity};

/// The report's formats, by their `format` names and file extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Junit,
    Markdown,
}

impl Format {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "json" => Some(Self::Json),
            "junit" | "xml" => Some(Self::Junit),
            "markdown" | "md" => Some(Self::Markdown),
            _ => None,
        }
    }

    /// The format a file's extension names (JSON otherwise).
    pub(crate) fn of_file(path: &std::path::Path) -> Self {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::parse)
            .unwrap_or(Self::Json)
    }
}

/// The report in `format`: its body and content type.
pub(crate) fn rendered(report: &Report, format: Format) -> (String, &'static str) {
    match format {
        Format::Json => (
            serde_json::to_string_pretty(report).unwrap_or_default(),
            "application/json",
        ),
        Format::Junit => (junit(report), "application/xml"),
        Format::Markdown => (markdown(report), "text/markdown; charset=utf-8"),
    }
}

/// Escapes text for XML content and attributes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows no other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a test suite of the rules exercised; a rule with an error
/// deviation fails, listing each; warnings go to the case's `system-out`.
pub(crate) fn junit(report: &Report) -> String {
    let tests = report.rules.len();
    let failures = report
        .rules
        .iter()
        .filter(|r| r.severity == Severity::Error && r.count > 0)
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sca-sandbox\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"sca-sandbox integration report\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    for rule in &report.rules {
        let provider = rule.rule.split('.').next().unwrap_or_default();
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\">",
            xml(provider),
            xml(rule.rule)
        );
        let mine: Vec<_> = report
            .deviations
            .iter()
            .filter(|d| d.rule == rule.rule)
            .collect();
        let lines: String = mine
            .iter()
            .map(|d| {
                let request = d
                    .request
                    .map_or(String::new(), |r| format!(" (request {r})"));
                format!("{}{request}\n", d.message)
            })
            .collect();
        if rule.count > 0 && rule.severity == Severity::Error {
            let _ = write!(
                out,
                "\n      <failure type=\"error\" message=\"{} deviation(s): {}\">{}Source: {}</failure>\n    ",
                rule.count,
                xml(rule.expects),
                xml(&lines),
                xml(rule.source)
            );
        } else if rule.count > 0 {
            let _ = write!(
                out,
                "\n      <system-out>warning: {}{}Source: {}</system-out>\n    ",
                xml(rule.expects),
                xml(&format!("\n{lines}")),
                xml(rule.source)
            );
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// A summary to paste in a pull request.
pub(crate) fn markdown(report: &Report) -> String {
    let mut out = String::from("## sca-sandbox integration report\n\n");
    if report.errors == 0 && report.warnings == 0 {
        out.push_str("No deviations: the client kept every rule it exercised.\n");
    } else {
        let _ = writeln!(
            out,
            "{} error(s) and {} warning(s).\n",
            report.errors, report.warnings
        );
    }
    if report.rules.is_empty() {
        return out;
    }
    out.push_str(
        "| rule | severity | count | the guide expects | source |\n|---|---|---|---|---|\n",
    );
    for r in &report.rules {
        let severity = match r.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            r.rule,
            severity,
            r.count,
            r.expects.replace('|', "\\|"),
            r.source.replace('|', "\\|")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(
            super::xml("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos; "
        );
    }
}
