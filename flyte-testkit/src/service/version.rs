//! GetVersion: the test kit names itself.

use flyteidl::flyteidl::admin::*;
use tonic::Request;

use super::{ok, Admin, R, VERSION};

impl Admin {
    pub(super) async fn get_version(&self, _: Request<GetVersionRequest>) -> R<GetVersionResponse> {
        ok(GetVersionResponse {
            control_plane_version: Some(Version {
                build: "flyte-testkit".to_owned(),
                version: VERSION.to_owned(),
                build_time: String::new(),
            }),
        })
    }
}
