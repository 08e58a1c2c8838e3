//! Per-connector request tests against the vendor sandbox.

mod common;

mod cloud;
mod endpoint;
mod general;
mod identity;
mod notify;
mod tickets;
