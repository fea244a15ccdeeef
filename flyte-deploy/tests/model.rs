//! The typed models: the charts' defaults and starter shapes read, write back and read again
//! to the same model; unknown keys are kept; wrong kinds are errors with a position; secrets
//! never print.

use flyte_config::Value;
use flyte_deploy::model::{FlyteBinaryValues, FlyteConfig, FlyteCoreValues, TaskTypeDefaultsForm};
use flyte_deploy::ModelError;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BINARY_DEFAULTS: &str = include_str!("values/flyte-binary-defaults.yaml");
const CORE_DEFAULTS: &str = include_str!("values/flyte-core-defaults.yaml");
const EKS: &str = include_str!("values/eks-starter.yaml");
const GKE: &str = include_str!("values/gke-starter.yaml");

#[test]
fn the_charts_defaults_read_into_the_model_and_round_trip() -> TestResult {
    let binary = FlyteBinaryValues::read(BINARY_DEFAULTS)?;
    let db = binary
        .configuration
        .as_ref()
        .and_then(|c| c.database.as_ref())
        .ok_or("no database")?;
    assert_eq!(db.port, Some(5432));
    assert_eq!(db.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(FlyteBinaryValues::read(&binary.to_yaml())?, binary);

    let core = FlyteCoreValues::read(CORE_DEFAULTS)?;
    let plugins = core
        .configmap
        .as_ref()
        .and_then(|c| c.enabled_plugins.as_ref())
        .and_then(|c| c.tasks.as_ref())
        .and_then(|t| t.task_plugins.as_ref())
        .ok_or("no task plugins")?;
    assert!(plugins.is_enabled("K8S-ARRAY"));
    assert_eq!(FlyteCoreValues::read(&core.to_yaml())?, core);
    Ok(())
}

#[test]
fn starter_shapes_keep_the_list_form_and_round_trip() -> TestResult {
    for text in [EKS, GKE] {
        let values = FlyteBinaryValues::read(text)?;
        assert_eq!(FlyteBinaryValues::read(&values.to_yaml())?, values);
    }
    let eks = FlyteBinaryValues::read(EKS)?;
    let defaults = eks
        .configuration
        .and_then(|c| c.inline)
        .and_then(|i| i.tasks)
        .and_then(|t| t.task_plugins)
        .and_then(|p| p.default_for_task_types)
        .ok_or("no defaults")?;
    assert_eq!(defaults.form, TaskTypeDefaultsForm::List);
    assert_eq!(defaults.get("container_array"), Some("K8S-ARRAY"));
    Ok(())
}

#[test]
fn unknown_keys_are_kept_at_every_level() -> TestResult {
    let text = "\
configuration:
  database:
    host: db
    sslRootCert: /etc/ca.pem
  inline:
    plugins:
      k8s:
        default-cpus: 500m
        gpu-resource-name: nvidia.com/gpu
    propeller:
      workers: 40
someTopLevel:
  a: [1, 2]
";
    let values = FlyteBinaryValues::read(text)?;
    let conf = values.configuration.as_ref().ok_or("no configuration")?;
    let db = conf.database.as_ref().ok_or("no database")?;
    assert_eq!(
        db.extra.get("sslRootCert"),
        Some(&Value::from("/etc/ca.pem"))
    );
    let inline = conf.inline.as_ref().ok_or("no inline")?;
    assert!(inline.extra.get("propeller").is_some());
    let k8s = inline
        .plugins
        .as_ref()
        .and_then(|p| p.k8s.as_ref())
        .ok_or("no k8s")?;
    assert_eq!(k8s.default_cpus.as_deref(), Some("500m"));
    assert_eq!(
        k8s.extra.get("gpu-resource-name"),
        Some(&Value::from("nvidia.com/gpu"))
    );
    assert!(values.extra.get("someTopLevel").is_some());
    let written = values.to_yaml();
    for key in [
        "sslRootCert",
        "gpu-resource-name",
        "workers: 40",
        "someTopLevel",
    ] {
        assert!(written.contains(key), "{key} dropped:\n{written}");
    }
    assert_eq!(FlyteBinaryValues::read(&written)?, values);
    Ok(())
}

#[test]
fn flyte_config_sections_are_typed() -> TestResult {
    let text = "\
plugins:
  connector-service:
    defaultConnector:
      endpoint: dns:///connector:8000
      insecure: true
  agent-service:
    defaultAgent:
      endpoint: dns:///agent:8000
catalog-cache:
  type: datacatalog
  endpoint: datacatalog:89
secrets:
  secrets-prefix: /etc/secrets
  env-prefix: _FSEC_
clusters:
  clusterConfigs:
    - name: east
      endpoint: https://east.example.com
      auth:
        type: file_path
        tokenPath: /var/run/token
        certPath: /var/run/cert
  labelClusterMap:
    gpu:
      - id: east
        weight: 1
notifications:
  type: aws
  region: us-east-1
  publisher:
    topicName: arn:aws:sns:us-east-1:1:flyte
";
    let config = FlyteConfig::read(text)?;
    let plugins = config.plugins.as_ref().ok_or("no plugins")?;
    let connector = plugins.connector_service.as_ref().ok_or("no connector")?;
    assert_eq!(
        connector
            .default_connector
            .as_ref()
            .and_then(|d| d.endpoint.as_deref()),
        Some("dns:///connector:8000")
    );
    assert!(plugins.agent_service.is_some());
    let catalog = config.catalog_cache.as_ref().ok_or("no catalog")?;
    assert_eq!(catalog.kind.as_deref(), Some("datacatalog"));
    let clusters = config.clusters.as_ref().ok_or("no clusters")?;
    let map = clusters.label_cluster_map.as_ref().ok_or("no label map")?;
    assert_eq!(map.0[0].0, "gpu");
    assert_eq!(map.0[0].1[0].id.as_deref(), Some("east"));
    assert_eq!(
        config
            .notifications
            .as_ref()
            .and_then(|n| n.publisher.as_ref())
            .and_then(|p| p.topic_name.as_deref()),
        Some("arn:aws:sns:us-east-1:1:flyte")
    );
    assert_eq!(FlyteConfig::read(&config.to_yaml())?, config);
    Ok(())
}

#[test]
fn a_value_of_the_wrong_kind_names_its_path_line_and_column() {
    let err = FlyteBinaryValues::read("configuration:\n  database:\n    port: [5432]\n").err();
    match err {
        Some(ModelError::WrongType {
            path, line, column, ..
        }) => {
            assert_eq!(path, "configuration.database.port");
            assert_eq!((line, column), (3, 11));
        }
        other => panic!("expected a WrongType error, got {other:?}"),
    }
    let err = FlyteCoreValues::read("configmap:\n  clusters:\n    clusterConfigs: {a: 1}\n")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("3:21: configmap.clusters.clusterConfigs: expected a list")
    );
    assert!(matches!(
        FlyteCoreValues::read("a: [1,\n"),
        Err(ModelError::Yaml(_))
    ));
}

#[test]
fn secrets_never_print() -> TestResult {
    let text = "\
configuration:
  database:
    password: hunter2-db
  storage:
    providerConfig:
      s3:
        secretKey: hunter2-s3
  auth:
    oidc:
      clientSecret: hunter2-oidc
  unknownBlock:
    apiToken: hunter2-token
  inline:
    plugins:
      k8s:
        default-env-vars:
          AWS_SECRET_ACCESS_KEY: hunter2-env
          DATABASE_URL: postgres://flyte:hunter2-url@db:5432/flyte
          SMTP_PASSWD: hunter2-passwd
          GITHUB_PAT: hunter2-pat
          REGISTRY_CREDENTIALS: hunter2-cred
";
    let values = FlyteBinaryValues::read(text)?;
    let core = FlyteCoreValues::read(
        "secrets:\n  adminOauthClientCredentials:\n    clientSecret: hunter2-core\n",
    )?;
    let printed = format!("{values:?} {core:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(
        values.to_yaml().contains("hunter2-db"),
        "written back for Helm"
    );
    Ok(())
}
