//! The server crate's tests of its binary and its layering, in one binary.

mod cli;
mod layers;
