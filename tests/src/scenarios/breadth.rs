//! The breadth of the emulator through every transport: compartments, an uploaded API key that
//! then signs, pre-authenticated requests used without a signature, object versions, rename,
//! copy and its work request, and secret bundles. Portable: each runs on blocking, hyper and in
//! the browser, on an emulator it may share (names come from [`ScenarioEnv::name`]).

use base64::Engine as _;
use ocisdk_core::Error;
use ocisdk_core::export::time::OffsetDateTime;
use ocisdk_identity::*;
use ocisdk_object_storage::*;
use ocisdk_secrets::*;

use crate::env::ScenarioEnv;
use crate::transport::{TestBody, Transport};

use super::e2e::UNKNOWN_KEY_PEM;

/// The secret every scenario environment's emulator holds, with its two versions (oldest
/// first): `Env` puts it into the in-process emulator, `transport-wasm/tests/run.sh` passes
/// `--secret` for each version.
pub const SCENARIO_SECRET: (&str, [&str; 2]) = ("ocisdk-scenario-secret", ["first", "second"]);

/// The emulator's vault (`ocisdk_emulator::DEFAULT_VAULT_ID`, fixed so that a browser knows it).
pub const EMULATOR_VAULT_ID: &str = "ocid1.vault.oc1.iad.ocisdkemulatorvault";

/// An expiry far ahead, made without a clock (wasm has none the core may read).
fn far_future() -> OffsetDateTime {
    // 2100-01-01T00:00:00Z.
    OffsetDateTime::from_unix_timestamp(4_102_444_800).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn status(e: &Error) -> Option<u16> {
    e.status().map(|s| s.as_u16())
}

/// Compartments nest (a child's `compartmentId` is its parent), names are unique per parent
/// only, ListCompartments lists children (or the whole tree of the tenancy), and a compartment
/// holding anything — a child, a bucket — cannot be deleted (409); an empty one is deleted by
/// a work request (202) and stays as DELETED.
pub async fn compartments_nest_and_stay_while_not_empty<E: ScenarioEnv>(env: &E) {
    let c = env.client();
    let tenancy = env.tenancy().to_string();
    let create = |parent: &str, name: &str| {
        CreateCompartment::new(CreateCompartmentDetails::new(parent, name, "scenario"))
    };
    let top = c
        .execute(create(&tenancy, &env.name("apps")))
        .await
        .unwrap()
        .data;
    assert_eq!(top.lifecycle_state.as_str(), "ACTIVE");
    assert_eq!(top.compartment_id, tenancy);
    let child = c
        .execute(create(&top.id, &env.name("apps")))
        .await
        .unwrap()
        .data;
    assert_eq!(
        child.compartment_id, top.id,
        "the child's compartment is its parent"
    );
    let dup = c
        .execute(create(&tenancy, &env.name("apps")))
        .await
        .unwrap_err();
    assert_eq!(status(&dup), Some(409), "{dup}");
    assert_eq!(dup.as_service().unwrap().code, "CompartmentAlreadyExists");

    let children = c
        .collect_all(ListCompartments::new(&top.id), None)
        .await
        .unwrap();
    assert_eq!(
        children.iter().map(|x| &x.id).collect::<Vec<_>>(),
        [&child.id]
    );
    let mut tree = ListCompartments::new(&tenancy);
    tree.compartment_id_in_subtree = Some(true);
    let tree = c.collect_all(tree, None).await.unwrap();
    assert!(
        tree.iter().any(|x| x.id == child.id),
        "the subtree holds the grandchild"
    );
    let direct = c
        .collect_all(ListCompartments::new(&tenancy), None)
        .await
        .unwrap();
    assert!(direct.iter().all(|x| x.id != child.id));

    // Not empty: a child compartment, then a bucket.
    let err = c
        .execute(DeleteCompartment::new(&top.id))
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(409), "{err}");
    let ns = env.namespace().await;
    let bucket = env.name("in-child");
    c.execute(CreateBucket::new(
        &ns,
        CreateBucketDetails::new(&bucket, &child.id),
    ))
    .await
    .unwrap();
    let err = c
        .execute(DeleteCompartment::new(&child.id))
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(409), "{err}");
    c.execute(DeleteBucket::new(&ns, &bucket)).await.unwrap();

    let deleted = c.execute(DeleteCompartment::new(&child.id)).await.unwrap();
    assert_eq!(deleted.status, 202);
    assert!(deleted.headers.contains_key("opc-work-request-id"));
    let gone = c
        .execute(GetCompartment::new(&child.id))
        .await
        .unwrap()
        .data;
    assert_eq!(gone.lifecycle_state.as_str(), "DELETED");
    c.execute(DeleteCompartment::new(&top.id)).await.unwrap();
}

/// UploadApiKey gives the key's fingerprint and keyId; a client signing with that key is
/// accepted at once, ListApiKeys shows it, and after DeleteApiKey the same client gets 401.
pub async fn uploaded_api_key_signs<E: ScenarioEnv>(env: &E) {
    let c = env.client();
    let tenancy = env.tenancy().to_string();
    let user = c
        .execute(CreateUser::new(CreateUserDetails::new(
            &tenancy,
            env.name("key-owner"),
            "signs with an uploaded key",
        )))
        .await
        .unwrap()
        .data;
    let key =
        ocisdk_core::auth::PrivateKey::from_pem(UNKNOWN_KEY_PEM, None, "unknown_key.pem").unwrap();
    let uploaded = c
        .execute(UploadApiKey::new(
            &user.id,
            CreateApiKeyDetails::new(key.public_key_pem()),
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(
        uploaded.fingerprint.as_deref(),
        Some(key.fingerprint().as_str())
    );
    assert_eq!(
        uploaded.key_id.as_deref(),
        Some(format!("{tenancy}/{}/{}", user.id, key.fingerprint()).as_str())
    );
    let listed = c.execute(ListApiKeys::new(&user.id)).await.unwrap().data;
    assert_eq!(listed.len(), 1);

    let credentials = env
        .credentials()
        .with_setting("user", &user.id)
        .with_key(UNKNOWN_KEY_PEM)
        .unwrap();
    let options = crate::ClientOptions {
        endpoint: Some(env.endpoint().to_string()),
        ..Default::default()
    };
    let signer = E::Transport::connect(&credentials, &options).unwrap();
    let me = signer.execute(GetUser::new(&user.id)).await.unwrap();
    assert_eq!(
        me.data.id,
        user.id,
        "the uploaded key signs on {}",
        E::Transport::NAME
    );

    c.execute(DeleteApiKey::new(&user.id, key.fingerprint()))
        .await
        .unwrap();
    let refused = signer.execute(GetUser::new(&user.id)).await.unwrap_err();
    assert_eq!(status(&refused), Some(401), "{refused}");
    c.execute(DeleteUser::new(&user.id)).await.unwrap();
}

/// A pre-authenticated request's access URI works with a plain, unsigned HTTP request from the
/// transport's own platform, for what its access type allows, until it is deleted.
pub async fn pars_work_unsigned<E: ScenarioEnv>(env: &E) {
    let c = env.client();
    let bucket = env.name("par");
    let ns = env.bucket(&bucket).await;
    c.put_object(
        PutObject::new(&ns, &bucket, "shared/report.txt", 5),
        TestBody::Bytes(b"hello".to_vec()),
    )
    .await
    .unwrap();

    let read = c
        .execute(CreatePreauthenticatedRequest::new(
            &ns,
            &bucket,
            CreatePreauthenticatedRequestDetails::new(
                "read",
                CreatePreauthenticatedRequestDetailsAccessType::ObjectRead,
                far_future(),
            )
            .object_name("shared/report.txt"),
        ))
        .await
        .unwrap()
        .data;
    assert!(read.access_uri.starts_with("/p/"), "{}", read.access_uri);
    let url = format!("{}{}", env.endpoint(), read.access_uri);
    let got = c.unsigned("GET", &url, None).await.unwrap();
    assert_eq!(
        (got.status, got.body.as_slice()),
        (200, &b"hello"[..]),
        "on {}",
        E::Transport::NAME
    );
    let put = c
        .unsigned("PUT", &url, Some(b"nope".to_vec()))
        .await
        .unwrap();
    assert_eq!(put.status, 404, "a read-only request does not write");

    let write = c
        .execute(CreatePreauthenticatedRequest::new(
            &ns,
            &bucket,
            CreatePreauthenticatedRequestDetails::new(
                "upload",
                CreatePreauthenticatedRequestDetailsAccessType::AnyObjectWrite,
                far_future(),
            ),
        ))
        .await
        .unwrap()
        .data;
    let upload = format!(
        "{}{}incoming/from-par.txt",
        env.endpoint(),
        write.access_uri
    );
    let put = c
        .unsigned("PUT", &upload, Some(b"via par".to_vec()))
        .await
        .unwrap();
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));
    let stored = c
        .get_object_bytes(GetObject::new(&ns, &bucket, "incoming/from-par.txt"), 1024)
        .await
        .unwrap();
    assert_eq!(stored, b"via par");

    let listed = c
        .collect_all(ListPreauthenticatedRequests::new(&ns, &bucket), None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    c.execute(DeletePreauthenticatedRequest::new(&ns, &bucket, &read.id))
        .await
        .unwrap();
    let after = c.unsigned("GET", &url, None).await.unwrap();
    assert_eq!(after.status, 404, "a deleted request stops working");
    c.execute(DeletePreauthenticatedRequest::new(&ns, &bucket, &write.id))
        .await
        .unwrap();
    for name in ["shared/report.txt", "incoming/from-par.txt"] {
        c.execute(DeleteObject::new(&ns, &bucket, name))
            .await
            .unwrap();
    }
    c.execute(DeleteBucket::new(&ns, &bucket)).await.unwrap();
}

/// In a bucket with versioning, every write is a version: GetObject reads any by `versionId`, a
/// delete leaves a marker (the versions stay, listed newest first), deleting the marker brings
/// the object back, deleting a version is final.
pub async fn object_versions<E: ScenarioEnv>(env: &E) {
    let c = env.client();
    let bucket = env.name("versions");
    let ns = env.namespace().await;
    let mut details = CreateBucketDetails::new(&bucket, env.tenancy());
    details.versioning = Some(CreateBucketDetailsVersioning::Enabled);
    c.execute(CreateBucket::new(&ns, details)).await.unwrap();
    let mut ids = Vec::new();
    for body in [&b"one"[..], b"two"] {
        let put = c
            .put_object(
                PutObject::new(&ns, &bucket, "doc.txt", body.len() as u64),
                TestBody::Bytes(body.to_vec()),
            )
            .await
            .unwrap();
        ids.push(
            put.data
                .version_id
                .expect("a versioned write has a version id"),
        );
    }
    let old = c
        .get_object_bytes(
            GetObject::new(&ns, &bucket, "doc.txt").version_id(&ids[0]),
            64,
        )
        .await
        .unwrap();
    assert_eq!(old, b"one");

    let deleted = c
        .execute(DeleteObject::new(&ns, &bucket, "doc.txt"))
        .await
        .unwrap();
    let header = |name: &str| {
        deleted
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("is-delete-marker"), "true");
    let marker = header("version-id");
    let gone = c
        .get_object_bytes(GetObject::new(&ns, &bucket, "doc.txt"), 64)
        .await
        .unwrap_err();
    assert_eq!(status(&gone), Some(404));
    let versions = c
        .collect_all(ListObjectVersions::new(&ns, &bucket), None)
        .await
        .unwrap();
    let listed: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v.version_id.as_str(), v.is_delete_marker))
        .collect();
    assert_eq!(
        listed,
        [
            (marker.as_str(), true),
            (ids[1].as_str(), false),
            (ids[0].as_str(), false)
        ]
    );

    c.execute(DeleteObject::new(&ns, &bucket, "doc.txt").version_id(&marker))
        .await
        .unwrap();
    let back = c
        .get_object_bytes(GetObject::new(&ns, &bucket, "doc.txt"), 64)
        .await
        .unwrap();
    assert_eq!(back, b"two");
    for id in ids.iter().rev() {
        c.execute(DeleteObject::new(&ns, &bucket, "doc.txt").version_id(id))
            .await
            .unwrap();
    }
    c.execute(DeleteBucket::new(&ns, &bucket)).await.unwrap();
}

/// RenameObject moves an object (content and etag) to a new name; a rename onto an existing
/// name with `newObjIfNoneMatchETag: *` is refused (412).
pub async fn rename_object<E: ScenarioEnv>(env: &E) {
    let c = env.client();
    let bucket = env.name("rename");
    let ns = env.bucket(&bucket).await;
    for (name, body) in [("a.txt", &b"A"[..]), ("b.txt", b"B")] {
        c.put_object(
            PutObject::new(&ns, &bucket, name, 1),
            TestBody::Bytes(body.to_vec()),
        )
        .await
        .unwrap();
    }
    let refused = c
        .execute(RenameObject::new(
            &ns,
            &bucket,
            RenameObjectDetails::new("a.txt", "b.txt").new_obj_if_none_match_e_tag("*"),
        ))
        .await
        .unwrap_err();
    assert_eq!(status(&refused), Some(412), "{refused}");
    c.execute(RenameObject::new(
        &ns,
        &bucket,
        RenameObjectDetails::new("a.txt", "c.txt"),
    ))
    .await
    .unwrap();
    let moved = c
        .get_object_bytes(GetObject::new(&ns, &bucket, "c.txt"), 8)
        .await
        .unwrap();
    assert_eq!(moved, b"A");
    let old = c
        .get_object_bytes(GetObject::new(&ns, &bucket, "a.txt"), 8)
        .await
        .unwrap_err();
    assert_eq!(status(&old), Some(404));
    for name in ["b.txt", "c.txt"] {
        c.execute(DeleteObject::new(&ns, &bucket, name))
            .await
            .unwrap();
    }
    c.execute(DeleteBucket::new(&ns, &bucket)).await.unwrap();
}

/// CopyObject answers 202 with a work request; polled with GetWorkRequest it goes from
/// IN_PROGRESS to COMPLETED, and only then is the copy there to read; ListWorkRequests lists it.
pub async fn copy_object_work_request<E: ScenarioEnv>(env: &E) {
    let c = env.client();
    let (src, dst) = (env.name("copy-src"), env.name("copy-dst"));
    let ns = env.bucket(&src).await;
    env.bucket(&dst).await;
    c.put_object(
        PutObject::new(&ns, &src, "original.bin", 7),
        TestBody::Bytes(b"payload".to_vec()),
    )
    .await
    .unwrap();
    let region = env
        .credentials()
        .setting("region")
        .unwrap_or("us-ashburn-1");
    let accepted = c
        .execute(CopyObject::new(
            &ns,
            &src,
            CopyObjectDetails::new("original.bin", region, &ns, &dst, "copy.bin"),
        ))
        .await
        .unwrap();
    assert_eq!(accepted.status, 202);
    let id = accepted
        .headers
        .get("opc-work-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("CopyObject answers opc-work-request-id")
        .to_string();
    let mut polls = 0;
    let done = loop {
        let wr = c
            .execute(ocisdk_object_storage::GetWorkRequest::new(&id))
            .await
            .unwrap()
            .data;
        let state = wr.status.as_ref().map(|s| s.as_str().to_string());
        match state.as_deref() {
            Some("ACCEPTED" | "IN_PROGRESS") => {
                polls += 1;
                assert!(polls < 200, "the copy never completed");
                c.sleep(std::time::Duration::from_millis(50)).await;
            }
            _ => break wr,
        }
    };
    assert_eq!(done.status.as_ref().map(|s| s.as_str()), Some("COMPLETED"));
    assert_eq!(
        done.operation_type.as_ref().map(|s| s.as_str()),
        Some("COPY_OBJECT")
    );
    let copied = c
        .get_object_bytes(GetObject::new(&ns, &dst, "copy.bin"), 64)
        .await
        .unwrap();
    assert_eq!(copied, b"payload");
    let listed = c
        .collect_all(
            ocisdk_object_storage::ListWorkRequests::new(env.tenancy()),
            None,
        )
        .await
        .unwrap();
    assert!(listed.iter().any(|w| w.id.as_deref() == Some(id.as_str())));
    c.execute(DeleteObject::new(&ns, &src, "original.bin"))
        .await
        .unwrap();
    c.execute(DeleteObject::new(&ns, &dst, "copy.bin"))
        .await
        .unwrap();
    for b in [&src, &dst] {
        c.execute(DeleteBucket::new(&ns, b)).await.unwrap();
    }
}

fn content(bundle: &SecretBundle) -> Vec<u8> {
    match &bundle.secret_bundle_content {
        Some(SecretBundleContentDetails::Base64(b)) => base64::engine::general_purpose::STANDARD
            .decode(b.content.as_deref().unwrap_or_default())
            .unwrap(),
        other => panic!("not BASE64 content: {other:?}"),
    }
}

/// The emulator's secret ([`SCENARIO_SECRET`]) by name (its current version), by stage
/// (PREVIOUS) and its versions.
pub async fn secret_bundles<E: ScenarioEnv>(env: &E) {
    let c = env.client();
    let (name, [first, second]) = SCENARIO_SECRET;
    let current = c
        .execute(GetSecretBundleByName::new(name, EMULATOR_VAULT_ID))
        .await
        .unwrap()
        .data;
    assert_eq!(content(&current), second.as_bytes());
    assert_eq!(current.version_number, 2);
    let stages: Vec<&str> = current
        .stages
        .iter()
        .flatten()
        .map(|s| s.as_str())
        .collect();
    assert!(stages.contains(&"CURRENT"), "{stages:?}");
    let mut previous = GetSecretBundle::new(&current.secret_id);
    previous.stage = Some(GetSecretBundleStage::Previous);
    let previous = c.execute(previous).await.unwrap().data;
    assert_eq!(content(&previous), first.as_bytes());
    let versions = c
        .collect_all(ListSecretBundleVersions::new(&current.secret_id), None)
        .await
        .unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v.version_number)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let missing = c
        .execute(GetSecretBundleByName::new(
            "no-such-secret",
            EMULATOR_VAULT_ID,
        ))
        .await
        .unwrap_err();
    assert_eq!(status(&missing), Some(404));
}
