//! The files kfscale reads and writes, at the edge: the core (`kfscale_core`) only parses and
//! encodes text, and this module is where bytes meet the disk. Every write is atomic.
mod atomic;
mod plan_file;
mod profile_file;
mod snapshot_file;
mod state_store;
mod values_text;

pub use atomic::{write_atomic, write_json, write_values_file};
pub use plan_file::{read_plan_file, write_plan_file};
pub use profile_file::{choose_profile, load_profile};
pub use snapshot_file::read_snapshot;
pub use state_store::StateStore;
pub use values_text::read_values_text;
