//! The plan file on disk (`plan -out FILE`, `apply FILE`); its format is the core's.
use std::path::Path;

use kfscale_core::planfile::{PlanFileError, encode_plan_file, parse_plan_file};

use super::write_atomic;
use crate::plan::Plan;

pub fn write_plan_file(path: &Path, plan: &Plan) -> Result<(), PlanFileError> {
    let write_error = |source| PlanFileError::Write {
        path: path.display().to_string(),
        error: source,
    };
    let text = encode_plan_file(plan).map_err(|err| write_error(err.into()))?;
    write_atomic(path, text.as_bytes()).map_err(write_error)
}

pub fn read_plan_file(path: &Path) -> Result<Plan, PlanFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Read {
        path: shown.clone(),
        error: source,
    })?;
    parse_plan_file(&shown, &text)
}
