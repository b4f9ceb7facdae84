//! Errors as the API answers them: a status and `{"error": {"code", "message",
//! "parameter"?}}`. Server-side details are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::data::DataError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub parameter: Option<String>,
}

impl ApiError {
    pub fn bad_parameter(parameter: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_parameter",
            message: message.into(),
            parameter: Some(parameter.to_string()),
        }
    }

    pub fn unknown_brand(brand: &str, known: &[String]) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "unknown_brand",
            message: format!(
                "no brand `{}` is configured; known: {}",
                truncate(brand, 80),
                known.join(", ")
            ),
            parameter: Some("brand".into()),
        }
    }

    pub fn unauthorized(message: &str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: message.into(),
            parameter: None,
        }
    }

    pub fn forbidden(message: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: message.into(),
            parameter: None,
        }
    }

    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: "no such endpoint; see /api/openapi.json".into(),
            parameter: None,
        }
    }
}

/// Caller text echoed in an error is cut short so errors stay readable.
pub fn truncate(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

impl From<DataError> for ApiError {
    fn from(error: DataError) -> Self {
        match error {
            DataError::Unsupported(message) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "unsupported",
                message,
                parameter: None,
            },
            DataError::Storage(error) => {
                metrics::counter!("earshot_serve_clickhouse_errors_total").increment(1);
                tracing::error!(error = %error, "ClickHouse read failed");
                let transient = error.is_transient();
                Self {
                    status: if transient {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    },
                    code: "storage",
                    message: if transient {
                        "ClickHouse is unavailable; try again".into()
                    } else {
                        "reading ClickHouse failed; see the server log".into()
                    },
                    parameter: None,
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(parameter) = self.parameter {
            error["parameter"] = json!(parameter);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}
