//! Shared parts of the end-to-end tests: a real server on a loopback port (on
//! SQLite or on a throwaway PostgreSQL database), phones enrolled through the real
//! registration API, and a fault-injection proxy.

pub mod crash;
pub mod devices;
pub mod pg;
pub mod proxy;
pub mod server;
pub mod sim;

pub use devices::{Device, id_number};
pub use server::{Backend, TestServer};
