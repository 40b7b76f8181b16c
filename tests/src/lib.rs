//! Shared parts of the end-to-end tests: a real server on a loopback port (on
//! SQLite or on a throwaway PostgreSQL database), phones enrolled through the real
//! registration API, and a fault-injection proxy.

pub mod balancer;
pub mod crash;
pub mod devices;
pub mod pg;
pub mod process;
pub mod proxy;
pub mod s3;
pub mod server;
pub mod web;

pub use devices::{Device, detailed_photo, id_number, now_ms, walk_patrol};
/// The county simulator (its own crate, so the server's demo can use it too).
pub use fieldgrid_sim as sim;
pub use server::{Backend, TestServer};
