//! Every public-API test of the crate in one binary: one link instead of one per file,
//! which is most of the test build's time. Each module is one former test file.

#[path = "../support/peak.rs"]
mod peak;

mod bad_input_and_compaction;
mod encryption;
mod households;
mod incidents;
mod knowledge;
mod layers;
mod merge_three_devices;
mod open_and_migrate;
mod org_tree;
mod patrol_authenticity;
mod patrols;
mod photo_corpus;
mod photos;
mod search_chinese;
