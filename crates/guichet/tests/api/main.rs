//! End-to-end tests: the real server on port 0, over SQLite and, when
//! `GUICHET_TEST_POSTGRES_URL` is set, over PostgreSQL too. One test binary
//! (each binary is a separate link).

mod helpers;

mod attachments;
mod audit;
mod auth;
mod authorization;
mod cases;
mod cli;
mod community;
mod companies;
mod errors;
mod hours;
mod mail;
mod openapi;
mod operations;
mod portal;
mod portal_cases;
mod search;
mod sla;
mod status;
mod support_options;
mod training;
