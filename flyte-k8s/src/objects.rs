//! Plain reads of any object, for callers that check what is deployed (flyte-deploy's `check`)
//! and need kinds this crate has no typed helper for.

use std::fmt;

use kube::api::{Api, ListParams};
use kube::core::{ClusterResourceScope, NamespaceResourceScope};
use serde::de::DeserializeOwned;

use crate::error::{Error, ObjectRef, Result};
use crate::K8s;

impl K8s {
    /// Every object of kind `K` (a `k8s-openapi` type, such as `ConfigMap`) in `namespace`,
    /// with the labels `label_selector` asks for (`app.kubernetes.io/instance=flyte`), following
    /// the API's pages to the end.
    ///
    /// # Errors
    /// The API's errors ([`Error::Forbidden`] when RBAC refuses the list).
    pub async fn list_objects<K>(
        &self,
        namespace: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<K>>
    where
        K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + k8s_openapi::Resource
            + Clone
            + DeserializeOwned
            + fmt::Debug,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), namespace);
        let mut params = ListParams::default();
        if let Some(selector) = label_selector {
            params = params.labels(selector);
        }
        self.list_all(&api, params, ObjectRef::new(K::KIND, Some(namespace), ""))
            .await
    }

    /// The object of kind `K` named `name` in `namespace`; `None` when there is none.
    ///
    /// # Errors
    /// The API's errors other than 404.
    pub async fn get_object<K>(&self, namespace: &str, name: &str) -> Result<Option<K>>
    where
        K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + k8s_openapi::Resource
            + Clone
            + DeserializeOwned
            + fmt::Debug,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), namespace);
        api.get_opt(name)
            .await
            .map_err(|e| Error::from_kube(ObjectRef::new(K::KIND, Some(namespace), name), e))
    }

    /// The cluster-wide object of kind `K` (such as `CustomResourceDefinition`) named `name`;
    /// `None` when there is none.
    ///
    /// # Errors
    /// The API's errors other than 404.
    pub async fn get_cluster_object<K>(&self, name: &str) -> Result<Option<K>>
    where
        K: kube::Resource<Scope = ClusterResourceScope, DynamicType = ()>
            + k8s_openapi::Resource
            + Clone
            + DeserializeOwned
            + fmt::Debug,
    {
        let api: Api<K> = Api::all(self.client.clone());
        api.get_opt(name)
            .await
            .map_err(|e| Error::from_kube(ObjectRef::new(K::KIND, None, name), e))
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use serde_json::json;

    use crate::K8s;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    async fn client(kube: &flyte_testkit::MockKube) -> Result<K8s, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, kube.kubeconfig_yaml())?;
        Ok(K8s::from_kubeconfig(&path, None).await?)
    }

    #[tokio::test]
    async fn lists_by_label_and_gets_namespaced_and_cluster_objects() -> TestResult {
        let kube = flyte_testkit::MockKube::start().await?;
        for (name, instance) in [("a", "flyte"), ("b", "other")] {
            kube.insert(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": "flyte",
                    "labels": {"app.kubernetes.io/instance": instance}}}));
        }
        kube.insert(json!({"apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition", "metadata": {"name": "rayjobs.ray.io"}}));
        let k8s = client(&kube).await?.page_size(1);

        let listed: Vec<ConfigMap> = k8s
            .list_objects("flyte", Some("app.kubernetes.io/instance=flyte"))
            .await?;
        let names: Vec<_> = listed
            .iter()
            .filter_map(|c| c.metadata.name.clone())
            .collect();
        assert_eq!(names, ["a"]);
        assert!(k8s.get_object::<ConfigMap>("flyte", "b").await?.is_some());
        assert!(k8s.get_object::<ConfigMap>("flyte", "c").await?.is_none());
        let crd: Option<CustomResourceDefinition> =
            k8s.get_cluster_object("rayjobs.ray.io").await?;
        assert!(crd.is_some());
        assert!(k8s
            .get_cluster_object::<CustomResourceDefinition>(
                "sparkapplications.sparkoperator.k8s.io"
            )
            .await?
            .is_none());
        Ok(())
    }

    #[tokio::test]
    async fn a_refused_list_names_the_kind_and_namespace() -> TestResult {
        let kube = flyte_testkit::MockKube::start().await?;
        kube.deny("list", "configmaps");
        let k8s = client(&kube).await?;
        let err = k8s
            .list_objects::<ConfigMap>("flyte", None)
            .await
            .err()
            .ok_or("the list was not refused")?;
        assert!(err.is_forbidden());
        assert!(err.to_string().contains("ConfigMap flyte"), "{err}");
        Ok(())
    }
}
