//! Write the new values file atomically: exactly the planned edits on exactly the planned file.
use crate::engine::context::{Outcome, StepContext, StepError};
use crate::engine::handle::HandleKey;
use crate::snapshot::sha256_hex;
use crate::values::Document;

/// The sha256 of the values file this step wrote.
const WRITTEN_SHA256: HandleKey<String> = HandleKey::new("written_sha256");

pub async fn run(ctx: &mut StepContext<'_>) -> Result<Outcome, StepError> {
    let path = ctx.systems.values_path.clone();
    let shown = path.display().to_string();
    let text = crate::files::read_values_text(&path)?;
    let sha = sha256_hex(text.as_bytes());
    let document = Document::parse(&shown, &text)?;
    let plan = &ctx.plan.values;
    let written: Option<String> = ctx.handle(&WRITTEN_SHA256);
    if written.as_deref() == Some(sha.as_str()) || (sha != plan.before_sha256 && already_edited(&document, ctx)) {
        return Ok(Outcome::Skipped(format!("{shown} already has the planned values")));
    }
    if sha != plan.before_sha256 {
        return Err(StepError::failed(format!(
            "{shown} changed since the plan was made (sha256 {} expected, {sha} found); nothing was written. fix: make a new plan",
            plan.before_sha256
        )));
    }
    let new_text = plan.apply_to(&shown, &text)?;
    let new_sha = sha256_hex(new_text.as_bytes());
    crate::files::write_values_file(&path, new_text.as_bytes())
        .map_err(|err| StepError::failed(format!("cannot write {shown}: {err}; fix: check the file is writable")))?;
    ctx.record_handle(&WRITTEN_SHA256, &new_sha)?;
    Ok(Outcome::Done(format!(
        "{shown}: {} value(s) changed",
        plan.changes.len()
    )))
}

/// Every planned path already holds its planned value (a resumed apply after the write).
fn already_edited(document: &Document, ctx: &StepContext<'_>) -> bool {
    ctx.plan.values.changes.iter().all(|change| change.is_in(document))
}
