//! AgentMetadataService: the agents a deployment has, as configured on the builder.

use flyteidl::flyteidl::admin::{
    Agent, GetAgentRequest, GetAgentResponse, ListAgentsRequest, ListAgentsResponse,
};
use flyteidl::flyteidl::service::agent_metadata_service_server::AgentMetadataService;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub(crate) struct Agents {
    pub(crate) agents: Vec<Agent>,
}

#[tonic::async_trait]
impl AgentMetadataService for Agents {
    async fn get_agent(
        &self,
        request: Request<GetAgentRequest>,
    ) -> Result<Response<GetAgentResponse>, Status> {
        let name = request.into_inner().name;
        self.agents
            .iter()
            .find(|a| a.name == name)
            .map(|a| {
                Response::new(GetAgentResponse {
                    agent: Some(a.clone()),
                })
            })
            .ok_or_else(|| Status::not_found(format!("Cannot find agent [{name}]")))
    }

    async fn list_agents(
        &self,
        _: Request<ListAgentsRequest>,
    ) -> Result<Response<ListAgentsResponse>, Status> {
        Ok(Response::new(ListAgentsResponse {
            agents: self.agents.clone(),
        }))
    }
}
