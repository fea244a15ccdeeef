//! Owned, typed models of the flyte-binary and flyte-core values and of the Flyte config
//! sections they carry, read from flyte-config's positioned YAML and written back as YAML.
//!
//! Every level keeps the keys it does not name in an [`Extra`], so reading a file and writing
//! it back never drops a key. Fields are `Option`s: `None` is "not written", which for a
//! values file means "the chart's default stays". Lists keep `Some(vec![])` apart from `None`
//! because Helm replaces a default list with an empty one.

mod binary;
mod core;
mod flyte;
pub(crate) mod node;

use std::fmt;

use flyte_config::{NodeRef, Value};

pub use self::binary::{
    AzureProviderConfig, BinaryAuth, BinaryConfiguration, BinaryDatabase, BinaryIngress,
    BinaryStorage, CoreComponents, DataCatalogComponent, FlyteBinaryValues, GcsProviderConfig,
    InternalClient, Oidc, ProviderConfig, S3ProviderConfig, ServiceAccount,
};
pub use self::core::{
    ChartToggle, CoreCommon, CoreConfigmap, CoreDatabases, CoreDbEntry, CoreGcs, CoreIngress,
    CoreS3, CoreService, CoreStorage, FlyteCoreValues,
};
pub use self::flyte::{
    AdminAuth, AgentService, AppAuth, AwsSettings, CatalogCache, ClusterAuth, ClusterConfig,
    ClusterResources, ClusterWeight, Clusters, ConnectorDeployment, ConnectorService,
    DatabaseConfig, ExternalAuthServer, FlyteConfig, GcpSettings, K8sPlugin, LabelClusterMap,
    Notifications, NotificationsProcessor, NotificationsPublisher, OpenId, Plugins, Postgres,
    SecretsConfig, ServerConfig, ServerSecurity, StorageConfig, StorageConnection, Stow,
    TaskPluginsConfig, TaskTypeDefaults, TaskTypeDefaultsForm, Tasks, UserAuth,
};

use crate::Chart;
use node::{Out, Reader, Section};

/// Why a values file or Flyte config could not be read into the model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not YAML (or is over flyte-config's size, depth or alias limits).
    #[error("not valid YAML")]
    Yaml(#[source] flyte_config::Error),
    /// A key holds a value of the wrong kind (a list where a mapping belongs, text where a
    /// number does).
    #[error("{line}:{column}: {path}: expected {expected}")]
    WrongType {
        /// The dotted path of the key (`configuration.database.port`).
        path: String,
        /// What the model expects there.
        expected: &'static str,
        /// 1-based line of the value.
        line: usize,
        /// 1-based column of the value.
        column: usize,
    },
}

impl Error {
    fn wrong_type(path: &str, expected: &'static str, at: NodeRef<'_>) -> Error {
        Error::WrongType {
            path: path.to_owned(),
            expected,
            line: at.line(),
            column: at.column(),
        }
    }
}

/// The keys of one mapping that the model does not name, in file order, kept as written.
///
/// `Debug` redacts the values of keys that name a secret (`*password*`, `*passwd*`,
/// `*secret*`, `*token*`, `*credential*`, `*dsn*`, `*private*`, `*key`, `*_pat`, `*auth`) and
/// the user info of URLs, at any depth.
#[derive(Clone, Default, PartialEq)]
pub struct Extra(Vec<(String, Value)>);

impl Extra {
    /// No keys.
    pub fn new() -> Extra {
        Extra::default()
    }

    /// The value of `key`, when there is one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` (replacing an entry of that name, else adding one at the end).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        let (key, value) = (key.into(), value.into());
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Every key and value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, Value)> for Extra {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Extra(iter.into_iter().collect())
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, redacted(k, v))))
            .finish()
    }
}

/// Whether a key names a secret, by the names Flyte and the charts use.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
        "dsn",
        "private",
    ]
    .iter()
    .any(|word| key.contains(word))
        || key.ends_with("key")
        || key.ends_with("_pat")
        || key.ends_with("auth")
}

/// `value` for printing: secret-named keys at any depth show `[redacted]`, and a URL's
/// `user:password@` (a `DATABASE_URL` in `default-env-vars`) is redacted under any key.
fn redacted(key: &str, value: &Value) -> Value {
    match value {
        _ if is_secret_key(key) && !matches!(value, Value::Null | Value::Map(_)) => {
            Value::String("[redacted]".to_owned())
        }
        Value::String(text) if text.contains("://") => {
            Value::String(flyte_config::redact_userinfo(text))
        }
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), redacted(k, v)))
                .collect(),
        ),
        Value::List(items) => Value::List(items.iter().map(|v| redacted(key, v)).collect()),
        other => other.clone(),
    }
}

/// One field of a section whose YAML has more than one shape.
pub(crate) trait Field: Sized {
    fn read(node: NodeRef<'_>, path: &str) -> Result<Self, Error>;
    fn to_value(&self) -> Value;
}

/// Declares a section: its struct (with `extra`), how it is read and how it is written.
macro_rules! section {
    (@ty string) => { Option<String> };
    (@ty secret) => { Option<flyte_config::Secret> };
    (@ty bool) => { Option<bool> };
    (@ty int) => { Option<i64> };
    (@ty strings) => { Option<Vec<String>> };
    (@ty string_map) => { Option<Vec<(String, String)>> };
    (@ty value) => { Option<flyte_config::Value> };
    (@ty section $t:ty) => { Option<$t> };
    (@ty named $t:ty) => { Option<Vec<(String, $t)>> };
    (@ty list $t:ty) => { Option<Vec<$t>> };
    (@ty field $t:ty) => { Option<$t> };
    (@read $r:ident string $k:literal) => { $r.string($k)? };
    (@read $r:ident secret $k:literal) => { $r.string($k)?.map(flyte_config::Secret::new) };
    (@read $r:ident bool $k:literal) => { $r.bool($k)? };
    (@read $r:ident int $k:literal) => { $r.int($k)? };
    (@read $r:ident strings $k:literal) => { $r.strings($k)? };
    (@read $r:ident string_map $k:literal) => { $r.string_map($k)? };
    (@read $r:ident value $k:literal) => { $r.value($k) };
    (@read $r:ident section $k:literal $t:ty) => { $r.section::<$t>($k)? };
    (@read $r:ident named $k:literal $t:ty) => { $r.named::<$t>($k)? };
    (@read $r:ident list $k:literal $t:ty) => { $r.list::<$t>($k)? };
    (@read $r:ident field $k:literal $t:ty) => {
        match $r.node($k) {
            Some((node, path)) => Some(<$t as $crate::model::Field>::read(node, &path)?),
            None => None,
        }
    };
    (@write $o:ident string $k:literal $v:expr) => { $o.string($k, $v) };
    (@write $o:ident secret $k:literal $v:expr) => {
        $o.string($k, &$v.as_ref().map(|s| s.expose().to_owned()))
    };
    (@write $o:ident bool $k:literal $v:expr) => { $o.bool($k, *$v) };
    (@write $o:ident int $k:literal $v:expr) => { $o.int($k, *$v) };
    (@write $o:ident strings $k:literal $v:expr) => { $o.strings($k, $v) };
    (@write $o:ident string_map $k:literal $v:expr) => { $o.string_map($k, $v) };
    (@write $o:ident value $k:literal $v:expr) => { $o.value($k, $v.clone()) };
    (@write $o:ident section $k:literal $v:expr) => { $o.section($k, $v) };
    (@write $o:ident named $k:literal $v:expr) => { $o.named($k, $v) };
    (@write $o:ident list $k:literal $v:expr) => { $o.list($k, $v) };
    (@write $o:ident field $k:literal $v:expr) => {
        $o.value($k, $v.as_ref().map($crate::model::Field::to_value))
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident: $kind:ident $(($t:ty))? = $key:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: section!(@ty $kind $($t)?),
            )*
            /// Keys this model does not name, kept as written.
            pub extra: $crate::model::Extra,
        }

        impl $crate::model::node::Section for $name {
            fn read(
                r: &mut $crate::model::node::Reader<'_>,
            ) -> Result<Self, $crate::model::Error> {
                Ok($name {
                    $($field: section!(@read r $kind $key $($t)?),)*
                    extra: r.extra(),
                })
            }

            fn write(&self, out: &mut $crate::model::node::Out) {
                $(section!(@write out $kind $key &self.$field);)*
                out.extra(&self.extra);
            }
        }
    };
}
pub(crate) use section;

/// Reads a whole document into section `T`.
fn read_document<T: Section + Default>(text: &str) -> Result<T, Error> {
    let doc = flyte_config::Document::parse(text).map_err(Error::Yaml)?;
    match doc.root() {
        Some(root) => read_node(root),
        None => Ok(T::default()),
    }
}

/// Reads section `T` from a node of a positioned document.
pub(crate) fn read_node<T: Section>(node: NodeRef<'_>) -> Result<T, Error> {
    T::read(&mut Reader::new(node, "")?)
}

/// Writes section `T` as YAML, with `comments` (dotted path, lines) above their keys.
fn write_document<T: Section>(section: &T, comments: &[(String, Vec<String>)]) -> String {
    let mut out = Out::default();
    section.write(&mut out);
    for (path, lines) in comments {
        out.comment(path, lines);
    }
    out.render()
}

/// Implements the read and write entry points of a top-level model.
macro_rules! document {
    ($name:ident, $what:literal) => {
        impl $name {
            #[doc = concat!("Reads ", $what, " from YAML text.")]
            ///
            /// # Errors
            /// [`Error::Yaml`](crate::ModelError::Yaml) when the text is not YAML,
            /// [`Error::WrongType`](crate::ModelError::WrongType) with the line and column of
            /// a value of the wrong kind.
            pub fn read(text: &str) -> Result<Self, $crate::model::Error> {
                $crate::model::read_document(text)
            }

            #[doc = concat!("Reads ", $what, " from a node of a positioned document.")]
            ///
            /// # Errors
            /// [`Error::WrongType`](crate::ModelError::WrongType), as for `read`.
            pub fn from_node(
                node: flyte_config::NodeRef<'_>,
            ) -> Result<Self, $crate::model::Error> {
                $crate::model::read_node(node)
            }

            /// Writes it back as block YAML: known keys first, then the kept unknown ones.
            pub fn to_yaml(&self) -> String {
                $crate::model::write_document(self, &[])
            }
        }
    };
}
document!(FlyteBinaryValues, "flyte-binary values");
document!(FlyteCoreValues, "flyte-core values");
document!(FlyteConfig, "a Flyte config file (or a section of one)");

/// The values of either chart.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChartValues {
    /// flyte-binary values (boxed: the models are large).
    FlyteBinary(Box<FlyteBinaryValues>),
    /// flyte-core values (boxed: the models are large).
    FlyteCore(Box<FlyteCoreValues>),
}

impl ChartValues {
    /// Reads a values file of `chart`.
    ///
    /// # Errors
    /// As [`FlyteBinaryValues::read`].
    pub fn read(chart: Chart, text: &str) -> Result<ChartValues, Error> {
        Ok(match chart {
            Chart::FlyteBinary => {
                ChartValues::FlyteBinary(Box::new(FlyteBinaryValues::read(text)?))
            }
            Chart::FlyteCore => ChartValues::FlyteCore(Box::new(FlyteCoreValues::read(text)?)),
        })
    }

    /// The chart these values are for.
    pub fn chart(&self) -> Chart {
        match self {
            ChartValues::FlyteBinary(_) => Chart::FlyteBinary,
            ChartValues::FlyteCore(_) => Chart::FlyteCore,
        }
    }

    /// The values as block YAML.
    pub fn to_yaml(&self) -> String {
        self.to_yaml_with_comments(&[])
    }

    /// The values as block YAML with `comments` (a dotted key path and its lines) above the
    /// keys they name; a comment whose key is not written is left out.
    pub fn to_yaml_with_comments(&self, comments: &[(String, Vec<String>)]) -> String {
        match self {
            ChartValues::FlyteBinary(v) => write_document(v.as_ref(), comments),
            ChartValues::FlyteCore(v) => write_document(v.as_ref(), comments),
        }
    }
}
