//! `pipegen schema`: the model's JSON Schema.

use crate::error::Error;
use crate::exit::ExitStatus;
use crate::model::schema;

pub fn run() -> Result<ExitStatus, Error> {
    super::print_stdout(&schema::json_schema_text())?;
    Ok(ExitStatus::Success)
}
