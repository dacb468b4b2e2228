//! Driver errors to domain errors, in one place for every AWS client.
//!
//! * throttling (`ProvisionedThroughputExceededException`, `ThrottlingException`,
//!   `RequestLimitExceeded`, and SQS's `RequestThrottled`) becomes [`StoreError::Throttled`];
//! * everything else becomes [`StoreError::Unavailable`] with the SDK error kept as the cause.
//!
//! `ConditionalCheckFailedException` is not mapped here: each adapter turns it into its port's
//! domain answer (InFlight, NotFound, a denied quota) where it knows which one applies.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use tenant::ports::StoreError;

/// Error codes AWS services use when they refuse for load.
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "RequestThrottled",
    "TooManyRequestsException",
];

/// Whether an AWS error code means "slow down".
pub fn is_throttling(code: Option<&str>) -> bool {
    code.is_some_and(|code| THROTTLING_CODES.contains(&code))
}

/// Maps any AWS SDK operation error to a [`StoreError`], keeping it as the cause.
///
/// The SDK already retried transient failures (standard retry mode) before this is called.
pub fn store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if is_throttling(err.code()) {
        StoreError::Throttled
    } else {
        StoreError::unavailable(err)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    use aws_sdk_dynamodb::types::error::{
        InternalServerError, ProvisionedThroughputExceededException,
    };
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::empty(),
        )
    }

    fn generic(code: &str) -> PutItemError {
        PutItemError::generic(ErrorMetadata::builder().code(code).message("m").build())
    }

    #[test]
    fn provisioned_throughput_exceeded_is_throttled() {
        let modeled = PutItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("slow down")
                .meta(
                    ErrorMetadata::builder()
                        .code("ProvisionedThroughputExceededException")
                        .build(),
                )
                .build(),
        );
        let err = store_error(SdkError::service_error(modeled, response(400)));
        assert!(matches!(err, StoreError::Throttled), "{err:?}");
    }

    #[test]
    fn throttling_and_request_limit_codes_are_throttled() {
        for code in ["ThrottlingException", "RequestLimitExceeded"] {
            let err = store_error(SdkError::service_error(generic(code), response(400)));
            assert!(matches!(err, StoreError::Throttled), "{code}: {err:?}");
        }
    }

    #[test]
    fn other_service_errors_are_unavailable_with_the_cause_kept() {
        let modeled = UpdateItemError::InternalServerError(
            InternalServerError::builder()
                .message("boom")
                .meta(ErrorMetadata::builder().code("InternalServerError").build())
                .build(),
        );
        let err = store_error(SdkError::service_error(modeled, response(500)));
        match &err {
            StoreError::Unavailable(cause) => {
                let source = cause.source().map(ToString::to_string).unwrap_or_default();
                assert!(source.contains("boom") || cause.to_string().contains("service error"));
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
        assert!(err.is_transient());
    }

    #[test]
    fn timeouts_and_dispatch_failures_are_unavailable() {
        let err: SdkError<PutItemError, HttpResponse> = SdkError::timeout_error("took too long");
        assert!(matches!(store_error(err), StoreError::Unavailable(_)));
    }

    #[test]
    fn unknown_or_missing_codes_are_not_throttling() {
        assert!(!is_throttling(None));
        assert!(!is_throttling(Some("ConditionalCheckFailedException")));
        assert!(is_throttling(Some("RequestThrottled")));
    }
}
