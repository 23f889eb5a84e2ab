//! GitHub Actions (placeholder until the emitter lands).

use crate::plan::Plan;

pub fn render(plan: &Plan) -> String {
    let _ = plan;
    String::new()
}
