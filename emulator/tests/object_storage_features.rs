//! Object Storage beyond objects and buckets: pre-authenticated requests used unsigned, versions,
//! rename, copy as a work request, UpdateBucket, lifecycle policies, retention rules, and the
//! operations that answer 501.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{Client, Sign, emulator, emulator_with, enc};
use ocisdk_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

fn make_bucket(c: &Client, emu: &Emulator, name: &str, extra: Value) {
    let mut body = json!({"name": name, "compartmentId": emu.tenancy_id()});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = c.post_json(&format!("/n/{}/b/", emu.namespace()), &body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn put(c: &Client, emu: &Emulator, bucket: &str, name: &str, data: &[u8]) -> common::Resp {
    let r = c.put_object(
        &format!("/n/{}/b/{bucket}/o/{}", emu.namespace(), enc(name)),
        data,
        &[],
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r
}

fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let dt = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
    dt.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn unsigned(c: &Client, method: &str, uri: &str, body: Option<&[u8]>) -> common::Resp {
    c.send(
        method,
        uri,
        &[("content-type", "text/plain")],
        body,
        &Sign {
            unsigned: true,
            body_headers: Some(false),
            ..Sign::default()
        },
    )
}

#[test]
fn pars_work_unsigned_as_their_access_type_says() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "shared", json!({}));
    put(&c, &emu, "shared", "dir/report.txt", b"quarterly");
    let pars = format!("/n/{ns}/b/shared/p/");
    let in_an_hour = rfc3339(SystemTime::now() + Duration::from_secs(3600));

    let read = c.post_json(
        &pars,
        &json!({"name": "r", "objectName": "dir/report.txt", "accessType": "ObjectRead", "timeExpires": in_an_hour}),
    );
    assert_eq!(read.status, 200, "{}", String::from_utf8_lossy(&read.body));
    let read = read.json();
    let uri = read["accessUri"].as_str().unwrap().to_string();
    assert!(uri.starts_with("/p/"), "{uri}");
    assert!(
        uri.ends_with(&format!("/n/{ns}/b/shared/o/dir/report.txt")),
        "{uri}"
    );
    assert_eq!(read["fullPath"], format!("{}{uri}", emu.url()));
    let got = unsigned(&c, "GET", &uri, None);
    assert_eq!(got.status, 200);
    assert_eq!(got.body, b"quarterly");
    assert_eq!(unsigned(&c, "HEAD", &uri, None).status, 200);
    unsigned(&c, "PUT", &uri, Some(b"overwrite")).assert_error(404, "NotAuthorizedOrNotFound");
    // A token is bound to its object.
    let other = uri.replace("report.txt", "other.txt");
    unsigned(&c, "GET", &other, None).assert_error(404, "NotAuthorizedOrNotFound");

    // Write-only to any object of the bucket; no listing without ListObjects.
    let write = c.post_json(
        &pars,
        &json!({"name": "w", "accessType": "AnyObjectWrite", "timeExpires": in_an_hour}),
    );
    let wuri = write.json()["accessUri"].as_str().unwrap().to_string();
    assert!(wuri.ends_with("/o/"), "{wuri}");
    let up = unsigned(
        &c,
        "PUT",
        &format!("{wuri}uploads/new%20file.txt"),
        Some(b"hello"),
    );
    assert_eq!(up.status, 200, "{}", String::from_utf8_lossy(&up.body));
    let signed = c.get(&format!("/n/{ns}/b/shared/o/uploads/new%20file.txt"));
    assert_eq!(signed.body, b"hello");
    unsigned(&c, "GET", &format!("{wuri}uploads/new%20file.txt"), None)
        .assert_error(404, "NotAuthorizedOrNotFound");
    unsigned(&c, "GET", &wuri, None).assert_error(404, "NotAuthorizedOrNotFound");

    let list = c.post_json(
        &pars,
        &json!({"name": "l", "accessType": "AnyObjectRead", "bucketListingAction": "ListObjects", "timeExpires": in_an_hour}),
    );
    let luri = list.json()["accessUri"].as_str().unwrap().to_string();
    let listed = unsigned(&c, "GET", &format!("{luri}?prefix=dir/"), None);
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["objects"][0]["name"], "dir/report.txt");
    c.post_json(
        &pars,
        &json!({"name": "bad", "accessType": "ObjectRead", "timeExpires": in_an_hour}),
    )
    .assert_error(400, "InvalidParameter");
    c.post_json(
        &pars,
        &json!({"name": "past", "objectName": "x", "accessType": "ObjectRead", "timeExpires": "2001-01-01T00:00:00Z"}),
    )
    .assert_error(400, "InvalidParameter");

    // Get and list show no URI; delete ends it.
    let id = read["id"].as_str().unwrap();
    let summary = c.get(&format!("{pars}{id}")).json();
    assert_eq!(summary["name"], "r");
    assert!(summary.get("accessUri").is_none(), "{summary}");
    let all = c.get(&format!("/n/{ns}/b/shared/p?limit=10")).json();
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(c.delete(&format!("{pars}{id}")).status, 204);
    unsigned(&c, "GET", &uri, None).assert_error(404, "NotAuthorizedOrNotFound");

    // Expiry ends it too.
    let soon = c.post_json(
        &pars,
        &json!({"name": "soon", "objectName": "dir/report.txt", "accessType": "ObjectRead", "timeExpires": rfc3339(SystemTime::now() + Duration::from_secs(2))}),
    );
    let suri = soon.json()["accessUri"].as_str().unwrap().to_string();
    assert_eq!(unsigned(&c, "GET", &suri, None).status, 200);
    emu.set_clock_skew_secs(5);
    unsigned(&c, "GET", &suri, None).assert_error(404, "NotAuthorizedOrNotFound");
}

#[test]
fn versions_are_kept_listed_read_and_deleted() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "v", json!({"versioning": "Enabled"}));
    let path = format!("/n/{ns}/b/v/o/doc");
    let v1 = put(&c, &emu, "v", "doc", b"one");
    let v1 = v1.header("version-id").unwrap().to_string();
    let v2 = put(&c, &emu, "v", "doc", b"two");
    let v2 = v2.header("version-id").unwrap().to_string();
    assert_ne!(v1, v2);
    let now = c.get(&path);
    assert_eq!(now.body, b"two");
    assert_eq!(now.header("version-id"), Some(v2.as_str()));
    assert_eq!(c.get(&format!("{path}?versionId={v1}")).body, b"one");
    assert_eq!(c.head(&format!("{path}?versionId={v1}")).status, 200);

    // A delete leaves a marker; the versions stay.
    let del = c.delete(&path);
    assert_eq!(del.status, 204);
    assert_eq!(del.header("is-delete-marker"), Some("true"));
    let marker = del.header("version-id").unwrap().to_string();
    c.get(&path).assert_error(404, "ObjectNotFound");
    let listed = c
        .get(&format!("/n/{ns}/b/v/objectversions?fields=size,etag"))
        .json();
    let items = listed["items"].as_array().unwrap();
    let ids: Vec<(&str, bool)> = items
        .iter()
        .map(|v| {
            (
                v["versionId"].as_str().unwrap(),
                v["isDeleteMarker"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            (marker.as_str(), true),
            (v2.as_str(), false),
            (v1.as_str(), false)
        ]
    );
    assert!(
        c.get(&format!("/n/{ns}/b/v/objectversions?limit=2"))
            .header("opc-next-page")
            .is_some()
    );
    let mut all = Vec::new();
    let mut target = format!("/n/{ns}/b/v/objectversions?limit=1");
    loop {
        let r = c.get(&target);
        all.extend(r.json()["items"].as_array().unwrap().clone());
        match r.header("opc-next-page") {
            Some(n) => target = format!("/n/{ns}/b/v/objectversions?limit=1&page={n}"),
            None => break,
        }
    }
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["versionId"], v1.as_str());
    let names: Vec<Value> = c.get(&format!("/n/{ns}/b/v/o")).json()["objects"]
        .as_array()
        .unwrap()
        .clone();
    assert!(names.is_empty(), "{names:?}");

    // Deleting the marker brings the latest version back; deleting a version is final.
    let r = c.delete(&format!("{path}?versionId={marker}"));
    assert_eq!(r.header("is-delete-marker"), Some("true"));
    assert_eq!(c.get(&path).body, b"two");
    assert_eq!(c.delete(&format!("{path}?versionId={v2}")).status, 204);
    assert_eq!(c.get(&path).body, b"one");
    c.get(&format!("{path}?versionId={v2}"))
        .assert_error(404, "ObjectNotFound");
    c.delete(&format!("/n/{ns}/b/v"))
        .assert_error(409, "BucketNotEmpty");
    assert_eq!(c.delete(&format!("{path}?versionId={v1}")).status, 204);
    assert_eq!(c.delete(&format!("/n/{ns}/b/v")).status, 204);

    // Without versioning there are no version ids.
    make_bucket(&c, &emu, "plain", json!({}));
    let r = put(&c, &emu, "plain", "x", b"1");
    assert!(r.header("version-id").is_none());
    let d = c.delete(&format!("/n/{ns}/b/plain/o/x"));
    assert_eq!(d.header("is-delete-marker"), Some("false"));
}

#[test]
fn rename_moves_the_latest_version() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "r", json!({}));
    let etag = put(&c, &emu, "r", "a.txt", b"A")
        .header("etag")
        .unwrap()
        .to_string();
    put(&c, &emu, "r", "b.txt", b"B");
    let rename = format!("/n/{ns}/b/r/actions/renameObject");
    c.post_json(
        &rename,
        &json!({"sourceName": "a.txt", "newName": "b.txt", "newObjIfNoneMatchETag": "*"}),
    )
    .assert_error(412, "IfNoneMatchFailed");
    c.post_json(
        &rename,
        &json!({"sourceName": "a.txt", "newName": "c.txt", "srcObjIfMatchETag": "nope"}),
    )
    .assert_error(412, "IfMatchFailed");
    c.post_json(&rename, &json!({"sourceName": "zzz", "newName": "c.txt"}))
        .assert_error(404, "ObjectNotFound");
    let r = c.post_json(
        &rename,
        &json!({"sourceName": "a.txt", "newName": "c.txt", "srcObjIfMatchETag": etag}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    c.get(&format!("/n/{ns}/b/r/o/a.txt"))
        .assert_error(404, "ObjectNotFound");
    assert_eq!(c.get(&format!("/n/{ns}/b/r/o/c.txt")).body, b"A");
}

#[test]
fn copies_are_work_requests_that_complete() {
    let emu = emulator_with(EmulatorConfig {
        work_request_delay: Duration::from_millis(300),
        ..Default::default()
    });
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "src", json!({}));
    make_bucket(&c, &emu, "dst", json!({}));
    put(&c, &emu, "src", "big.bin", b"payload");
    let copy = format!("/n/{ns}/b/src/actions/copyObject");
    let body = json!({"sourceObjectName": "big.bin", "destinationRegion": emu.region(),
        "destinationNamespace": ns, "destinationBucket": "dst", "destinationObjectName": "copy.bin",
        "destinationObjectMetadata": {"opc-meta-origin": "src"}});
    let started = Instant::now();
    let r = c.post_json(&copy, &body);
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let wr = r.header("opc-work-request-id").unwrap().to_string();
    let first = c.get(&format!("/workRequests/{wr}")).json();
    assert_eq!(first["operationType"], "COPY_OBJECT");
    if started.elapsed() < Duration::from_millis(250) {
        assert_eq!(first["status"], "IN_PROGRESS");
        c.get(&format!("/n/{ns}/b/dst/o/copy.bin"))
            .assert_error(404, "ObjectNotFound");
    }
    let done = loop {
        let w = c.get(&format!("/workRequests/{wr}")).json();
        if w["status"] != "IN_PROGRESS" {
            break w;
        }
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["percentComplete"], 100.0);
    assert_eq!(done["resources"][1]["identifier"], "copy.bin");
    let got = c.get(&format!("/n/{ns}/b/dst/o/copy.bin"));
    assert_eq!(got.body, b"payload");
    assert_eq!(got.header("opc-meta-origin"), Some("src"));
    let listed = c
        .get(&format!("/workRequests?compartmentId={}", emu.tenancy_id()))
        .json();
    assert_eq!(listed[0]["id"], wr.as_str());
    let logs = c.get(&format!("/workRequests/{wr}/logs")).json();
    assert!(!logs.as_array().unwrap().is_empty());

    // A destination that is gone by then fails the work request, with its error.
    let mut to_nowhere = body.clone();
    to_nowhere["destinationBucket"] = json!("nowhere");
    let r = c.post_json(&copy, &to_nowhere);
    let wr = r.header("opc-work-request-id").unwrap().to_string();
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(
        c.get(&format!("/workRequests/{wr}")).json()["status"],
        "FAILED"
    );
    let errors = c.get(&format!("/workRequests/{wr}/errors")).json();
    assert_eq!(errors[0]["code"], "BucketNotFound");

    let mut elsewhere = body.clone();
    elsewhere["destinationRegion"] = json!("eu-frankfurt-1");
    c.post_json(&copy, &elsewhere)
        .assert_error(400, "InvalidParameter");
    let mut missing = body;
    missing["sourceObjectName"] = json!("none");
    c.post_json(&copy, &missing)
        .assert_error(404, "ObjectNotFound");
}

#[test]
fn update_bucket_lifecycle_and_retention() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "b", json!({}));
    let bucket = format!("/n/{ns}/b/b");
    let etag = c.get(&bucket).header("etag").unwrap().to_string();
    c.send(
        "POST",
        &bucket,
        &[("if-match", "stale")],
        Some(br#"{"versioning": "Enabled"}"#),
        &Sign::default(),
    )
    .assert_error(412, "IfMatchFailed");
    let r = c.send(
        "POST",
        &bucket,
        &[("if-match", &etag)],
        Some(br#"{"freeformTags": {"team": "core"}, "publicAccessType": "ObjectRead"}"#),
        &Sign::default(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["freeformTags"], json!({"team": "core"}));
    assert_eq!(r.json()["publicAccessType"], "ObjectRead");
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    c.post_json(&bucket, &json!({"versioning": "Sometimes"}))
        .assert_error(400, "InvalidParameter");

    // Lifecycle policies are stored, not run.
    let policy = format!("{bucket}/l");
    c.get(&policy).assert_error(404, "NotAuthorizedOrNotFound");
    let rules = json!({"items": [{"name": "old", "action": "DELETE", "timeAmount": 30, "timeUnit": "DAYS", "isEnabled": true}]});
    let put_policy = c.put_json(&policy, &rules);
    assert_eq!(
        put_policy.status,
        200,
        "{}",
        String::from_utf8_lossy(&put_policy.body)
    );
    assert_eq!(c.get(&policy).json()["items"], rules["items"]);
    assert!(c.get(&bucket).json()["objectLifecyclePolicyEtag"].is_string());
    c.put_json(&policy, &json!({"items": [{"name": "x", "action": "SHRED", "timeAmount": 1, "timeUnit": "DAYS", "isEnabled": true}]}))
        .assert_error(400, "InvalidParameter");
    assert_eq!(c.delete(&policy).status, 204);
    c.get(&policy).assert_error(404, "NotAuthorizedOrNotFound");

    // A retention rule holds objects: no overwrite, no delete, no versioning.
    put(&c, &emu, "b", "kept", b"1");
    let rules_path = format!("{bucket}/retentionRules");
    let rule = c.post_json(
        &rules_path,
        &json!({"displayName": "hold", "duration": {"timeAmount": 1, "timeUnit": "DAYS"}}),
    );
    assert_eq!(rule.status, 200, "{}", String::from_utf8_lossy(&rule.body));
    let rule_id = rule.json()["id"].as_str().unwrap().to_string();
    let over = c.put_object(&format!("{bucket}/o/kept"), b"2", &[]);
    over.assert_error(409, "Conflict");
    c.delete(&format!("{bucket}/o/kept"))
        .assert_error(409, "Conflict");
    c.post_json(&bucket, &json!({"versioning": "Enabled"}))
        .assert_error(409, "Conflict");
    let listed = c.get(&rules_path).json();
    assert_eq!(listed["items"][0]["id"], rule_id.as_str());
    let upd = c.put_json(
        &format!("{rules_path}/{rule_id}"),
        &json!({"displayName": "hold-longer", "duration": {"timeAmount": 2, "timeUnit": "YEARS"}}),
    );
    assert_eq!(upd.json()["duration"]["timeUnit"], "YEARS");
    c.post_json(
        &rules_path,
        &json!({"displayName": "lock-too-soon", "timeRuleLocked": rfc3339(SystemTime::now() + Duration::from_secs(3600))}),
    )
    .assert_error(400, "InvalidParameter");
    assert_eq!(c.delete(&format!("{rules_path}/{rule_id}")).status, 204);
    assert_eq!(c.delete(&format!("{bucket}/o/kept")).status, 204);

    // Retention rules and versioning exclude each other.
    let r = c.post_json(&bucket, &json!({"versioning": "Enabled"}));
    assert_eq!(r.json()["versioning"], "Enabled");
    c.post_json(&rules_path, &json!({"displayName": "x"}))
        .assert_error(409, "Conflict");

    // Renaming the bucket keeps its content.
    put(&c, &emu, "b", "o", b"x");
    let r = c.post_json(&bucket, &json!({"name": "renamed"}));
    assert_eq!(r.json()["name"], "renamed");
    c.get(&bucket).assert_error(404, "BucketNotFound");
    assert_eq!(c.get(&format!("/n/{ns}/b/renamed/o/o")).body, b"x");
}

#[test]
fn reencryption_and_replication_answer_501() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "b", json!({}));
    for (method, path, op) in [
        (
            "POST",
            format!("/n/{ns}/b/b/actions/reencrypt"),
            "ReencryptBucket",
        ),
        (
            "POST",
            format!("/n/{ns}/b/b/actions/reencrypt/o"),
            "ReencryptObject",
        ),
        (
            "POST",
            format!("/n/{ns}/b/b/replicationPolicies"),
            "CreateReplicationPolicy",
        ),
        (
            "GET",
            format!("/n/{ns}/b/b/replicationPolicies"),
            "ListReplicationPolicies",
        ),
        (
            "GET",
            format!("/n/{ns}/b/b/replicationSources"),
            "ListReplicationSources",
        ),
    ] {
        let body = (method == "POST").then_some(&b"{}"[..]);
        let r = c.send(method, &path, &[], body, &Sign::default());
        r.assert_error(501, "NotImplemented");
        assert!(r.message().contains(op), "{}", r.message());
    }
}

#[test]
fn secrets_are_served_with_their_versions() {
    let emu = emulator_with(EmulatorConfig {
        secrets: vec![
            ("db-password".into(), "first".into()),
            ("db-password".into(), "second".into()),
            ("api-token".into(), "t0ken".into()),
        ],
        ..Default::default()
    });
    let id = emu.put_secret("db-password", b"third");
    let c = Client::new(&emu);
    let vault = emu.vault_id();
    let by_name = c.send(
        "POST",
        &format!(
            "/20190301/secretbundles/actions/getByName?secretName=db-password&vaultId={vault}"
        ),
        &[],
        Some(b""),
        &Sign::default(),
    );
    assert_eq!(
        by_name.status,
        200,
        "{}",
        String::from_utf8_lossy(&by_name.body)
    );
    let b = by_name.json();
    assert_eq!(b["secretId"], id.as_str());
    assert_eq!(b["versionNumber"], 3);
    assert_eq!(b["stages"], json!(["CURRENT", "LATEST"]));
    assert_eq!(b["secretBundleContent"]["contentType"], "BASE64");
    assert_eq!(b["secretBundleContent"]["content"], "dGhpcmQ=");
    let prev = c
        .get(&format!("/20190301/secretbundles/{id}?stage=PREVIOUS"))
        .json();
    assert_eq!(prev["versionNumber"], 2);
    assert_eq!(prev["secretBundleContent"]["content"], "c2Vjb25k");
    let v1 = c
        .get(&format!("/20190301/secretbundles/{id}?versionNumber=1"))
        .json();
    assert_eq!(v1["stages"], json!(["DEPRECATED"]));
    let versions = c
        .get(&format!(
            "/20190301/secretbundles/{id}/versions?sortOrder=DESC&limit=10"
        ))
        .json();
    let numbers: Vec<u64> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["versionNumber"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert!(versions[0].get("secretBundleContent").is_none());
    c.get("/20190301/secretbundles/ocid1.vaultsecret.oc1.iad.none")
        .assert_error(404, "NotAuthorizedOrNotFound");
    c.send(
        "POST",
        "/20190301/secretbundles/actions/getByName?secretName=db-password&vaultId=ocid1.vault.oc1..other",
        &[],
        Some(b""),
        &Sign::default(),
    )
    .assert_error(404, "NotAuthorizedOrNotFound");
}
