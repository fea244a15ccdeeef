//! The project file (`flytectl create|update project --file`).

use std::path::Path;

use super::codec::{decode_file, decode_str};
use super::KeyValues;
use crate::error::{Diagnostic, Result};
use crate::fields::{int_enum_field, prune, Encoder, IntEnum, Section, Visitor};
use crate::yaml;

/// A project's state (`admin.Project.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProjectState {
    /// Usable.
    #[default]
    Active,
    /// Hidden from lists; entities cannot be registered.
    Archived,
    /// Created by the system.
    SystemGenerated,
}

impl IntEnum for ProjectState {
    const VALUES: &'static [(&'static str, i64, Self)] = &[
        ("ACTIVE", 0, ProjectState::Active),
        ("ARCHIVED", 1, ProjectState::Archived),
        ("SYSTEM_GENERATED", 2, ProjectState::SystemGenerated),
    ];
}
int_enum_field!(ProjectState);
/// A project file for `flytectl create|update project --file` (an `admin.Project` in YAML).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ProjectFile {
    /// `id`: the project id (a DNS-1123 label).
    pub id: String,
    /// `name`: the display name.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `labels`.
    pub labels: KeyValues,
    /// `state`: 0 active, 1 archived, 2 system generated.
    pub state: ProjectState,
    /// `org`.
    pub org: String,
    warnings: Vec<Diagnostic>,
}

impl Section for ProjectFile {
    fn visit(&mut self, v: &mut dyn Visitor) {
        v.field("id", &mut self.id);
        v.field("name", &mut self.name);
        v.field("description", &mut self.description);
        v.section("labels", &mut self.labels);
        v.field("state", &mut self.state);
        v.field("org", &mut self.org);
    }
}

impl ProjectFile {
    /// Parses a project file. Unknown keys are warnings, as flytectl ignores them.
    ///
    /// # Errors
    /// Syntax and type errors.
    pub fn from_yaml_str(text: &str) -> Result<Self> {
        let (mut p, w): (ProjectFile, _) = decode_str(text, None, false)?;
        p.warnings = w;
        Ok(p)
    }

    /// Reads a project file; see [`ProjectFile::from_yaml_str`].
    ///
    /// # Errors
    /// As [`ProjectFile::from_yaml_str`], and I/O errors.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let (mut p, w): (ProjectFile, _) = decode_file(path.as_ref(), false)?;
        p.warnings = w;
        Ok(p)
    }

    /// Unknown keys found while parsing.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The file as YAML.
    pub fn to_yaml_string(&self) -> String {
        let value = Encoder::encode(&mut self.clone(), false);
        let default = Encoder::encode(&mut ProjectFile::default(), false);
        yaml::emit(&prune(value, &default))
    }
}
