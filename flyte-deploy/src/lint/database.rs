//! Database rules, on every place the chart or Flyte's config takes database settings.

use flyte_config::{NodeRef, Value};

use super::{entry, text, Context};
use crate::{Chart, Rule, Severity};

pub(super) fn check(cx: &mut Context, root: NodeRef<'_>) {
    let places: &[&str] = match cx.chart {
        Chart::FlyteBinary => &[
            "configuration.database",
            "configuration.inline.database",
            "configuration.inline.database.postgres",
        ],
        Chart::FlyteCore => &[
            "db.admin.database",
            "db.admin.database.postgres",
            "db.datacatalog.database",
            "db.datacatalog.database.postgres",
        ],
    };
    for place in places {
        if let Some((_, block)) = entry(root, place).filter(|(_, v)| v.is_map()) {
            check_block(cx, place, block);
        }
    }
}

fn check_block(cx: &mut Context, place: &str, block: NodeRef<'_>) {
    if text(block, "password").is_some() && text(block, "passwordPath").is_some() {
        if let Some((key, _)) = entry(block, "passwordPath") {
            cx.push(
                Rule::DatabasePasswordAndPath,
                Severity::Error,
                &format!("{place}.passwordPath"),
                key,
                "both password and passwordPath are set; Flyte reads the file at passwordPath \
                 and the password is ignored: keep one"
                    .to_owned(),
            );
        }
    }
    if let Some((_, host)) = entry(block, "host") {
        if text(block, "host").is_none() {
            cx.push(
                Rule::DatabaseEmptyHost,
                Severity::Error,
                &format!("{place}.host"),
                host,
                "the database host is empty; Flyte cannot connect".to_owned(),
            );
        }
    }
    if let Some((_, port)) = entry(block, "port") {
        let ok = match port.to_value() {
            Value::Int(p) => (1..=65535).contains(&p),
            Value::String(s) => s.parse::<u16>().is_ok_and(|p| p != 0),
            _ => false,
        };
        if !ok {
            cx.push(
                Rule::DatabasePortRange,
                Severity::Error,
                &format!("{place}.port"),
                port,
                format!(
                    "the database port {} is not a port (1 to 65535)",
                    port.to_value()
                ),
            );
        }
    }
}
