//! `recallr-ext`'s integration tests, in one test binary (one link of the
//! dependency tree instead of one per file).

mod common;
mod config;
mod decode_props;
mod errors;
mod hostile;
mod live;
mod operations;
mod paged_lists;
mod pager;
mod pager_props;
mod retries;
mod secrets;
