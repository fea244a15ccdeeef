//! Starter values for every chart and cloud: they lint with no finding at all, read back to
//! the same model, carry the identity annotation, and never print their secrets.

use flyte_deploy::{Chart, ChartValues, Cloud, Linter, Starter};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CHARTS: [Chart; 2] = [Chart::FlyteBinary, Chart::FlyteCore];
const CLOUDS: [Cloud; 4] = [Cloud::Aws, Cloud::Gcp, Cloud::Azure, Cloud::Minio];

fn starter(chart: Chart, cloud: Cloud) -> Starter {
    let base = Starter::new(chart, cloud).db_host("flyte-db.internal");
    match cloud {
        Cloud::Aws => base
            .bucket("acme-flyte-meta")
            .user_data_bucket("acme-flyte-data")
            .region("eu-west-2")
            .role_arn("arn:aws:iam::123456789012:role/flyte-backend")
            .db_password("hunter2-db"),
        Cloud::Gcp => base
            .bucket("acme-flyte")
            .project("acme-prod")
            .gcp_service_account("flyte@acme-prod.iam.gserviceaccount.com")
            .db_password_path("/etc/db/password"),
        Cloud::Azure => base
            .bucket("flyte-data")
            .storage_account("acmeflyte")
            .azure_client_id("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
        Cloud::Minio => base
            .bucket("flyte")
            .endpoint("http://minio.flyte.svc.cluster.local:9000")
            .access_key("flyte-access")
            .secret_key("hunter2-minio")
            .db_port(5433u16),
        _ => base,
    }
}

#[test]
fn every_starter_lints_clean_and_reads_back_to_the_same_model() -> TestResult {
    for chart in CHARTS {
        for cloud in CLOUDS {
            let s = starter(chart, cloud);
            let yaml = s.render()?;
            let report = Linter::new().chart(chart).lint(&yaml)?;
            assert!(
                report.findings.is_empty(),
                "{chart} {cloud}: {:#?}\n{yaml}",
                report.findings
            );
            assert_eq!(
                Linter::new().lint(&yaml)?.chart,
                chart,
                "{chart} {cloud}: the chart is guessed from the keys"
            );
            assert_eq!(
                ChartValues::read(chart, &yaml)?,
                s.values()?,
                "{chart} {cloud}"
            );
            assert!(yaml.starts_with(&format!("# Values for Flyte's {chart} chart")));
        }
    }
    Ok(())
}

#[test]
fn starters_carry_the_cloud_identity_and_storage() -> TestResult {
    let aws = starter(Chart::FlyteBinary, Cloud::Aws).render()?;
    assert!(
        aws.contains(
            "# IRSA: pods of this service account assume the IAM role to reach S3.\nserviceAccount:\n  create: true\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/flyte-backend\n"
        ),
        "{aws}"
    );
    assert!(aws.contains("    provider: s3\n"), "{aws}");
    assert!(
        aws.contains(
            "# Given: bucket acme-flyte-meta, task data bucket acme-flyte-data, region eu-west-2"
        ),
        "{aws}"
    );

    let gcp = starter(Chart::FlyteCore, Cloud::Gcp).render()?;
    for service in ["flyteadmin", "datacatalog", "flytepropeller"] {
        assert!(
            gcp.contains(&format!(
                "{service}:\n  # Workload Identity: pods of this service account act as the Google service account to reach GCS.\n  serviceAccount:\n    create: true\n    annotations:\n      iam.gke.io/gcp-service-account: flyte@acme-prod.iam.gserviceaccount.com\n"
            )),
            "{gcp}"
        );
    }
    assert!(gcp.contains("rawoutput-prefix: gs://acme-flyte/"), "{gcp}");
    assert!(gcp.contains("passwordPath: /etc/db/password"), "{gcp}");

    let azure = starter(Chart::FlyteBinary, Cloud::Azure).render()?;
    assert!(
        azure.contains("azure.workload.identity/client-id: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
        "{azure}"
    );
    assert!(
        azure.contains("deployment:\n  podLabels:\n    azure.workload.identity/use: \"true\"\n"),
        "{azure}"
    );

    let minio = starter(Chart::FlyteBinary, Cloud::Minio).render()?;
    assert!(minio.contains("disableSSL: true"), "{minio}");
    assert!(minio.contains("port: 5433"), "{minio}");
    Ok(())
}

#[test]
fn secrets_go_into_the_file_but_never_into_comments_debug_or_errors() -> TestResult {
    for chart in CHARTS {
        let aws = starter(chart, Cloud::Aws);
        let minio = starter(chart, Cloud::Minio);
        for (s, secret) in [(&aws, "hunter2-db"), (&minio, "hunter2-minio")] {
            let yaml = s.render()?;
            assert_eq!(
                yaml.matches(secret).count(),
                1 + usize::from(chart == Chart::FlyteCore && secret == "hunter2-db"),
                "{yaml}"
            );
            let comments: String = yaml
                .lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .collect();
            assert!(!comments.contains("hunter2"), "{comments}");
            assert!(!format!("{s:?} {:?}", s.values()?).contains("hunter2"));
        }
        // The header names the secrets the file holds, and only those.
        let header = |s: &Starter| -> Result<String, Box<dyn std::error::Error>> {
            Ok(s.render()?.lines().take(4).collect::<Vec<_>>().join("\n"))
        };
        let aws_header = header(&aws)?;
        assert!(
            aws_header.contains("# the database password in this file"),
            "{aws_header}"
        );
        assert!(!aws_header.contains("secret key"), "{aws_header}");
        let minio_header = header(&minio)?;
        assert!(
            minio_header.contains("# the storage secret key in this file"),
            "{minio_header}"
        );
        let gcp_header = header(&starter(chart, Cloud::Gcp))?;
        assert!(!gcp_header.contains("in this file"), "{gcp_header}");
        let bad = minio
            .clone()
            .secret_key("<SECRET>")
            .render()
            .err()
            .map(|e| e.to_string());
        assert!(
            bad.as_deref()
                .is_some_and(|e| !e.contains("<SECRET>") && e.contains("[redacted]")),
            "{bad:?}"
        );
    }
    Ok(())
}
