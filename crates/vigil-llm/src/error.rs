//! What can go wrong talking to the model endpoint.

/// An error from configuring or calling the model endpoint. No variant ever carries the API
/// key: text that comes from the server is scrubbed of it before it is put in an error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The configuration is unusable (bad JSON, an unknown field, a bad URL, a missing key
    /// variable, a bad schema name).
    #[error("model configuration: {0}")]
    Config(String),
    /// The server answered with a status other than 2xx. `message` is the server's own error
    /// message (`{"error":{"message":…}}`) when it sent one.
    #[error("model endpoint answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// Every attempt timed out; `after_ms` is the per-request timeout.
    #[error("model endpoint timed out after {after_ms} ms on each of {attempts} attempt(s)")]
    Timeout { after_ms: u64, attempts: u32 },
    /// The endpoint could not be reached (refused, reset, unknown host, TLS failure).
    #[error("cannot reach the model endpoint: {0}")]
    Connect(String),
    /// The server answered 2xx but the reply is unusable: not JSON, truncated, too large,
    /// without a message, cut off at the token limit, or not of the shape the schema asked for.
    #[error("unusable reply from the model endpoint: {0}")]
    BadReply(String),
}
