//! S3 listings, in the model's terms: pages of object keys and sizes, and
//! of folder names. The walk decides what to list; this module only lists,
//! and maps a missing bucket one way for every caller.

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::list_objects_v2::builders::ListObjectsV2FluentBuilder;
use aws_sdk_s3::operation::list_objects_v2::{ListObjectsV2Error, ListObjectsV2Output};
use aws_smithy_async::future::pagination_stream::PaginationStream;

use crate::error::{Error, Result};

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The object's full key.
    pub key: String,
    /// Its size in bytes.
    pub size: i64,
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
}

/// One bucket's listings.
#[derive(Debug, Clone)]
pub struct Bucket {
    s3: aws_sdk_s3::Client,
    name: String,
}

impl Bucket {
    /// Listings of `name` through an S3 client.
    pub fn new(s3: aws_sdk_s3::Client, name: impl Into<String>) -> Self {
        Self {
            s3,
            name: name.into(),
        }
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn request(&self, request: &ListRequest) -> ListObjectsV2FluentBuilder {
        self.s3
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(&request.prefix)
            .set_delimiter(request.by_folder.then(|| "/".to_string()))
            .set_start_after(request.start_after.clone())
            .set_max_keys(request.page_size)
    }

    /// The first page of a listing: one request.
    pub async fn first_page(&self, request: &ListRequest) -> Result<ObjectPage> {
        self.request(request)
            .send()
            .await
            .map(page)
            .map_err(|e| list_error(&self.name, &request.prefix, e))
    }

    /// Every page of a listing, one request each, as the caller asks for
    /// them (continuation tokens followed by the SDK's paginator).
    pub fn pages(&self, request: &ListRequest) -> Pages {
        Pages {
            stream: self.request(request).into_paginator().send(),
            bucket: self.name.clone(),
            prefix: request.prefix.clone(),
        }
    }
}

impl Bucket {
    /// The last `bytes` bytes of an object (the whole object when it is
    /// smaller) and the object's size, with one ranged GET
    /// (`Range: bytes=-N`); S3's `Content-Range` gives the size, so no HEAD
    /// is needed.
    pub async fn tail(&self, key: &str, bytes: u64) -> Result<(Vec<u8>, u64)> {
        let failed = |source: crate::error::BoxError| Error::S3 {
            operation: "GetObject",
            bucket: self.name.clone(),
            prefix: key.to_string(),
            source,
        };
        let output = self
            .s3
            .get_object()
            .bucket(&self.name)
            .key(key)
            .range(format!("bytes=-{bytes}"))
            .send()
            .await
            .map_err(|e| failed(Box::new(e)))?;
        let range_size = output
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|total| total.parse::<u64>().ok());
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| failed(Box::new(e)))?
            .into_bytes()
            .to_vec();
        // Without a Content-Range the answer is the whole object.
        let size = range_size.unwrap_or(body.len() as u64);
        Ok((body, size))
    }
}

/// The pages of one listing.
pub struct Pages {
    stream: PaginationStream<Result<ListObjectsV2Output, SdkError<ListObjectsV2Error>>>,
    bucket: String,
    prefix: String,
}

impl Pages {
    /// The next page, or `None` after the last.
    pub async fn next(&mut self) -> Option<Result<ObjectPage>> {
        let next = self.stream.next().await?;
        Some(
            next.map(page)
                .map_err(|e| list_error(&self.bucket, &self.prefix, e)),
        )
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
                Some(Object {
                    size: o.size.unwrap_or(0),
                    key: o.key?,
                })
            })
            .collect(),
    }
}

fn list_error(bucket: &str, prefix: &str, err: SdkError<ListObjectsV2Error>) -> Error {
    if err
        .as_service_error()
        .is_some_and(ListObjectsV2Error::is_no_such_bucket)
    {
        return Error::NoSuchBucket {
            bucket: bucket.to_string(),
        };
    }
    Error::S3 {
        operation: "ListObjectsV2",
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
        source: Box::new(err),
    }
}
