//! One cap on the AWS requests in flight at once, shared by every client of
//! a run. A run over many tables gives each table the full fan-out of a
//! single-table run, and this cap keeps the sum at `--concurrency`: a big
//! table left alone at the end still uses the whole budget.
//!
//! The cap sits in the HTTP layer, around the SDK's default HTTPS client, so
//! it counts every attempt (retries and paginated pages included) and a
//! request waiting out a retry backoff holds no permit.

use std::sync::Arc;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Semaphore;

/// The HTTPS client every AWS request goes through: the SDK's own (hyper 1,
/// rustls, the system's root certificates, proxies from the environment),
/// with ring for the cryptography instead of aws-lc, which is slower to
/// build.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut builder = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ));
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        builder.build()
    })
}

/// An HTTP client that lets at most `permits` requests be in flight.
#[derive(Debug, Clone)]
pub struct Budgeted {
    inner: SharedHttpClient,
    permits: Arc<Semaphore>,
}

impl Budgeted {
    /// `inner`, capped at `permits` requests in flight (at least one).
    pub fn wrap(inner: SharedHttpClient, permits: usize) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }
}

impl HttpClient for Budgeted {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BudgetedConnector {
            inner: self.inner.http_connector(settings, components),
            permits: self.permits.clone(),
        })
    }
}

#[derive(Debug)]
struct BudgetedConnector {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
}

impl HttpConnector for BudgetedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, permits) = (self.inner.clone(), self.permits.clone());
        HttpConnectorFuture::new(async move {
            // The semaphore is never closed; a closed one would be a bug,
            // reported as a connector error rather than a panic.
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            inner.call(request).await
        })
    }
}
