//! What an apply tells the people watching it: events on the terminal or as JSON lines, the
//! running step's figures for `kfscale status`, and where the time went.
pub mod events;
pub mod line_schedule;
pub mod live_bar;
pub mod progress;
pub mod rate;
pub mod timing;
pub mod wait_style;
pub mod wait_view;
