//! Errors as the API returns them: a status, a stable code and a message, as JSON.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }
    pub fn unauthenticated() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in or present an API token")
    }
    pub fn forbidden(what: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("your roles do not allow {what}"))
    }
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
    }
    pub fn bad_request(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", what)
    }
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the server log has the details")
    }
    pub fn busy(retry_after: u64, message: impl Into<String>) -> ApiError {
        ApiError { retry_after: Some(retry_after), ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(serde_json::json!({"error": {"code": self.code, "message": self.message}})))
            .into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}

impl From<vigil_queue::QueueError> for ApiError {
    fn from(e: vigil_queue::QueueError) -> ApiError {
        use vigil_queue::QueueError as Q;
        match e {
            Q::NotFound(m) => ApiError::not_found(m),
            Q::Invalid(m) => ApiError::bad_request(m),
            Q::Case(c) => ApiError::new(StatusCode::CONFLICT, "case_rule", c.to_string()),
            Q::Triage(t) => ApiError::bad_request(t.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl From<vigil_auth::AuthError> for ApiError {
    fn from(e: vigil_auth::AuthError) -> ApiError {
        use vigil_auth::AuthError as A;
        match &e {
            A::Locked { retry_after_secs } => ApiError {
                retry_after: Some(*retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "locked", e.to_string())
            },
            A::Exists { .. } => ApiError::new(StatusCode::CONFLICT, "exists", e.to_string()),
            A::BadCredentials | A::Expired | A::Revoked | A::Disabled => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", e.to_string())
            }
            A::Forbidden { .. } => ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            A::NotFound { .. } => ApiError::not_found(e.to_string()),
            A::Invalid { .. } => ApiError::bad_request(e.to_string()),
            _ => ApiError::internal(e),
        }
    }
}

impl From<vigil_store::StoreError> for ApiError {
    fn from(e: vigil_store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<vigil_pipeline::PipelineError> for ApiError {
    fn from(e: vigil_pipeline::PipelineError) -> ApiError {
        ApiError::internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<vigil_app::AppError> for ApiError {
    fn from(e: vigil_app::AppError) -> ApiError {
        use vigil_app::AppError as E;
        match e {
            E::Forbidden { .. } => ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            E::NotFound(m) => ApiError::not_found(m),
            E::NotGranted(m) => ApiError::new(StatusCode::FORBIDDEN, "not_granted", m),
            E::Invalid(m) => ApiError::bad_request(m),
            E::Refused(m) => ApiError::new(StatusCode::FORBIDDEN, "refused", m),
            E::Queue(q) => q.into(),
            E::Auth(a) => a.into(),
            // An unknown case named to the vault is a 404, not an internal error (found by the
            // schemathesis run: exporting case "0" answered 500).
            E::Vault(v) => v.into(),
            E::Store(s) => s.into(),
            E::Busy { message, retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "busy", message)
            },
            other => ApiError::internal(other),
        }
    }
}
