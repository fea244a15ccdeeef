//! The `workflow-execution-config` file: how executions run (parallelism, identity, labels,
//! environment).

use super::{AttributeTarget, MatchableResource};
use crate::fields::{Section, Visitor};
use crate::files::{Envs, KeyValues};
use crate::value::Value;
use crate::yaml;

/// `security_context.run_as`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RunAs {
    /// `k8s_service_account`.
    pub k8s_service_account: String,
    /// `iam_role`.
    pub iam_role: String,
    /// `execution_identity`.
    pub execution_identity: String,
    /// `oauth2_client`, kept as written.
    pub oauth2_client: Value,
}

impl Section for RunAs {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("iam_role", &mut self.iam_role);
        v.field("k8s_service_account", &mut self.k8s_service_account);
        v.field("oauth2_client", &mut self.oauth2_client);
        v.field("execution_identity", &mut self.execution_identity);
    }
}

/// `security_context`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SecurityContext {
    /// `run_as`.
    pub run_as: RunAs,
    /// `secrets`, kept as written.
    pub secrets: Value,
    /// `tokens`, kept as written.
    pub tokens: Value,
}

impl Section for SecurityContext {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.section("run_as", &mut self.run_as);
        v.field("secrets", &mut self.secrets);
        v.field("tokens", &mut self.tokens);
    }
}

/// `raw_output_data_config`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct RawOutputDataConfig {
    /// `output_location_prefix`.
    pub output_location_prefix: String,
}

impl Section for RawOutputDataConfig {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("output_location_prefix", &mut self.output_location_prefix);
    }
}

/// A protobuf `BoolValue` as Go's JSON writes it: `{value: true}`. A bare boolean is accepted too.
///
/// Build one with [`BoolValue::new`] or from a `bool` or `Option<bool>`; read it with
/// [`BoolValue::get`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BoolValue(pub Option<bool>);

impl BoolValue {
    /// A value that is set when `value` is `Some`, unset when it is `None`.
    pub fn new(value: Option<bool>) -> Self {
        BoolValue(value)
    }

    /// The value; `None` when unset.
    pub fn get(self) -> Option<bool> {
        self.0
    }
}

impl From<bool> for BoolValue {
    fn from(value: bool) -> Self {
        BoolValue(Some(value))
    }
}

impl From<Option<bool>> for BoolValue {
    fn from(value: Option<bool>) -> Self {
        BoolValue(value)
    }
}

impl From<BoolValue> for Option<bool> {
    fn from(value: BoolValue) -> Self {
        value.0
    }
}

impl crate::fields::Field for BoolValue {
    fn decode(
        &mut self,
        node: &yaml::Node,
        w: &mut Vec<String>,
    ) -> std::result::Result<(), String> {
        match &node.kind {
            _ if node.is_null() => self.0 = None,
            yaml::Kind::Map(entries) => {
                let mut value = false;
                for (k, v) in entries {
                    if k.key_text() == "value" {
                        crate::fields::Field::decode(&mut value, v, w)?;
                    } else {
                        return Err(format!(
                            "unknown key {:?}; expected {{value: true|false}}",
                            k.key_text()
                        ));
                    }
                }
                self.0 = Some(value);
            }
            _ => {
                let mut value = false;
                crate::fields::Field::decode(&mut value, node, w)?;
                self.0 = Some(value);
            }
        }
        Ok(())
    }
    fn parse_text(&mut self, text: &str) -> std::result::Result<(), String> {
        let mut value = false;
        crate::fields::Field::parse_text(&mut value, text)?;
        self.0 = Some(value);
        Ok(())
    }
    fn encode(&self) -> Value {
        match self.0 {
            None => Value::Null,
            Some(b) => Value::Map(vec![("value".to_owned(), Value::Bool(b))]),
        }
    }
}

/// `workflow-execution-config` file.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct WorkflowExecutionConfigFile {
    /// Where it applies.
    pub target: AttributeTarget,
    /// `max_parallelism`: most nodes running at once.
    pub max_parallelism: i32,
    /// `security_context`.
    pub security_context: SecurityContext,
    /// `raw_output_data_config`.
    pub raw_output_data_config: RawOutputDataConfig,
    /// `labels`.
    pub labels: KeyValues,
    /// `annotations`.
    pub annotations: KeyValues,
    /// `interruptible`: `{value: bool}`; `None` when unset.
    pub interruptible: BoolValue,
    /// `overwrite_cache`.
    pub overwrite_cache: bool,
    /// `envs`.
    pub envs: Envs,
    /// `execution_env_assignments`, kept as written.
    pub execution_env_assignments: Value,
}

attribute_file!(
    WorkflowExecutionConfigFile,
    MatchableResource::WorkflowExecutionConfig,
    |s, v| {
        v.field("max_parallelism", &mut s.max_parallelism);
        v.section("security_context", &mut s.security_context);
        v.section("raw_output_data_config", &mut s.raw_output_data_config);
        v.section("labels", &mut s.labels);
        v.section("annotations", &mut s.annotations);
        v.field("interruptible", &mut s.interruptible);
        v.field("overwrite_cache", &mut s.overwrite_cache);
        v.section("envs", &mut s.envs);
        v.field(
            "execution_env_assignments",
            &mut s.execution_env_assignments,
        );
    }
);
