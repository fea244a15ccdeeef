//! IdentityService: who the caller is.

use flyteidl::flyteidl::service::{
    identity_service_server::IdentityService, UserInfoRequest, UserInfoResponse,
};
use tonic::Request;

use super::{ok, principal, R};

/// IdentityService: the authenticated subject.
#[derive(Debug, Clone)]
pub(crate) struct Identity;

#[tonic::async_trait]
impl IdentityService for Identity {
    async fn user_info(&self, request: Request<UserInfoRequest>) -> R<UserInfoResponse> {
        let subject = principal(&request);
        ok(UserInfoResponse {
            subject: subject.clone(),
            name: subject.clone(),
            preferred_username: subject,
            ..UserInfoResponse::default()
        })
    }
}
