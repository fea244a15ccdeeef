//! Registration of real pyflyte packages (tests/fixtures/pyflyte, made by flytekit 1.16.31)
//! against the test kit: hydration, the dependency order, idempotence, failures, dry runs,
//! fast registration and faults.
//!
//! Over 800 lines on purpose: one scenario a test, all on the same fixtures and the helpers
//! at the top; split by theme they would only trade a long file for imports of each other.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{client, fixture, TestResult};
use flyte_admin_client::pb::{admin, core};
use flyte_admin_client::register::{
    display_id, Entity, EntityKind, Outcome, Package, PackageError, RegisterEvent, RegisterOptions,
};
use flyte_admin_client::{LaunchPlanId, ListOptions, TaskId, WorkflowId};
use flyte_testkit::{Fault, TestAdmin};

fn options() -> RegisterOptions {
    RegisterOptions::new("flytesnacks", "development").version("v1")
}

#[test]
fn pyflyte_archives_are_read_in_file_order_with_kinds_from_the_suffix() -> TestResult {
    let p = Package::open([fixture("demo.tgz")])?;
    let files: Vec<&str> = p.entries.iter().map(|e| e.file.as_str()).collect();
    let mut sorted = files.clone();
    sorted.sort_unstable();
    assert_eq!(files, sorted);
    assert_eq!(files.len(), 11);
    for e in &p.entries {
        let want = match &e.file[e.file.len() - 4..] {
            "1.pb" => EntityKind::Task,
            "2.pb" => EntityKind::Workflow,
            _ => EntityKind::LaunchPlan,
        };
        assert_eq!(e.entity.kind(), want, "{}", e.file);
        assert!(!e.entity.id().name.is_empty(), "{}", e.file);
    }
    assert!(p.fast_bundle.is_none());
    let fast = Package::open([fixture("demo-fast.tgz")])?;
    let bundle = fast.fast_bundle.as_ref().ok_or("no bundle")?;
    assert!(bundle.name.starts_with("fast") && bundle.name.ends_with(".tar.gz"));
    assert_eq!(fast.entries.len(), 11);
    Ok(())
}

#[test]
fn rewritten_packages_hold_the_very_bytes_pyflyte_wrote() -> TestResult {
    // The flyteidl crate predates Flyte 1.16 and drops fields it does not know when it
    // re-encodes; packages keep the files' own bytes, so nothing is lost on the way.
    let dir = tempfile::tempdir()?;
    let ours = dir.path().join("ours.tgz");
    Package::open([fixture("demo-fast.tgz")])?.write_archive(&ours)?;
    type Files = Vec<(String, Vec<u8>)>;
    let files = |path: &Path| -> Result<Files, Box<dyn std::error::Error>> {
        let mut out = Vec::new();
        let gz = flate2::read::GzDecoder::new(std::fs::File::open(path)?);
        for entry in tar::Archive::new(gz).entries()? {
            let mut entry = entry?;
            let name = entry.path()?.to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes)?;
            out.push((name, bytes));
        }
        out.sort();
        Ok(out)
    };
    assert_eq!(files(&ours)?, files(&fixture("demo-fast.tgz"))?);
    Ok(())
}

fn tar_with(files: &[(&str, &[u8])]) -> Result<Vec<u8>, std::io::Error> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *bytes)?;
    }
    b.into_inner()
}

#[test]
fn bad_packages_are_errors_that_name_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let task = Package::open([fixture("demo.tgz")])?.entries[0]
        .entity
        .encode();

    let stray = tar_with(&[("00_t_1.pb", &task), ("notes.txt", b"hello")])?;
    match Package::from_archive_bytes("stray.tar", &stray) {
        Err(PackageError::UnexpectedFile { file, .. }) => assert_eq!(file, "notes.txt"),
        other => panic!("{other:?}"),
    }

    let garbage = tar_with(&[("00_t_1.pb", &[0xff, 0xff, 0xff, 0xff])])?;
    match Package::from_archive_bytes("garbage.tar", &garbage) {
        Err(PackageError::BadEntity { file, message, .. }) => {
            assert_eq!(file, "00_t_1.pb");
            assert!(message.contains("as a task"), "{message}");
        }
        other => panic!("{other:?}"),
    }

    let path = dir.path().join("broken.tgz");
    std::fs::write(&path, [0x1f, 0x8b, 8, 0, 1, 2, 3])?;
    let e = Package::open([&path]).expect_err("broken gzip");
    assert!(matches!(e, PackageError::CorruptArchive { .. }), "{e:?}");
    assert!(e.to_string().contains("broken.tgz"), "{e}");
    // The gzip reader's error travels as the source.
    let cause = std::error::Error::source(&e).ok_or("no source")?;
    assert!(
        cause.downcast_ref::<std::io::Error>().is_some(),
        "{cause:?}"
    );

    let truncated = &tar_with(&[("00_t_1.pb", &task)])?[..700];
    assert!(matches!(
        Package::from_archive_bytes("truncated.tar", truncated),
        Err(PackageError::CorruptArchive { .. })
    ));

    let zip = dir.path().join("package.zip");
    std::fs::write(&zip, b"PK")?;
    let e = Package::open([&zip]).expect_err("zip");
    assert!(e.to_string().contains(".tgz, .tar.gz or .tar"), "{e}");

    let e = Package::open([dir.path().join("missing.tgz")]).expect_err("missing");
    assert!(matches!(e, PackageError::Io { .. }), "{e:?}");
    Ok(())
}

#[test]
fn mutated_archives_never_panic() -> TestResult {
    let bytes = std::fs::read(fixture("demo-fast.tgz"))?;
    let mut out = flate2::read::GzDecoder::new(&bytes[..]);
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut out, &mut tar)?;
    // Every 97th byte flipped in turn, in the compressed and the plain archive: errors or
    // packages, never a panic.
    for data in [&bytes, &tar] {
        for i in (0..data.len()).step_by(97) {
            let mut m = data.clone();
            m[i] ^= 0x5a;
            let _ = Package::from_archive_bytes("m.tgz", &m);
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_pyflyte_package_registers_whole_then_again_as_already_registered() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let report = c
        .register(Package::open([fixture("demo.tgz")])?, &options())
        .await?;
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(report.count(Outcome::Registered), 11);
    // Every entity is in the test kit, at the given version, with hydrated references.
    for row in &report.entities {
        assert_eq!(
            (
                row.id.project.as_str(),
                row.id.domain.as_str(),
                row.id.version.as_str()
            ),
            ("flytesnacks", "development", "v1")
        );
        let (p, d, n, v) = ("flytesnacks", "development", row.id.name.as_str(), "v1");
        match row.kind {
            EntityKind::Task => {
                c.get_task(&TaskId::new(p, d, n, v)).await?;
            }
            EntityKind::Workflow => {
                c.get_workflow(&WorkflowId::new(p, d, n, v)).await?;
            }
            EntityKind::LaunchPlan => {
                let lp = c.get_launch_plan(&LaunchPlanId::new(p, d, n, v)).await?;
                let wf = lp.spec.and_then(|s| s.workflow_id).ok_or("no workflow")?;
                assert_eq!((wf.project.as_str(), wf.version.as_str()), (p, v));
            }
            other => return Err(format!("a pyflyte package holds no {other}").into()),
        }
    }
    let again = c
        .register(Package::open([fixture("demo.tgz")])?, &options())
        .await?;
    assert!(again.is_success());
    assert_eq!(again.count(Outcome::AlreadyExisted), 11, "{again:#?}");
    assert_eq!(
        admin.connections(),
        1,
        "one HTTP/2 connection carries it all"
    );
    Ok(())
}

/// The path to `TaskMetadata` in a `TaskCreateRequest`, each message kept as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct Wrapped {
    /// `TaskCreateRequest.spec`, `TaskSpec.template`, `TaskTemplate.metadata`.
    #[prost(bytes = "vec", tag = "2")]
    spec: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SpecBytes {
    #[prost(bytes = "vec", tag = "1")]
    template: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct TemplateBytes {
    #[prost(message, optional, tag = "1")]
    id: Option<core::Identifier>,
    #[prost(bytes = "vec", tag = "3")]
    metadata: Vec<u8>,
}

/// `TaskMetadata` fields pyflyte 1.16 writes that the `flyteidl` crate lacks.
#[derive(Clone, PartialEq, prost::Message)]
struct NewerTaskMetadata {
    /// A `google.protobuf.BoolValue`.
    #[prost(message, optional, tag = "15")]
    generates_deck: Option<bool>,
    /// A message, empty or not: present is what counts.
    #[prost(bytes = "vec", optional, tag = "16")]
    metadata: Option<Vec<u8>>,
}

#[tokio::test]
async fn fields_newer_than_the_idl_crate_reach_the_server() -> TestResult {
    use prost::Message as _;
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let package = Package::open([fixture("demo.tgz")])?;
    let report = c.register(package, &options()).await?;
    assert!(report.is_success(), "{report:#?}");
    let mut seen = 0;
    for request in admin.received("CreateTask") {
        let spec = SpecBytes::decode(Wrapped::decode(request.as_slice())?.spec.as_slice())?;
        let template = TemplateBytes::decode(spec.template.as_slice())?;
        if template.id.as_ref().map(|i| i.name.as_str()) != Some("demo.hello.say_hello") {
            continue;
        }
        seen += 1;
        let newer = NewerTaskMetadata::decode(template.metadata.as_slice())?;
        assert!(
            newer.generates_deck.is_some(),
            "TaskMetadata.generates_deck (15) arrived"
        );
        assert!(
            newer.metadata.is_some(),
            "TaskMetadata.metadata (16) arrived"
        );
        // The test kit's own decoding drops them: only the bytes on the wire show them.
        let typed = flyte_admin_client::pb::admin::TaskCreateRequest::decode(request.as_slice())?;
        assert!(typed.encode_to_vec().len() < request.len());
    }
    assert_eq!(seen, 1, "say_hello was created once");
    Ok(())
}

#[tokio::test]
async fn without_a_version_nothing_is_sent() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let err = c
        .register(
            Package::open([fixture("demo.tgz")])?,
            &RegisterOptions::new("flytesnacks", "development"),
        )
        .await
        .expect_err("no version");
    assert!(err.message().contains("no version"), "{err}");
    assert!(
        err.message().contains("00_demo.hello.say_hello_1.pb"),
        "{err}"
    );
    assert_eq!(admin.all_calls().values().sum::<u64>(), 0);
    Ok(())
}

/// Records the events of a registration.
fn recorder() -> (
    Arc<Mutex<Vec<RegisterEvent>>>,
    impl FnMut(&RegisterEvent) + Send,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    (events, move |e: &RegisterEvent| {
        sink.lock().map(|mut v| v.push(e.clone())).unwrap_or(());
    })
}

fn started(events: &Mutex<Vec<RegisterEvent>>) -> Vec<String> {
    events
        .lock()
        .map(|v| {
            v.iter()
                .filter_map(|e| match e {
                    RegisterEvent::Started { id, .. } => Some(id.name.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn concurrency_one_is_flytectls_file_order_and_more_waits_for_references() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let package = Package::open([fixture("demo.tgz")])?;
    let file_order: Vec<String> = package.entries.iter().map(|e| e.entity.id().name).collect();
    let (events, sink) = recorder();
    c.register_with_progress(package, &options().concurrency(1), sink)
        .await?;
    assert_eq!(started(&events), file_order);

    // Concurrent: every workflow starts after its tasks finished, every launch plan after its
    // workflow.
    let admin = TestAdmin::builder()
        .latency(Duration::from_millis(20))
        .start()
        .await?;
    let c = client(&admin)?;
    let (events, sink) = recorder();
    let report = c
        .register_with_progress(Package::open([fixture("demo.tgz")])?, &options(), sink)
        .await?;
    assert!(report.is_success());
    let log = events.lock().map(|v| v.clone()).unwrap_or_default();
    let pos = |want: &dyn Fn(&RegisterEvent) -> bool| log.iter().position(want);
    let finished = |name: &str| {
        pos(&|e| matches!(e, RegisterEvent::Finished(r) if r.id.name == name)).unwrap_or(usize::MAX)
    };
    let start = |name: &str| {
        pos(&|e| matches!(e, RegisterEvent::Started { id, .. } if id.name == name)).unwrap_or(0)
    };
    assert!(finished("demo.hello.say_hello") < start("demo.hello.hello_wf"));
    assert!(finished("demo.hello.double") < start("demo.hello.branchy"));
    assert!(finished("demo.hello.sum_of_doubles") < start("sum_of_doubles_default"));
    // And the independent tasks went out together.
    let first_three: Vec<_> = started(&events).into_iter().take(3).collect();
    assert!(
        first_three.iter().all(|n| !n.ends_with("_wf")),
        "{first_three:?}"
    );
    Ok(())
}

/// A task spec under the fixture's name but with other arguments.
fn clashing_task(package: &Package, name: &str) -> Result<admin::TaskSpec, String> {
    let entry = package
        .entries
        .iter()
        .find(|e| e.entity.id().name == name)
        .ok_or("no such task")?;
    let Entity::Task(spec) = &entry.entity else {
        return Err("not a task".into());
    };
    let mut spec = spec.clone();
    if let Some(core::task_template::Target::Container(c)) =
        spec.template.as_mut().and_then(|t| t.target.as_mut())
    {
        c.args.push("--changed".to_owned());
    }
    if let Some(id) = spec.template.as_mut().and_then(|t| t.id.as_mut()) {
        *id = TaskId::new("flytesnacks", "development", name, "v1").to_pb();
    }
    Ok(spec)
}

#[tokio::test]
async fn a_different_structure_fails_its_dependents_and_stops_or_continues() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let package = Package::open([fixture("demo.tgz")])?;
    let clash = clashing_task(&package, "demo.hello.double")?;
    c.create_task(
        &TaskId::new("flytesnacks", "development", "demo.hello.double", "v1"),
        clash,
    )
    .await?;

    let report = c
        .register(package.clone(), &options().concurrency(1))
        .await?;
    let row = |name: &str| {
        report
            .entities
            .iter()
            .find(|r| r.id.name == name)
            .cloned()
            .ok_or(format!("no row for {name}"))
    };
    let failed = row("demo.hello.double")?;
    assert_eq!(failed.outcome, Outcome::Failed);
    assert!(
        failed.message.contains("different structure"),
        "the server's words: {}",
        failed.message
    );
    // Serial and stopping: the one before it is registered, nothing after it starts.
    assert_eq!(row("demo.hello.say_hello")?.outcome, Outcome::Registered);
    let branchy = row("demo.hello.branchy")?;
    assert_eq!(branchy.outcome, Outcome::Skipped);
    assert!(
        branchy.message.contains("demo.hello.double"),
        "{}",
        branchy.message
    );
    assert_eq!(row("demo.hello.add_all")?.outcome, Outcome::Skipped);
    assert_eq!(admin.calls("CreateWorkflow"), 0);
    assert!(!report.is_success());

    // Continuing: everything that does not need the failed task is registered.
    let report = c
        .register(package, &options().continue_on_error(true))
        .await?;
    let outcome = |name: &str| {
        report
            .entities
            .iter()
            .find(|r| r.id.name == name)
            .map(|r| r.outcome)
    };
    assert_eq!(outcome("demo.hello.hello_wf"), Some(Outcome::Registered));
    assert_eq!(outcome("demo.hello.add_all"), Some(Outcome::Registered));
    assert_eq!(outcome("sum_of_doubles_default"), Some(Outcome::Registered));
    // branchy needs double; so does its default launch plan, through branchy.
    let skipped: Vec<_> = report
        .entities
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .map(|r| (r.kind, r.id.name.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (EntityKind::Workflow, "demo.hello.branchy"),
            (EntityKind::LaunchPlan, "demo.hello.branchy")
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_dry_run_sends_and_uploads_nothing() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let report = c
        .register(
            Package::open([fixture("demo-fast.tgz")])?,
            &options().dry_run(true),
        )
        .await?;
    assert_eq!(report.count(Outcome::DryRun), 11);
    assert_eq!(report.fast_bundle_uri, None);
    assert_eq!(admin.all_calls().values().sum::<u64>(), 0);
    Ok(())
}

#[tokio::test]
async fn fast_packages_upload_their_bundle_and_point_tasks_at_it() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let package = Package::open([fixture("demo-fast.tgz")])?;
    let bundle = package.fast_bundle.clone().ok_or("no bundle")?;
    let report = c
        .register(package, &options().destination_dir("/root/app"))
        .await?;
    assert!(report.is_success(), "{report:#?}");
    let uri = report.fast_bundle_uri.clone().ok_or("no upload")?;
    assert!(uri.starts_with("s3://flyte-testkit/"), "{uri}");
    assert!(uri.ends_with(&bundle.name), "{uri}");
    // The bytes in the store are the bundle's, as uploaded.
    let key = uri.trim_start_matches("s3://flyte-testkit/");
    use object_store::ObjectStoreExt as _;
    let stored = admin
        .store()
        .get(&object_store::path::Path::from(key))
        .await?
        .bytes()
        .await?;
    assert_eq!(stored.as_ref(), bundle.bytes.as_slice());
    // The registered task runs that bundle.
    let task = c
        .get_task(&TaskId::new(
            "flytesnacks",
            "development",
            "demo.hello.say_hello",
            "v1",
        ))
        .await?;
    let args = match task
        .closure
        .and_then(|c| c.compiled_task)
        .and_then(|c| c.template)
        .and_then(|t| t.target)
    {
        Some(core::task_template::Target::Container(c)) => c.args,
        other => return Err(format!("not a container task: {other:?}").into()),
    };
    assert!(args.contains(&uri), "{args:?}");
    assert!(!args.iter().any(|a| a.contains("{{ .")), "{args:?}");
    Ok(())
}

#[tokio::test]
async fn fast_tasks_without_their_bundle_are_refused_before_any_call() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let mut package = Package::open([fixture("demo-fast.tgz")])?;
    package.fast_bundle = None;
    let err = c
        .register(package, &options())
        .await
        .expect_err("no bundle");
    assert!(
        err.message().contains("no fast*.tar.gz code bundle"),
        "{err}"
    );
    assert_eq!(admin.all_calls().values().sum::<u64>(), 0);
    Ok(())
}

#[tokio::test]
async fn a_pod_task_needs_the_bundle_only_when_its_container_args_name_it() -> TestResult {
    use flyte_admin_client::build::{ContainerTask, PodTemplate};
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let pod_task = |name: &str, spec: serde_json::Value| {
        ContainerTask::new(name, "alpine:3.20")
            .command(["pyflyte-fast-execute"])
            .pod_template(PodTemplate::new(spec))
    };
    // In a sidecar's arguments: hydration would replace it, so the bundle is needed.
    let mut package = Package::default();
    package.add_task(&pod_task(
        "rs.fast_sidecar",
        serde_json::json!({"containers": [
            {"name": "sync", "image": "alpine:3.20", "args": ["--from", "{{ .remote_package_path }}"]},
        ]}),
    ))?;
    let err = c
        .register(package, &options())
        .await
        .expect_err("no bundle");
    assert!(err.message().contains("rs.fast_sidecar"), "{err}");
    assert_eq!(admin.all_calls().values().sum::<u64>(), 0);
    // Elsewhere in the pod spec (an annotation-like env value) it is plain text.
    let mut package = Package::default();
    package.add_task(&pod_task(
        "rs.plain_text",
        serde_json::json!({"containers": [
            {"name": "primary", "env": [{"name": "NOTE", "value": "{{ .remote_package_path }}"}]},
        ]}),
    ))?;
    let report = c.register(package, &options()).await?;
    assert_eq!(report.count(Outcome::Registered), 1, "{report:#?}");
    Ok(())
}

#[tokio::test]
async fn archives_are_downloaded_from_urls_following_redirects() -> TestResult {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let archive = std::fs::read(fixture("demo.tgz"))?;
    Mock::given(method("GET"))
        .and(path("/releases/latest/demo.tgz"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/releases/v1/demo.tgz"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/releases/v1/demo.tgz"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(archive))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/releases/v1/junk.tgz"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"<html>not here</html>".to_vec()))
        .mount(&server)
        .await;
    let base = server.uri();
    let got = Package::download(&format!("{base}/releases/latest/demo.tgz?token=s3cr3t")).await?;
    assert_eq!(got, Package::open([fixture("demo.tgz")])?);

    // Several sources make one package, in file order.
    let mut both = Package::open([fixture("wide.tgz")])?;
    both.extend(got);
    assert_eq!(both.entries.len(), 611);
    assert!(both.entries.windows(2).all(|w| w[0].file <= w[1].file));

    let missing = Package::download(&format!("{base}/releases/v2/demo.tgz?token=s3cr3t"))
        .await
        .expect_err("404");
    let text = missing.to_string();
    assert!(matches!(missing, PackageError::Download { .. }), "{text}");
    assert!(
        text.contains("/releases/v2/demo.tgz") && text.contains("404"),
        "{text}"
    );
    assert!(
        !text.contains("s3cr3t"),
        "the query stays out of errors: {text}"
    );
    // The transfer's error is kept as the source, and it too keeps the query out.
    let cause = std::error::Error::source(&missing).ok_or("no source")?;
    let mut chain = vec![cause.to_string()];
    let mut next = cause.source();
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    assert!(
        chain.iter().all(|m| !m.contains("s3cr3t")),
        "the query stays out of causes: {chain:?}"
    );
    let junk = Package::download(&format!("{base}/releases/v1/junk.tgz"))
        .await
        .expect_err("not an archive")
        .to_string();
    assert!(
        junk.starts_with(&format!("{base}/releases/v1/junk.tgz: ")),
        "{junk}"
    );
    let other = Package::download("ftp://example.com/demo.tgz")
        .await
        .expect_err("scheme");
    assert!(
        other
            .to_string()
            .contains("expected an http:// or https:// URL"),
        "{other}"
    );
    Ok(())
}

#[tokio::test]
async fn launch_plan_options_are_applied_and_plans_activated() -> TestResult {
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let report = c
        .register(
            Package::open([fixture("demo.tgz")])?,
            &options()
                .k8s_service_account("pipelines")
                .output_location_prefix("s3://raw/team-a")
                .activate_launch_plans(true),
        )
        .await?;
    assert!(report.is_success(), "{report:#?}");
    let lp = c
        .get_launch_plan(&LaunchPlanId::new(
            "flytesnacks",
            "development",
            "sum_of_doubles_default",
            "v1",
        ))
        .await?;
    assert_eq!(
        lp.closure.as_ref().map(|c| c.state),
        Some(admin::LaunchPlanState::Active as i32)
    );
    let spec = lp.spec.ok_or("no spec")?;
    assert_eq!(
        spec.security_context
            .and_then(|s| s.run_as)
            .map(|r| r.k8s_service_account),
        Some("pipelines".to_owned())
    );
    assert_eq!(
        spec.raw_output_data_config
            .map(|r| r.output_location_prefix),
        Some("s3://raw/team-a".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn transient_failures_are_retried_and_nothing_is_lost_or_doubled() -> TestResult {
    let admin = TestAdmin::builder()
        .latency(Duration::from_millis(2))
        .random_faults(0.2, 7)
        .start()
        .await?;
    let c = client(&admin)?;
    admin.fail_next("CreateWorkflow", Fault::Unavailable, 2);
    let report = c
        .register(Package::open([fixture("demo.tgz")])?, &options())
        .await?;
    assert!(report.is_success(), "{report:#?}");
    let names: HashMap<(EntityKind, String), usize> =
        report.entities.iter().fold(HashMap::new(), |mut m, r| {
            *m.entry((r.kind, display_id(&r.id))).or_default() += 1;
            m
        });
    assert_eq!(names.len(), 11);
    assert!(names.values().all(|n| *n == 1));
    use futures::TryStreamExt as _;
    let tasks: Vec<admin::Task> = c
        .list_tasks("flytesnacks", "development", None, &ListOptions::default())
        .try_collect()
        .await?;
    assert_eq!(tasks.len(), 4, "four task versions, each once");
    Ok(())
}

#[test]
fn packages_written_by_flyte_rs_read_back_the_same() -> TestResult {
    let package = Package::open([fixture("demo-fast.tgz")])?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("again.tgz");
    package.write_archive(&path)?;
    let back = Package::open([&path])?;
    assert_eq!(back.fast_bundle, package.fast_bundle);
    let ids = |p: &Package| -> Vec<_> { p.entries.iter().map(|e| e.entity.clone()).collect() };
    assert_eq!(ids(&back), ids(&package));
    let mut f = std::fs::File::open(&path)?;
    let mut magic = [0u8; 2];
    std::io::Read::read_exact(&mut f, &mut magic)?;
    assert_eq!(magic, [0x1f, 0x8b], "gzipped, as pyflyte writes");
    Ok(())
}

#[tokio::test]
async fn six_hundred_entities_through_latency_and_faults_arrive_once_each() -> TestResult {
    use futures::TryStreamExt as _;
    let admin = TestAdmin::builder()
        .latency(Duration::from_millis(5))
        .random_faults(0.02, 42)
        .start()
        .await?;
    // Spread over four connections, as behind a load balancer of FlyteAdmin replicas.
    let c = flyte_admin_client::AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .retry(flyte_admin_client::RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .connections(4)
        .build()?;
    let package = Package::open([fixture("wide.tgz")])?;
    assert_eq!(package.entries.len(), 600);
    let report = c.register(package, &options()).await?;
    assert!(
        report.is_success(),
        "{:#?}",
        report.entities.iter().find(|r| !r.outcome.is_success())
    );
    let faults: u64 = admin.all_calls().values().sum::<u64>() - 600;
    let opts = ListOptions::default();
    let tasks: Vec<admin::Task> = c
        .list_tasks("flytesnacks", "development", None, &opts)
        .try_collect()
        .await?;
    let workflows: Vec<admin::Workflow> = c
        .list_workflows("flytesnacks", "development", None, &opts)
        .try_collect()
        .await?;
    let plans: Vec<admin::LaunchPlan> = c
        .list_launch_plans("flytesnacks", "development", None, &opts)
        .try_collect()
        .await?;
    assert_eq!((tasks.len(), workflows.len(), plans.len()), (200, 200, 200));
    assert!(faults > 0, "the faults were injected and retried");
    assert_eq!(admin.connections(), 4);
    Ok(())
}

#[tokio::test]
async fn without_a_data_proxy_the_bundle_goes_to_the_blob_store() -> TestResult {
    let admin = TestAdmin::start().await?;
    admin.fail_next(
        "CreateUploadLocation",
        Fault::Status(tonic::Code::Unimplemented, "no data proxy here".into()),
        1,
    );
    let dir = tempfile::tempdir()?;
    let storage = flyte_storage::StorageBuilder::local(dir.path())
        .container("flyte-bucket")
        .build()?;
    let c = flyte_admin_client::AdminClient::builder()
        .endpoint(admin.addr().to_string())
        .insecure(true)
        .storage(storage)
        .build()?;
    let package = Package::open([fixture("demo-fast.tgz")])?;
    let bundle = package.fast_bundle.clone().ok_or("no bundle")?;
    let report = c.register(package, &options()).await?;
    assert!(report.is_success(), "{report:#?}");
    let uri = report.fast_bundle_uri.ok_or("no upload")?;
    // flytectl's place: {container}/fast/{version}-{file}.
    assert_eq!(uri, format!("s3://flyte-bucket/fast/v1-{}", bundle.name));
    let on_disk = std::fs::read(
        dir.path()
            .join(format!("flyte-bucket/fast/v1-{}", bundle.name)),
    )?;
    assert_eq!(on_disk, bundle.bytes);
    Ok(())
}

#[tokio::test]
async fn package_versions_are_kept_unless_forced() -> TestResult {
    use flyte_admin_client::build::{types, ContainerTask};
    let admin = TestAdmin::start().await?;
    let c = client(&admin)?;
    let task = ContainerTask::new("pinned.task", "alpine:3.20")
        .command(["true"])
        .input("x", types::integer());
    let pinned = || -> Result<Package, Box<dyn std::error::Error>> {
        let mut p = Package::default();
        p.add_task(&task)?;
        if let Entity::Task(spec) = &mut p.entries[0].entity {
            if let Some(id) = spec.template.as_mut().and_then(|t| t.id.as_mut()) {
                id.version = "pinned-1".into();
            }
        }
        Ok(p)
    };
    let kept = c.register(pinned()?, &options()).await?;
    assert_eq!(kept.entities[0].id.version, "pinned-1");
    let forced = c
        .register(pinned()?, &options().version("v2").force_version(true))
        .await?;
    assert_eq!(forced.entities[0].id.version, "v2");
    assert_eq!(forced.entities[0].outcome, Outcome::Registered);
    c.get_task(&TaskId::new(
        "flytesnacks",
        "development",
        "pinned.task",
        "pinned-1",
    ))
    .await?;
    Ok(())
}
