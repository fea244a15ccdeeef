//! What a client sends comes back from Get and List as sent, fields newer than the `flyteidl`
//! crate included, as FlyteAdmin (which stores the serialized template or spec) answers; and
//! clients of the `flyteidl` crate read what they read before.
//!
//! The requests are written here as bytes, the way a newer flytekit encodes them, and sent and
//! read with a gRPC client that does not decode.

mod common;

use std::str::FromStr as _;

use bytes::{Buf as _, BufMut as _};
use common::*;
use flyte_testkit::flyteidl::flyteidl::admin::{
    self, ActiveLaunchPlanRequest, ExecutionRelaunchRequest, LaunchPlanState,
    LaunchPlanUpdateRequest, ObjectGetRequest, ResourceListRequest, WorkflowExecutionGetRequest,
};
use flyte_testkit::flyteidl::flyteidl::core::{self, ResourceType};
use flyte_testkit::TestAdmin;
use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::Status;

/// A codec that sends and receives messages as bytes, untouched.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

/// Calls AdminService's `method` with `message` as encoded; the answer as encoded.
async fn call(channel: &Channel, method: &str, message: Vec<u8>) -> Result<Vec<u8>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let path = format!("/flyteidl.service.AdminService/{method}");
    let path = tonic::codegen::http::uri::PathAndQuery::from_str(&path)
        .map_err(|e| Status::internal(e.to_string()))?;
    Ok(grpc
        .unary(tonic::Request::new(message), path, Raw)
        .await?
        .into_inner())
}

/// Appends field `number` with a length-delimited `value`.
fn put(buf: &mut Vec<u8>, number: u32, value: &[u8]) {
    encode_key(number, WireType::LengthDelimited, buf);
    encode_varint(value.len() as u64, buf);
    buf.extend_from_slice(value);
}

fn with(message: &impl Message, number: u32, value: &[u8]) -> Vec<u8> {
    let mut buf = message.encode_to_vec();
    put(&mut buf, number, value);
    buf
}

/// The payload of occurrence `index` of the length-delimited field `number`.
fn field(buf: &[u8], number: u32, index: usize) -> Result<Vec<u8>, String> {
    let mut rest = buf;
    let mut seen = 0;
    while !rest.is_empty() {
        let (n, wire_type) = decode_key(&mut rest).map_err(|e| e.to_string())?;
        let len = match wire_type {
            WireType::Varint => {
                decode_varint(&mut rest).map_err(|e| e.to_string())?;
                continue;
            }
            WireType::SixtyFourBit => 8,
            WireType::ThirtyTwoBit => 4,
            WireType::LengthDelimited => {
                decode_varint(&mut rest).map_err(|e| e.to_string())? as usize
            }
            _ => return Err("a group".into()),
        };
        let value = rest.get(..len).ok_or("truncated")?;
        if n == number && wire_type == WireType::LengthDelimited {
            if seen == index {
                return Ok(value.to_vec());
            }
            seen += 1;
        }
        rest = &rest[len..];
    }
    Err(format!("no occurrence {index} of field {number}"))
}

/// The message at `path` of (field number, occurrence) pairs.
fn at(buf: &[u8], path: &[(u32, usize)]) -> Result<Vec<u8>, String> {
    let mut current = buf.to_vec();
    for (number, index) in path {
        current = field(&current, *number, *index)?;
    }
    Ok(current)
}

/// A task template as flytekit 1.16 writes it: `TaskMetadata` with `is_eager` (14),
/// `generates_deck` as a `BoolValue` (15) and pod `metadata` (16), fields the crate lacks.
fn task_template(tid: &core::Identifier) -> Vec<u8> {
    let mut metadata = core::TaskMetadata {
        discovery_version: "1".into(),
        ..core::TaskMetadata::default()
    }
    .encode_to_vec();
    encode_key(14, WireType::Varint, &mut metadata);
    encode_varint(1, &mut metadata);
    put(&mut metadata, 15, &[0x08, 0x01]);
    let mut labels = Vec::new();
    put(&mut labels, 1, b"team");
    put(&mut labels, 2, b"ml");
    let mut pod = Vec::new();
    put(&mut pod, 1, &labels);
    put(&mut metadata, 16, &pod);
    let mut template = task_request("sq", "v1", iface(&[], &[]))
        .spec
        .and_then(|s| s.template)
        .unwrap_or_default();
    template.id = Some(tid.clone());
    template.metadata = None;
    with(&template, 3, &metadata)
}

fn create_request(id: &core::Identifier, spec: &[u8]) -> Vec<u8> {
    let mut request = Vec::new();
    put(&mut request, 1, &id.encode_to_vec());
    put(&mut request, 2, spec);
    request
}

fn get_request(id: &core::Identifier) -> Vec<u8> {
    ObjectGetRequest {
        id: Some(id.clone()),
    }
    .encode_to_vec()
}

fn list_request(name: &str) -> Vec<u8> {
    ResourceListRequest {
        id: Some(admin::NamedEntityIdentifier {
            project: P.into(),
            domain: D.into(),
            name: name.into(),
            org: String::new(),
        }),
        limit: 10,
        ..ResourceListRequest::default()
    }
    .encode_to_vec()
}

/// A test kit, a channel for raw calls and a client of the crate.
async fn start() -> Result<(TestAdmin, Channel, Client), Box<dyn std::error::Error>> {
    let admin = TestAdmin::start().await?;
    let channel = Channel::from_shared(admin.endpoint())?.connect().await?;
    let typed = connect(&admin).await?;
    Ok((admin, channel, typed))
}

/// Creates task `tid` with [`task_template`]; the template as sent.
async fn create_task(
    channel: &Channel,
    tid: &core::Identifier,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let template = task_template(tid);
    let mut spec = Vec::new();
    put(&mut spec, 1, &template);
    call(channel, "CreateTask", create_request(tid, &spec)).await?;
    Ok(template)
}

#[tokio::test]
async fn tasks_workflows_and_launch_plans_come_back_as_sent() -> TestResult {
    let (_admin, channel, mut typed) = start().await?;

    let tid = id(ResourceType::Task, "sq", "v1");
    let template = create_task(&channel, &tid).await?;
    const TEMPLATE: [(u32, usize); 3] = [(2, 0), (1, 0), (1, 0)];
    let got = call(&channel, "GetTask", get_request(&tid)).await?;
    assert_eq!(at(&got, &TEMPLATE)?, template);
    let listed = call(&channel, "ListTasks", list_request("sq")).await?;
    assert_eq!(
        at(&listed, &[(1, 0), TEMPLATE[0], TEMPLATE[1], TEMPLATE[2]])?,
        template
    );
    // A client of the crate reads the template as it decodes, unknown fields aside.
    let task = typed
        .get_task(admin::ObjectGetRequest {
            id: Some(tid.clone()),
        })
        .await?;
    let read = task.into_inner().closure.and_then(|c| c.compiled_task);
    assert_eq!(
        read.and_then(|c| c.template),
        Some(core::TaskTemplate::decode(template.as_slice())?)
    );

    // A workflow template with a field from the future, at the top and inside its node.
    let wid = id(ResourceType::Workflow, "wf", "v1");
    let node = with(&task_node("n0", &tid), 999, b"node-newer");
    let mut workflow = core::WorkflowTemplate {
        id: Some(wid.clone()),
        interface: Some(iface(&[], &[])),
        ..core::WorkflowTemplate::default()
    }
    .encode_to_vec();
    put(&mut workflow, 4, &node);
    put(&mut workflow, 999, b"workflow-newer");
    let mut spec = Vec::new();
    put(&mut spec, 1, &workflow);
    call(&channel, "CreateWorkflow", create_request(&wid, &spec)).await?;
    let got = call(&channel, "GetWorkflow", get_request(&wid)).await?;
    let compiled = at(&got, &[(2, 0), (1, 0)])?;
    assert_eq!(at(&compiled, &[(1, 0), (1, 0)])?, workflow);
    // The task compiled into it is the template as its client sent it, as in FlyteAdmin.
    assert_eq!(at(&compiled, &[(3, 0), (1, 0)])?, template);
    let listed = call(&channel, "ListWorkflows", list_request("wf")).await?;
    assert_eq!(
        at(&listed, &[(1, 0), (2, 0), (1, 0), (1, 0), (1, 0)])?,
        workflow
    );
    let read = typed
        .get_workflow(admin::ObjectGetRequest {
            id: Some(wid.clone()),
        })
        .await?
        .into_inner();
    let primary = read
        .closure
        .and_then(|c| c.compiled_workflow)
        .and_then(|c| c.primary)
        .and_then(|p| p.template);
    assert_eq!(
        primary,
        Some(core::WorkflowTemplate::decode(workflow.as_slice())?)
    );

    // A launch plan spec with a concurrency policy (24), newer than the crate.
    let lid = id(ResourceType::LaunchPlan, "wf", "v1");
    let known = launch_plan_request("wf", "v1", &wid, &[], &[])
        .spec
        .unwrap_or_default();
    let lp_spec = with(&known, 24, &[0x08, 0x01, 0x10, 0x01]);
    call(&channel, "CreateLaunchPlan", create_request(&lid, &lp_spec)).await?;
    let got = call(&channel, "GetLaunchPlan", get_request(&lid)).await?;
    assert_eq!(at(&got, &[(2, 0)])?, lp_spec);
    // Activation changes the closure, not the spec.
    typed
        .update_launch_plan(LaunchPlanUpdateRequest {
            id: Some(lid.clone()),
            state: LaunchPlanState::Active as i32,
        })
        .await?;
    let active = ActiveLaunchPlanRequest {
        id: Some(admin::NamedEntityIdentifier {
            project: P.into(),
            domain: D.into(),
            name: "wf".into(),
            org: String::new(),
        }),
    };
    let got = call(&channel, "GetActiveLaunchPlan", active.encode_to_vec()).await?;
    assert_eq!(at(&got, &[(2, 0)])?, lp_spec);
    assert_eq!(
        admin::LaunchPlan::decode(got.as_slice())?
            .closure
            .map(|c| c.state),
        Some(LaunchPlanState::Active as i32)
    );
    let listed = call(&channel, "ListLaunchPlans", list_request("wf")).await?;
    assert_eq!(at(&listed, &[(1, 0), (2, 0)])?, lp_spec);
    let read = typed
        .get_launch_plan(ObjectGetRequest { id: Some(lid) })
        .await?;
    assert_eq!(read.into_inner().spec, Some(known));
    Ok(())
}

#[tokio::test]
async fn executions_come_back_as_sent_with_what_flyteadmin_fills_in() -> TestResult {
    let (_admin, channel, mut typed) = start().await?;
    register_basic(&mut typed, "v1").await?;

    // The principal is FlyteAdmin's to fill in (the authenticated subject, none here); a field
    // unknown to the crate sits beside it in the metadata, and another in the spec.
    let lp = id(ResourceType::LaunchPlan, "wf", "v1");
    let metadata = with(
        &admin::ExecutionMetadata {
            principal: "someone-else".into(),
            ..admin::ExecutionMetadata::default()
        },
        99,
        b"metadata-newer",
    );
    let mut spec = admin::ExecutionSpec {
        launch_plan: Some(lp),
        ..admin::ExecutionSpec::default()
    }
    .encode_to_vec();
    put(&mut spec, 3, &metadata);
    put(&mut spec, 999, b"spec-newer");
    let mut request = admin::ExecutionCreateRequest {
        project: P.into(),
        domain: D.into(),
        name: "e1".into(),
        inputs: Some(lits(&[("x", int(2))])),
        ..admin::ExecutionCreateRequest::default()
    }
    .encode_to_vec();
    put(&mut request, 4, &spec);
    call(&channel, "CreateExecution", request).await?;

    let get = WorkflowExecutionGetRequest {
        id: Some(exec_id("e1")),
    };
    let got = call(&channel, "GetExecution", get.encode_to_vec()).await?;
    let kept = at(&got, &[(2, 0)])?;
    assert_eq!(field(&kept, 1, 0)?, field(&spec, 1, 0)?);
    assert_eq!(field(&kept, 999, 0)?, b"spec-newer");
    assert_eq!(at(&kept, &[(3, 0), (99, 0)])?, b"metadata-newer");
    let read = typed.get_execution(get.clone()).await?.into_inner();
    let read_spec = read.spec.clone().ok_or("no spec")?;
    assert_eq!(admin::ExecutionSpec::decode(kept.as_slice())?, read_spec);
    assert_eq!(read_spec.metadata.map(|m| m.principal), Some(String::new()));

    let listed = call(&channel, "ListExecutions", list_request("")).await?;
    assert_eq!(at(&listed, &[(1, 0), (2, 0)])?, kept);

    // A relaunch runs the original spec, as sent, with FlyteAdmin's changes for the new run.
    let relaunched = typed
        .relaunch_execution(ExecutionRelaunchRequest {
            id: Some(exec_id("e1")),
            name: "e2".into(),
            overwrite_cache: false,
        })
        .await?
        .into_inner()
        .id
        .ok_or("no id")?;
    let get = WorkflowExecutionGetRequest {
        id: Some(relaunched),
    };
    let got = call(&channel, "GetExecution", get.encode_to_vec()).await?;
    let kept = at(&got, &[(2, 0)])?;
    assert_eq!(field(&kept, 999, 0)?, b"spec-newer");
    assert_eq!(at(&kept, &[(3, 0), (99, 0)])?, b"metadata-newer");
    let metadata = admin::ExecutionSpec::decode(kept.as_slice())?
        .metadata
        .ok_or("no metadata")?;
    assert_eq!(
        metadata.mode,
        admin::execution_metadata::ExecutionMode::Relaunch as i32
    );
    assert_eq!(metadata.reference_execution, Some(exec_id("e1")));
    Ok(())
}

#[tokio::test]
async fn a_task_launch_compiles_the_task_as_sent() -> TestResult {
    let (_admin, channel, mut typed) = start().await?;
    let tid = id(ResourceType::Task, "sq", "v1");
    let template = create_task(&channel, &tid).await?;
    typed
        .create_execution(exec_request(tid, "t1", lits(&[])))
        .await?;
    let execution = typed
        .get_execution(WorkflowExecutionGetRequest {
            id: Some(exec_id("t1")),
        })
        .await?
        .into_inner();
    let generated = execution
        .closure
        .and_then(|c| c.workflow_id)
        .ok_or("no workflow")?;
    assert_eq!(generated.name, ".flytegen.sq");
    let got = call(&channel, "GetWorkflow", get_request(&generated)).await?;
    assert_eq!(at(&got, &[(2, 0), (1, 0), (3, 0), (1, 0)])?, template);
    Ok(())
}

#[tokio::test]
async fn what_the_crate_encodes_itself_is_answered_as_before() -> TestResult {
    let (_admin, channel, mut typed) = start().await?;
    register_basic(&mut typed, "v1").await?;
    let tid = id(ResourceType::Task, "double", "v1");
    let got = call(&channel, "GetTask", get_request(&tid)).await?;
    let read = typed.get_task(ObjectGetRequest { id: Some(tid) }).await?;
    assert_eq!(got, read.into_inner().encode_to_vec());
    Ok(())
}
