//! The client for the optional language model behind Vigil's assistant: an OpenAI-compatible
//! chat endpoint (a local llama.cpp server or an external provider) that an administrator
//! configures, and the redaction that runs before anything is sent to an endpoint off this
//! machine.
//!
//! Owns: the endpoint's configuration ([`ModelConfig`]: URL, model, the *name* of the variable
//! holding the key, timeout, retries, token limit, temperature) and whether it is on loopback;
//! the request and reply shapes of `POST {endpoint}/chat/completions`, including JSON-schema
//! constrained replies ([`ChatClient::chat_json`]); bounded retries with backoff and
//! `Retry-After`; bounded reads of replies; errors that say what went wrong without the key;
//! the SHA-256 of every request body for the audit log ([`Completion::request_sha256`]); and
//! [`redact::Redactor`], which swaps identifiers and secrets for stable placeholders and puts
//! them back in the reply.
//!
//! Must not: decide what is a fact, know Vigil's tools or prompts, or read Vigil's store (the
//! assistant does, and calls this crate); decide whether to redact (the caller does, asking
//! [`ChatClient::must_redact`]); log anything; or put the API key, or a prompt, anywhere but
//! the request itself — errors and `Debug` output never carry the key.

mod client;
mod config;
mod error;
pub mod redact;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::{ChatClient, Completion, MAX_REPLY_BYTES, Message, Role};
pub use config::{MAX_RETRIES, ModelConfig};
pub use error::LlmError;
pub use redact::Redactor;
