//! The lint: walks a values file once per rule family and collects [`Finding`]s.

mod auth;
mod catalog;
mod clusters;
mod database;
mod keys;
mod notifications;
mod plugins;
mod storage;

use flyte_config::{Document, NodeRef};

use crate::check::{ConfigFinding, MergedConfig};
pub(crate) use storage::{
    azure_account_problem, azure_container_problem, gcs_bucket_problem, s3_bucket_problem,
};

use crate::{Chart, Finding, Report, Rule, Severity};

/// Why a values file could not be linted at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is not YAML (or is over flyte-config's size, depth or alias limits).
    #[error("the values file is not valid YAML")]
    Yaml(#[source] flyte_config::Error),
    /// The file is YAML but its top is not a mapping.
    #[error("{line}:{column}: a values file must be a mapping of keys at its top")]
    NotAMapping {
        /// 1-based line of the top node.
        line: usize,
        /// 1-based column of the top node.
        column: usize,
    },
}

/// Lints Helm values files of the Flyte charts.
///
/// ```
/// use flyte_deploy::{Chart, Linter, Rule};
///
/// let report = Linter::new()
///     .chart(Chart::FlyteBinary)
///     .lint("configuration:\n  database:\n    postgres:\n      host: db\n")?;
/// assert_eq!(report.findings[0].rule, Rule::MisplacedKey);
/// assert_eq!((report.findings[0].line, report.findings[0].column), (3, 5));
/// # Ok::<(), flyte_deploy::LintError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Linter {
    chart: Option<Chart>,
}

impl Linter {
    /// A linter that guesses the chart from the keys ([`Chart::guess`], flyte-binary when the
    /// keys do not tell).
    pub fn new() -> Linter {
        Linter::default()
    }

    /// Lints against `chart` instead of guessing.
    #[must_use]
    pub fn chart(mut self, chart: Chart) -> Linter {
        self.chart = Some(chart);
        self
    }

    /// Lints one values file. Findings come in file order.
    ///
    /// # Errors
    /// [`Error::Yaml`] when the text is not YAML, [`Error::NotAMapping`] when its top is not a
    /// mapping. An empty file is clean.
    pub fn lint(&self, text: &str) -> Result<Report, Error> {
        let doc = Document::parse(text).map_err(Error::Yaml)?;
        let guessed = doc.root().and_then(Chart::guess);
        let chart = self.chart.or(guessed).unwrap_or(Chart::FlyteBinary);
        let mut cx = Context {
            chart,
            findings: Vec::new(),
        };
        if let Some(root) = doc.root().filter(|r| !r.is_null()) {
            if !root.is_map() {
                return Err(Error::NotAMapping {
                    line: root.line(),
                    column: root.column(),
                });
            }
            keys::check(&mut cx, root);
            database::check(&mut cx, root);
            storage::check(&mut cx, root);
            plugins::check(&mut cx, root);
            auth::check(&mut cx, root);
            clusters::check(&mut cx, root);
            notifications::check(&mut cx, root);
            catalog::check(&mut cx, root);
        }
        cx.findings
            .sort_by_key(|f| (f.line, f.column, f.rule.id().to_owned()));
        Ok(Report {
            chart,
            chart_guessed: self.chart.is_none(),
            findings: cx.findings,
        })
    }

    /// Lints Flyte's own config after its files are merged (what a Flyte service reads, such
    /// as the files a chart renders into its ConfigMaps) with the rules on Flyte's config:
    /// unknown keys of the sections known key by key, `secrets-prefix`, placeholders,
    /// database, task plugins (the connector plugin needs an endpoint in this config), clusters
    /// and notifications. Rules on the charts' own keys do not apply. Findings come in file
    /// order, each with its file and its line and column there; paths are Flyte config paths
    /// (`tasks.task-plugins.enabled-plugins`).
    ///
    /// ```
    /// use flyte_deploy::{Linter, MergedConfig, Rule};
    ///
    /// let mut config = MergedConfig::new();
    /// config.merge("plugins.yaml", "tasks:\n  task-plugins:\n    enabled-plugins: [sidecar]\n")?;
    /// let findings = Linter::new().lint_flyte_config(&config)?;
    /// assert_eq!(findings[0].finding.rule, Rule::PluginContainerNotEnabled);
    /// assert_eq!((findings[0].file, findings[0].finding.line), (0, 3));
    /// # Ok::<(), flyte_deploy::LintError>(())
    /// ```
    ///
    /// # Errors
    /// Only if the merged config cannot be written back as YAML ([`Error::Yaml`]), which a
    /// config [`MergedConfig::merge`] accepted never is.
    pub fn lint_flyte_config(&self, config: &MergedConfig) -> Result<Vec<ConfigFinding>, Error> {
        // The rules read Flyte's config where flyte-binary's values carry it. The chart's
        // connector default is emptied so that only an endpoint in this config counts.
        const HEAD: &str = "configuration:\n  connectorService:\n    defaultConnector:\n      \
                            endpoint: \"\"\n  inline:\n";
        const PREFIX: &str = "configuration.inline.";
        let (text, positions) = config.wrapped(HEAD, 4, &["configuration", "inline"])?;
        let report = self.clone().chart(Chart::FlyteBinary).lint(&text)?;
        let mut out: Vec<ConfigFinding> = report
            .findings
            .into_iter()
            .filter_map(|mut finding| {
                let origin = positions.get(&(finding.line, finding.column))?;
                finding.path = finding
                    .path
                    .strip_prefix(PREFIX)
                    .unwrap_or(&finding.path)
                    .to_owned();
                finding.message = finding.message.replace(PREFIX, "");
                finding.line = origin.line;
                finding.column = origin.column;
                Some(ConfigFinding {
                    file: origin.file,
                    finding,
                })
            })
            .collect();
        out.sort_by_key(|f| (f.file, f.finding.line, f.finding.column));
        Ok(out)
    }
}

/// What every rule needs: the chart and where findings go.
struct Context {
    chart: Chart,
    findings: Vec<Finding>,
}

impl Context {
    fn push(
        &mut self,
        rule: Rule,
        severity: Severity,
        path: &str,
        at: NodeRef<'_>,
        message: String,
    ) {
        self.findings.push(Finding {
            rule,
            severity,
            path: path.to_owned(),
            message,
            line: at.line(),
            column: at.column(),
        });
    }
}

/// The key and value nodes at a dotted path, exact key names as Helm reads them.
fn entry<'a>(node: NodeRef<'a>, path: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
    let mut found = None;
    let mut here = node;
    for segment in path.split('.') {
        let (key, value) = here
            .entries()
            .filter(|(k, _)| k.key_text() == segment)
            .last()?;
        found = Some((key, value));
        here = value;
    }
    found
}

/// The value node at a dotted path.
fn at<'a>(node: NodeRef<'a>, path: &str) -> Option<NodeRef<'a>> {
    entry(node, path).map(|(_, v)| v)
}

/// The non-empty text at a dotted path (null and `""` count as unset).
fn text<'a>(node: NodeRef<'a>, path: &str) -> Option<&'a str> {
    at(node, path)
        .filter(|v| !v.is_null())
        .and_then(NodeRef::as_scalar)
        .filter(|s| !s.is_empty())
}

/// True when the value at `path` is a YAML `true`.
fn is_true(node: NodeRef<'_>, path: &str) -> bool {
    at(node, path).is_some_and(|v| v.to_value().as_bool() == Some(true))
}

/// True when `text` holds a starter-file placeholder such as `<BUCKET_NAME>`.
pub(crate) fn has_placeholder(text: &str) -> bool {
    placeholders(text).next().is_some()
}

/// Every `<UPPER_CASE-NAME>` in `text`.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('<').filter_map(move |(start, _)| {
        let rest = &text[start + 1..];
        let end = rest.find('>')?;
        let name = &rest[..end];
        let valid = !name.is_empty()
            && name.chars().any(|c| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
        valid.then(|| &text[start..start + end + 2])
    })
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_are_upper_case_names_in_angle_brackets() {
        let found: Vec<_> =
            placeholders("arn:aws:acm:<AWS-REGION>:<AWS-ACCOUNT-ID>:x <a> <> {{ .Values }}")
                .collect();
        assert_eq!(found, ["<AWS-REGION>", "<AWS-ACCOUNT-ID>"]);
    }
}
