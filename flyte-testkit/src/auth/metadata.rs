//! Discovery: AuthMetadataService over gRPC, and the same documents over HTTP as JSON.

use std::sync::Arc;

use flyteidl::flyteidl::service::{
    auth_metadata_service_server::AuthMetadataService, OAuth2MetadataRequest,
    OAuth2MetadataResponse, PublicClientAuthConfigRequest, PublicClientAuthConfigResponse,
};
use tonic::{Request as GrpcRequest, Response as GrpcResponse, Status};

use crate::executions::Shared;

use super::AuthSettings;

pub(super) fn metadata(base: &str) -> OAuth2MetadataResponse {
    OAuth2MetadataResponse {
        issuer: base.to_owned(),
        authorization_endpoint: format!("{base}/oauth2/authorize"),
        token_endpoint: format!("{base}/oauth2/token"),
        response_types_supported: vec!["code".into(), "token".into(), "code token".into()],
        scopes_supported: vec!["all".into()],
        token_endpoint_auth_methods_supported: vec!["client_secret_basic".into()],
        jwks_uri: format!("{base}/oauth2/jwks"),
        code_challenge_methods_supported: vec!["S256".into()],
        grant_types_supported: vec![
            "client_credentials".into(),
            "refresh_token".into(),
            "authorization_code".into(),
            "urn:ietf:params:oauth:grant-type:device_code".into(),
        ],
        device_authorization_endpoint: format!("{base}/oauth2/device/code"),
    }
}

pub(super) fn public_config(s: &AuthSettings) -> PublicClientAuthConfigResponse {
    PublicClientAuthConfigResponse {
        client_id: s.public_client_id.clone(),
        redirect_uri: s.redirect_uri.clone(),
        scopes: s.scopes.clone(),
        authorization_metadata_key: s.authorization_metadata_key.clone(),
        service_http_endpoint: String::new(),
        audience: s.audience.clone(),
    }
}

/// AuthMetadataService: UNIMPLEMENTED with auth off (FlyteAdmin does not register it then).
#[derive(Debug, Clone)]
pub(crate) struct Metadata {
    pub(crate) shared: Arc<Shared>,
}

impl Metadata {
    fn external(&self) -> Option<crate::external::ExternalState> {
        self.shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .external
            .clone()
    }

    fn settings(&self) -> Result<AuthSettings, Status> {
        self.shared
            .auth
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .settings
            .clone()
            .ok_or_else(|| {
                Status::unimplemented("unknown service flyteidl.service.AuthMetadataService")
            })
    }
}

#[tonic::async_trait]
impl AuthMetadataService for Metadata {
    async fn get_o_auth2_metadata(
        &self,
        _: GrpcRequest<OAuth2MetadataRequest>,
    ) -> Result<GrpcResponse<OAuth2MetadataResponse>, Status> {
        if let Some(ext) = self.external() {
            return Ok(GrpcResponse::new(ext.metadata));
        }
        let _settings = self.settings()?;
        Ok(GrpcResponse::new(metadata(&self.shared.http_base())))
    }

    async fn get_public_client_config(
        &self,
        _: GrpcRequest<PublicClientAuthConfigRequest>,
    ) -> Result<GrpcResponse<PublicClientAuthConfigResponse>, Status> {
        if let Some(ext) = self.external() {
            return Ok(GrpcResponse::new(external_public_config(&ext.settings)));
        }
        Ok(GrpcResponse::new(public_config(&self.settings()?)))
    }
}

pub(super) fn external_public_config(
    s: &crate::external::ExternalAuth,
) -> PublicClientAuthConfigResponse {
    PublicClientAuthConfigResponse {
        client_id: s.public_client_id.clone(),
        redirect_uri: s.redirect_uri.clone(),
        scopes: s.scopes.clone(),
        authorization_metadata_key: s.authorization_metadata_key.clone(),
        service_http_endpoint: String::new(),
        audience: s.audience.clone().unwrap_or_default(),
    }
}

pub(super) fn metadata_json(m: &OAuth2MetadataResponse) -> serde_json::Value {
    serde_json::json!({
        "issuer": m.issuer, "authorization_endpoint": m.authorization_endpoint,
        "token_endpoint": m.token_endpoint, "response_types_supported": m.response_types_supported,
        "scopes_supported": m.scopes_supported,
        "token_endpoint_auth_methods_supported": m.token_endpoint_auth_methods_supported,
        "jwks_uri": m.jwks_uri, "code_challenge_methods_supported": m.code_challenge_methods_supported,
        "grant_types_supported": m.grant_types_supported,
        "device_authorization_endpoint": m.device_authorization_endpoint,
    })
}

pub(super) fn client_json(c: &PublicClientAuthConfigResponse) -> serde_json::Value {
    serde_json::json!({
        "client_id": c.client_id, "redirect_uri": c.redirect_uri, "scopes": c.scopes,
        "authorization_metadata_key": c.authorization_metadata_key,
        "service_http_endpoint": c.service_http_endpoint, "audience": c.audience,
    })
}
