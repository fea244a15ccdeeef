//! Task secrets: a task's `Secret(group, key)` is key `key` of the Kubernetes secret named
//! after `group` in the execution's namespace. Values go in and never come out: listing shows
//! names and keys, and nothing here prints, logs or returns a value.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::{Api, ListParams};

use crate::client::{Change, K8s, LABEL_MANAGED_BY, MANAGED_BY};
use crate::error::{Error, ObjectRef, Result};

/// The Kubernetes secret behind a task's `Secret(group, ...)`: named after the group, behind
/// `prefix` for deployments that namespace their task secrets by name (Flyte's deployment
/// docs show `flyte-secret-`); an empty prefix is the default Kubernetes secret manager's
/// plain group name. Lowercased, as secret names must be.
pub fn task_secret_name(prefix: &str, group: &str) -> String {
    format!("{prefix}{group}").to_ascii_lowercase()
}

/// A secret value; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Vec<u8>);

impl SecretValue {
    /// A value.
    pub fn new(bytes: impl Into<Vec<u8>>) -> SecretValue {
        SecretValue(bytes.into())
    }

    /// The most a file may hold for [`SecretValue::from_file`]: 1 MiB, the most a whole
    /// Kubernetes secret may hold (the API server refuses a larger one).
    pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

    /// The content of a file of at most [`SecretValue::MAX_FILE_BYTES`].
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the file when it cannot be read or is larger.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<SecretValue> {
        SecretValue::from_file_limited(path, SecretValue::MAX_FILE_BYTES)
    }

    /// The content of a file of at most `max_bytes`. Never reads more than that (plus one
    /// byte, to tell), so a device or a huge file costs no more memory than the limit.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the file when it cannot be read or is larger than `max_bytes`
    /// (the message gives the limit, never the content).
    pub fn from_file_limited(
        path: impl AsRef<std::path::Path>,
        max_bytes: u64,
    ) -> Result<SecretValue> {
        let path = path.as_ref();
        let unreadable = |e: std::io::Error| Error::Invalid {
            message: path.display().to_string(),
            source: Some(Box::new(e)),
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(unreadable)?
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max_bytes {
            return Err(Error::invalid(format!(
                "{}: larger than {max_bytes} bytes, the most a secret value may hold here",
                path.display()
            )));
        }
        Ok(SecretValue(bytes))
    }

    /// The value of an environment variable.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the variable when it is not set.
    pub fn from_env(name: &str) -> Result<SecretValue> {
        std::env::var_os(name)
            .map(|v| SecretValue(v.into_encoded_bytes()))
            .ok_or_else(|| Error::invalid(format!("environment variable {name} is not set")))
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue(<{} bytes>)", self.0.len())
    }
}

/// What listing shows of a secret: never its values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretInfo {
    /// The secret's name (the task's secret group).
    pub name: String,
    /// Its keys.
    pub keys: Vec<String>,
    /// Whether flyte-rs manages it.
    pub managed: bool,
}

fn check_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "secret key {key:?}: use letters, digits, '-', '_' and '.'"
        )))
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "secret name {name:?}: lowercase letters, digits, '-' and '.', starting and ending alphanumeric"
        )))
    }
}

impl K8s {
    /// Creates or updates secret `name` (a task's secret group) in `namespace` with exactly
    /// `data`'s keys. A secret that already holds exactly these is not written.
    ///
    /// # Errors
    /// [`Error::Invalid`] for bad names, keys or no data, before any call; the API's errors.
    pub async fn apply_secret(
        &self,
        namespace: &str,
        name: &str,
        data: &BTreeMap<String, SecretValue>,
    ) -> Result<Change> {
        check_name(name)?;
        if data.is_empty() {
            return Err(Error::invalid(format!("secret {name}: no keys given")));
        }
        for key in data.keys() {
            check_key(key)?;
        }
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let bytes: BTreeMap<String, ByteString> = data
            .iter()
            .map(|(k, v)| (k.clone(), ByteString(v.0.clone())))
            .collect();
        let desired = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.to_owned()),
                labels: Some(BTreeMap::from([(
                    LABEL_MANAGED_BY.to_owned(),
                    MANAGED_BY.to_owned(),
                )])),
                ..Default::default()
            },
            data: Some(bytes.clone()),
            type_: Some("Opaque".to_owned()),
            ..Default::default()
        };
        self.apply(
            &api,
            ObjectRef::new("secret", Some(namespace), name),
            &desired,
            |c| c.data.as_ref() == Some(&bytes),
        )
        .await
    }

    /// The secrets of `namespace`: names and keys, never values. Service-account tokens and
    /// Helm's release secrets are left out.
    ///
    /// # Errors
    /// The API's errors.
    pub async fn list_secrets(&self, namespace: &str) -> Result<Vec<SecretInfo>> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let list = self
            .list_all(
                &api,
                ListParams::default(),
                ObjectRef::new("secret", Some(namespace), ""),
            )
            .await?;
        let mut out: Vec<SecretInfo> = list
            .into_iter()
            .filter(|s| {
                !matches!(
                    s.type_.as_deref(),
                    Some("kubernetes.io/service-account-token" | "helm.sh/release.v1")
                )
            })
            .filter_map(|s| {
                let managed = s
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(LABEL_MANAGED_BY))
                    .is_some_and(|v| v == MANAGED_BY);
                let mut keys: Vec<String> = s.data.unwrap_or_default().into_keys().collect();
                keys.extend(s.string_data.unwrap_or_default().into_keys());
                keys.sort();
                keys.dedup();
                Some(SecretInfo {
                    name: s.metadata.name?,
                    keys,
                    managed,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Deletes secret `name` from `namespace`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such secret; the API's errors.
    pub async fn delete_secret(&self, namespace: &str, name: &str) -> Result<Change> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let object = ObjectRef::new("secret", Some(namespace), name);
        self.delete(&api, object.clone())
            .await?
            .ok_or(Error::NotFound {
                object,
                source: None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_file_larger_than_a_secret_may_hold_is_refused_without_its_content() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("big");
        let limit = usize::try_from(SecretValue::MAX_FILE_BYTES)?;
        let content = "hunter2-".repeat(limit / 8 + 1);
        std::fs::write(&path, &content)?;
        let e = SecretValue::from_file(&path).expect_err("over 1 MiB");
        let text = format!("{e} {e:?}");
        assert!(e.is_invalid(), "{e:?}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("larger than 1048576 bytes"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");

        std::fs::write(&path, &content[..limit])?;
        let v = SecretValue::from_file(&path)?;
        assert_eq!(v.0.len(), limit, "exactly the limit is accepted");

        let e = SecretValue::from_file_limited(&path, 10).expect_err("over 10 bytes");
        assert!(e.to_string().contains("larger than 10 bytes"), "{e}");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_device_is_refused_after_the_limit() {
        let e = SecretValue::from_file("/dev/zero").expect_err("endless");
        assert!(e.to_string().starts_with("/dev/zero: larger than"), "{e}");
    }
}
