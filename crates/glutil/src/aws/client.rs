//! The one place that builds Glue, S3 and Athena clients: profile, region, endpoint,
//! retries, path-style S3, catalog id, and a count of requests sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::aws::athena::Athena;
use crate::aws::budget::Budgeted;
use crate::aws::debug::RequestLog;
use crate::aws::glue::Catalog;
use crate::aws::s3::Bucket;
use crate::error::{Error, Result};

/// Attempts per request when none is given. Glue throttles per account and
/// Region and S3 answers `SlowDown`; the SDK's default of 3 attempts gives up
/// long before a busy account recovers.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// What the user chose about reaching AWS. Unset fields fall back to the
/// SDK's usual sources (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
/// config files).
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Named profile from the shared config files.
    pub profile: Option<String>,
    /// Region, overriding the environment and profile.
    pub region: Option<String>,
    /// Endpoint for both services (moto, LocalStack, a VPC endpoint).
    pub endpoint_url: Option<String>,
    /// Attempts per request, first try included; `None` means
    /// [`DEFAULT_MAX_ATTEMPTS`].
    pub max_attempts: Option<u32>,
    /// Glue catalog id (account id) when it is not the caller's own.
    pub catalog_id: Option<String>,
    /// Receives a record of every request attempt (`--debug`).
    pub log: Option<RequestLog>,
    /// At most this many requests in flight at once across all clients
    /// (a run over many tables); `None` leaves each stage's own limit.
    pub max_in_flight: Option<usize>,
}

/// The settings the clients are built with, resolved from options and the
/// environment; kept apart from the clients so they can be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// The region in use.
    pub region: String,
    /// The endpoint in use, if not AWS's own.
    pub endpoint_url: Option<String>,
    /// Attempts per request.
    pub max_attempts: u32,
    /// Path-style S3 addressing: needed whenever a custom endpoint is set,
    /// because local servers cannot resolve `bucket.host` names.
    pub force_path_style: bool,
}

impl ClientSettings {
    /// Resolves settings from the options over a loaded SDK config.
    pub fn resolve(options: &AwsOptions, sdk: &SdkConfig) -> Result<Self> {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| {
                Error::Config(
                    "no AWS region is set: pass --region, or set AWS_REGION or a region in your profile"
                        .to_string(),
                )
            })?;
        let endpoint_url = options
            .endpoint_url
            .clone()
            .or_else(|| sdk.endpoint_url().map(str::to_string));
        let max_attempts = options.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
        if max_attempts == 0 {
            return Err(Error::InvalidInput(
                "--max-attempts must be at least 1".to_string(),
            ));
        }
        Ok(Self {
            force_path_style: endpoint_url.is_some()
                || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some(),
            region,
            endpoint_url,
            max_attempts,
        })
    }

    /// Standard retry mode: exponential backoff with full jitter.
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::standard().with_max_attempts(self.max_attempts)
    }
}

/// Glue, S3 and Athena clients that share one configuration.
#[derive(Debug, Clone)]
pub struct Aws {
    glue: aws_sdk_glue::Client,
    s3: aws_sdk_s3::Client,
    athena: aws_sdk_athena::Client,
    /// The catalog id to pass to Glue, if any.
    pub catalog_id: Option<String>,
    /// The settings in use.
    pub settings: ClientSettings,
    /// Requests sent so far, by service and operation.
    pub requests: RequestCounter,
}

impl Aws {
    /// The Glue Data Catalog through these clients.
    pub fn catalog(&self) -> Catalog {
        Catalog::new(self.glue.clone(), self.catalog_id.clone())
    }

    /// Athena through these clients.
    pub fn athena(&self) -> Athena {
        Athena::new(self.athena.clone())
    }

    /// Listings of one bucket through these clients.
    pub fn bucket(&self, name: &str) -> Bucket {
        Bucket::new(self.s3.clone(), name)
    }

    /// Loads the SDK configuration the usual way, applies the options on top
    /// and builds both clients.
    pub async fn connect(options: &AwsOptions) -> Result<Self> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            check_profile_exists(profile).await?;
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            check_region(region)?;
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(endpoint) = &options.endpoint_url {
            check_endpoint(endpoint)?;
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        Self::from_sdk_config(options, &sdk)
    }

    /// Builds both clients from an already loaded SDK configuration.
    pub fn from_sdk_config(options: &AwsOptions, sdk: &SdkConfig) -> Result<Self> {
        let settings = ClientSettings::resolve(options, sdk)?;
        let requests = RequestCounter::default();

        let mut glue = aws_sdk_glue::config::Builder::from(sdk)
            .retry_config(settings.retry_config())
            .interceptor(requests.clone());
        let mut s3 = aws_sdk_s3::config::Builder::from(sdk)
            .retry_config(settings.retry_config())
            .force_path_style(settings.force_path_style)
            .interceptor(requests.clone());
        let mut athena = aws_sdk_athena::config::Builder::from(sdk)
            .retry_config(settings.retry_config())
            .interceptor(requests.clone());
        if let Some(log) = &options.log {
            glue = glue.interceptor(log.clone());
            s3 = s3.interceptor(log.clone());
            athena = athena.interceptor(log.clone());
        }
        if let Some(permits) = options.max_in_flight {
            let budget = match sdk.http_client() {
                Some(inner) => Budgeted::wrap(inner, permits),
                None => Budgeted::default_https(permits),
            };
            glue = glue.http_client(budget.clone());
            s3 = s3.http_client(budget.clone());
            athena = athena.http_client(budget);
        }
        if let Some(endpoint) = &settings.endpoint_url {
            glue = glue.endpoint_url(endpoint);
            s3 = s3.endpoint_url(endpoint);
            athena = athena.endpoint_url(endpoint);
        }
        Ok(Self {
            glue: aws_sdk_glue::Client::from_conf(glue.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            athena: aws_sdk_athena::Client::from_conf(athena.build()),
            catalog_id: options.catalog_id.clone(),
            settings,
            requests,
        })
    }
}

/// Fails early, with the profile's name, when a named profile is in no
/// config file: the SDK would only fail later, on the first request, with a
/// message about credentials.
async fn check_profile_exists(profile: &str) -> Result<()> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let profiles = aws_config::profile::parser::load(
        &fs,
        &env,
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        None,
    )
    .await;
    let known = match &profiles {
        Ok(set) => set.get_profile(profile).is_some(),
        Err(_) => false,
    };
    if known {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "profile `{profile}` was not found in the AWS config or credentials files; check --profile / AWS_PROFILE"
        )))
    }
}

/// Region names are lower-case letters, digits and dashes (`eu-west-1`);
/// anything else would only fail later as an unreachable host name.
pub fn check_region(region: &str) -> Result<()> {
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "--region `{region}` is not an AWS region name (like eu-west-1)"
        )))
    }
}

fn check_endpoint(endpoint: &str) -> Result<()> {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "--endpoint-url `{endpoint}` must start with http:// or https://"
        )))
    }
}

/// Counts every request attempt (retries included) by `Service:Operation`.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    /// A snapshot of the counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Total attempts for one service (`Glue`, `S3`).
    pub fn total_for(&self, service: &str) -> u64 {
        self.snapshot()
            .iter()
            .filter(|(k, _)| k.split(':').next() == Some(service))
            .map(|(_, v)| v)
            .sum()
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            let key = format!("{}:{}", meta.service(), meta.name());
            if let Ok(mut counts) = self.counts.lock() {
                *counts.entry(key).or_default() += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk(region: Option<&str>, endpoint: Option<&str>) -> SdkConfig {
        let mut b = SdkConfig::builder().behavior_version(BehaviorVersion::latest());
        if let Some(r) = region {
            b = b.region(Region::new(r.to_string()));
        }
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        b.build()
    }

    #[test]
    fn endpoint_turns_on_path_style_and_reaches_both_clients() {
        let options = AwsOptions {
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            ..Default::default()
        };
        let aws = Aws::from_sdk_config(&options, &sdk(Some("eu-west-1"), None)).unwrap();
        assert!(aws.settings.force_path_style);
        assert_eq!(
            aws.settings.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(aws.glue.config().region().unwrap().as_ref(), "eu-west-1");
        assert_eq!(aws.s3.config().region().unwrap().as_ref(), "eu-west-1");
    }

    #[test]
    fn endpoint_from_the_environment_config_also_means_path_style() {
        let s = ClientSettings::resolve(
            &AwsOptions::default(),
            &sdk(Some("us-east-1"), Some("http://localhost:4566")),
        )
        .unwrap();
        assert!(s.force_path_style);
        assert_eq!(s.endpoint_url.as_deref(), Some("http://localhost:4566"));
    }

    #[test]
    fn retries_default_above_the_sdk_default_and_are_configurable() {
        let aws =
            Aws::from_sdk_config(&AwsOptions::default(), &sdk(Some("us-east-1"), None)).unwrap();
        assert_eq!(
            aws.glue.config().retry_config().unwrap().max_attempts(),
            DEFAULT_MAX_ATTEMPTS
        );
        const { assert!(DEFAULT_MAX_ATTEMPTS > 3) };
        let options = AwsOptions {
            max_attempts: Some(25),
            ..Default::default()
        };
        let aws = Aws::from_sdk_config(&options, &sdk(Some("us-east-1"), None)).unwrap();
        assert_eq!(aws.s3.config().retry_config().unwrap().max_attempts(), 25);
        assert_eq!(aws.glue.config().retry_config().unwrap().max_attempts(), 25);
    }

    #[test]
    fn missing_region_is_a_config_error() {
        let err = ClientSettings::resolve(&AwsOptions::default(), &sdk(None, None)).unwrap_err();
        assert!(err.is_bad_input());
        assert!(err.to_string().contains("--region"), "{err}");
    }

    #[test]
    fn zero_attempts_is_rejected() {
        let options = AwsOptions {
            max_attempts: Some(0),
            ..Default::default()
        };
        assert!(ClientSettings::resolve(&options, &sdk(Some("us-east-1"), None)).is_err());
    }

    #[test]
    fn region_names_are_checked() {
        assert!(check_region("eu-west-1").is_ok());
        assert!(check_region("us-gov-west-1").is_ok());
        for bad in ["", "EU-WEST-1", "not a region", "eu_west_1", "eu-west-1/"] {
            let err = check_region(bad).unwrap_err();
            assert!(err.is_bad_input(), "{bad}");
        }
    }

    #[test]
    fn endpoint_must_be_http() {
        assert!(check_endpoint("localhost:5000").is_err());
        assert!(check_endpoint("http://localhost:5000").is_ok());
    }
}
