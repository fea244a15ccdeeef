//! The typed helpers of [`AdminClient`](crate::AdminClient), one file per resource: projects,
//! entities (tasks, workflows, launch plans, their names), executions, waiting and watching,
//! signals and the data proxy, execution data, and inspection (versions, node trees, metrics).
//!
//! Each helper makes one call on a generated service client and names it in its error; the
//! retry and login layers on the channel do the rest.

use flyteidl::flyteidl::admin;

use crate::retry::{Attempts, Idempotent};

/// A request the retry layer may repeat, because it names what it creates (a repeat then
/// meets ALREADY_EXISTS instead of creating a second one), with the count of its attempts (an
/// ALREADY_EXISTS answering a repeat may be what the first attempt made).
fn repeatable<T>(message: T) -> (tonic::Request<T>, Attempts) {
    let mut request = tonic::Request::new(message);
    let attempts = Attempts::default();
    request.extensions_mut().insert(Idempotent);
    request.extensions_mut().insert(attempts.clone());
    (request, attempts)
}

fn scope(project: &str, domain: &str, name: Option<&str>) -> admin::NamedEntityIdentifier {
    admin::NamedEntityIdentifier {
        project: project.to_owned(),
        domain: domain.to_owned(),
        name: name.unwrap_or_default().to_owned(),
        org: String::new(),
    }
}

/// A [`Listing`](crate::list::Listing) over a list RPC of AdminService (or of the service
/// named last): the request made for each page token, the method, the answer's items field.
macro_rules! list_stream {
    ($self:ident, $rpc:literal, $opts:ident, |$req_token:ident| $make:expr, $method:ident, $field:ident) => {
        list_stream!(
            $self,
            $rpc,
            $opts,
            |$req_token| $make,
            $method,
            $field,
            admin
        )
    };
    ($self:ident, $rpc:literal, $opts:ident, |$req_token:ident| $make:expr, $method:ident, $field:ident, $svc:ident) => {{
        if let Some(problem) = $opts.filters.problem() {
            return crate::list::Listing::failed($self.invalid($rpc, problem));
        }
        let client = $self.clone();
        let opts = $opts.clone();
        crate::list::items(crate::list::pages(move |$req_token: String| {
            let client = client.clone();
            let req = {
                let opts = &opts;
                $make(opts)
            };
            async move {
                let resp = client
                    .unary($rpc, {
                        let mut svc = client.inner.$svc.clone();
                        async move { svc.$method(req).await }
                    })
                    .await?;
                Ok((resp.$field, resp.token))
            }
        }))
    }};
}

mod batch;
mod data;
mod entities;
mod execution_options;
mod executions;
mod inspect;
mod projects;
mod signals;
mod watch;
mod watch_set;

pub use batch::{ExecuteMany, LaunchItem, LaunchStream, Launched, DEFAULT_LAUNCH_CONCURRENCY};
pub use execution_options::ExecutionOptions;
pub use inspect::NodeTree;
pub use watch::{is_terminal, phase_of, WaitOptions, DEFAULT_NAMES_PER_CALL};
