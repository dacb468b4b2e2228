//! The bridge from `lambda_http` to the handlers' raw request type.

use bytes::Bytes;
use lambda_http::Body;

use crate::http_io::HttpRequest;

/// The request with its body as raw bytes. `lambda_http` has already base64-decoded a body that
/// API Gateway marked `isBase64Encoded`, so these are the bytes Slack signed.
pub fn into_raw(req: lambda_http::Request) -> HttpRequest {
    let (parts, body) = req.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bin) => Bytes::from(bin),
        // `Body` is non-exhaustive; a future variant gets no bytes and fails verification.
        #[allow(unreachable_patterns)]
        _ => Bytes::new(),
    };
    http::Request::from_parts(parts, bytes)
}

/// A request handler shared by the Lambda runtime and the local server.
pub trait HttpHandler: Send + Sync + 'static {
    fn handle(&self, req: HttpRequest) -> impl Future<Output = crate::HttpResponse> + Send;
}

/// Runs `handler` as an API Gateway (HTTP API) Lambda until the runtime stops it.
pub async fn run_http<H: HttpHandler>(handler: H) -> Result<(), lambda_http::Error> {
    let handler = std::sync::Arc::new(handler);
    lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| {
        let handler = std::sync::Arc::clone(&handler);
        async move {
            let res = handler.handle(into_raw(req)).await;
            Ok::<_, lambda_http::Error>(res.map(Body::from))
        }
    }))
    .await
}
