//! Tenancy and secrets through a kubeconfig that points at the test kit's mock Kubernetes API.

use std::collections::BTreeMap;

use flyte_k8s::{Action, Error, LimitDefaults, Quota, SecretValue, ServiceAccountSpec, Tenant};
use flyte_testkit::MockKube;
use serde_json::json;

mod common;
use common::connect;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn team() -> Tenant {
    Tenant::new("ml-team", ["development", "production"])
        .label("cost-center", "42")
        .quota(Quota::new().cpu("64").memory("256Gi").gpu("4"))
        .limits(
            LimitDefaults::new()
                .default_cpu("500m")
                .default_memory("1Gi")
                .max_memory("64Gi"),
        )
        .service_account(
            ServiceAccountSpec::new("default").eks_role("arn:aws:iam::123456789012:role/ml-team"),
        )
}

fn actions(changes: &[flyte_k8s::Change]) -> Vec<(String, Action)> {
    changes
        .iter()
        .map(|c| (c.object.to_string(), c.action))
        .collect()
}

#[tokio::test]
async fn a_tenant_gets_its_namespaces_quota_limits_and_identity_once() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    let changes = k8s.ensure_tenant(&team()).await?;
    assert_eq!(
        actions(&changes),
        [
            ("namespace ml-team-development".to_owned(), Action::Created),
            (
                "resourcequota ml-team-development/project-quota".to_owned(),
                Action::Created
            ),
            (
                "limitrange ml-team-development/project-limits".to_owned(),
                Action::Created
            ),
            (
                "serviceaccount ml-team-development/default".to_owned(),
                Action::Created
            ),
            ("namespace ml-team-production".to_owned(), Action::Created),
            (
                "resourcequota ml-team-production/project-quota".to_owned(),
                Action::Created
            ),
            (
                "limitrange ml-team-production/project-limits".to_owned(),
                Action::Created
            ),
            (
                "serviceaccount ml-team-production/default".to_owned(),
                Action::Created
            ),
        ]
    );
    let ns = kube
        .object("Namespace", "", "ml-team-production")
        .ok_or("no namespace")?;
    assert_eq!(ns["metadata"]["labels"]["flyte.org/project"], "ml-team");
    assert_eq!(ns["metadata"]["labels"]["flyte.org/domain"], "production");
    assert_eq!(ns["metadata"]["labels"]["cost-center"], "42");
    let quota = kube
        .object("ResourceQuota", "ml-team-development", "project-quota")
        .ok_or("no quota")?;
    assert_eq!(
        quota["spec"]["hard"],
        json!({"limits.cpu": "64", "limits.memory": "256Gi", "requests.nvidia.com/gpu": "4"})
    );
    let limits = kube
        .object("LimitRange", "ml-team-development", "project-limits")
        .ok_or("no limits")?;
    assert_eq!(limits["spec"]["limits"][0]["default"]["cpu"], "500m");
    assert_eq!(limits["spec"]["limits"][0]["max"]["memory"], "64Gi");
    let sa = kube
        .object("ServiceAccount", "ml-team-development", "default")
        .ok_or("no service account")?;
    assert_eq!(
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::123456789012:role/ml-team"
    );

    // Again: everything already says so, and nothing is written.
    let writes = kube.writes();
    let again = k8s.ensure_tenant(&team()).await?;
    assert!(
        again.iter().all(|c| c.action == Action::Unchanged),
        "{again:?}"
    );
    assert_eq!(kube.writes(), writes);

    // A bigger quota touches only the quotas.
    let bigger = team().quota(Quota::new().cpu("128").memory("256Gi").gpu("4"));
    let changed: Vec<_> = k8s
        .ensure_tenant(&bigger)
        .await?
        .into_iter()
        .filter(|c| c.action != Action::Unchanged)
        .map(|c| (c.object.kind, c.action))
        .collect();
    assert_eq!(
        changed,
        [
            ("resourcequota", Action::Updated),
            ("resourcequota", Action::Updated)
        ]
    );
    Ok(())
}

#[tokio::test]
async fn what_a_tenant_no_longer_says_is_removed_and_what_others_added_stays() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    let tenant = |tier: Option<&str>, annotations: &[(&str, &str)]| {
        let mut sa = ServiceAccountSpec::new("default");
        for (k, v) in annotations {
            sa = sa.annotation(*k, *v);
        }
        let mut t = Tenant::new("ml-team", ["development"])
            .label("cost-center", "42")
            .service_account(sa);
        if let Some(tier) = tier {
            t = t.label("tier", tier);
        }
        t
    };
    k8s.ensure_tenant(&tenant(Some("gold"), &[("a", "1"), ("b", "2")]))
        .await?;
    // Another writer labels the namespace; that label is not flyte-rs's to remove.
    let mut ns = kube
        .object("Namespace", "", "ml-team-development")
        .ok_or("no namespace")?;
    ns["metadata"]["labels"]["owner"] = json!("platform");
    kube.insert(ns);

    let changes = k8s.ensure_tenant(&tenant(None, &[("a", "1")])).await?;
    let changed: Vec<_> = changes
        .iter()
        .filter(|c| c.action != Action::Unchanged)
        .map(|c| (c.object.kind, c.action))
        .collect();
    assert_eq!(
        changed,
        [
            ("namespace", Action::Updated),
            ("serviceaccount", Action::Updated)
        ],
        "a label or annotation dropped is a change, though what remains is all there"
    );
    let ns = kube
        .object("Namespace", "", "ml-team-development")
        .ok_or("no namespace")?;
    let labels = &ns["metadata"]["labels"];
    assert_eq!(labels.get("tier"), None, "{labels}");
    assert_eq!(labels["owner"], "platform");
    assert_eq!(labels["cost-center"], "42");
    let sa = kube
        .object("ServiceAccount", "ml-team-development", "default")
        .ok_or("no service account")?;
    assert_eq!(sa["metadata"]["annotations"], json!({"a": "1"}));

    // And then it says so: nothing more to write.
    let again = k8s.ensure_tenant(&tenant(None, &[("a", "1")])).await?;
    assert!(
        again.iter().all(|c| c.action == Action::Unchanged),
        "{again:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_dry_run_reports_and_keeps_nothing() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?.dry_run(true);
    let changes = k8s.ensure_tenant(&team()).await?;
    assert_eq!(changes.len(), 8);
    assert_eq!(
        changes[0].to_string(),
        "namespace ml-team-development: would create"
    );
    assert_eq!(
        changes[1].to_string(),
        "resourcequota ml-team-development/project-quota: would create"
    );
    assert!(changes
        .iter()
        .all(|c| c.dry_run && c.action == Action::Created));
    assert!(kube
        .object("Namespace", "", "ml-team-development")
        .is_none());
    assert!(kube.objects("ResourceQuota").is_empty());
    assert!(kube
        .requests()
        .iter()
        .filter(|(m, _)| m != "GET")
        .all(|(_, p)| p.contains("dryRun=All")));
    Ok(())
}

#[tokio::test]
async fn namespace_templates_and_bad_input() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    let t = Tenant::new("ml", ["staging"]).namespace_template("{{domain}}-{{ project }}-flyte");
    assert_eq!(
        t.namespaces()?,
        [("staging".to_owned(), "staging-ml-flyte".to_owned())]
    );

    for (tenant, says) in [
        (
            Tenant::new("ML_Team", ["development"]),
            "project \"ML_Team\"",
        ),
        (Tenant::new("ml", Vec::<String>::new()), "no domains"),
        (
            Tenant::new("ml", ["development"]).quota(Quota::new().memory("lots")),
            "quota limits.memory \"lots\" is not a Kubernetes quantity",
        ),
    ] {
        let e = k8s.ensure_tenant(&tenant).await.expect_err("bad input");
        assert!(
            matches!(e, Error::Invalid { .. }) && e.to_string().contains(says),
            "{e}"
        );
    }
    assert!(
        kube.requests().is_empty(),
        "bad input is refused before any call"
    );
    Ok(())
}

#[tokio::test]
async fn tenants_are_listed_and_removed_and_nothing_else_is_touched() -> TestResult {
    let kube = MockKube::start().await?;
    kube.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-team-legacy", "labels": {"flyte.org/project": "ml-team"}}}));
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    k8s.ensure_tenant(&team()).await?;
    k8s.ensure_tenant(&Tenant::new("other", ["development"]))
        .await?;
    let mine: Vec<String> = k8s
        .list_tenants(Some("ml-team"))
        .await?
        .into_iter()
        .map(|t| format!("{}:{}:{}", t.namespace, t.project, t.domain))
        .collect();
    assert_eq!(
        mine,
        [
            "ml-team-development:ml-team:development",
            "ml-team-production:ml-team:production"
        ]
    );
    assert_eq!(k8s.list_tenants(None).await?.len(), 3);
    let removed = k8s.remove_tenant("ml-team").await?;
    assert_eq!(removed.len(), 2);
    assert!(kube
        .object("Namespace", "", "ml-team-development")
        .is_none());
    assert!(kube
        .object("ResourceQuota", "ml-team-development", "project-quota")
        .is_none());
    assert!(
        kube.object("Namespace", "", "ml-team-legacy").is_some(),
        "not ours"
    );
    assert!(kube.object("Namespace", "", "other-development").is_some());
    Ok(())
}

#[tokio::test]
async fn a_field_another_manager_took_is_a_conflict_unless_forced() -> TestResult {
    use k8s_openapi::api::core::v1::ResourceQuota;
    use kube::api::{Api, Patch, PatchParams};
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    k8s.ensure_tenant(&team()).await?;
    // Someone raises the CPU quota with `kubectl apply --server-side --force-conflicts`.
    let quotas: Api<ResourceQuota> = Api::namespaced(k8s.client().clone(), "ml-team-development");
    let theirs = json!({
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": "project-quota"},
        "spec": {"hard": {"limits.cpu": "96"}},
    });
    quotas
        .patch(
            "project-quota",
            &PatchParams::apply("kubectl").force(),
            &Patch::Apply(&theirs),
        )
        .await?;

    let quota = || kube.object("ResourceQuota", "ml-team-development", "project-quota");
    let before = quota();
    let e = k8s.ensure_tenant(&team()).await.expect_err("conflict");
    let text = e.to_string();
    assert!(matches!(e, Error::Conflict { .. }), "{e:?}");
    assert!(
        text.starts_with("resourcequota ml-team-development/project-quota: ")
            && text.contains("conflict with \"kubectl\"")
            && text.contains(".spec.hard.limits.cpu"),
        "names the object, the other manager and the field: {text}"
    );
    assert_eq!(quota(), before, "nothing written");

    // Forced, the tenant's value wins and the field is flyte-rs's again.
    let changes = k8s.force_conflicts(true).ensure_tenant(&team()).await?;
    assert!(changes
        .iter()
        .any(|c| c.object.kind == "resourcequota" && c.action == Action::Updated));
    let quota = quota().ok_or("no quota")?;
    assert_eq!(quota["spec"]["hard"]["limits.cpu"], "64");
    let owners: Vec<&str> = quota["metadata"]["managedFields"]
        .as_array()
        .ok_or("no managed fields")?
        .iter()
        .filter(|m| !m["fieldsV1"]["f:spec"]["f:hard"]["f:limits.cpu"].is_null())
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(owners, ["flyte-rs"]);
    Ok(())
}

#[tokio::test]
async fn rbac_denials_and_conflicts_name_the_object() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    kube.deny("patch", "resourcequotas");
    let e = k8s.ensure_tenant(&team()).await.expect_err("denied");
    assert!(e.is_forbidden(), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with("resourcequota ml-team-development/project-quota: forbidden")
            && text.contains("cannot patch resource \"resourcequotas\""),
        "{text}"
    );
    let kube = MockKube::start().await?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    kube.conflict_next("namespaces", 1);
    let e = k8s.ensure_tenant(&team()).await.expect_err("conflict");
    assert!(
        matches!(&e, Error::Conflict { object, .. } if object.to_string() == "namespace ml-team-development"),
        "{e:?}"
    );
    Ok(())
}

#[tokio::test]
async fn secrets_go_in_and_only_their_keys_come_out() -> TestResult {
    let kube = MockKube::start().await?;
    let dir = tempfile::tempdir()?;
    let k8s = connect(&kube, &dir, Some("mock")).await?;
    k8s.ensure_tenant(&Tenant::new("ml-team", ["development"]))
        .await?;
    let ns = "ml-team-development";
    let file = dir.path().join("token");
    std::fs::write(&file, "from-a-file-s3cret")?;
    let data = BTreeMap::from([
        ("access-key".to_owned(), SecretValue::new("AKIA-s3cret")),
        ("token".to_owned(), SecretValue::from_file(&file)?),
    ]);
    assert!(!format!("{data:?}").contains("s3cret"));
    let c = k8s.apply_secret(ns, "aws", &data).await?;
    assert_eq!(c.to_string(), "secret ml-team-development/aws: created");
    let stored = kube.object("Secret", ns, "aws").ok_or("no secret")?;
    assert_eq!(stored["data"]["access-key"], "QUtJQS1zM2NyZXQ=");
    assert_eq!(
        k8s.apply_secret(ns, "aws", &data).await?.action,
        Action::Unchanged
    );
    let one = BTreeMap::from([("access-key".to_owned(), SecretValue::new("rotated"))]);
    assert_eq!(
        k8s.apply_secret(ns, "aws", &one).await?.action,
        Action::Updated
    );

    kube.insert(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "default-token", "namespace": ns}, "data": {"token": "eA=="}}));
    let listed = k8s.list_secrets(ns).await?;
    assert_eq!(
        listed.len(),
        1,
        "service account tokens are left out: {listed:?}"
    );
    assert_eq!(listed[0].name, "aws");
    assert!(listed[0].managed);
    assert!(!listed[0].keys.is_empty());
    assert!(
        !format!("{listed:?}").contains("s3cret") && !format!("{listed:?}").contains("rotated")
    );

    assert_eq!(k8s.delete_secret(ns, "aws").await?.action, Action::Deleted);
    let e = k8s.delete_secret(ns, "aws").await.expect_err("gone");
    assert!(
        e.is_not_found() && e.to_string() == "secret ml-team-development/aws: not found",
        "{e}"
    );
    let e = k8s
        .apply_secret("nowhere", "aws", &data)
        .await
        .expect_err("no namespace");
    assert!(e.to_string().contains("secret nowhere/aws"), "{e}");
    assert!(!e.to_string().contains("s3cret"));
    let e = k8s
        .apply_secret(ns, "Bad_Name", &data)
        .await
        .expect_err("bad name");
    assert!(matches!(e, Error::Invalid { .. }), "{e:?}");
    Ok(())
}

#[tokio::test]
async fn errors_say_what_failed_and_keep_the_cause() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("missing");

    let e = SecretValue::from_file(&missing).expect_err("no file");
    let io = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .ok_or("the io error as the source")?;
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(e.to_string(), format!("{}: {io}", missing.display()));
    assert!(e.is_invalid());

    let e = flyte_k8s::K8s::from_kubeconfig(&missing, None)
        .await
        .expect_err("no kubeconfig");
    assert!(
        matches!(e, Error::Config { .. })
            && e.to_string()
                .starts_with(&format!("kubeconfig: {}: ", missing.display())),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some(), "{e:?}");

    let kube = MockKube::start().await?;
    let k8s = connect(&kube, &dir, None).await?;
    kube.deny("list", "secrets");
    let e = k8s
        .list_secrets("ml-team-development")
        .await
        .expect_err("denied");
    assert!(e.is_forbidden(), "{e:?}");
    let cause = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<kube::Error>())
        .ok_or("kube's error as the source")?;
    assert!(
        matches!(cause, kube::Error::Api(s) if s.code == 403 && s.reason == "Forbidden"),
        "{cause:?}"
    );
    Ok(())
}
