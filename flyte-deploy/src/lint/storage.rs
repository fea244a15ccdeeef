//! Storage rules: flyte-binary's `configuration.storage` and flyte-core's `storage`.

use flyte_config::NodeRef;

use super::{at, entry, has_placeholder, is_true, text, Context};
use crate::{Chart, Rule, Severity};

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    match cx.chart {
        Chart::FlyteBinary => binary(cx, root),
        Chart::FlyteCore => core(cx, root),
    }
}

fn binary(cx: &mut Context, root: NodeRef<'_>) {
    let Some(storage) = at(root, "configuration.storage") else {
        return;
    };
    let base = "configuration.storage";
    let provider = text(storage, "provider").unwrap_or("s3");
    if let Some((_, node)) = entry(storage, "provider") {
        // The chart's own values carry example gcs and azure settings, so a missing section
        // does not fail the install: it silently uses the example project or account.
        let needed = match provider {
            "gcs" => Some("providerConfig.gcs.project"),
            "azure" => Some("providerConfig.azure.account"),
            _ => None,
        };
        if let Some(needed) = needed.filter(|n| text(storage, n).is_none()) {
            cx.push(
                Rule::StorageProviderConfigMissing,
                Severity::Error,
                &format!("{base}.provider"),
                node,
                format!(
                    "provider is {provider} but {base}.{needed} is not set; the chart falls \
                     back to its example value"
                ),
            );
        }
    }
    if let Some(s3) = at(storage, "providerConfig.s3").filter(|_| provider == "s3") {
        s3_keys(cx, s3, &format!("{base}.providerConfig.s3"));
        if let Some((_, endpoint)) = entry(s3, "endpoint") {
            endpoint_scheme(cx, s3, endpoint, &format!("{base}.providerConfig.s3"));
        }
    }
    for key in ["metadataContainer", "userDataContainer"] {
        if let Some((_, node)) = entry(storage, key) {
            bucket(cx, provider, node, &format!("{base}.{key}"));
        }
    }
    if provider == "azure" {
        if let Some((_, node)) = entry(storage, "providerConfig.azure.account") {
            bucket(
                cx,
                "azure-account",
                node,
                &format!("{base}.providerConfig.azure.account"),
            );
        }
    }
}

fn core(cx: &mut Context, root: NodeRef<'_>) {
    let Some(storage) = at(root, "storage") else {
        return;
    };
    let kind = text(storage, "type").unwrap_or("sandbox");
    if let Some((_, node)) = entry(storage, "type") {
        // The chart's defaults fill storage.s3; storage.gcs defaults to nothing at all.
        let section = (kind == "gcs").then_some("gcs.projectId");
        if let Some(section) = section.filter(|s| text(storage, s).is_none()) {
            cx.push(
                Rule::StorageProviderConfigMissing,
                Severity::Error,
                "storage.type",
                node,
                format!("storage type is {kind} but storage.{section} is not set"),
            );
        }
    }
    if let Some(s3) = at(storage, "s3").filter(|_| kind == "s3") {
        s3_keys(cx, s3, "storage.s3");
    }
    if let Some((_, node)) = entry(storage, "bucketName").filter(|_| kind != "custom") {
        bucket(cx, kind, node, "storage.bucketName");
    }
}

fn s3_keys(cx: &mut Context, s3: NodeRef<'_>, base: &str) {
    let Some((_, auth)) = entry(s3, "authType") else {
        return;
    };
    if auth.as_scalar() == Some("accesskey")
        && (text(s3, "accessKey").is_none() || text(s3, "secretKey").is_none())
    {
        cx.push(
            Rule::StorageAccessKeyWithoutKeys,
            Severity::Error,
            &format!("{base}.authType"),
            auth,
            "authType is accesskey but accessKey and secretKey are not both set".to_owned(),
        );
    }
}

fn endpoint_scheme(cx: &mut Context, s3: NodeRef<'_>, endpoint: NodeRef<'_>, base: &str) {
    let url = endpoint.as_scalar().unwrap_or_default();
    let disable_ssl = is_true(s3, "disableSSL");
    let message = if url.starts_with("http://") && !disable_ssl {
        "the endpoint is plain http but disableSSL is false; set disableSSL: true"
    } else if url.starts_with("https://") && disable_ssl {
        "the endpoint is https but disableSSL is true; set disableSSL: false"
    } else {
        return;
    };
    cx.push(
        Rule::StorageEndpointScheme,
        Severity::Warning,
        &format!("{base}.endpoint"),
        endpoint,
        message.to_owned(),
    );
}

/// Checks a bucket (S3, GCS), container or account (Azure) name against the provider's rules.
fn bucket(cx: &mut Context, provider: &str, node: NodeRef<'_>, path: &str) {
    // Placeholders have their own rule; `{{ ... }}` is rendered by Helm's tpl before use.
    let Some(name) = node
        .as_scalar()
        .filter(|n| !n.is_empty() && !has_placeholder(n) && !n.contains("{{"))
    else {
        return;
    };
    let problem = match provider {
        "s3" => s3_bucket_problem(name),
        "gcs" => gcs_bucket_problem(name),
        "azure" => azure_container_problem(name),
        "azure-account" => azure_account_problem(name),
        _ => None,
    };
    if let Some(problem) = problem {
        cx.push(
            Rule::StorageBucketName,
            Severity::Error,
            path,
            node,
            format!("{name:?} is not a valid {provider} name: {problem}"),
        );
    }
}

fn edges_alphanumeric(name: &str) -> bool {
    let ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    ok(name.chars().next()) && ok(name.chars().last())
}

/// S3's bucket naming rules.
pub(crate) fn s3_bucket_problem(name: &str) -> Option<&'static str> {
    if !(3..=63).contains(&name.len()) {
        Some("it must be 3 to 63 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        Some("only lowercase letters, digits, dots and hyphens are allowed")
    } else if !edges_alphanumeric(name) {
        Some("it must begin and end with a letter or digit")
    } else if name.contains("..") {
        Some("two dots may not be adjacent")
    } else if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        Some("it may not look like an IP address")
    } else {
        None
    }
}

/// Cloud Storage's bucket naming rules.
pub(crate) fn gcs_bucket_problem(name: &str) -> Option<&'static str> {
    let max = if name.contains('.') { 222 } else { 63 };
    if name.len() < 3 || name.len() > max || name.split('.').any(|p| p.len() > 63) {
        Some("it must be 3 to 63 characters long (222 with dots, 63 between dots)")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' || c == '_')
    {
        Some("only lowercase letters, digits, dots, hyphens and underscores are allowed")
    } else if !edges_alphanumeric(name) {
        Some("it must begin and end with a letter or digit")
    } else if name.starts_with("goog") {
        Some("it may not begin with \"goog\"")
    } else {
        None
    }
}

/// Azure Blob Storage's container naming rules.
pub(crate) fn azure_container_problem(name: &str) -> Option<&'static str> {
    if !(3..=63).contains(&name.len()) {
        Some("it must be 3 to 63 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("only lowercase letters, digits and hyphens are allowed")
    } else if !edges_alphanumeric(name) {
        Some("it must begin and end with a letter or digit")
    } else if name.contains("--") {
        Some("two hyphens may not be adjacent")
    } else {
        None
    }
}

/// Azure storage account naming rules.
pub(crate) fn azure_account_problem(name: &str) -> Option<&'static str> {
    if !(3..=24).contains(&name.len()) {
        Some("it must be 3 to 24 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        Some("only lowercase letters and digits are allowed")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_each_provider() {
        assert_eq!(s3_bucket_problem("my-organization-flyte-container"), None);
        assert!(s3_bucket_problem("My_Bucket").is_some());
        assert!(s3_bucket_problem("a..b").is_some());
        assert!(s3_bucket_problem("192.168.1.1").is_some());
        assert_eq!(gcs_bucket_problem("my_bucket"), None);
        assert!(gcs_bucket_problem("google-things").is_some());
        assert_eq!(azure_container_problem("flyte-data"), None);
        assert!(azure_container_problem("flyte--data").is_some());
        assert_eq!(azure_account_problem("flytestorage01"), None);
        assert!(azure_account_problem("storage-account-name").is_some());
    }
}
