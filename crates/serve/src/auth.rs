//! Bearer tokens: a read-only one for the dashboard and analysts, an admin one for
//! operations. Compared in constant time; never logged.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// What a request's token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    Read,
    Admin,
}

pub struct Tokens {
    read: Vec<u8>,
    /// Empty: no admin access at all.
    admin: Vec<u8>,
}

impl Tokens {
    pub fn new(read: &str, admin: &str) -> Self {
        Self {
            read: read.as_bytes().to_vec(),
            admin: admin.as_bytes().to_vec(),
        }
    }

    /// The access `presented` grants. Both tokens are always compared, each in
    /// constant time for its length, so timing tells nothing about either.
    pub fn access(&self, presented: &[u8]) -> Option<Access> {
        let read = !self.read.is_empty() && bool::from(self.read.as_slice().ct_eq(presented));
        let admin = !self.admin.is_empty() && bool::from(self.admin.as_slice().ct_eq(presented));
        if admin {
            Some(Access::Admin)
        } else if read {
            Some(Access::Read)
        } else {
            None
        }
    }
}

fn check(tokens: &Tokens, request: &Request, needed: Access) -> Result<(), ApiError> {
    let Some(header) = request.headers().get(AUTHORIZATION) else {
        metrics::counter!("earshot_serve_auth_failures_total", "reason" => "missing").increment(1);
        return Err(ApiError::unauthorized(
            "send `Authorization: Bearer <token>` (EARSHOT_SERVE__READ_TOKEN)",
        ));
    };
    let presented = header
        .as_bytes()
        .strip_prefix(b"Bearer ")
        .unwrap_or_default();
    match tokens.access(presented) {
        None => {
            metrics::counter!("earshot_serve_auth_failures_total", "reason" => "wrong")
                .increment(1);
            Err(ApiError::unauthorized("the token is not valid"))
        }
        Some(access) if access < needed => {
            metrics::counter!("earshot_serve_auth_failures_total", "reason" => "forbidden")
                .increment(1);
            Err(ApiError::forbidden("this endpoint needs the admin token"))
        }
        Some(_) => Ok(()),
    }
}

pub async fn require_read(
    State(tokens): State<Arc<Tokens>>,
    request: Request,
    next: Next,
) -> Response {
    match check(&tokens, &request, Access::Read) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

pub async fn require_admin(
    State(tokens): State<Arc<Tokens>>,
    request: Request,
    next: Next,
) -> Response {
    match check(&tokens, &request, Access::Admin) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_grants_its_access_and_nothing_else_does() {
        let tokens = Tokens::new("read-token-0123456789", "admin-token-0123456789");
        assert_eq!(tokens.access(b"read-token-0123456789"), Some(Access::Read));
        assert_eq!(
            tokens.access(b"admin-token-0123456789"),
            Some(Access::Admin)
        );
        assert_eq!(tokens.access(b"read-token-012345678"), None);
        assert_eq!(tokens.access(b""), None);
        let no_admin = Tokens::new("read-token-0123456789", "");
        assert_eq!(
            no_admin.access(b""),
            None,
            "an empty admin token matches nothing"
        );
    }
}
