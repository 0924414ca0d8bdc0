//! `recallr-cli`'s integration tests, in one test binary: add a module
//! here rather than a file beside `it/`, which would link another.

mod cli;
mod commands;
mod test_server;
