//! How the test kit decides what an execution does: the part flytepropeller plays in a real
//! deployment.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use flyteidl::flyteidl::core::{
    ExecutionError, Identifier, LiteralMap, TypedInterface, WorkflowExecutionIdentifier,
};

use crate::literals;

/// What an executor is told about an execution it runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExecutionRun {
    /// The execution.
    pub id: WorkflowExecutionIdentifier,
    /// The launch plan it was launched from (for single-task executions, the generated one).
    pub launch_plan: Identifier,
    /// The workflow it runs.
    pub workflow: Identifier,
    /// The task, for single-task executions.
    pub task: Option<Identifier>,
    /// The merged inputs: user inputs, launch plan defaults and fixed inputs.
    pub inputs: LiteralMap,
    /// The workflow's (or task's) interface.
    pub interface: TypedInterface,
    /// Where files, directories and datasets this run writes go: the test kit's storage
    /// prefix, `/data/`, project, domain and execution name (`s3://flyte-testkit/data/...`).
    pub raw_output_prefix: String,
}

impl ExecutionRun {
    /// A run of `workflow`, launched from `launch_plan` with these merged `inputs`: what the test
    /// kit hands an executor, built by hand to test an executor on its own.
    pub fn new(
        id: WorkflowExecutionIdentifier,
        launch_plan: Identifier,
        workflow: Identifier,
        inputs: LiteralMap,
        interface: TypedInterface,
    ) -> Self {
        ExecutionRun {
            id,
            launch_plan,
            workflow,
            task: None,
            inputs,
            interface,
            raw_output_prefix: "s3://flyte-testkit/data".to_owned(),
        }
    }

    /// Sets where the run's new files, directories and datasets go.
    #[must_use]
    pub fn raw_output_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.raw_output_prefix = prefix.into();
        self
    }

    /// Makes this a single-task execution of `task`.
    #[must_use]
    pub fn task(mut self, task: Identifier) -> Self {
        self.task = Some(task);
        self
    }

    /// Default outputs: each declared output takes the input of the same name when its type
    /// fits, else the value flytekit would write for its type, at its zero: 0, "", false, the
    /// epoch, empty lists and maps, an enum's first value, a union's `None`; a dataclass or
    /// pydantic model as msgpack with every field of its JSON schema at its default or zero (so
    /// FlyteRemote decodes it into the class); files, directories and datasets as new objects
    /// under [`raw_output_prefix`](Self::raw_output_prefix), which the test kit creates in its
    /// store before it reports the outputs.
    pub fn echo_outputs(&self) -> LiteralMap {
        let mut sampler = crate::outputs::Sampler::new(&self.raw_output_prefix);
        let outputs = self
            .interface
            .outputs
            .as_ref()
            .map(|o| o.variables.clone())
            .unwrap_or_default();
        let literals = outputs
            .into_iter()
            .map(|(name, var)| {
                let want = var.r#type.unwrap_or_default();
                let value = match self.inputs.literals.get(&name) {
                    Some(lit) if literals::castable(&literals::type_of(lit), &want) => lit.clone(),
                    _ => sampler.value(&want, &name),
                };
                (name, value)
            })
            .collect();
        LiteralMap { literals }
    }
}

/// How an execution ends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// SUCCEEDED with these outputs.
    Succeed(LiteralMap),
    /// FAILED with this error.
    Fail(ExecutionError),
    /// RUNNING until terminated.
    Hang,
}

/// What an executor decides for one execution: how long it runs and how it ends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Plan {
    /// Time spent RUNNING before the outcome (tokio time, so paused-time tests skip it).
    pub duration: Duration,
    /// The outcome.
    pub outcome: Outcome,
}

impl Plan {
    /// End with `outcome` after `duration` RUNNING.
    pub fn new(duration: Duration, outcome: Outcome) -> Self {
        Plan { duration, outcome }
    }

    /// Succeed after `duration` with `outputs`.
    pub fn succeed(duration: Duration, outputs: LiteralMap) -> Self {
        Plan {
            duration,
            outcome: Outcome::Succeed(outputs),
        }
    }

    /// Fail after `duration` with a user error (`kind` USER) carrying `code` and `message`.
    pub fn fail(duration: Duration, code: impl Into<String>, message: impl Into<String>) -> Self {
        Plan {
            duration,
            outcome: Outcome::Fail(ExecutionError {
                code: code.into(),
                message: message.into(),
                error_uri: String::new(),
                kind: flyteidl::flyteidl::core::execution_error::ErrorKind::User as i32,
            }),
        }
    }

    /// Run until terminated.
    pub fn hang() -> Self {
        Plan {
            duration: Duration::ZERO,
            outcome: Outcome::Hang,
        }
    }
}

/// Decides what each execution does. Implemented for closures
/// `Fn(&ExecutionRun) -> Plan + Send + Sync`.
pub trait Executor: Send + Sync + 'static {
    /// The plan for `run`.
    fn plan(&self, run: &ExecutionRun) -> Plan;
}

impl<F> Executor for F
where
    F: Fn(&ExecutionRun) -> Plan + Send + Sync + 'static,
{
    fn plan(&self, run: &ExecutionRun) -> Plan {
        self(run)
    }
}

/// The built-in executors.
#[derive(Clone)]
pub struct Executors(pub(crate) Arc<dyn Executor>);

impl fmt::Debug for Executors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Executors(..)")
    }
}

impl Executors {
    /// Succeed after `duration` with [`ExecutionRun::echo_outputs`]. The default, with 0s.
    pub fn succeed_after(duration: Duration) -> Self {
        Executors(Arc::new(move |run: &ExecutionRun| {
            Plan::succeed(duration, run.echo_outputs())
        }))
    }

    /// Succeed with [`ExecutionRun::echo_outputs`] after a time from `min` to `max` (inclusive)
    /// drawn for each execution from its id and `seed`: the same execution runs as long in
    /// every run with the same seed, and a batch ends spread over the span (a benchmark's
    /// executions ending at random times). `max` below `min` is taken as `min`.
    pub fn succeed_between(min: Duration, max: Duration, seed: u64) -> Self {
        Executors(Arc::new(move |run: &ExecutionRun| {
            Plan::succeed(draw_between(min, max, seed, &run.id), run.echo_outputs())
        }))
    }

    /// Succeed after `duration` with outputs computed from the run.
    pub fn succeed_with(
        duration: Duration,
        outputs: impl Fn(&ExecutionRun) -> LiteralMap + Send + Sync + 'static,
    ) -> Self {
        Executors(Arc::new(move |run: &ExecutionRun| {
            Plan::succeed(duration, outputs(run))
        }))
    }

    /// Fail every execution after `duration` with `code` and `message`.
    pub fn fail(duration: Duration, code: impl Into<String>, message: impl Into<String>) -> Self {
        let (code, message) = (code.into(), message.into());
        Executors(Arc::new(move |_: &ExecutionRun| {
            Plan::fail(duration, code.clone(), message.clone())
        }))
    }

    /// Run every execution until it is terminated.
    pub fn hang() -> Self {
        Executors(Arc::new(|_: &ExecutionRun| Plan::hang()))
    }

    /// Any executor of your own.
    pub fn custom(executor: impl Executor) -> Self {
        Executors(Arc::new(executor))
    }
}

/// A time from `min` to `max` for execution `id`: FNV-1a over the id, mixed with `seed` by
/// SplitMix64's finalizer, so that neighbouring names land far apart.
fn draw_between(
    min: Duration,
    max: Duration,
    seed: u64,
    id: &WorkflowExecutionIdentifier,
) -> Duration {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [&id.org, &id.project, &id.domain, &id.name] {
        for b in part.bytes().chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let span = max.saturating_sub(min).as_nanos();
    let offset = u128::from(z) % (span + 1);
    min + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX))
}

impl Default for Executors {
    fn default() -> Self {
        Executors::succeed_after(Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flyteidl::flyteidl::core::{
        literal, literal_type, primitive, scalar, Literal, LiteralType, Primitive, Scalar,
        SimpleType, Variable, VariableMap,
    };

    #[test]
    fn random_ends_are_spread_over_the_span_and_repeat_with_the_seed() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(21));
        let id = |n: usize| WorkflowExecutionIdentifier {
            project: "p".into(),
            domain: "d".into(),
            name: format!("a{n}"),
            org: String::new(),
        };
        let draws: Vec<Duration> = (0..1000)
            .map(|n| draw_between(min, max, 7, &id(n)))
            .collect();
        assert!(draws.iter().all(|d| (min..=max).contains(d)));
        // Each of the 20 one-second slots of the span gets some of the 1,000.
        for slot in 1..21 {
            let n = draws.iter().filter(|d| d.as_secs() == slot).count();
            assert!((20..=80).contains(&n), "{n} in second {slot}");
        }
        assert_eq!(draw_between(min, max, 7, &id(3)), draws[3]);
        assert_ne!(draw_between(min, max, 8, &id(3)), draws[3]);
        assert_eq!(draw_between(max, min, 7, &id(3)), max);
        let plan = Executors::succeed_between(min, max, 7)
            .0
            .plan(&ExecutionRun::new(
                id(3),
                Identifier::default(),
                Identifier::default(),
                LiteralMap::default(),
                TypedInterface::default(),
            ));
        assert_eq!(plan.duration, draws[3]);
    }

    #[test]
    fn a_run_built_by_hand_echoes_its_inputs() {
        let int = LiteralType {
            r#type: Some(literal_type::Type::Simple(SimpleType::Integer as i32)),
            ..LiteralType::default()
        };
        let outputs = ["x", "y"].map(|name| {
            let var = Variable {
                r#type: Some(int.clone()),
                ..Variable::default()
            };
            (name.to_owned(), var)
        });
        let interface = TypedInterface {
            outputs: Some(VariableMap {
                variables: outputs.into(),
            }),
            ..TypedInterface::default()
        };
        let x = Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar {
                value: Some(scalar::Value::Primitive(Primitive {
                    value: Some(primitive::Value::Integer(42)),
                })),
            }))),
            ..Literal::default()
        };
        let inputs = LiteralMap {
            literals: [("x".to_owned(), x.clone())].into(),
        };
        let task = Identifier {
            name: "t".into(),
            ..Identifier::default()
        };
        let run = ExecutionRun::new(
            WorkflowExecutionIdentifier::default(),
            Identifier::default(),
            Identifier::default(),
            inputs,
            interface,
        )
        .task(task.clone());
        assert_eq!(run.task, Some(task));
        let echoed = run.echo_outputs().literals;
        assert_eq!(echoed.get("x"), Some(&x));
        assert_eq!(
            echoed.get("y"),
            Some(&crate::outputs::Sampler::new("s3://b").value(&int, "y"))
        );
        let plan = Plan::new(Duration::from_secs(1), Outcome::Hang);
        assert!(matches!(plan.outcome, Outcome::Hang));
        assert_eq!(plan.duration, Duration::from_secs(1));
    }
}
