//! Plans for people (Terraform-like text) and for programs (JSON).
pub mod human;
mod kafka_table;
pub mod style;

pub use human::render_plan;
pub use style::Style;
