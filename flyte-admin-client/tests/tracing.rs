//! The tracing the client emits: a span per attempt naming the RPC, the outcome of each attempt,
//! and never a secret.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flyte_admin_client::{AdminClient, RetryPolicy};
use flyte_testkit::{AuthSettings, Fault, TestAdmin};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

mod common;
use common::TestResult;

/// Writes every span and event as one line: `span NAME k=v ...` or `event k=v ...`.
#[derive(Clone, Default)]
struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Recorder {
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(line);
        }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut line = Line(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut line);
        self.push(line.0);
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = Line("record".into());
        values.record(&mut line);
        self.push(line.0);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line("event".into());
        event.record(&mut line);
        self.push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn recorded<F: std::future::Future<Output = TestResult>>(
    test: impl FnOnce() -> F,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let recorder = Recorder::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tracing::subscriber::with_default(recorder.clone(), || rt.block_on(test()))?;
    Ok(recorder.lines())
}

#[test]
fn each_attempt_is_a_span_with_its_outcome() -> TestResult {
    let lines = recorded(|| async {
        let admin = TestAdmin::start().await?;
        let c = AdminClient::builder()
            .endpoint(admin.addr().to_string())
            .insecure(true)
            .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
            .build()?;
        admin.fail_next("GetVersion", Fault::Unavailable, 2);
        c.version().await?;
        Ok(())
    })?;
    let ours: Vec<&String> = lines.iter().filter(|l| l.contains("GetVersion")).collect();
    for attempt in 1..=3 {
        let span = format!("span flyteadmin rpc=\"GetVersion\" attempt={attempt}");
        assert!(ours.iter().any(|l| **l == span), "{span} in {ours:#?}");
    }
    let failed = ours
        .iter()
        .filter(|l| l.contains("failed") && l.contains("code=Unavailable"))
        .count();
    assert_eq!(failed, 2, "{ours:#?}");
    assert!(
        ours.iter()
            .any(|l| l.contains("attempt=3") && l.contains("message=ok")),
        "{ours:#?}"
    );
    Ok(())
}

#[test]
fn logging_in_traces_no_secret_and_no_token() -> TestResult {
    let lines = recorded(|| async {
        let admin = TestAdmin::builder()
            .auth(AuthSettings::default().client("robot", "s3cret-value"))
            .start()
            .await?;
        let dir = tempfile::tempdir()?;
        let c = common::robot_client(&admin, "s3cret-value", dir.path()).await?;
        c.version().await?;
        c.get_project("flytesnacks").await?;
        Ok(())
    })?;
    assert!(
        lines.iter().any(|l| l.contains("GetProject")),
        "the calls were traced: {lines:#?}"
    );
    for line in &lines {
        assert!(!line.contains("s3cret-value"), "secret in trace: {line}");
        assert!(
            !line.to_lowercase().contains("bearer"),
            "token in trace: {line}"
        );
        assert!(!line.contains("access_token"), "token in trace: {line}");
    }
    Ok(())
}

#[test]
fn insecure_skip_verify_warns() -> TestResult {
    let lines = recorded(|| async {
        let admin = TestAdmin::builder().tls_test_certificate().start().await?;
        let c = AdminClient::builder()
            .endpoint(format!("localhost:{}", admin.addr().port()))
            .insecure_skip_verify(true)
            .build()?;
        c.version().await?;
        Ok(())
    })?;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("insecureSkipVerify is set") && l.contains("caCertFilePath")),
        "{lines:#?}"
    );
    Ok(())
}

#[test]
fn a_certificate_rejection_is_not_retried() -> TestResult {
    let lines = recorded(|| async {
        let admin = TestAdmin::builder().tls_test_certificate().start().await?;
        let c = AdminClient::builder()
            .endpoint(format!("localhost:{}", admin.addr().port()))
            .build()?;
        let err = c.version().await.expect_err("the test CA is not trusted");
        assert!(err.message().contains("UnknownIssuer"), "{err}");
        Ok(())
    })?;
    let attempts = lines
        .iter()
        .filter(|l| l.starts_with("span flyteadmin rpc=\"GetVersion\""))
        .count();
    assert_eq!(attempts, 1, "{lines:#?}");
    Ok(())
}
