//! The plan file on disk (`plan -out FILE`, `apply FILE`); its format is the core's.
use std::path::Path;

use kfscale_core::planfile::{PlanFileError, encode_plan_file_scrubbed, parse_plan_file};

use super::atomic::write_unscrubbed;
use crate::plan::Plan;

pub fn write_plan_file(path: &Path, plan: &Plan) -> Result<(), PlanFileError> {
    let write_error = |source| PlanFileError::Write {
        path: path.display().to_string(),
        error: source,
    };
    // Scrubbed before the checksum is taken, so the file opens; checked to read back before it
    // is written (a secret equal to one of the plan's own words would not).
    let text = encode_plan_file_scrubbed(plan, &crate::scrub::owned).map_err(|err| write_error(err.into()))?;
    parse_plan_file(&path.display().to_string(), &text)
        .map_err(|err| write_error(std::io::Error::other(unreadable(&err))))?;
    write_unscrubbed(path, text.as_bytes()).map_err(write_error)
}

fn unreadable(err: &PlanFileError) -> String {
    format!(
        "with the values' secrets scrubbed the plan would not read back ({err}); nothing was written. fix: a secret of the values file equals one of kfscale's own words: change it"
    )
}

pub fn read_plan_file(path: &Path) -> Result<Plan, PlanFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Read {
        path: shown.clone(),
        error: source,
    })?;
    parse_plan_file(&shown, &text)
}
