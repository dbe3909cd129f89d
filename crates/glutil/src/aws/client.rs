//! The one place that builds Glue, S3 and Athena clients: profile, region,
//! endpoint, credentials, retries, timeouts, path-style S3, catalog id, and
//! a count of requests sent.
//!
//! Retries: the SDK's standard (or a profile's adaptive) mode, with
//! `--max-attempts` (or a profile's or the environment's `max_attempts`,
//! else 10) and no retry quota. The SDK's default quota is a token bucket
//! per client that each retry drains and only successes refill; under
//! sustained throttling it empties within a few hundred requests and every
//! request after that fails on its first throttle, which is how a long run
//! used to fail. glutil's own rounds above the SDK's attempts are in
//! `aws::failure`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::aws::athena::Athena;
use crate::aws::budget::{https_client, Budgeted};
use crate::aws::debug::RequestLog;
use crate::aws::failure::{innermost, Rounds};
use crate::aws::glue::Catalog;
use crate::aws::s3::{Bucket, S3Clients};
use crate::error::{Error, Result};

/// Attempts per request when none is given. Glue throttles per account and
/// Region and S3 answers `SlowDown`; the SDK's default of 3 attempts gives up
/// long before a busy account recovers.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// How long one attempt may wait for its whole answer when no
/// `--attempt-timeout` is given. The SDK sets only a connect timeout, so an
/// answer that never comes would stall a run for good.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A note for people (`-v`): the library never prints, so it hands them to
/// whoever built the clients.
#[derive(Clone)]
pub struct Notes(pub Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notes")
    }
}

impl Notes {
    /// Hands one note over.
    pub fn say(&self, note: &str) {
        (self.0)(note)
    }
}

/// What the user chose about reaching AWS. Unset fields fall back to the
/// SDK's usual sources (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
/// `AWS_MAX_ATTEMPTS`, config files).
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Named profile from the shared config files.
    pub profile: Option<String>,
    /// Region, overriding the environment and profile.
    pub region: Option<String>,
    /// Endpoint for both services (moto, LocalStack, a VPC endpoint).
    pub endpoint_url: Option<String>,
    /// Attempts per request, first try included; `None` means the profile's
    /// or the environment's `max_attempts`, else [`DEFAULT_MAX_ATTEMPTS`].
    pub max_attempts: Option<u32>,
    /// How long one attempt may take; `None` means
    /// [`DEFAULT_ATTEMPT_TIMEOUT`].
    pub attempt_timeout: Option<Duration>,
    /// Send `x-amz-request-payer: requester` with every S3 request
    /// (Requester Pays buckets).
    pub request_payer: bool,
    /// Glue catalog id (account id) when it is not the caller's own.
    pub catalog_id: Option<String>,
    /// Receives a record of every request attempt (`--debug`).
    pub log: Option<RequestLog>,
    /// Receives notes for people (`-v`): a bucket found in another Region.
    pub notes: Option<Notes>,
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
    /// Where the attempts came from: `--max-attempts`, the environment or
    /// profile, or glutil's default.
    pub max_attempts_from: &'static str,
    /// How long one attempt may take.
    pub attempt_timeout: Duration,
    /// Path-style S3 addressing: needed whenever a custom endpoint is set,
    /// because local servers cannot resolve `bucket.host` names.
    pub force_path_style: bool,
    /// The retry mode (`standard` or `adaptive`).
    pub retry_mode: String,
}

impl ClientSettings {
    /// Resolves settings from the options over a loaded SDK config.
    /// `configured_attempts` is a `max_attempts` the environment or the
    /// profile set, if any (the SDK's config cannot tell a set value from
    /// its own default of 3).
    pub fn resolve(
        options: &AwsOptions,
        sdk: &SdkConfig,
        configured_attempts: Option<u32>,
    ) -> Result<Self> {
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
        let (max_attempts, max_attempts_from) = match (options.max_attempts, configured_attempts) {
            (Some(n), _) => (n, "--max-attempts"),
            (None, Some(n)) => (n, "AWS_MAX_ATTEMPTS or the profile"),
            (None, None) => (DEFAULT_MAX_ATTEMPTS, "default"),
        };
        if max_attempts == 0 {
            return Err(Error::InvalidInput(
                "--max-attempts must be at least 1".to_string(),
            ));
        }
        let attempt_timeout = options.attempt_timeout.unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
        if attempt_timeout.is_zero() {
            return Err(Error::InvalidInput(
                "--attempt-timeout must be longer than 0".to_string(),
            ));
        }
        let retry_mode = sdk
            .retry_config()
            .map(|r| format!("{:?}", r.mode()).to_lowercase())
            .unwrap_or_else(|| "standard".to_string());
        Ok(Self {
            force_path_style: endpoint_url.is_some()
                || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some(),
            region,
            endpoint_url,
            max_attempts,
            max_attempts_from,
            attempt_timeout,
            retry_mode,
        })
    }

    /// The SDK's retry settings with these attempts. The mode, backoff and
    /// the rest come from the loaded config (a profile's `retry_mode =
    /// adaptive` stays adaptive).
    pub fn retry_config(&self, sdk: &SdkConfig) -> RetryConfig {
        sdk.retry_config()
            .cloned()
            .unwrap_or_else(RetryConfig::standard)
            .with_max_attempts(self.max_attempts)
    }

    /// The loaded timeouts (the connect timeout) plus the attempt timeout.
    pub fn timeout_config(&self, sdk: &SdkConfig) -> TimeoutConfig {
        let mut builder = sdk
            .timeout_config()
            .map(TimeoutConfig::to_builder)
            .unwrap_or_default();
        builder.set_operation_attempt_timeout(Some(self.attempt_timeout));
        builder.build()
    }

    /// glutil's rounds above the SDK's attempts.
    pub fn rounds(&self) -> Rounds {
        Rounds::new(self.max_attempts)
    }
}

/// Glue, S3 and Athena clients that share one configuration.
#[derive(Debug, Clone)]
pub struct Aws {
    glue: aws_sdk_glue::Client,
    s3: S3Clients,
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
        Catalog::new(self.glue.clone(), self.catalog_id.clone()).with_rounds(self.settings.rounds())
    }

    /// Athena through these clients.
    pub fn athena(&self) -> Athena {
        Athena::new(self.athena.clone()).with_rounds(self.settings.rounds())
    }

    /// The S3 clients, for readers that open buckets as they go.
    pub fn s3(&self) -> S3Clients {
        self.s3.clone()
    }

    /// One bucket's listings and reads through these clients (in the
    /// bucket's own Region, once it is known).
    pub fn bucket(&self, name: &str) -> Bucket {
        self.s3.bucket(name)
    }

    /// Loads the SDK configuration the usual way, applies the options on
    /// top, checks that a profile exists and that credentials are found,
    /// and builds the clients.
    pub async fn connect(options: &AwsOptions) -> Result<Self> {
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
        let profiles = load_profiles().await;
        let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
        if let Some(profile) = &options.profile {
            check_profile_exists(&profiles, profile, "--profile")?;
            loader = loader.profile_name(profile);
        } else if let Some(profile) = env_profile.as_deref().filter(|p| *p != "default") {
            check_profile_exists(&profiles, profile, "AWS_PROFILE")?;
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
        let profile = options.profile.clone().or(env_profile);
        let configured = configured_attempts(profiles.as_ref(), profile.as_deref())?;
        let sdk = with_checked_credentials(sdk).await?;
        Self::build(options, &sdk, configured)
    }

    /// Builds the clients from an already loaded SDK configuration; a
    /// `max_attempts` in the environment applies when the options give
    /// none.
    pub fn from_sdk_config(options: &AwsOptions, sdk: &SdkConfig) -> Result<Self> {
        let configured = configured_attempts(None, None)?;
        Self::build(options, sdk, configured)
    }

    fn build(options: &AwsOptions, sdk: &SdkConfig, configured: Option<u32>) -> Result<Self> {
        let settings = ClientSettings::resolve(options, sdk, configured)?;
        let requests = RequestCounter::default();
        // One partition for every client of the run, with a bucket that
        // never runs dry (see the module notes).
        let partition = RetryPartition::custom("glutil")
            .token_bucket(TokenBucket::unlimited())
            .build();
        let retry = settings.retry_config(sdk);
        let timeouts = settings.timeout_config(sdk);

        let mut glue = aws_sdk_glue::config::Builder::from(sdk)
            .retry_config(retry.clone())
            .retry_partition(partition.clone())
            .timeout_config(timeouts.clone())
            .interceptor(requests.clone());
        let mut s3 = aws_sdk_s3::config::Builder::from(sdk)
            .retry_config(retry.clone())
            .retry_partition(partition.clone())
            .timeout_config(timeouts.clone())
            .force_path_style(settings.force_path_style)
            .interceptor(requests.clone());
        let mut athena = aws_sdk_athena::config::Builder::from(sdk)
            .retry_config(retry)
            .retry_partition(partition)
            .timeout_config(timeouts)
            .interceptor(requests.clone());
        if let Some(log) = &options.log {
            glue = glue.interceptor(log.clone());
            s3 = s3.interceptor(log.clone());
            athena = athena.interceptor(log.clone());
        }
        let http = sdk.http_client().unwrap_or_else(https_client);
        let http = match options.max_in_flight {
            Some(permits) => SharedHttpClient::new(Budgeted::wrap(http, permits)),
            None => http,
        };
        glue = glue.http_client(http.clone());
        s3 = s3.http_client(http.clone());
        athena = athena.http_client(http);
        if let Some(endpoint) = &settings.endpoint_url {
            glue = glue.endpoint_url(endpoint);
            s3 = s3.endpoint_url(endpoint);
            athena = athena.endpoint_url(endpoint);
        }
        Ok(Self {
            glue: aws_sdk_glue::Client::from_conf(glue.build()),
            s3: S3Clients::new(
                s3.build(),
                options.request_payer,
                settings.rounds(),
                options.notes.clone(),
            ),
            athena: aws_sdk_athena::Client::from_conf(athena.build()),
            catalog_id: options.catalog_id.clone(),
            settings,
            requests,
        })
    }
}

/// The profiles of the shared config and credentials files (none when the
/// files cannot be read).
async fn load_profiles() -> Option<aws_config::profile::ProfileSet> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    aws_config::profile::parser::load(
        &fs,
        &env,
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        None,
    )
    .await
    .ok()
}

/// Fails early, with the profile's name and where it came from, when a
/// named profile is in no config file: the SDK would fail only later, on
/// the first request, with a message about credentials, or not at all
/// (AWS_PROFILE is ignored when access keys are in the environment).
fn check_profile_exists(
    profiles: &Option<aws_config::profile::ProfileSet>,
    profile: &str,
    from: &str,
) -> Result<()> {
    let known = profiles
        .as_ref()
        .is_some_and(|set| set.get_profile(profile).is_some());
    if known {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "profile `{profile}` (from {from}) was not found in the AWS config or credentials files (~/.aws/config, ~/.aws/credentials); check {from}, or run `aws configure --profile {profile}`"
        )))
    }
}

/// A `max_attempts` set by `AWS_MAX_ATTEMPTS` or by the profile in use.
fn configured_attempts(
    profiles: Option<&aws_config::profile::ProfileSet>,
    profile: Option<&str>,
) -> Result<Option<u32>> {
    let parse = |text: &str, from: &str| {
        text.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                Error::Config(format!(
                    "{from} is `{text}`, which is not a number of attempts (1 or more)"
                ))
            })
    };
    if let Ok(text) = std::env::var("AWS_MAX_ATTEMPTS") {
        return parse(&text, "AWS_MAX_ATTEMPTS");
    }
    let chosen = profile.unwrap_or("default");
    match profiles
        .and_then(|set| set.get_profile(chosen))
        .and_then(|p| p.get("max_attempts"))
    {
        Some(text) => parse(text, &format!("max_attempts in profile `{chosen}`")),
        None => Ok(None),
    }
}

/// Resolves the credentials once before any request, so that having none
/// is one clear error (exit 2) instead of the provider chain's dump on the
/// first request. The credentials found are handed to the clients, so the
/// check costs no second lookup.
async fn with_checked_credentials(sdk: SdkConfig) -> Result<SdkConfig> {
    let Some(provider) = sdk.credentials_provider() else {
        return Err(Error::NoCredentials {
            detail: "no credentials provider is configured".to_string(),
        });
    };
    match provider.provide_credentials().await {
        Ok(credentials) => {
            let preloaded = Preloaded {
                first: Mutex::new(Some(credentials)),
                inner: provider,
            };
            Ok(sdk
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(preloaded))
                .build())
        }
        Err(err @ CredentialsError::CredentialsNotLoaded(_)) => Err(Error::NoCredentials {
            detail: crate::error::full_message(&err),
        }),
        Err(err) => Err(Error::Config(format!(
            "the AWS credentials could not be loaded ({}); refresh them (`aws sso login`, `aws configure`) or choose another --profile",
            innermost(&err)
        ))),
    }
}

/// Hands out the credentials resolved by the check first, then asks the
/// real provider (for refreshes of expiring credentials).
#[derive(Debug)]
struct Preloaded {
    first: Mutex<Option<Credentials>>,
    inner: SharedCredentialsProvider,
}

impl ProvideCredentials for Preloaded {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let first = self.first.lock().ok().and_then(|mut f| f.take());
        let fresh = first.filter(|c| {
            c.expiry()
                .is_none_or(|at| at > std::time::SystemTime::now() + Duration::from_secs(60))
        });
        match fresh {
            Some(credentials) => future::ProvideCredentials::ready(Ok(credentials)),
            None => self.inner.provide_credentials(),
        }
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
        assert_eq!(
            aws.s3.default_client().config().region().unwrap().as_ref(),
            "eu-west-1"
        );
    }

    #[test]
    fn endpoint_from_the_environment_config_also_means_path_style() {
        let s = ClientSettings::resolve(
            &AwsOptions::default(),
            &sdk(Some("us-east-1"), Some("http://localhost:4566")),
            None,
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
        assert_eq!(
            aws.s3
                .default_client()
                .config()
                .retry_config()
                .unwrap()
                .max_attempts(),
            25
        );
        assert_eq!(aws.glue.config().retry_config().unwrap().max_attempts(), 25);
    }

    #[test]
    fn a_configured_max_attempts_applies_unless_the_flag_is_given() {
        let region = sdk(Some("us-east-1"), None);
        let from_profile =
            ClientSettings::resolve(&AwsOptions::default(), &region, Some(4)).unwrap();
        assert_eq!(from_profile.max_attempts, 4);
        let flag = AwsOptions {
            max_attempts: Some(7),
            ..Default::default()
        };
        assert_eq!(
            ClientSettings::resolve(&flag, &region, Some(4))
                .unwrap()
                .max_attempts,
            7
        );
        let default = ClientSettings::resolve(&AwsOptions::default(), &region, None).unwrap();
        assert_eq!(default.max_attempts, DEFAULT_MAX_ATTEMPTS);
    }

    #[test]
    fn an_adaptive_mode_from_the_config_stays_adaptive() {
        let adaptive = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::adaptive().with_max_attempts(2))
            .build();
        let options = AwsOptions {
            max_attempts: Some(6),
            ..Default::default()
        };
        let aws = Aws::from_sdk_config(&options, &adaptive).unwrap();
        let retry = aws.glue.config().retry_config().unwrap();
        assert_eq!(retry.mode(), aws_config::retry::RetryMode::Adaptive);
        assert_eq!(retry.max_attempts(), 6);
    }

    #[test]
    fn every_attempt_has_a_timeout_and_the_connect_timeout_stays() {
        let loaded = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .build(),
            )
            .build();
        let aws = Aws::from_sdk_config(&AwsOptions::default(), &loaded).unwrap();
        let timeouts = aws.glue.config().timeout_config().unwrap();
        assert_eq!(
            timeouts.operation_attempt_timeout(),
            Some(DEFAULT_ATTEMPT_TIMEOUT)
        );
        assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(3)));
        let short = AwsOptions {
            attempt_timeout: Some(Duration::from_millis(1500)),
            ..Default::default()
        };
        let aws = Aws::from_sdk_config(&short, &loaded).unwrap();
        let s3_timeouts = aws.s3.default_client().config().timeout_config().cloned();
        assert_eq!(
            s3_timeouts.and_then(|t| t.operation_attempt_timeout()),
            Some(Duration::from_millis(1500))
        );
        let zero = AwsOptions {
            attempt_timeout: Some(Duration::ZERO),
            ..Default::default()
        };
        assert!(Aws::from_sdk_config(&zero, &loaded)
            .unwrap_err()
            .is_bad_input());
    }

    #[test]
    fn missing_region_is_a_config_error() {
        let err =
            ClientSettings::resolve(&AwsOptions::default(), &sdk(None, None), None).unwrap_err();
        assert!(err.is_bad_input());
        assert!(err.to_string().contains("--region"), "{err}");
    }

    #[test]
    fn zero_attempts_is_rejected() {
        let options = AwsOptions {
            max_attempts: Some(0),
            ..Default::default()
        };
        assert!(ClientSettings::resolve(&options, &sdk(Some("us-east-1"), None), None).is_err());
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
