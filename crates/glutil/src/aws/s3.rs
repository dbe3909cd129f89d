//! S3 listings and reads, in the model's terms: pages of object keys,
//! sizes and storage classes, folder names, and the tail of an object. The
//! walk decides what to list; this module only lists, and handles once for
//! every caller what S3 does beyond the default bucket:
//!
//! - a bucket in another Region answers `301 PermanentRedirect` (or `400
//!   IllegalLocationConstraintException` in opt-in Regions) with its Region
//!   in `x-amz-bucket-region`; the SDK does not follow it, so the request
//!   is sent again to a client of that Region, and the bucket's Region is
//!   remembered ([`S3Clients`]);
//! - Requester Pays buckets answer 403 unless every request says
//!   `x-amz-request-payer: requester` (`--request-payer requester`);
//! - a request whose every attempt failed with an error that may pass is
//!   sent again ([`Rounds`]);
//! - S3 directory buckets (`--x-s3` names) list in no particular order and
//!   take no `StartAfter`, which the walk relies on: they are refused with
//!   a sentence before any request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::operation::list_objects_v2::builders::ListObjectsV2FluentBuilder;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::types::{ObjectStorageClass, OptionalObjectAttributes, RequestPayer};

use crate::aws::client::Notes;
use crate::aws::failure::{from_sdk, AwsFailure, FailureKind, Rounds};
use crate::error::{Error, Result};

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The object's full key.
    pub key: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its storage class when it is archived and not restored
    /// (`GLACIER`, `DEEP_ARCHIVE`): data, but a GET fails until it is
    /// restored. `None` for every readable object.
    pub archived: Option<Box<str>>,
}

impl Object {
    /// A readable object.
    pub fn new(key: impl Into<String>, size: i64) -> Self {
        Self {
            key: key.into(),
            size,
            archived: None,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectPage {
    /// Objects, in key order.
    pub objects: Vec<Object>,
    /// Folder prefixes (`CommonPrefixes`) of a listing with a delimiter.
    pub folders: Vec<String>,
    /// More follows after this page.
    pub truncated: bool,
}

impl ObjectPage {
    /// The first key on the page, or `""`.
    pub fn first_key(&self) -> &str {
        self.objects.first().map_or("", |o| o.key.as_str())
    }

    /// The last key on the page, or `""`.
    pub fn last_key(&self) -> &str {
        self.objects.last().map_or("", |o| o.key.as_str())
    }
}

/// What to list below a prefix.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// The key prefix.
    pub prefix: String,
    /// List one level (`Delimiter=/`), folders as `folders`.
    pub by_folder: bool,
    /// Resume after this key (`StartAfter`).
    pub start_after: Option<String>,
    /// Keys per page; `None` is S3's maximum of 1,000.
    pub page_size: Option<i32>,
    /// Ask whether archived objects are restored (`RestoreStatus`), so
    /// that [`Object::archived`] is exact for them.
    pub restore_status: bool,
}

/// S3 clients by Region, shared by every bucket of a run: the client of
/// the run's Region first, and one per Region a bucket turned out to live
/// in, each made once.
#[derive(Debug, Clone)]
pub struct S3Clients {
    inner: Arc<Regions>,
}

#[derive(Debug)]
struct Regions {
    default: aws_sdk_s3::Client,
    by_region: Mutex<HashMap<String, aws_sdk_s3::Client>>,
    bucket_regions: Mutex<HashMap<String, String>>,
    request_payer: bool,
    rounds: Rounds,
    notes: Option<Notes>,
}

impl S3Clients {
    /// Clients made from `config` (the run's Region); `request_payer` adds
    /// `x-amz-request-payer: requester` to every request.
    pub fn new(
        config: aws_sdk_s3::Config,
        request_payer: bool,
        rounds: Rounds,
        notes: Option<Notes>,
    ) -> Self {
        Self {
            inner: Arc::new(Regions {
                default: aws_sdk_s3::Client::from_conf(config),
                by_region: Mutex::new(HashMap::new()),
                bucket_regions: Mutex::new(HashMap::new()),
                request_payer,
                rounds,
                notes,
            }),
        }
    }

    /// One bucket through these clients.
    pub fn bucket(&self, name: &str) -> Bucket {
        Bucket {
            clients: self.clone(),
            name: name.to_string(),
        }
    }

    /// The client of the run's Region.
    pub fn default_client(&self) -> &aws_sdk_s3::Client {
        &self.inner.default
    }

    fn client_for(&self, bucket: &str) -> aws_sdk_s3::Client {
        let region = self
            .inner
            .bucket_regions
            .lock()
            .ok()
            .and_then(|r| r.get(bucket).cloned());
        match region {
            Some(region) => self.client_in(&region),
            None => self.inner.default.clone(),
        }
    }

    fn client_in(&self, region: &str) -> aws_sdk_s3::Client {
        let mut clients = match self.inner.by_region.lock() {
            Ok(clients) => clients,
            Err(_) => return self.inner.default.clone(),
        };
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let config = self
                    .inner
                    .default
                    .config()
                    .to_builder()
                    .region(aws_sdk_s3::config::Region::new(region.to_string()))
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            })
            .clone()
    }

    /// Learns the Region of a bucket that answered as if it lived
    /// elsewhere: from the answer's `x-amz-bucket-region`, or else from a
    /// HeadBucket, whose answer carries it even when it is an error.
    /// Returns false when the Region stays unknown or is the one asked.
    async fn learn_region(&self, bucket: &str, failure: &AwsFailure) -> bool {
        let region = match &failure.bucket_region {
            Some(region) => Some(region.clone()),
            None => self.head_bucket_region(bucket).await,
        };
        let Some(region) = region.filter(|r| !r.is_empty()) else {
            return false;
        };
        let current = self.client_for(bucket);
        if current.config().region().map(|r| r.as_ref()) == Some(region.as_str()) {
            return false;
        }
        if let Ok(mut known) = self.inner.bucket_regions.lock() {
            known.insert(bucket.to_string(), region.clone());
        }
        if let Some(notes) = &self.inner.notes {
            notes.say(&format!(
                "bucket {bucket} is in {region}: its requests go to {region}"
            ));
        }
        true
    }

    async fn head_bucket_region(&self, bucket: &str) -> Option<String> {
        let answer = self.inner.default.head_bucket().bucket(bucket).send().await;
        match answer {
            Ok(output) => output.bucket_region().map(str::to_string),
            Err(err) => from_sdk(&err, 1).bucket_region,
        }
    }

    fn payer(&self) -> Option<RequestPayer> {
        self.inner.request_payer.then_some(RequestPayer::Requester)
    }
}

/// One bucket's listings and reads.
#[derive(Debug, Clone)]
pub struct Bucket {
    clients: S3Clients,
    name: String,
}

impl Bucket {
    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends one request (`call` builds and sends it on the client it is
    /// given) in the bucket's Region, in rounds while it fails with errors
    /// that may pass, following a redirect to another Region once.
    async fn send<T, F, Fut>(&self, operation: &'static str, key: &str, call: F) -> Result<T>
    where
        F: Fn(aws_sdk_s3::Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, AwsFailure>>,
    {
        check_not_directory_bucket(&self.name)?;
        let rounds = self.clients.inner.rounds;
        let mut redirected = false;
        loop {
            let client = self.clients.client_for(&self.name);
            match rounds.run(|| call(client.clone())).await {
                Ok(value) => return Ok(value),
                Err(failure)
                    if failure.is_wrong_region()
                        && !redirected
                        && self.clients.learn_region(&self.name, &failure).await =>
                {
                    redirected = true;
                }
                Err(failure) => return Err(self.error(operation, key, failure)),
            }
        }
    }

    fn error(&self, operation: &'static str, key: &str, failure: AwsFailure) -> Error {
        if failure.code.as_deref() == Some("NoSuchBucket") {
            return Error::NoSuchBucket {
                bucket: self.name.clone(),
            };
        }
        Error::s3(operation, &self.name, key, failure)
    }

    fn request(
        &self,
        client: &aws_sdk_s3::Client,
        request: &ListRequest,
        token: Option<String>,
    ) -> ListObjectsV2FluentBuilder {
        let mut builder = client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(&request.prefix)
            .set_delimiter(request.by_folder.then(|| "/".to_string()))
            .set_start_after(request.start_after.clone())
            .set_max_keys(request.page_size)
            .set_continuation_token(token)
            .set_request_payer(self.clients.payer());
        if request.restore_status {
            builder = builder.optional_object_attributes(OptionalObjectAttributes::RestoreStatus);
        }
        builder
    }

    async fn list_page(
        &self,
        request: &ListRequest,
        token: Option<String>,
    ) -> Result<ListObjectsV2Output> {
        self.send("ListObjectsV2", &request.prefix, |client| {
            let call = self.request(&client, request, token.clone());
            async move {
                call.send()
                    .await
                    .map_err(|e| from_sdk(&e, self.clients.inner.rounds.attempts_per_round))
            }
        })
        .await
    }

    /// The first page of a listing: one request.
    pub async fn first_page(&self, request: &ListRequest) -> Result<ObjectPage> {
        self.list_page(request, None).await.map(page)
    }

    /// Every page of a listing, one request each, as the caller asks for
    /// them.
    pub fn pages(&self, request: &ListRequest) -> Pages {
        Pages {
            bucket: self.clone(),
            request: request.clone(),
            token: None,
            done: false,
        }
    }

    /// Reads a whole object as it arrives ([`ObjectReader`]); the first
    /// GET is sent by the first [`ObjectReader::next_chunk`].
    pub fn read(&self, key: &str) -> ObjectReader {
        ObjectReader {
            bucket: self.clone(),
            key: key.to_string(),
            body: None,
            etag: None,
            offset: 0,
            resumed: 0,
            gets: 0,
            done: false,
        }
    }

    /// The last `bytes` bytes of an object (the whole object when it is
    /// smaller) and the object's size, with one ranged GET
    /// (`Range: bytes=-N`); S3's `Content-Range` gives the size, so no HEAD
    /// is needed. An archived object answers `InvalidObjectState`
    /// ([`Error::is_archived_object`]).
    pub async fn tail(&self, key: &str, bytes: u64) -> Result<(Vec<u8>, u64)> {
        self.send("GetObject", key, |client| async move {
            let attempts = self.clients.inner.rounds.attempts_per_round;
            let output = client
                .get_object()
                .bucket(&self.name)
                .key(key)
                .range(format!("bytes=-{bytes}"))
                .set_request_payer(self.clients.payer())
                .send()
                .await
                .map_err(|e| from_sdk(&e, attempts))?;
            let range_size = output
                .content_range()
                .and_then(|r| r.rsplit('/').next())
                .and_then(|total| total.parse::<u64>().ok());
            let body = output
                .body
                .collect()
                .await
                .map_err(|e| {
                    AwsFailure::local(
                        FailureKind::Retryable,
                        "BodyReadFailed",
                        format!("the object's bytes stopped coming: {e}"),
                    )
                })?
                .into_bytes()
                .to_vec();
            // Without a Content-Range the answer is the whole object.
            let size = range_size.unwrap_or(body.len() as u64);
            Ok((body, size))
        })
        .await
    }
}

/// An object's bytes as they arrive, one GET for the whole object. A
/// connection that breaks mid-body is picked up where it broke (a ranged
/// GET from the last byte received, `If-Match` the first answer's ETag, so
/// a replaced object is an error and not a splice), up to three times.
pub struct ObjectReader {
    bucket: Bucket,
    key: String,
    body: Option<aws_sdk_s3::primitives::ByteStream>,
    etag: Option<String>,
    offset: u64,
    resumed: u32,
    gets: u32,
    done: bool,
}

impl ObjectReader {
    /// Bytes received so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// The bucket read.
    pub fn bucket_name(&self) -> &str {
        &self.bucket.name
    }

    /// The key read.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// GET requests sent so far.
    pub fn gets(&self) -> u32 {
        self.gets
    }

    /// The next chunk of the object (the SDK's buffer itself, not a copy),
    /// or `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<impl AsRef<[u8]> + use<>>> {
        const RESUMES: u32 = 3;
        loop {
            if self.done {
                return Ok(None);
            }
            if self.body.is_none() {
                self.open().await?;
            }
            let Some(body) = self.body.as_mut() else {
                return Ok(None);
            };
            match body.next().await {
                Some(Ok(chunk)) => {
                    self.offset += chunk.len() as u64;
                    return Ok(Some(chunk));
                }
                None => {
                    self.done = true;
                    return Ok(None);
                }
                Some(Err(err)) if self.resumed < RESUMES => {
                    let _ = err;
                    self.resumed += 1;
                    self.body = None;
                }
                Some(Err(err)) => {
                    self.done = true;
                    return Err(self.bucket.error(
                        "GetObject",
                        &self.key,
                        AwsFailure::local(
                            FailureKind::Retryable,
                            "BodyReadFailed",
                            format!("the object's bytes stopped coming {RESUMES} times: {err}"),
                        ),
                    ));
                }
            }
        }
    }

    async fn open(&mut self) -> Result<()> {
        let (bucket, key, offset) = (&self.bucket, self.key.as_str(), self.offset);
        let etag = self.etag.clone();
        let attempts = bucket.clients.inner.rounds.attempts_per_round;
        let payer = bucket.clients.payer();
        let output = bucket
            .send("GetObject", key, |client| {
                let request = client
                    .get_object()
                    .bucket(&bucket.name)
                    .key(key)
                    .set_range((offset > 0).then(|| format!("bytes={offset}-")))
                    .set_if_match(etag.clone())
                    .set_request_payer(payer.clone());
                async move { request.send().await.map_err(|e| from_sdk(&e, attempts)) }
            })
            .await?;
        self.gets += 1;
        if self.etag.is_none() {
            self.etag = output.e_tag.clone();
        }
        self.body = Some(output.body);
        Ok(())
    }
}

/// The pages of one listing. The SDK's paginator ends at the first error;
/// this loop keeps the continuation token itself so that a page can be
/// asked again after a throttling storm, or in the bucket's own Region.
pub struct Pages {
    bucket: Bucket,
    request: ListRequest,
    token: Option<String>,
    done: bool,
}

impl Pages {
    /// The next page, or `None` after the last.
    pub async fn next(&mut self) -> Option<Result<ObjectPage>> {
        if self.done {
            return None;
        }
        let answer = self
            .bucket
            .list_page(&self.request, self.token.take())
            .await;
        match answer {
            Ok(output) => {
                self.token = output
                    .next_continuation_token
                    .clone()
                    .filter(|t| !t.is_empty());
                self.done = self.token.is_none();
                Some(Ok(page(output)))
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}

/// Storage classes whose objects must be restored before a GET.
fn archived_class(class: Option<&ObjectStorageClass>) -> Option<&'static str> {
    match class? {
        ObjectStorageClass::Glacier => Some("GLACIER"),
        ObjectStorageClass::DeepArchive => Some("DEEP_ARCHIVE"),
        _ => None,
    }
}

fn page(output: ListObjectsV2Output) -> ObjectPage {
    ObjectPage {
        truncated: output.is_truncated() == Some(true),
        folders: output
            .common_prefixes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.prefix)
            .collect(),
        objects: output
            .contents
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| {
                // A restored copy (no restore in progress, an expiry date)
                // reads like any object.
                let restored = o.restore_status().is_some_and(|r| {
                    r.is_restore_in_progress() != Some(true) && r.restore_expiry_date().is_some()
                });
                let archived = archived_class(o.storage_class())
                    .filter(|_| !restored)
                    .map(Box::from);
                Some(Object {
                    size: o.size.unwrap_or(0),
                    key: o.key?,
                    archived,
                })
            })
            .collect(),
    }
}

/// S3 Express One Zone directory buckets are named `NAME--AZID--x-s3`.
fn check_not_directory_bucket(bucket: &str) -> Result<()> {
    if bucket.ends_with("--x-s3") {
        return Err(Error::InvalidInput(format!(
            "bucket `{bucket}` is an S3 directory bucket (S3 Express One Zone): its listings come in no key order and take no StartAfter, which glutil's walk relies on, so glutil does not work with directory buckets; keep the table's data in a general purpose bucket"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Mocked-SDK tests for what moto never does: redirects to another
    //! Region, Requester Pays, archived objects.

    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
    use aws_sdk_s3::types::{Object as S3Object, RestoreStatus};
    use aws_sdk_s3::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn clients(client: Client, payer: bool) -> S3Clients {
        S3Clients::new(client.config().clone(), payer, Rounds::new(2), None)
    }

    #[tokio::test]
    async fn a_bucket_in_another_region_is_asked_there_and_remembered() {
        let redirect = mock!(Client::list_objects_v2)
            .match_requests(|r| r.prefix() == Some("t/"))
            .then_http_response(|| {
                let mut response = Response::new(
                    StatusCode::try_from(301).unwrap(),
                    SdkBody::from(
                        "<?xml version=\"1.0\"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>",
                    ),
                );
                response
                    .headers_mut()
                    .insert("x-amz-bucket-region", "eu-west-1");
                response
            });
        let listing = mock!(Client::list_objects_v2).then_compute_output(|_| {
            ListObjectsV2Output::builder()
                .contents(S3Object::builder().key("t/a").size(3).build())
                .build()
        });
        // The first answer redirects; the second (any region) lists.
        let client = mock_client!(aws_sdk_s3, RuleMode::Sequential, [&redirect, &listing]);
        let clients = clients(client, false);
        let bucket = clients.bucket("far");
        let page = bucket
            .first_page(&ListRequest {
                prefix: "t/".into(),
                ..ListRequest::default()
            })
            .await
            .unwrap();
        assert_eq!(page.objects.len(), 1);
        assert_eq!(redirect.num_calls(), 1);
        assert_eq!(listing.num_calls(), 1);
        let region = clients.client_for("far").config().region().cloned();
        assert_eq!(region.as_ref().map(|r| r.as_ref()), Some("eu-west-1"));
    }

    #[tokio::test]
    async fn requester_pays_reaches_every_request() {
        let list = mock!(Client::list_objects_v2)
            .match_requests(|r| r.request_payer() == Some(&RequestPayer::Requester))
            .then_output(|| ListObjectsV2Output::builder().build());
        let get = mock!(Client::get_object)
            .match_requests(|r| r.request_payer() == Some(&RequestPayer::Requester))
            .then_output(|| {
                aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
                    .body(aws_sdk_s3::primitives::ByteStream::from_static(b"PAR1"))
                    .build()
            });
        let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&list, &get]);
        let bucket = clients(client, true).bucket("paid");
        bucket.first_page(&ListRequest::default()).await.unwrap();
        let (bytes, size) = bucket.tail("k", 10).await.unwrap();
        assert_eq!((bytes.as_slice(), size), (&b"PAR1"[..], 4));
        assert_eq!(list.num_calls() + get.num_calls(), 2);
    }

    #[tokio::test]
    async fn archived_objects_are_marked_unless_restored() {
        let rule = mock!(Client::list_objects_v2)
            .match_requests(|r| {
                r.optional_object_attributes() == [OptionalObjectAttributes::RestoreStatus]
            })
            .then_output(|| {
                let object = |key: &str, class: ObjectStorageClass| {
                    S3Object::builder().key(key).size(10).storage_class(class)
                };
                let restored = RestoreStatus::builder()
                    .is_restore_in_progress(false)
                    .restore_expiry_date(aws_smithy_types::DateTime::from_secs(2_000_000_000))
                    .build();
                ListObjectsV2Output::builder()
                    .contents(object("t/a", ObjectStorageClass::Glacier).build())
                    .contents(object("t/b", ObjectStorageClass::DeepArchive).build())
                    .contents(
                        object("t/c", ObjectStorageClass::Glacier)
                            .restore_status(restored)
                            .build(),
                    )
                    .contents(object("t/d", ObjectStorageClass::GlacierIr).build())
                    .contents(object("t/e", ObjectStorageClass::Standard).build())
                    .build()
            });
        let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&rule]);
        let page = clients(client, false)
            .bucket("cold")
            .first_page(&ListRequest {
                restore_status: true,
                ..ListRequest::default()
            })
            .await
            .unwrap();
        let archived: Vec<Option<&str>> =
            page.objects.iter().map(|o| o.archived.as_deref()).collect();
        assert_eq!(
            archived,
            [Some("GLACIER"), Some("DEEP_ARCHIVE"), None, None, None]
        );
    }

    #[tokio::test]
    async fn directory_buckets_are_refused_before_any_request() {
        let rule =
            mock!(Client::list_objects_v2).then_output(|| ListObjectsV2Output::builder().build());
        let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&rule]);
        let err = clients(client, false)
            .bucket("fast--use1-az4--x-s3")
            .first_page(&ListRequest::default())
            .await
            .unwrap_err();
        assert!(err.is_bad_input());
        assert!(err.to_string().contains("directory bucket"), "{err}");
        assert_eq!(rule.num_calls(), 0);
    }
}
