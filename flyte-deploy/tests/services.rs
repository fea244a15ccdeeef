//! The auth, multi-cluster, notifications and caching rules, with exact positions.

use flyte_deploy::{Chart, Rule};

mod common;

use common::{lint, positions, TestResult};

#[test]
fn enabled_auth_needs_oidc_and_authorized_uris() -> TestResult {
    let report = lint(
        Chart::FlyteBinary,
        "configuration:\n  auth:\n    enabled: true\n    oidc:\n      clientId: flyte\n",
    )?;
    assert_eq!(positions(&report, Rule::AuthIncomplete), [(3, 14)]);
    let message = &report.findings[0].message;
    assert!(
        message.contains("oidc.baseUrl and authorizedUris"),
        "{message}"
    );
    assert!(!message.contains("clientId"), "{message}");
    Ok(())
}

#[test]
fn the_ingress_host_must_be_authorized() -> TestResult {
    let text = "configuration:\n  auth:\n    enabled: true\n    oidc:\n      baseUrl: https://idp/oauth2/default\n      clientId: flyte\n    authorizedUris:\n      - https://flyte.company.com\ningress:\n  host: flyte.mydomain.com\n";
    let report = lint(Chart::FlyteBinary, text)?;
    assert_eq!(
        positions(&report, Rule::AuthIngressHostNotAuthorized),
        [(10, 9)]
    );
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let fixed = text.replace("flyte.company.com", "flyte.mydomain.com:443");
    assert!(lint(Chart::FlyteBinary, &fixed)?.findings.is_empty());
    // Auth off: nothing to check.
    let off = text.replace("enabled: true", "enabled: false");
    assert!(lint(Chart::FlyteBinary, &off)?.findings.is_empty());
    Ok(())
}

const CLUSTERS: &str = "configmap:
  clusters:
    labelClusterMap:
      team1:
        - id: west
          weight: 1
        - id: north
          weight: 0
    clusterConfigs:
      - name: west
        endpoint: https://west.example.com
        enabled: true
        auth:
          type: file_path
          tokenPath: /var/run/credentials/west_token
          certPath: /var/run/credentials/west_cert
      - name: west
        endpoint: west.example.com:443
        enabled: true
        auth:
          type: file_path
          tokenPath: /var/run/credentials/token
";

#[test]
fn multi_cluster_rules() -> TestResult {
    let report = lint(Chart::FlyteCore, CLUSTERS)?;
    assert_eq!(positions(&report, Rule::ClusterDuplicateName), [(17, 15)]);
    assert_eq!(
        positions(&report, Rule::ClusterEndpointNotHttps),
        [(18, 19)]
    );
    assert_eq!(positions(&report, Rule::ClusterAuthIncomplete), [(20, 9)]);
    assert_eq!(positions(&report, Rule::ClusterLabelUnknown), [(7, 15)]);
    assert_eq!(
        positions(&report, Rule::ClusterWeightNotPositive),
        [(8, 19)]
    );
    assert_eq!(report.findings.len(), 5, "{:#?}", report.findings);
    Ok(())
}

#[test]
fn notifications_need_their_type_settings() -> TestResult {
    let core = lint(
        Chart::FlyteCore,
        "workflow_notifications:\n  enabled: true\n  config:\n    notifications:\n      type: aws\n      region: us-east-1\n      publisher:\n        topicName: arn:aws:sns:us-east-1:1:flyte\n",
    )?;
    assert_eq!(positions(&core, Rule::NotificationsIncomplete), [(5, 13)]);
    assert!(core.findings[0].message.contains("processor.queueName"));
    assert!(!core.findings[0].message.contains("region"));

    let events = lint(
        Chart::FlyteBinary,
        "configuration:\n  inline:\n    cloudEvents:\n      enable: true\n      type: gcp\n      eventsPublisher:\n        topicName: flyte\n",
    )?;
    assert_eq!(positions(&events, Rule::NotificationsIncomplete), [(5, 13)]);
    assert!(events.findings[0].message.contains("gcp.projectId"));

    // Disabled blocks are not rendered by the chart, so they are not checked.
    let off = lint(
        Chart::FlyteCore,
        "external_events:\n  enable: false\n  type: aws\n",
    )?;
    assert!(off.findings.is_empty(), "{:#?}", off.findings);
    Ok(())
}

#[test]
fn datacatalog_cache_needs_datacatalog() -> TestResult {
    let core = lint(Chart::FlyteCore, "datacatalog:\n  enabled: false\n")?;
    assert_eq!(
        positions(&core, Rule::CatalogDatacatalogDisabled),
        [(2, 12)]
    );
    let noop = lint(
        Chart::FlyteCore,
        "datacatalog:\n  enabled: false\nconfigmap:\n  catalog:\n    catalog-cache:\n      type: noop\n",
    )?;
    assert!(noop.findings.is_empty(), "{:#?}", noop.findings);
    let binary = lint(
        Chart::FlyteBinary,
        "flyte-core-components:\n  dataCatalog:\n    disabled: true\n",
    )?;
    assert_eq!(
        positions(&binary, Rule::CatalogDatacatalogDisabled),
        [(3, 15)]
    );
    Ok(())
}

const CORE_AUTH: &str = "\
configmap:
  adminServer:
    server:
      security:
        secure: false
        useAuth: true
    auth:
      authorizedUris:
        - https://flyte.company.com
      userAuth:
        openId:
          baseUrl: https://idp.company.com/oauth2/default
          clientId: flyte-console
common:
  ingress:
    host: flyte.company.com
";

#[test]
fn core_auth_with_its_idp_and_uris_is_clean() -> TestResult {
    let report = lint(Chart::FlyteCore, CORE_AUTH)?;
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    Ok(())
}

#[test]
fn core_use_auth_without_the_openid_settings_keeps_the_charts_example_idp() -> TestResult {
    let text = CORE_AUTH.replace(
        "          baseUrl: https://idp.company.com/oauth2/default\n",
        "",
    );
    let report = lint(Chart::FlyteCore, &text)?;
    assert_eq!(positions(&report, Rule::AuthIncomplete), [(6, 18)]);
    let finding = &report.findings[0];
    assert_eq!(
        finding.path,
        "configmap.adminServer.server.security.useAuth"
    );
    assert!(
        finding.message.contains(
            "useAuth is true but configmap.adminServer.auth.userAuth.openId.baseUrl is not set"
        ),
        "{finding}"
    );
    assert!(
        finding.message.contains("https://accounts.google.com"),
        "{finding}"
    );

    let empty_uris = CORE_AUTH.replace(
        "      authorizedUris:\n        - https://flyte.company.com\n",
        "      authorizedUris: []\n",
    );
    let report = lint(Chart::FlyteCore, &empty_uris)?;
    assert_eq!(positions(&report, Rule::AuthIncomplete), [(6, 18)]);
    assert!(report.findings[0]
        .message
        .contains("auth.authorizedUris is not set"));

    // useAuth off (the chart's default): nothing to check.
    let off = text.replace("useAuth: true", "useAuth: false");
    assert!(lint(Chart::FlyteCore, &off)?.findings.is_empty());
    Ok(())
}

#[test]
fn core_ingress_host_must_be_authorized_by_the_file_or_the_charts_default() -> TestResult {
    let text = CORE_AUTH.replace("host: flyte.company.com", "host: flyte.other.com");
    let report = lint(Chart::FlyteCore, &text)?;
    assert_eq!(
        positions(&report, Rule::AuthIngressHostNotAuthorized),
        [(16, 11)]
    );
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert_eq!(report.findings[0].path, "common.ingress.host");

    // Without authorizedUris the chart's localhost and in-cluster URIs stay, so the public
    // host is refused too.
    let defaults = CORE_AUTH.replace(
        "      authorizedUris:\n        - https://flyte.company.com\n",
        "",
    );
    let report = lint(Chart::FlyteCore, &defaults)?;
    assert_eq!(
        positions(&report, Rule::AuthIngressHostNotAuthorized),
        [(14, 11)]
    );
    assert!(
        report.findings[0]
            .message
            .contains("the chart's default configmap.adminServer.auth.authorizedUris (https://localhost:30081"),
        "{}",
        report.findings[0]
    );
    Ok(())
}
