//! Notifications and events: each type needs its own settings in flyteadmin's config.

use flyte_config::NodeRef;

use super::{at, entry, is_true, text, Context};
use crate::{Chart, Rule, Severity};

/// Which family a block belongs to: notifications publish to a topic and read a queue, events
/// only publish.
#[derive(Clone, Copy, PartialEq)]
enum Family {
    Notifications,
    Events,
}

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    let blocks: Vec<(String, Family)> = match cx.chart {
        Chart::FlyteBinary => vec![
            (
                "configuration.inline.notifications".into(),
                Family::Notifications,
            ),
            ("configuration.inline.externalEvents".into(), Family::Events),
            ("configuration.inline.cloudEvents".into(), Family::Events),
        ],
        Chart::FlyteCore => {
            let mut blocks = Vec::new();
            if is_true(root, "workflow_notifications.enabled") {
                blocks.push((
                    "workflow_notifications.config.notifications".into(),
                    Family::Notifications,
                ));
            }
            for events in ["external_events", "cloud_events"] {
                if is_true(root, &format!("{events}.enable")) {
                    blocks.push((events.into(), Family::Events));
                }
            }
            blocks
        }
    };
    for (base, family) in blocks {
        let Some(block) = at(root, &base) else {
            continue;
        };
        if family == Family::Events && cx.chart == Chart::FlyteBinary && !is_true(block, "enable") {
            continue;
        }
        let Some((_, kind)) = entry(block, "type") else {
            continue;
        };
        let needed: &[&str] = match (kind.as_scalar().unwrap_or_default(), family) {
            ("aws", Family::Notifications) => &[
                "region|aws.region",
                "publisher.topicName",
                "processor.queueName",
            ],
            ("gcp", Family::Notifications) => &[
                "gcp.projectId",
                "publisher.topicName",
                "processor.queueName",
            ],
            ("aws", Family::Events) => &["aws.region", "eventsPublisher.topicName"],
            ("gcp", Family::Events) => &["gcp.projectId", "eventsPublisher.topicName"],
            _ => &[],
        };
        let missing: Vec<String> = needed
            .iter()
            .filter(|alternatives| !alternatives.split('|').any(|k| text(block, k).is_some()))
            .map(|alternatives| alternatives.replace('|', " or "))
            .collect();
        if !missing.is_empty() {
            cx.push(
                Rule::NotificationsIncomplete,
                Severity::Error,
                &format!("{base}.type"),
                kind,
                format!(
                    "type {} needs {} under {base}",
                    kind.as_scalar().unwrap_or_default(),
                    missing.join(", ")
                ),
            );
        }
    }
}
