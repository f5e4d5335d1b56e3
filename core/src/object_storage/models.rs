//! Object Storage models: JSON bodies (camelCase on the wire, snake_case in Rust) and the typed
//! header sets of object responses.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Free-form tags: `{"Department": "Finance"}`.
pub type FreeformTags = HashMap<String, String>;
/// Defined tags: `{"Operations": {"CostCenter": "42"}}`.
pub type DefinedTags = HashMap<String, HashMap<String, serde_json::Value>>;

/// Declares a string enum of the API: known values as variants, anything else kept verbatim in
/// `UnknownValue` so a value the service adds later never fails decoding. Known values match
/// case-insensitively (headers such as `archival-state` have been sent upper-case).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this SDK does not know, kept as the service sent it.
            UnknownValue(String),
        }

        impl $name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::UnknownValue(s) => s,
                }
            }

            /// Reads a wire value; known values match case-insensitively.
            pub fn parse(s: &str) -> Self {
                $( if s.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                $name::UnknownValue(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::parse(&s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                match v {
                    $name::UnknownValue(s) => s,
                    known => known.as_str().to_string(),
                }
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::parse(s))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Storage tier of a bucket (`Standard`, `Archive`) or an object (also `InfrequentAccess`).
    StorageTier {
        /// Hot storage; the default.
        Standard => "Standard",
        /// Cheaper storage with a retrieval fee and a minimum retention (objects only).
        InfrequentAccess => "InfrequentAccess",
        /// Cold storage: objects must be restored before they can be read.
        Archive => "Archive",
    }
}

string_enum! {
    /// Public access to a bucket's objects.
    PublicAccessType {
        /// Only authenticated callers; the default.
        NoPublicAccess => "NoPublicAccess",
        /// Anyone may read and list objects.
        ObjectRead => "ObjectRead",
        /// Anyone may read objects but not list them.
        ObjectReadWithoutList => "ObjectReadWithoutList",
    }
}

string_enum! {
    /// Object versioning of a bucket.
    Versioning {
        /// Overwrites and deletes keep previous versions.
        Enabled => "Enabled",
        /// Existing versions stay; no new ones are made.
        Suspended => "Suspended",
        /// No versioning; the default.
        Disabled => "Disabled",
    }
}

string_enum! {
    /// Automatic tiering of a bucket's objects.
    AutoTiering {
        /// No automatic tiering; the default.
        Disabled => "Disabled",
        /// Objects move between Standard and InfrequentAccess by access pattern.
        InfrequentAccess => "InfrequentAccess",
    }
}

string_enum! {
    /// Where a bucket name must be unique, and whether virtual-hosted URLs work.
    BucketScope {
        /// Unique in the tenancy's namespace and region; path-style access only.
        Namespace => "NAMESPACE",
        /// Unique across all tenancies in the region; virtual-hosted access too.
        Region => "REGION",
    }
}

string_enum! {
    /// Archival state of an object in the Archive tier.
    ArchivalState {
        /// Readable (sent by some service versions for non-archived objects).
        Available => "Available",
        /// Archived: restore before reading.
        Archived => "Archived",
        /// A restore is in progress.
        Restoring => "Restoring",
        /// Restored and readable until `time_of_archival`.
        Restored => "Restored",
    }
}

string_enum! {
    /// Extra checksum the service computes and stores besides MD5 (`opc-checksum-algorithm`).
    ChecksumAlgorithm {
        /// CRC32C (Castagnoli).
        Crc32c => "CRC32C",
        /// SHA-256.
        Sha256 => "SHA256",
        /// SHA-384.
        Sha384 => "SHA384",
    }
}

/// A bucket, as CreateBucket and GetBucket return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// Object Storage namespace the bucket lives in.
    pub namespace: String,
    /// Bucket name.
    pub name: String,
    /// OCID of the compartment the bucket belongs to.
    pub compartment_id: String,
    /// User-defined metadata.
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    /// OCID of the user who created the bucket.
    pub created_by: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub time_created: OffsetDateTime,
    /// Entity tag of the bucket.
    pub etag: String,
    /// Public access allowed on the bucket.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_access_type: Option<PublicAccessType>,
    /// Default storage tier of new objects; immutable after creation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub storage_tier: Option<StorageTier>,
    /// Whether object state changes emit events.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object_events_enabled: Option<bool>,
    /// Free-form tags.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub freeform_tags: Option<FreeformTags>,
    /// Defined tags.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub defined_tags: Option<DefinedTags>,
    /// OCID of the master encryption key (Key Management), if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kms_key_id: Option<String>,
    /// Whether cached bucket encryption keys are used with the KMS key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_bucket_key_enabled: Option<bool>,
    /// Entity tag of the live object lifecycle policy.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object_lifecycle_policy_etag: Option<String>,
    /// Approximate number of objects (only when asked for with `fields`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub approximate_count: Option<i64>,
    /// Approximate total size in bytes (only when asked for with `fields`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub approximate_size: Option<i64>,
    /// Whether the bucket is a replication source.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub replication_enabled: Option<bool>,
    /// Whether the bucket is read-only (a replication destination).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_read_only: Option<bool>,
    /// OCID of the bucket.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// Versioning state.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub versioning: Option<Versioning>,
    /// Auto-tiering state.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auto_tiering: Option<AutoTiering>,
    /// Name scope of the bucket.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bucket_scope: Option<BucketScope>,
}

/// A bucket as ListBuckets returns it: no metadata, tags only when asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketSummary {
    /// Object Storage namespace the bucket lives in.
    pub namespace: String,
    /// Bucket name.
    pub name: String,
    /// OCID of the compartment the bucket belongs to.
    pub compartment_id: String,
    /// OCID of the user who created the bucket.
    pub created_by: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub time_created: OffsetDateTime,
    /// Entity tag of the bucket.
    pub etag: String,
    /// Free-form tags (with `fields=tags`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub freeform_tags: Option<FreeformTags>,
    /// Defined tags (with `fields=tags`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub defined_tags: Option<DefinedTags>,
    /// Name scope of the bucket.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bucket_scope: Option<BucketScope>,
}

/// Body of CreateBucket.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBucketDetails {
    /// Bucket name: letters, digits, `-`, `_`, `.`; unique in the namespace.
    pub name: String,
    /// OCID of the compartment to create the bucket in.
    pub compartment_id: String,
    /// User-defined metadata.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub metadata: Option<HashMap<String, String>>,
    /// Public access; `NoPublicAccess` when absent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_access_type: Option<PublicAccessType>,
    /// Storage tier (`Standard` or `Archive`); `Standard` when absent. Immutable.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub storage_tier: Option<StorageTier>,
    /// Whether object state changes emit events.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object_events_enabled: Option<bool>,
    /// Free-form tags.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub freeform_tags: Option<FreeformTags>,
    /// Defined tags.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub defined_tags: Option<DefinedTags>,
    /// OCID of a master encryption key (Key Management).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kms_key_id: Option<String>,
    /// Whether to use cached bucket encryption keys with the KMS key.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_bucket_key_enabled: Option<bool>,
    /// Versioning (`Enabled` or `Disabled`); `Disabled` when absent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub versioning: Option<Versioning>,
    /// Auto-tiering; `Disabled` when absent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auto_tiering: Option<AutoTiering>,
    /// Name scope; `NAMESPACE` when absent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bucket_scope: Option<BucketScope>,
}

impl CreateBucketDetails {
    /// Details for a bucket `name` in compartment `compartment_id`, everything else default.
    pub fn new(name: impl Into<String>, compartment_id: impl Into<String>) -> Self {
        CreateBucketDetails {
            name: name.into(),
            compartment_id: compartment_id.into(),
            ..Default::default()
        }
    }
}

/// One object of a ListObjects page. Only `name` is always there; the rest come when asked for
/// with `fields` (`size,etag,md5,timeCreated,timeModified,storageTier,archivalState`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectSummary {
    /// Object name.
    pub name: String,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size: Option<u64>,
    /// Base64 MD5 of the object (a multipart object: the multipart MD5 with `-<parts>`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub md5: Option<String>,
    /// Creation time.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub time_created: Option<OffsetDateTime>,
    /// Entity tag.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub etag: Option<String>,
    /// Storage tier.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub storage_tier: Option<StorageTier>,
    /// Archival state (Archive tier only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub archival_state: Option<ArchivalState>,
    /// Last modification time.
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub time_modified: Option<OffsetDateTime>,
}

/// One page of ListObjects.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListObjects {
    /// The objects of this page.
    #[serde(default)]
    pub objects: Vec<ObjectSummary>,
    /// With a `delimiter`: the distinct name prefixes up to and including the delimiter
    /// ("directories").
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prefixes: Option<Vec<String>>,
    /// Name to pass as `start` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_start_with: Option<String>,
}

/// What PutObject's response headers say about the stored object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PutObjectOutput {
    /// `etag` of the new object.
    pub etag: Option<String>,
    /// `opc-content-md5`: base64 MD5 of the body as the service computed it.
    pub opc_content_md5: Option<String>,
    /// `opc-content-crc32c` (with `opc_checksum_algorithm` CRC32C).
    pub opc_content_crc32c: Option<String>,
    /// `opc-content-sha256` (with `opc_checksum_algorithm` SHA256).
    pub opc_content_sha256: Option<String>,
    /// `opc-content-sha384` (with `opc_checksum_algorithm` SHA384).
    pub opc_content_sha384: Option<String>,
    /// `last-modified`.
    pub last_modified: Option<OffsetDateTime>,
    /// `version-id` of the new object (versioned buckets).
    pub version_id: Option<String>,
}

/// An object's metadata from the headers of HeadObject or GetObject.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectMetadata {
    /// `content-length`: object size for HeadObject; for GetObject, the bytes in this body
    /// (the range size for a range request).
    pub content_length: Option<u64>,
    /// `content-type`.
    pub content_type: Option<String>,
    /// `content-md5`: base64 MD5 of the object; absent for multipart uploads.
    pub content_md5: Option<String>,
    /// `opc-multipart-md5`: base64 MD5 of the concatenated part MD5s, then `-<partCount>`.
    pub opc_multipart_md5: Option<String>,
    /// `opc-content-crc32c`: base64 CRC32C of the whole object, when stored.
    pub opc_content_crc32c: Option<String>,
    /// `opc-content-sha256`, when stored.
    pub opc_content_sha256: Option<String>,
    /// `opc-content-sha384`, when stored.
    pub opc_content_sha384: Option<String>,
    /// `etag`.
    pub etag: Option<String>,
    /// `last-modified`.
    pub last_modified: Option<OffsetDateTime>,
    /// `content-range` of a range request (`bytes 0-99/1234`).
    pub content_range: Option<String>,
    /// `content-language`.
    pub content_language: Option<String>,
    /// `content-encoding`.
    pub content_encoding: Option<String>,
    /// `content-disposition`.
    pub content_disposition: Option<String>,
    /// `cache-control`.
    pub cache_control: Option<String>,
    /// `expires`, verbatim (HTTP says an unparseable value means "already expired").
    pub expires: Option<String>,
    /// `storage-tier`.
    pub storage_tier: Option<StorageTier>,
    /// `archival-state` (Archive tier only).
    pub archival_state: Option<ArchivalState>,
    /// `time-of-archival`: when a restored object returns to archived.
    pub time_of_archival: Option<OffsetDateTime>,
    /// `version-id`.
    pub version_id: Option<String>,
    /// User metadata from the `opc-meta-<key>` headers, keyed without the prefix (lower-case,
    /// as HTTP header names are case-insensitive).
    pub opc_meta: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn enums_round_trip_and_keep_unknown_values() {
        let t: StorageTier = serde_json::from_value(json!("InfrequentAccess")).unwrap();
        assert_eq!(t, StorageTier::InfrequentAccess);
        assert_eq!(serde_json::to_value(&t).unwrap(), json!("InfrequentAccess"));
        let t: StorageTier = serde_json::from_value(json!("DeepArchive")).unwrap();
        assert_eq!(t, StorageTier::UnknownValue("DeepArchive".into()));
        assert_eq!(serde_json::to_value(&t).unwrap(), json!("DeepArchive"));
        assert_eq!(t.to_string(), "DeepArchive");
        assert_eq!(ArchivalState::parse("RESTORING"), ArchivalState::Restoring);
        assert_eq!(BucketScope::parse("REGION").as_str(), "REGION");
        assert_eq!(
            serde_json::to_value(BucketScope::Namespace).unwrap(),
            json!("NAMESPACE")
        );
        assert_eq!(
            "sha256".parse::<ChecksumAlgorithm>().unwrap().as_str(),
            "SHA256"
        );
        assert_eq!(
            PublicAccessType::from("ObjectReadWithoutList"),
            PublicAccessType::ObjectReadWithoutList
        );
        assert_eq!(String::from(Versioning::Suspended), "Suspended");
        assert_eq!(AutoTiering::parse("x").as_str(), "x");
        // An enum inside a model with an unknown value still decodes.
        let s: ObjectSummary =
            serde_json::from_value(json!({"name": "a", "archivalState": "Thawing"})).unwrap();
        assert_eq!(
            s.archival_state,
            Some(ArchivalState::UnknownValue("Thawing".into()))
        );
    }

    #[test]
    fn bucket_from_service_json() {
        let body = json!({
            "namespace": "axaxnpcrorw5",
            "name": "my-new-bucket1",
            "compartmentId": "ocid1.compartment.oc1..aaaa",
            "metadata": {"owner": "team-a"},
            "createdBy": "ocid1.user.oc1..bbbb",
            "timeCreated": "2019-08-21T17:05:56.302Z",
            "etag": "6b4bc1f2-5d67-4a6e-9a2b-0f6f1c1e2d3c",
            "publicAccessType": "NoPublicAccess",
            "storageTier": "Standard",
            "objectEventsEnabled": false,
            "freeformTags": {"Department": "Finance"},
            "definedTags": {"Operations": {"CostCenter": "42", "Level": 3}},
            "kmsKeyId": null,
            "isBucketKeyEnabled": false,
            "objectLifecyclePolicyEtag": null,
            "approximateCount": 3_000_000_000_i64,
            "approximateSize": 9_000_000_000_000_i64,
            "replicationEnabled": false,
            "isReadOnly": false,
            "id": "ocid1.bucket.oc1.phx.cccc",
            "versioning": "Disabled",
            "autoTiering": "Disabled",
            "bucketScope": "NAMESPACE",
            "somethingNew": {"nested": true}
        });
        let b: Bucket = serde_json::from_value(body).unwrap();
        assert_eq!(b.name, "my-new-bucket1");
        assert_eq!(b.metadata.get("owner").map(String::as_str), Some("team-a"));
        assert_eq!(b.time_created.unix_timestamp(), 1_566_407_156);
        assert_eq!(b.time_created.millisecond(), 302);
        assert_eq!(b.public_access_type, Some(PublicAccessType::NoPublicAccess));
        assert_eq!(b.storage_tier, Some(StorageTier::Standard));
        assert_eq!(b.kms_key_id, None);
        assert_eq!(b.approximate_count, Some(3_000_000_000));
        assert_eq!(b.approximate_size, Some(9_000_000_000_000));
        assert_eq!(b.versioning, Some(Versioning::Disabled));
        assert_eq!(b.auto_tiering, Some(AutoTiering::Disabled));
        assert_eq!(b.bucket_scope, Some(BucketScope::Namespace));
        assert_eq!(
            b.defined_tags.as_ref().unwrap()["Operations"]["Level"],
            json!(3)
        );
        // Serializes back camelCase, omitting absent options.
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(v["compartmentId"], "ocid1.compartment.oc1..aaaa");
        assert_eq!(v["timeCreated"], "2019-08-21T17:05:56.302Z");
        assert!(v.get("kmsKeyId").is_none());
    }

    #[test]
    fn bucket_with_only_required_fields() {
        let b: Bucket = serde_json::from_value(json!({
            "namespace": "ns", "name": "b", "compartmentId": "c", "createdBy": "u",
            "timeCreated": "2024-01-02T03:04:05Z", "etag": "e"
        }))
        .unwrap();
        assert!(b.metadata.is_empty());
        assert_eq!(b.storage_tier, None);
        assert_eq!(b.id, None);
    }

    #[test]
    fn create_bucket_details_serialize_camel_case() {
        let mut d = CreateBucketDetails::new("b1", "ocid1.compartment.oc1..x");
        d.storage_tier = Some(StorageTier::Archive);
        d.versioning = Some(Versioning::Enabled);
        d.object_events_enabled = Some(true);
        d.metadata = Some(HashMap::from([("k".to_string(), "v".to_string())]));
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            json!({
                "name": "b1",
                "compartmentId": "ocid1.compartment.oc1..x",
                "metadata": {"k": "v"},
                "storageTier": "Archive",
                "objectEventsEnabled": true,
                "versioning": "Enabled"
            })
        );
        assert_eq!(
            serde_json::to_value(CreateBucketDetails::new("b", "c")).unwrap(),
            json!({"name": "b", "compartmentId": "c"})
        );
    }

    #[test]
    fn list_objects_page_shapes() {
        let page: ListObjects = serde_json::from_value(json!({
            "objects": [
                {"name": "a.txt", "size": 5_000_000_000_u64, "md5": "1B2M2Y8AsgTpgAmY7PhCfg==",
                 "timeCreated": "2020-01-01T00:00:00.000Z", "etag": "e1",
                 "storageTier": "Archive", "archivalState": "Archived",
                 "timeModified": "2020-01-02T00:00:00.000+00:00"},
                {"name": "b.txt"}
            ],
            "prefixes": ["logs/", "tmp/"],
            "nextStartWith": "c.txt"
        }))
        .unwrap();
        assert_eq!(page.objects.len(), 2);
        assert_eq!(page.objects[0].size, Some(5_000_000_000));
        assert_eq!(
            page.objects[0].archival_state,
            Some(ArchivalState::Archived)
        );
        assert!(page.objects[0].time_modified.is_some());
        assert_eq!(page.objects[1].size, None);
        assert_eq!(page.objects[1].time_created, None);
        assert_eq!(
            page.prefixes.as_deref(),
            Some(&["logs/".to_string(), "tmp/".to_string()][..])
        );
        assert_eq!(page.next_start_with.as_deref(), Some("c.txt"));

        let last: ListObjects = serde_json::from_value(json!({"objects": []})).unwrap();
        assert!(last.objects.is_empty());
        assert_eq!(last.prefixes, None);
        assert_eq!(last.next_start_with, None);
    }

    #[test]
    fn bucket_summary_without_tags() {
        let s: BucketSummary = serde_json::from_value(json!({
            "namespace": "ns", "name": "b", "compartmentId": "c", "createdBy": "u",
            "timeCreated": "2024-01-02T03:04:05.123Z", "etag": "e"
        }))
        .unwrap();
        assert_eq!(s.freeform_tags, None);
        assert_eq!(s.bucket_scope, None);
    }
}
