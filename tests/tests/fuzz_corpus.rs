//! Replays every fuzz corpus through its target, on stable: the body of each cargo-fuzz target
//! (`fuzz/src/targets.rs`, shared with `fuzz/fuzz_targets/`) runs on every file of
//! `fuzz/corpus/<target>/` (the minimized corpus, seeds and every crash found, kept as
//! regressions) and of `fuzz/regressions/<target>/` if present. A missing or empty corpus
//! fails the test, so it always runs something, nightly or not.
#![cfg(not(target_arch = "wasm32"))]
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/targets.rs"]
mod targets;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Files of `dir`, sorted (so a failure names the same file every run).
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    let corpus = files(&fuzz_dir().join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target}/ is missing or empty: the replay must run something"
    );
    let regressions = files(&fuzz_dir().join("regressions").join(target));
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Name the input that fails: the panic message alone would not say which one.
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", path.display());
    }
    eprintln!(
        "{target}: {} corpus inputs, {} regressions",
        corpus.len(),
        regressions.len()
    );
}

#[test]
fn config() {
    replay("config", targets::config);
}

#[test]
fn keys() {
    replay("keys", targets::keys);
}

#[test]
fn decoders() {
    replay("decoders", targets::decoders);
}

#[test]
fn headers() {
    replay("headers", targets::headers);
}

#[test]
fn pagination() {
    replay("pagination", targets::pagination);
}

#[test]
fn verifier() {
    replay("verifier", targets::verifier);
}

/// The decoders target reaches every operation: each builds from the minimal parameters the
/// target derives from the API model (otherwise the fuzzer would never see its decoder).
#[test]
fn every_operation_builds() {
    let failed = targets::operations_that_do_not_build();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        targets::operation_count() >= 200,
        "{}",
        targets::operation_count()
    );
}

/// Writes the hand-made seeds of every corpus (`cargo test -p ocisdk-tests --test fuzz_corpus
/// -- --ignored write_seeds`): valid inputs the fuzzer starts from. Kept so the seeds can be
/// remade; the committed corpora are these plus what fuzzing found, minimized.
#[test]
#[ignore = "writes fuzz/corpus/*/seed-*; run by hand"]
fn write_seeds() {
    use ocisdk_core::export::serde_json::json;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/keys");
    let write = |target: &str, name: &str, data: &[u8]| {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
    };

    // config: real config files (the shapes core's tests use), then regions JSON after a NUL.
    let tenancy = "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq";
    let user = "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq";
    let fp = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
    let basic = format!(
        "# OCI config\n[DEFAULT]\nuser={user}\nfingerprint={fp}\nkey_file=~/.oci/oci_api_key.pem\n\
         tenancy={tenancy}\nregion=us-ashburn-1\n\n; the admin profile\n[ADMIN]\n\
         user = ocid1.user.oc1..admin\nregion = eu-frankfurt-1\npass_phrase = correct-horse-battery\n"
    );
    write("config", "basic", basic.as_bytes());
    write("config", "crlf", basic.replace('\n', "\r\n").as_bytes());
    let session = format!(
        "[DEFAULT]\nfingerprint={fp}\nkey_file=/k.pem\ntenancy={tenancy}\nregion=xx-newcity-1\n\
         security_token_file=~/.oci/sessions/DEFAULT/token\n[BAD]\nregion=\nuser\n[ bad section\n"
    );
    let regions = r#"[{"realmKey":"OC99","realmDomainComponent":"example.cloud","regionKey":"NEW","regionIdentifier":"xx-newcity-1"}]"#;
    write(
        "config",
        "session-regions",
        format!("{session}\0{regions}").as_bytes(),
    );
    let metadata = r#"{"realmKey":"OC1","realmDomainComponent":"oraclecloud.com","regionKey":"SYD","regionIdentifier":"ap-sydney-1"}"#;
    write(
        "config",
        "metadata",
        format!("[DEFAULT]\nregion=syd\nuser={user}\n\0{metadata}").as_bytes(),
    );

    // keys: every fixture, unencrypted ones without a passphrase, encrypted ones with theirs.
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let pem = std::fs::read(&path).unwrap();
        let mut data = if name.contains("encrypted") || name.starts_with("legacy") {
            let mut d = vec![1u8, 6];
            d.extend_from_slice(b"secret");
            d
        } else {
            vec![0u8]
        };
        data.extend_from_slice(&pem);
        write("keys", &name, &data);
    }

    // decoders: real answers to real operations, and model JSON.
    let group = r#"{"id":"ocid1.group.oc1..g","compartmentId":"ocid1.tenancy.oc1..t","name":"admins","description":"d","lifecycleState":"ACTIVE","timeCreated":"2016-08-25T21:10:29.600Z","freeformTags":{},"definedTags":{},"inactiveStatus":null}"#;
    let user_json = json!({"id":"ocid1.user.oc1..u","compartmentId":"ocid1.tenancy.oc1..t","name":"ann","description":"d","lifecycleState":"ACTIVE","timeCreated":"2016-08-25T21:10:29.600Z","isMfaActivated":false,"capabilities":{"canUseConsolePassword":true},"freeformTags":{"k":"v"},"definedTags":{"ns":{"k":1}}}).to_string();
    let op = |service: &str, name: &str, status: u8, flags: u8, head: &str, body: &str| {
        let mut d = vec![0u8, targets::operation_byte(service, name), status, flags];
        d.extend_from_slice(head.as_bytes());
        d.extend_from_slice(b"\n");
        d.extend_from_slice(body.as_bytes());
        d
    };
    // Status bytes index targets::STATUSES: 0 = 200, 3 = 204, 9 = 404, 13 = 429, 15 = 503.
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "get-group",
            op(
                "identity",
                "GetGroup",
                0,
                0,
                "opc-request-id: r1\netag: e1\n",
                group,
            ),
        ),
        (
            "list-users",
            op(
                "identity",
                "ListUsers",
                0,
                0,
                "opc-next-page: p2\n",
                &format!("[{user_json}]"),
            ),
        ),
        (
            "get-namespace",
            op("object_storage", "GetNamespace", 0, 0, "", "\"ns\""),
        ),
        (
            "list-objects",
            op(
                "object_storage",
                "ListObjects",
                0,
                0,
                "",
                r#"{"objects":[{"name":"a","size":3,"md5":"x","timeCreated":"2024-01-02T03:04:05Z"}],"prefixes":["p/"],"nextStartWith":"b"}"#,
            ),
        ),
        (
            "head-object",
            op(
                "object_storage",
                "HeadObject",
                0,
                0,
                "content-length: 12\netag: e\nlast-modified: Tue, 15 Nov 1994 08:12:31 GMT\nopc-meta-owner: me\nstorage-tier: Archive\narchival-state: Archived\ntime-of-archival: 2024-01-02T03:04:05Z\n",
                "",
            ),
        ),
        (
            "get-object",
            op(
                "object_storage",
                "GetObject",
                0,
                0,
                "content-length: 5\ncontent-type: text/plain\n",
                "hello",
            ),
        ),
        (
            "put-object",
            op(
                "object_storage",
                "PutObject",
                0,
                0,
                "etag: e\nopc-content-md5: XUFAKrxLKna5cZ2REBfFkg==\n",
                "",
            ),
        ),
        (
            "delete-404-after-lost",
            op(
                "object_storage",
                "DeleteObject",
                9,
                2,
                "opc-request-id: r\n",
                r#"{"code":"ObjectNotFound","message":"gone"}"#,
            ),
        ),
        (
            "not-found",
            op(
                "identity",
                "GetUser",
                9,
                0,
                "opc-request-id: r\n",
                r#"{"code":"NotAuthorizedOrNotFound","message":"no"}"#,
            ),
        ),
        (
            "throttled-retry",
            op(
                "identity",
                "ListGroups",
                13,
                1,
                "retry-after: 2\n",
                r#"{"code":"TooManyRequests","message":"slow down"}"#,
            ),
        ),
        (
            "unavailable-html",
            op("secrets", "GetSecretBundle", 15, 1, "", "<html>503</html>"),
        ),
        (
            "secret-bundle",
            op(
                "secrets",
                "GetSecretBundle",
                0,
                0,
                "etag: e\n",
                r#"{"secretId":"s","versionNumber":1,"secretBundleContent":{"contentType":"BASE64","content":"aGk="},"stages":["CURRENT"],"timeCreated":"2024-01-02T03:04:05Z"}"#,
            ),
        ),
        (
            "create-bucket",
            op(
                "object_storage",
                "CreateBucket",
                0,
                0,
                "location: /n/ns/b/b1\n",
                r#"{"namespace":"ns","name":"b1","compartmentId":"c","metadata":{},"createdBy":"u","timeCreated":"2024-01-02T03:04:05Z","etag":"e","publicAccessType":"NoPublicAccess","storageTier":"Standard"}"#,
            ),
        ),
    ];
    for (name, data) in seeds {
        write("decoders", name, &data);
    }
    for (service, model, body) in [
        ("identity", "User", user_json.as_str()),
        ("identity", "Group", group),
        (
            "identity",
            "BaseTagDefinitionValidator",
            r#"{"validatorType":"ENUM","values":["a"]}"#,
        ),
        (
            "object_storage",
            "ObjectSummary",
            r#"{"name":"a","size":1,"timeCreated":"2024-01-02T03:04:05.123456Z","storageTier":"NewTier"}"#,
        ),
    ] {
        let mut d = vec![1u8, targets::model_byte(service, model)];
        d.extend_from_slice(body.as_bytes());
        write("decoders", &format!("model-{model}"), &d);
    }

    // headers: status, flags, header lines, body.
    for (name, status, head, body) in [
        (
            "retry-after-secs",
            13u8,
            "retry-after: 120\nopc-request-id: r\n",
            r#"{"code":"TooManyRequests","message":"m"}"#,
        ),
        (
            "retry-after-date",
            13,
            "retry-after: Thu, 01 Jan 2026 00:01:00 GMT\n",
            "",
        ),
        (
            "retry-after-float",
            15,
            "retry-after: 1e20\n",
            "Service Unavailable",
        ),
        (
            "object-metadata",
            0,
            "content-length: 42\nlast-modified: Tue, 15 Nov 1994 08:12:31 GMT\ntime-of-archival: 2024-01-02T03:04:05Z\nopc-meta-a: 1\nopc-meta-b: é\nopc-next-page: AAAA==\n",
            "",
        ),
    ] {
        let mut d = vec![status, 0];
        d.extend_from_slice(head.as_bytes());
        d.extend_from_slice(b"\n");
        d.extend_from_slice(body.as_bytes());
        write("headers", name, &d);
    }

    // pagination: [list, max_pages, max_empty, records cap, iterator] then (mode, records[, arg])
    // per page. Modes: 0 end, 1 fresh, 3 same again, 4 back to an earlier one, 5 fuzzer's
    // bytes, 6 empty token.
    for (name, data) in [
        (
            "users-three-pages",
            vec![0u8, 10, 2, 0, 0, 1, 3, 1, 3, 0, 2],
        ),
        ("users-repeat", vec![0, 10, 2, 0, 1, 1, 1, 3, 1]),
        ("objects-cycle", vec![1, 10, 2, 0, 0, 1, 1, 1, 1, 4, 1, 0]),
        ("objects-endless-empty", vec![1, 40, 3, 0, 1]),
        (
            "users-max-records",
            vec![0, 10, 2, 0x85, 0, 1, 3, 1, 3, 1, 3],
        ),
        (
            "objects-own-token",
            vec![1, 10, 2, 0, 0, 5, 1, 4, b'a', b'b', b'c', b'd', 0, 0],
        ),
    ] {
        write("pagination", name, &data);
    }

    // verifier: requests the SDK signed (GET, a JSON POST, an unsigned-body PUT, a session token).
    write(
        "verifier",
        "get-user",
        &targets::signed_request_seed(ocisdk_identity::GetUser::new("ocid1.user.oc1..u"), false, 0),
    );
    write(
        "verifier",
        "create-group",
        &targets::signed_request_seed(
            ocisdk_identity::CreateGroup::new(ocisdk_identity::CreateGroupDetails::new(
                "ocid1.tenancy.oc1..t",
                "g",
                "d",
            )),
            false,
            2,
        ),
    );
    write(
        "verifier",
        "put-object",
        &targets::signed_request_seed(
            ocisdk_object_storage::PutObject::new("n", "b", "o", 0),
            false,
            3,
        ),
    );
    write(
        "verifier",
        "session-token",
        &targets::signed_request_seed(ocisdk_object_storage::GetNamespace::new(), true, 0),
    );
}
