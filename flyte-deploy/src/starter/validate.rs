//! Checking the inputs: each one required where its cloud needs it, valid for where it goes,
//! and none that means nothing on the cloud.

use crate::lint::{
    azure_account_problem, azure_container_problem, gcs_bucket_problem, has_placeholder,
    s3_bucket_problem,
};
use crate::model::Postgres;

use super::{Cloud, Starter, StarterError};

/// The validated inputs, with defaults filled in.
pub(super) struct Inputs {
    pub(super) bucket: String,
    pub(super) user_data_bucket: String,
    pub(super) db: Postgres,
}

fn invalid(input: &'static str, value: &str, reason: impl Into<String>) -> StarterError {
    StarterError::Invalid {
        input,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

impl Starter {
    fn require<'s>(
        &self,
        input: &'static str,
        value: &'s Option<String>,
    ) -> Result<&'s str, StarterError> {
        let value = value.as_deref().ok_or(StarterError::Missing {
            input,
            chart: self.chart,
            cloud: self.cloud,
        })?;
        check_text(input, value)?;
        Ok(value)
    }

    pub(super) fn validate(&self) -> Result<Inputs, StarterError> {
        let cloud = self.cloud;
        let given: [(&'static str, bool, &[Cloud]); 8] = [
            ("role_arn", self.role_arn.is_some(), &[Cloud::Aws]),
            ("region", self.region.is_some(), &[Cloud::Aws, Cloud::Minio]),
            ("project", self.project.is_some(), &[Cloud::Gcp]),
            (
                "gcp_service_account",
                self.gcp_service_account.is_some(),
                &[Cloud::Gcp],
            ),
            (
                "storage_account",
                self.storage_account.is_some(),
                &[Cloud::Azure],
            ),
            (
                "azure_client_id",
                self.azure_client_id.is_some(),
                &[Cloud::Azure],
            ),
            ("endpoint", self.endpoint.is_some(), &[Cloud::Minio]),
            (
                "access_key",
                self.access_key.is_some() || self.secret_key.is_some(),
                &[Cloud::Minio],
            ),
        ];
        if let Some((input, ..)) = given
            .iter()
            .find(|(_, set, clouds)| *set && !clouds.contains(&cloud))
        {
            return Err(StarterError::NotForCloud { input, cloud });
        }
        let bucket = self.require("bucket", &self.bucket)?.to_owned();
        let user_data_bucket = match &self.user_data_bucket {
            Some(b) => self
                .require("user_data_bucket", &Some(b.clone()))?
                .to_owned(),
            None => bucket.clone(),
        };
        for (input, name) in [("bucket", &bucket), ("user_data_bucket", &user_data_bucket)] {
            let problem = match cloud {
                Cloud::Aws | Cloud::Minio => s3_bucket_problem(name),
                Cloud::Gcp => gcs_bucket_problem(name),
                Cloud::Azure => azure_container_problem(name),
            };
            if let Some(problem) = problem {
                return Err(invalid(input, name, problem));
            }
        }
        match cloud {
            Cloud::Aws => {
                check_region(self.require("region", &self.region)?)?;
                check_role_arn(self.require("role_arn", &self.role_arn)?)?;
            }
            Cloud::Gcp => {
                check_project(self.require("project", &self.project)?)?;
                check_gsa(self.require("gcp_service_account", &self.gcp_service_account)?)?;
            }
            Cloud::Azure => {
                let account = self.require("storage_account", &self.storage_account)?;
                if let Some(problem) = azure_account_problem(account) {
                    return Err(invalid("storage_account", account, problem));
                }
                check_uuid(self.require("azure_client_id", &self.azure_client_id)?)?;
            }
            Cloud::Minio => {
                if let Some(region) = &self.region {
                    check_region(region)?;
                }
                let endpoint = self.require("endpoint", &self.endpoint)?;
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
                    || endpoint
                        .split_once("://")
                        .is_some_and(|(_, h)| h.is_empty())
                {
                    return Err(invalid(
                        "endpoint",
                        &flyte_config::redact_userinfo(endpoint),
                        "expected an http:// or https:// URL",
                    ));
                }
                let shown = flyte_config::redact_userinfo(endpoint);
                if shown != *endpoint {
                    return Err(invalid(
                        "endpoint",
                        &shown,
                        "carries user info: give the keys as access_key and secret_key",
                    ));
                }
                self.require("access_key", &self.access_key)?;
                match &self.secret_key {
                    Some(s) if !s.is_empty() => {
                        check_text("secret_key", s.expose()).map_err(|_| {
                            invalid("secret_key", "[redacted]", "has spaces or a placeholder")
                        })?
                    }
                    _ => {
                        return Err(StarterError::Missing {
                            input: "secret_key",
                            chart: self.chart,
                            cloud,
                        })
                    }
                }
            }
        }
        let host = self.require("db_host", &self.db_host)?;
        if self.db_port == Some(0) {
            return Err(invalid("db_port", "0", "a port is 1 to 65535"));
        }
        if self.db_password.is_some() && self.db_password_path.is_some() {
            return Err(StarterError::PasswordAndPath);
        }
        if let Some(path) = &self.db_password_path {
            check_text("db_password_path", path)?;
            if !path.starts_with('/') {
                return Err(invalid(
                    "db_password_path",
                    path,
                    "expected an absolute path in the pod",
                ));
            }
        }
        for (input, value) in [("db_name", &self.db_name), ("db_user", &self.db_user)] {
            if let Some(v) = value {
                check_text(input, v)?;
            }
        }
        let db = Postgres {
            host: Some(host.to_owned()),
            port: Some(i64::from(self.db_port.unwrap_or(5432))),
            username: Some(
                self.db_user
                    .clone()
                    .unwrap_or_else(|| "postgres".to_owned()),
            ),
            password: self.db_password.clone().filter(|p| !p.is_empty()),
            password_path: self.db_password_path.clone(),
            ..Postgres::default()
        };
        Ok(Inputs {
            bucket,
            user_data_bucket,
            db,
        })
    }
}

/// `Ok` when `ok`, else [`StarterError::Invalid`].
fn ensure(ok: bool, input: &'static str, value: &str, reason: &str) -> Result<(), StarterError> {
    if ok {
        Ok(())
    } else {
        Err(invalid(input, value, reason))
    }
}

/// Non-empty, no spaces, no starter-file placeholder.
fn check_text(input: &'static str, value: &str) -> Result<(), StarterError> {
    if value.is_empty() {
        Err(invalid(input, value, "it is empty"))
    } else if value.chars().any(char::is_whitespace) {
        Err(invalid(input, value, "it has spaces"))
    } else if has_placeholder(value) {
        Err(invalid(
            input,
            value,
            "it is a placeholder; give the real value",
        ))
    } else {
        Ok(())
    }
}

fn check_region(region: &str) -> Result<(), StarterError> {
    let ok = region.split('-').count() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region.ends_with(|c: char| c.is_ascii_digit());
    ensure(
        ok,
        "region",
        region,
        "expected a region code such as us-east-1",
    )
}

fn check_role_arn(arn: &str) -> Result<(), StarterError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(parts.as_slice(), [arn, partition, "iam", "", account, resource]
        if *arn == "arn"
            && partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|r| !r.is_empty()));
    ensure(
        ok,
        "role_arn",
        arn,
        "expected arn:aws:iam::ACCOUNT:role/NAME with a 12-digit account",
    )
}

fn check_project(project: &str) -> Result<(), StarterError> {
    let ok = (6..=30).contains(&project.len())
        && project.starts_with(|c: char| c.is_ascii_lowercase())
        && !project.ends_with('-')
        && project
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ensure(
        ok,
        "project",
        project,
        "a GCP project id is 6 to 30 of a-z, 0-9 and -, starting with a letter",
    )
}

fn check_gsa(email: &str) -> Result<(), StarterError> {
    let ok = email
        .split_once('@')
        .is_some_and(|(name, domain)| !name.is_empty() && domain.ends_with(".gserviceaccount.com"));
    ensure(
        ok,
        "gcp_service_account",
        email,
        "expected a Google service account email, NAME@PROJECT.iam.gserviceaccount.com",
    )
}

fn check_uuid(id: &str) -> Result<(), StarterError> {
    let groups: Vec<&str> = id.split('-').collect();
    let ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    ensure(ok, "azure_client_id", id, "expected a client id (a UUID)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Chart;

    #[test]
    fn inputs_are_checked_with_clear_errors() {
        let aws = || {
            Starter::new(Chart::FlyteBinary, Cloud::Aws)
                .bucket("acme-flyte")
                .region("us-east-1")
                .role_arn("arn:aws:iam::123456789012:role/flyte")
                .db_host("db.internal")
        };
        assert!(aws().values().is_ok());
        let err = |s: Starter| s.values().err().map(|e| e.to_string());
        assert_eq!(
            err(Starter::new(Chart::FlyteCore, Cloud::Gcp)),
            Some("bucket is required for flyte-core on gcp".to_owned())
        );
        assert!(err(aws().bucket("Acme_Flyte"))
            .is_some_and(|e| e.starts_with("bucket \"Acme_Flyte\" is not valid: ")));
        assert!(err(aws().bucket("<BUCKET_NAME>")).is_some_and(|e| e.contains("placeholder")));
        assert!(err(aws().region("US East")).is_some_and(|e| e.starts_with("region \"US East\"")));
        assert!(err(aws().role_arn("arn:aws:iam::1234:role/flyte"))
            .is_some_and(|e| e.contains("12-digit account")));
        assert_eq!(
            err(aws().project("my-project")),
            Some("project does not apply to aws".to_owned())
        );
        assert_eq!(
            aws()
                .db_password("p")
                .db_password_path("/etc/db/pass")
                .values()
                .err(),
            Some(StarterError::PasswordAndPath)
        );
        let minio = Starter::new(Chart::FlyteCore, Cloud::Minio)
            .bucket("flyte")
            .endpoint("minio:9000")
            .access_key("minio")
            .secret_key("hunter2")
            .db_host("postgres");
        assert!(err(minio).is_some_and(|e| e.contains("http:// or https://")));
        let with_userinfo = Starter::new(Chart::FlyteCore, Cloud::Minio)
            .bucket("flyte")
            .endpoint("http://minio:hunter2-in-url@minio:9000")
            .access_key("minio")
            .secret_key("hunter2")
            .db_host("postgres");
        let message = err(with_userinfo).unwrap_or_default();
        assert!(message.contains("user info"), "{message}");
        assert!(!message.contains("hunter2-in-url"), "{message}");
        let gcp = Starter::new(Chart::FlyteCore, Cloud::Gcp)
            .bucket("acme-flyte")
            .project("acme-prod")
            .gcp_service_account("flyte@acme-prod.iam.example.com")
            .db_host("10.0.0.3");
        assert!(err(gcp).is_some_and(|e| e.contains("gserviceaccount.com")));
    }
}
