//! Every end-to-end test of the crate in one binary: one link instead of one per file,
//! which is most of the test build's time. Each module is one former test file.

mod assessment;
mod blob_stores;
mod catalogue_publish;
mod county_sim;
mod crash_recovery;
mod fix_crash_recovery;
mod household_sync;
mod incident_flow;
mod intake;
mod joint_handling;
mod knowledge;
mod live;
mod multi_instance;
mod object_storage;
mod photo_sync;
mod read_model;
mod security;
mod server_ops;
mod storage_suite;
mod sync_bad_input;
mod sync_e2e;
mod sync_faults;
mod track_sync;
mod web_login;
