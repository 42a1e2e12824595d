//! Plans for people (Terraform-like text) and for programs (JSON).
pub mod human;
mod kafka_table;
pub mod markdown;
pub mod style;

pub use human::render_plan;
pub use markdown::render_markdown;
pub use style::Style;
