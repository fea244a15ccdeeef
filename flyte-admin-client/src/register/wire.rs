//! Hydration on the wire: the same edits as [`super::hydrate`], made to the bytes of a package
//! file so that every field the `flyteidl` crate does not know (pyflyte 1.16 writes
//! `TaskMetadata.generates_deck`, `metadata`, `is_eager`, ...) reaches FlyteAdmin untouched.
//!
//! A message is read as its fields in order; the fields on the path to an identifier or a
//! container argument are rewritten, every other byte is copied as it was.

use prost::bytes::BufMut as _;
use prost::encoding::{decode_varint, encode_key, encode_varint, WireType};
use prost::Message as _;

use super::hydrate::Hydration;
use flyteidl::flyteidl::core;

/// One field as read: its number, wire type and the bytes of its value (for length-delimited
/// fields, the payload without the length).
struct Field<'a> {
    number: u32,
    wire: WireType,
    value: &'a [u8],
}

/// Why bytes are not a protobuf message.
#[derive(Debug)]
pub(crate) struct WireError(pub(crate) String);

fn fields(mut b: &[u8]) -> Result<Vec<Field<'_>>, WireError> {
    let err = |m: &str| WireError(m.to_owned());
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = decode_varint(&mut b).map_err(|e| WireError(e.to_string()))?;
        let number = u32::try_from(key >> 3).map_err(|_| err("field number out of range"))?;
        if number == 0 {
            return Err(err("field number 0"));
        }
        let wire = WireType::try_from(key & 7).map_err(|e| WireError(e.to_string()))?;
        let take = |b: &mut &[u8], n: usize| -> Result<usize, WireError> {
            if b.len() < n {
                return Err(err("truncated field"));
            }
            Ok(n)
        };
        let start = b;
        let (len, skip) = match wire {
            WireType::Varint => {
                let before = b.len();
                decode_varint(&mut b).map_err(|e| WireError(e.to_string()))?;
                (before - b.len(), 0)
            }
            WireType::SixtyFourBit => (take(&mut b, 8)?, 8),
            WireType::ThirtyTwoBit => (take(&mut b, 4)?, 4),
            WireType::LengthDelimited => {
                let n = decode_varint(&mut b).map_err(|e| WireError(e.to_string()))?;
                let n = usize::try_from(n).map_err(|_| err("length out of range"))?;
                let n = take(&mut b, n)?;
                out.push(Field {
                    number,
                    wire,
                    value: &b[..n],
                });
                b = &b[n..];
                continue;
            }
            WireType::StartGroup | WireType::EndGroup => {
                return Err(err("groups are not used by Flyte's messages"))
            }
        };
        let value = if skip > 0 {
            let v = &b[..skip];
            b = &b[skip..];
            v
        } else {
            &start[..len]
        };
        out.push(Field {
            number,
            wire,
            value,
        });
    }
    Ok(out)
}

fn put(out: &mut Vec<u8>, number: u32, wire: WireType, value: &[u8]) {
    encode_key(number, wire, out);
    if wire == WireType::LengthDelimited {
        encode_varint(value.len() as u64, out);
    }
    out.put_slice(value);
}

/// Rewrites a message: `edit` gets each length-delimited field and may return new payload
/// bytes; everything else is kept as it was.
fn rewrite(
    b: &[u8],
    mut edit: impl FnMut(u32, &[u8]) -> Result<Option<Vec<u8>>, WireError>,
) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(b.len() + 64);
    for f in fields(b)? {
        let replaced = if f.wire == WireType::LengthDelimited {
            edit(f.number, f.value)?
        } else {
            None
        };
        put(
            &mut out,
            f.number,
            f.wire,
            replaced.as_deref().unwrap_or(f.value),
        );
    }
    Ok(out)
}

/// A known, small message edited as a typed value (identifiers, pod specs).
fn typed<M: prost::Message + Default>(
    b: &[u8],
    f: impl FnOnce(&mut M),
) -> Result<Option<Vec<u8>>, WireError> {
    let mut m = M::decode(b).map_err(|e| WireError(e.to_string()))?;
    f(&mut m);
    Ok(Some(m.encode_to_vec()))
}

impl Hydration {
    fn wire_identifier(&self, b: &[u8]) -> Result<Option<Vec<u8>>, WireError> {
        typed::<core::Identifier>(b, |id| self.identifier(id))
    }

    fn wire_node(&self, b: &[u8]) -> Result<Vec<u8>, WireError> {
        rewrite(b, |n, v| match n {
            // task_node: reference_id; overrides.pod_template (a K8sPod, field 4 of
            // TaskNodeOverrides in Flyte 1.16, unknown to the flyteidl crate) and its pod spec
            6 => Ok(Some(rewrite(v, |n, v| match n {
                1 => self.wire_identifier(v),
                2 => Ok(Some(rewrite(v, |n, v| match n {
                    4 => Ok(Some(self.wire_k8s_pod(v)?)),
                    _ => Ok(None),
                })?)),
                _ => Ok(None),
            })?)),
            // workflow_node: launchplan_ref, sub_workflow_ref
            7 => Ok(Some(rewrite(v, |n, v| match n {
                1 | 2 => self.wire_identifier(v),
                _ => Ok(None),
            })?)),
            // branch_node: if_else { case, other*, else_node }
            8 => Ok(Some(rewrite(v, |n, v| match n {
                1 => Ok(Some(rewrite(v, |n, v| match n {
                    1 | 2 => Ok(Some(self.wire_if_block(v)?)),
                    3 => Ok(Some(self.wire_node(v)?)),
                    _ => Ok(None),
                })?)),
                _ => Ok(None),
            })?)),
            // array_node: node
            10 => Ok(Some(rewrite(v, |n, v| match n {
                1 => Ok(Some(self.wire_node(v)?)),
                _ => Ok(None),
            })?)),
            _ => Ok(None),
        })
    }

    /// A `K8sPod`: the container arguments in its `pod_spec` (a Struct, fully known).
    fn wire_k8s_pod(&self, b: &[u8]) -> Result<Vec<u8>, WireError> {
        rewrite(b, |n, v| match n {
            2 => typed::<prost_types::Struct>(v, |s| self.pod_spec_args(s)),
            _ => Ok(None),
        })
    }

    fn wire_if_block(&self, b: &[u8]) -> Result<Vec<u8>, WireError> {
        rewrite(b, |n, v| match n {
            2 => Ok(Some(self.wire_node(v)?)),
            _ => Ok(None),
        })
    }

    fn wire_workflow_template(&self, b: &[u8]) -> Result<Vec<u8>, WireError> {
        rewrite(b, |n, v| match n {
            1 => self.wire_identifier(v),
            // nodes, failure_node
            4 | 6 => Ok(Some(self.wire_node(v)?)),
            _ => Ok(None),
        })
    }

    /// An `admin.TaskSpec`.
    pub(crate) fn wire_task(&self, b: &[u8]) -> Result<Vec<u8>, WireError> {
        rewrite(b, |n, v| match n {
            1 => Ok(Some(rewrite(v, |n, v| match n {
                1 => self.wire_identifier(v),
                // container: args (repeated string, one field each)
                6 => Ok(Some(rewrite(v, |n, v| match n {
                    3 => {
                        let mut arg = String::from_utf8_lossy(v).into_owned();
                        self.args(std::slice::from_mut(&mut arg));
                        Ok(Some(arg.into_bytes()))
                    }
                    _ => Ok(None),
                })?)),
                17 => Ok(Some(self.wire_k8s_pod(v)?)),
                _ => Ok(None),
            })?)),
            _ => Ok(None),
        })
    }

    /// An `admin.WorkflowSpec`.
    pub(crate) fn wire_workflow(&self, b: &[u8]) -> Result<Vec<u8>, WireError> {
        rewrite(b, |n, v| match n {
            // template, sub_workflows
            1 | 2 => Ok(Some(self.wire_workflow_template(v)?)),
            _ => Ok(None),
        })
    }

    /// An `admin.LaunchPlan`: its id, and in its spec the workflow id and the options, each
    /// option field replaced whole when set.
    #[allow(deprecated)]
    pub(crate) fn wire_launch_plan(&self, b: &[u8]) -> Result<Vec<u8>, WireError> {
        rewrite(b, |n, v| match n {
            1 => self.wire_identifier(v),
            2 => {
                // The typed options, built by the typed hydration of an empty spec.
                let mut opts = flyteidl::flyteidl::admin::LaunchPlan {
                    spec: Some(Default::default()),
                    ..Default::default()
                };
                self.launch_plan(&mut opts);
                let spec = opts.spec.unwrap_or_default();
                let mut replace: Vec<(u32, Vec<u8>)> = Vec::new();
                if let Some(a) = spec.auth_role {
                    replace.push((9, a.encode_to_vec()));
                }
                if let Some(s) = spec.security_context {
                    replace.push((10, s.encode_to_vec()));
                }
                if let Some(r) = spec.raw_output_data_config {
                    replace.push((17, r.encode_to_vec()));
                }
                let mut out = Vec::with_capacity(v.len() + 64);
                for f in fields(v)? {
                    if replace.iter().any(|(n, _)| *n == f.number) {
                        continue;
                    }
                    let edited = match (f.number, f.wire) {
                        (1, WireType::LengthDelimited) => self.wire_identifier(f.value)?,
                        _ => None,
                    };
                    put(
                        &mut out,
                        f.number,
                        f.wire,
                        edited.as_deref().unwrap_or(f.value),
                    );
                }
                for (n, bytes) in replace {
                    put(&mut out, n, WireType::LengthDelimited, &bytes);
                }
                Ok(Some(out))
            }
            _ => Ok(None),
        })
    }
}

/// Field `number` of a message, as bytes (the last occurrence wins, as protobuf merges).
pub(crate) fn field_bytes(b: &[u8], number: u32) -> Result<Option<Vec<u8>>, WireError> {
    Ok(fields(b)?
        .into_iter()
        .rev()
        .find(|f| f.number == number && f.wire == WireType::LengthDelimited)
        .map(|f| f.value.to_vec()))
}

/// A `*CreateRequest` (`id` = 1, `spec` = 2) with the spec as given bytes.
pub(crate) fn create_request(id: &core::Identifier, spec: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(spec.len() + 128);
    put(&mut out, 1, WireType::LengthDelimited, &id.encode_to_vec());
    put(&mut out, 2, WireType::LengthDelimited, spec);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::package::{Entity, Package};
    use flyteidl::flyteidl::admin;

    fn numbers(b: &[u8]) -> Vec<u32> {
        fields(b)
            .map(|f| f.iter().map(|f| f.number).collect())
            .unwrap_or_default()
    }

    fn hydration() -> Hydration {
        Hydration {
            project: "p".into(),
            domain: "d".into(),
            version: "v9".into(),
            k8s_service_account: "sa".into(),
            output_location_prefix: "s3://raw".into(),
            fast: Some(("s3://bucket/fast/x.tar.gz".into(), ".".into())),
            ..Default::default()
        }
    }

    fn fixture() -> Result<Package, Box<dyn std::error::Error>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pyflyte/demo-fast.tgz");
        Ok(Package::open([path])?)
    }

    #[test]
    fn wire_hydration_agrees_with_typed_hydration() -> Result<(), Box<dyn std::error::Error>> {
        let h = hydration();
        for e in fixture()?.entries {
            let raw = e.raw.as_deref().ok_or("no bytes")?;
            let mut typed = e.entity.clone();
            h.entity(&mut typed);
            let agreed = match &typed {
                Entity::Task(t) => {
                    admin::TaskSpec::decode(&*h.wire_task(raw).map_err(|w| w.0)?)? == *t
                }
                Entity::Workflow(w) => {
                    admin::WorkflowSpec::decode(&*h.wire_workflow(raw).map_err(|w| w.0)?)? == *w
                }
                Entity::LaunchPlan(l) => {
                    admin::LaunchPlan::decode(&*h.wire_launch_plan(raw).map_err(|w| w.0)?)? == *l
                }
            };
            assert!(agreed, "{}", e.file);
        }
        Ok(())
    }

    #[test]
    fn fields_the_idl_crate_lacks_are_sent() -> Result<(), Box<dyn std::error::Error>> {
        let package = fixture()?;
        let e = package
            .entries
            .iter()
            .find(|e| e.file == "00_demo.hello.say_hello_1.pb")
            .ok_or("no say_hello")?;
        let raw = e.raw.as_deref().ok_or("no bytes")?;
        let metadata = |spec: &[u8]| -> Result<Vec<u32>, Box<dyn std::error::Error>> {
            let template = field_bytes(spec, 1)
                .map_err(|w| w.0)?
                .ok_or("no template")?;
            let md = field_bytes(&template, 3)
                .map_err(|w| w.0)?
                .ok_or("no metadata")?;
            Ok(numbers(&md))
        };
        // pyflyte 1.16 writes TaskMetadata.generates_deck (15) and metadata (16).
        let before = metadata(raw)?;
        assert!(before.contains(&15) && before.contains(&16), "{before:?}");
        let sent = hydration().wire_task(raw).map_err(|w| w.0)?;
        assert_eq!(metadata(&sent)?, before);
        // Re-encoding the typed message would have dropped them.
        let reencoded = e.entity.encode();
        assert!(!metadata(&reencoded)?.contains(&15));
        // And the placeholders are gone from what is sent.
        let text = String::from_utf8_lossy(&sent);
        assert!(!text.contains("{{ .remote_package_path }}"));
        assert!(text.contains("s3://bucket/fast/x.tar.gz"));
        Ok(())
    }

    #[test]
    fn node_pod_template_overrides_get_the_bundle_too() -> Result<(), Box<dyn std::error::Error>> {
        use prost_types::{value::Kind, ListValue, Struct, Value};
        let s = |v: &str| Value {
            kind: Some(Kind::StringValue(v.to_owned())),
        };
        let container = Struct {
            fields: [(
                "args".to_owned(),
                Value {
                    kind: Some(Kind::ListValue(ListValue {
                        values: vec![
                            s("--dist"),
                            s(super::super::hydrate::REMOTE_PACKAGE_PATTERN),
                        ],
                    })),
                },
            )]
            .into(),
        };
        let pod_spec = Struct {
            fields: [(
                "containers".to_owned(),
                Value {
                    kind: Some(Kind::ListValue(ListValue {
                        values: vec![Value {
                            kind: Some(Kind::StructValue(container)),
                        }],
                    })),
                },
            )]
            .into(),
        };
        // Node { task_node(6) { reference_id(1), overrides(2) { pod_template(4) { pod_spec(2) } } } }
        let mut k8s_pod = Vec::new();
        put(
            &mut k8s_pod,
            2,
            WireType::LengthDelimited,
            &pod_spec.encode_to_vec(),
        );
        let mut overrides = Vec::new();
        put(&mut overrides, 4, WireType::LengthDelimited, &k8s_pod);
        let mut task_node = Vec::new();
        put(
            &mut task_node,
            1,
            WireType::LengthDelimited,
            &core::Identifier::default().encode_to_vec(),
        );
        put(&mut task_node, 2, WireType::LengthDelimited, &overrides);
        let mut node = Vec::new();
        put(&mut node, 6, WireType::LengthDelimited, &task_node);
        let out = hydration().wire_node(&node).map_err(|w| w.0)?;
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("s3://bucket/fast/x.tar.gz"), "{text}");
        assert!(!text.contains("{{ .remote_package_path }}"));
        Ok(())
    }

    #[test]
    fn both_fast_placeholders_are_replaced_whole() -> Result<(), Box<dyn std::error::Error>> {
        use super::super::hydrate::{DEST_DIR_PATTERN, REMOTE_PACKAGE_PATTERN};
        let spec = admin::TaskSpec {
            template: Some(core::TaskTemplate {
                target: Some(core::task_template::Target::Container(core::Container {
                    args: vec![
                        REMOTE_PACKAGE_PATTERN.into(),
                        DEST_DIR_PATTERN.into(),
                        format!("x{DEST_DIR_PATTERN}"),
                    ],
                    ..Default::default()
                })),
                ..Default::default()
            }),
            description: None,
        };
        let mut h = hydration();
        h.fast = Some(("s3://b/fast.tar.gz".into(), "/root/app".into()));
        let out = admin::TaskSpec::decode(&*h.wire_task(&spec.encode_to_vec()).map_err(|w| w.0)?)?;
        let Some(core::task_template::Target::Container(c)) = out.template.and_then(|t| t.target)
        else {
            return Err("no container".into());
        };
        // Whole arguments only, as flytectl matches them.
        assert_eq!(
            c.args,
            [
                "s3://b/fast.tar.gz",
                "/root/app",
                &format!("x{DEST_DIR_PATTERN}")
            ]
        );
        Ok(())
    }

    #[test]
    fn malformed_bytes_are_errors() {
        let h = hydration();
        for bad in [
            &[0x0a, 0x05, 0x01][..],
            &[0x0b][..],
            &[0x00, 0x01][..],
            &[0xff; 11][..],
        ] {
            assert!(h.wire_task(bad).is_err(), "{bad:?}");
        }
    }
}
