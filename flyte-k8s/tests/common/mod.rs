//! Helpers the flyte-k8s tests share.

use flyte_k8s::K8s;
use flyte_testkit::MockKube;

/// A client for the mock API through a kubeconfig file in `dir`, as a user's would be, with
/// `context` chosen or the kubeconfig's current one.
pub(crate) async fn connect(
    kube: &MockKube,
    dir: &tempfile::TempDir,
    context: Option<&str>,
) -> Result<K8s, Box<dyn std::error::Error>> {
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, kube.kubeconfig_yaml())?;
    Ok(K8s::from_kubeconfig(&path, context).await?)
}
