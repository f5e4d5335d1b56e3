//! Object Storage: namespace, buckets, objects, ranges, listing, preconditions, multipart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Client, Sign, emulator, emulator_with, enc};
use md5::{Digest, Md5};
use ocisdk_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

fn make_bucket(c: &Client, emu: &Emulator, name: &str) {
    let r = c.post_json(
        &format!("/n/{}/b/", emu.namespace()),
        &json!({"name": name, "compartmentId": emu.tenancy_id()}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

fn md5_b64(data: &[u8]) -> String {
    B64.encode(Md5::digest(data))
}

#[test]
fn namespace() {
    let emu = emulator();
    let c = Client::new(&emu);
    for path in ["/n/", "/n"] {
        let r = c.get(path);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            String::from_utf8(r.body.clone()).unwrap(),
            format!("\"{}\"", emu.namespace())
        );
        assert_eq!(r.json(), Value::String(emu.namespace().to_string()));
    }
}

#[test]
fn bucket_lifecycle() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    let r = c.post_json(
        &format!("/n/{ns}/b/"),
        &json!({"name": "photos", "compartmentId": emu.tenancy_id(), "metadata": {"k": "v"}, "freeformTags": {"a": "b"}}),
    );
    assert_eq!(r.status, 200);
    let etag = r.header("etag").unwrap().to_string();
    let b = r.json();
    assert_eq!(b["name"], "photos");
    assert_eq!(b["namespace"], ns);
    assert_eq!(b["compartmentId"], emu.tenancy_id());
    assert_eq!(b["createdBy"], emu.user_id());
    assert_eq!(b["metadata"], json!({"k": "v"}));
    assert_eq!(b["publicAccessType"], "NoPublicAccess");
    assert_eq!(b["storageTier"], "Standard");
    assert_eq!(b["versioning"], "Disabled");
    assert_eq!(b["objectEventsEnabled"], false);
    assert_eq!(b["etag"], etag.as_str());
    assert!(b["id"].as_str().unwrap().starts_with("ocid1.bucket.oc1."));
    assert!(b["timeCreated"].as_str().unwrap().ends_with('Z'));

    c.post_json(
        &format!("/n/{ns}/b/"),
        &json!({"name": "photos", "compartmentId": emu.tenancy_id()}),
    )
    .assert_error(409, "BucketAlreadyExists");
    c.post_json(
        &format!("/n/{ns}/b/"),
        &json!({"compartmentId": emu.tenancy_id()}),
    )
    .assert_error(400, "MissingParameter");
    c.post_json(
        "/n/wrongns/b/",
        &json!({"name": "x", "compartmentId": emu.tenancy_id()}),
    )
    .assert_error(404, "NamespaceNotFound");

    let r = c.get(&format!("/n/{ns}/b/photos/"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = c.get(&format!(
        "/n/{ns}/b/photos?fields=approximateCount,approximateSize"
    ));
    assert_eq!(r.json()["approximateCount"], 0);
    let r = c.head(&format!("/n/{ns}/b/photos/"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = c.head(&format!("/n/{ns}/b/nothere/"));
    assert_eq!(r.status, 404);
    assert!(r.header("opc-request-id").is_some());
    c.get(&format!("/n/{ns}/b/nothere/"))
        .assert_error(404, "BucketNotFound");

    // ListBuckets: page size 3, 4 buckets.
    for n in ["b1", "b2", "b3"] {
        make_bucket(&c, &emu, n);
    }
    let base = format!("/n/{ns}/b/?compartmentId={}", emu.tenancy_id());
    let r = c.get(&base);
    let page1 = r.json();
    assert_eq!(page1.as_array().unwrap().len(), 3);
    let s = &page1[0];
    for f in [
        "namespace",
        "name",
        "compartmentId",
        "createdBy",
        "timeCreated",
        "etag",
    ] {
        assert!(!s[f].is_null(), "summary lacks {f}");
    }
    let token = r.header("opc-next-page").unwrap();
    let r2 = c.get(&format!("{base}&page={}", enc(token)));
    let page2 = r2.json();
    let names: Vec<&str> = page1
        .as_array()
        .unwrap()
        .iter()
        .chain(page2.as_array().unwrap().iter())
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b1", "b2", "b3", "photos"]);
    assert!(r2.header("opc-next-page").is_none());
    let r = c.get(&format!("{base}&fields=tags&limit=10"));
    let photos = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "photos")
        .cloned()
        .unwrap();
    assert_eq!(photos["freeformTags"], json!({"a": "b"}));

    assert_eq!(c.delete(&format!("/n/{ns}/b/photos/")).status, 204);
    c.get(&format!("/n/{ns}/b/photos/"))
        .assert_error(404, "BucketNotFound");
}

#[test]
fn objects_put_get_head_range_delete() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "data");
    let name = "dir/sub dir/file (1)+x.txt";
    let path = format!("/n/{ns}/b/data/o/{}", enc(name));
    let data = b"hello, object storage!";

    let r = c.put_object(
        &path,
        data,
        &[
            ("content-type", "text/plain"),
            ("content-md5", &md5_b64(data)),
            ("opc-meta-owner", "me"),
            ("content-language", "en"),
            ("cache-control", "no-cache"),
            ("content-disposition", "attachment"),
        ],
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let etag = r.header("etag").unwrap().to_string();
    assert_eq!(r.header("opc-content-md5"), Some(md5_b64(data).as_str()));
    assert!(httpdate::parse_http_date(r.header("last-modified").unwrap()).is_ok());
    assert!(r.header("version-id").is_none());

    let r = c.get(&path);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, data);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("content-md5"), Some(md5_b64(data).as_str()));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("opc-meta-owner"), Some("me"));
    assert_eq!(r.header("content-language"), Some("en"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("content-disposition"), Some("attachment"));
    assert_eq!(
        r.header("content-length"),
        Some(data.len().to_string().as_str())
    );
    assert!(
        r.header("access-control-expose-headers")
            .unwrap()
            .contains("opc-meta-owner")
    );

    let range = |spec: &str| c.send("GET", &path, &[("range", spec)], None, &Sign::default());
    let r = range("bytes=0-4");
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"hello");
    assert_eq!(r.header("content-range"), Some("bytes 0-4/22"));
    let r = range("bytes=7-");
    assert_eq!(r.body, b"object storage!");
    let r = range("bytes=-8");
    assert_eq!(r.body, b"storage!");
    assert_eq!(r.header("content-range"), Some("bytes 14-21/22"));
    let r = range("bytes=100-");
    r.assert_error(416, "InvalidRange");
    assert_eq!(r.header("content-range"), Some("bytes */22"));

    let r = c.head(&path);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("22"));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("content-md5"), Some(md5_b64(data).as_str()));

    let r = c.send(
        "GET",
        &path,
        &[("if-none-match", &etag)],
        None,
        &Sign::default(),
    );
    assert_eq!(r.status, 304);
    let r = c.send(
        "GET",
        &path,
        &[("if-match", "other")],
        None,
        &Sign::default(),
    );
    r.assert_error(412, "IfMatchFailed");

    // The listing shows the decoded name.
    let r = c.get(&format!(
        "/n/{ns}/b/data/o?fields=name,size,md5,etag,timeCreated"
    ));
    let o = &r.json()["objects"][0];
    assert_eq!(o["name"], name);
    assert_eq!(o["size"], 22);
    assert_eq!(o["md5"], md5_b64(data).as_str());
    assert_eq!(o["etag"], etag.as_str());

    let r = c.send(
        "DELETE",
        &path,
        &[("if-match", "stale")],
        None,
        &Sign::default(),
    );
    r.assert_error(412, "IfMatchFailed");
    assert_eq!(c.delete(&path).status, 204);
    c.get(&path).assert_error(404, "ObjectNotFound");
    c.delete(&path).assert_error(404, "ObjectNotFound");
    c.get(&format!("/n/{ns}/b/nobucket/o/x"))
        .assert_error(404, "BucketNotFound");
}

#[test]
fn put_object_checks() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "chk");
    let path = format!("/n/{ns}/b/chk/o/a");

    // Wrong content-md5: 400 UnmatchedContentMD5, nothing stored.
    let r = c.put_object(&path, b"abc", &[("content-md5", &md5_b64(b"abd"))]);
    r.assert_error(400, "UnmatchedContentMD5");
    assert!(r.message().contains(&md5_b64(b"abc")), "{}", r.message());
    c.get(&path).assert_error(404, "ObjectNotFound");

    // if-none-match: * creates once.
    assert_eq!(
        c.put_object(&path, b"v1", &[("if-none-match", "*")]).status,
        200
    );
    c.put_object(&path, b"v2", &[("if-none-match", "*")])
        .assert_error(412, "IfNoneMatchFailed");
    assert_eq!(c.get(&path).body, b"v1");

    // if-match.
    let etag = c.head(&path).header("etag").unwrap().to_string();
    c.put_object(&path, b"v3", &[("if-match", "nope")])
        .assert_error(412, "IfMatchFailed");
    let r = c.put_object(&path, b"v3", &[("if-match", &etag)]);
    assert_eq!(r.status, 200);
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(c.get(&path).body, b"v3");

    // Chunked transfer encoding is refused.
    let r = c.send(
        "PUT",
        &format!("/n/{ns}/b/chk/o/chunked"),
        &[
            ("content-type", "application/octet-stream"),
            ("transfer-encoding", "chunked"),
        ],
        Some(b"some data"),
        &Sign {
            body_headers: Some(false),
            ..Sign::default()
        },
    );
    r.assert_error(411, "ContentLengthRequired");
    // The connection still works afterwards.
    assert_eq!(c.get(&path).status, 200);

    // Empty object.
    let r = c.put_object(&format!("/n/{ns}/b/chk/o/empty"), b"", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(c.get(&format!("/n/{ns}/b/chk/o/empty")).body, b"");

    // Non-empty bucket cannot be deleted.
    let r = c.delete(&format!("/n/{ns}/b/chk/"));
    r.assert_error(409, "BucketNotEmpty");
    for o in ["a", "empty"] {
        assert_eq!(c.delete(&format!("/n/{ns}/b/chk/o/{o}")).status, 204);
    }
    assert_eq!(c.delete(&format!("/n/{ns}/b/chk/")).status, 204);
}

#[test]
fn list_objects_pages_prefixes_and_bounds() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "l");
    let names = ["a", "b/1", "b/2", "b/3", "c/x/1", "d", "e", "f"];
    for n in names {
        assert_eq!(
            c.put_object(&format!("/n/{ns}/b/l/o/{}", enc(n)), n.as_bytes(), &[])
                .status,
            200
        );
    }
    let base = format!("/n/{ns}/b/l/o");

    // Default page size 3 with nextStartWith.
    let mut seen = Vec::new();
    let mut target = base.clone();
    let mut pages = 0;
    loop {
        let r = c.get(&target);
        pages += 1;
        let v = r.json();
        for o in v["objects"].as_array().unwrap() {
            assert_eq!(o.as_object().unwrap().len(), 1, "only name by default: {o}");
            seen.push(o["name"].as_str().unwrap().to_string());
        }
        assert!(v.get("prefixes").is_none());
        match v["nextStartWith"].as_str() {
            Some(n) => target = format!("{base}?start={}", enc(n)),
            None => break,
        }
    }
    assert_eq!(seen, names);
    assert_eq!(pages, 3);

    // Delimiter: prefixes collapse, and count toward the limit.
    let r = c.get(&format!("{base}?delimiter=/&limit=10"));
    let v = r.json();
    let objs: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(objs, ["a", "d", "e", "f"]);
    assert_eq!(v["prefixes"], json!(["b/", "c/"]));
    assert!(v.get("nextStartWith").is_none());
    let r = c.get(&format!("{base}?delimiter=/&limit=2"));
    let v = r.json();
    assert_eq!(v["objects"], json!([{"name": "a"}]));
    assert_eq!(v["prefixes"], json!(["b/"]));
    assert_eq!(v["nextStartWith"], "c/x/1");

    // Prefix within a "directory".
    let r = c.get(&format!("{base}?prefix=b/&delimiter=/"));
    let v = r.json();
    let objs: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(objs, ["b/1", "b/2", "b/3"]);
    assert_eq!(v["prefixes"], json!([]));

    // start (inclusive), end (exclusive), startAfter (exclusive).
    let r = c.get(&format!("{base}?start=b/2&end=d&limit=10"));
    let objs: Vec<String> = r.json()["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(objs, ["b/2", "b/3", "c/x/1"]);
    let r = c.get(&format!("{base}?startAfter=e&limit=10"));
    assert_eq!(r.json()["objects"], json!([{"name": "f"}]));

    // fields.
    let r = c.get(&format!(
        "{base}?prefix=d&fields=size,timeModified,storageTier"
    ));
    let o = &r.json()["objects"][0];
    assert_eq!(o["size"], 1);
    assert_eq!(o["storageTier"], "Standard");
    assert!(o["timeModified"].is_string());
    c.get(&format!("{base}?fields=bogus"))
        .assert_error(400, "InvalidParameter");
    c.get(&format!("{base}?delimiter=-"))
        .assert_error(400, "InvalidParameter");
}

#[test]
fn list_objects_empty_pages() {
    let emu = emulator_with(EmulatorConfig {
        empty_pages: true,
        ..EmulatorConfig::default()
    });
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "e");
    for i in 0..5 {
        assert_eq!(
            c.put_object(&format!("/n/{ns}/b/e/o/k{i}"), b"x", &[])
                .status,
            200
        );
    }
    let base = format!("/n/{ns}/b/e/o");
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    let mut target = base.clone();
    loop {
        let v = c.get(&target).json();
        let objs = v["objects"].as_array().unwrap();
        sizes.push(objs.len());
        all.extend(objs.iter().map(|o| o["name"].as_str().unwrap().to_string()));
        match v["nextStartWith"].as_str() {
            Some(n) => target = format!("{base}?start={}", enc(n)),
            None => break,
        }
    }
    // The empty page comes first and points at the first name: a token that moves.
    assert_eq!(sizes, [0, 3, 2]);
    assert_eq!(all, ["k0", "k1", "k2", "k3", "k4"]);
}

#[test]
fn large_object_round_trip() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "big");
    let size = 64 << 20;
    let data: Vec<u8> = (0..size)
        .map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let md5 = md5_b64(&data);
    let path = format!("/n/{ns}/b/big/o/blob.bin");
    let started = std::time::Instant::now();
    let r = c.put_object(&path, &data, &[("content-md5", &md5)]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("opc-content-md5"), Some(md5.as_str()));
    let r = c.get(&path);
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), size);
    assert!(r.body == data);
    let r = c.send(
        "GET",
        &path,
        &[("range", "bytes=33554432-33554441")],
        None,
        &Sign::default(),
    );
    assert_eq!(r.body, &data[33_554_432..33_554_442]);
    eprintln!("64 MiB put + get took {:?}", started.elapsed());
}

#[test]
fn multipart_upload() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "mp");
    let r = c.post_json(
        &format!("/n/{ns}/b/mp/u"),
        &json!({"object": "big/file", "contentType": "text/csv", "metadata": {"opc-meta-x": "1"}}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let upload = r.json();
    let upload_id = upload["uploadId"].as_str().unwrap().to_string();
    assert_eq!(upload["object"], "big/file");
    assert_eq!(upload["bucket"], "mp");

    let p1 = vec![b'a'; 1000];
    let p2 = b"tail".to_vec();
    let mut etags = Vec::new();
    for (n, part) in [(1, &p1), (2, &p2)] {
        let target = format!(
            "/n/{ns}/b/mp/u/{}?uploadId={upload_id}&uploadPartNum={n}",
            enc("big/file")
        );
        let r = c.put_object(&target, part, &[("content-md5", &md5_b64(part))]);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("opc-content-md5"), Some(md5_b64(part).as_str()));
        etags.push(r.header("etag").unwrap().to_string());
    }
    let r = c.get(&format!(
        "/n/{ns}/b/mp/u/{}?uploadId={upload_id}",
        enc("big/file")
    ));
    let parts = r.json();
    assert_eq!(parts[0]["partNumber"], 1);
    assert_eq!(parts[1]["size"], 4);
    let r = c.get(&format!("/n/{ns}/b/mp/u"));
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    c.delete(&format!("/n/{ns}/b/mp/"))
        .assert_error(409, "BucketNotEmpty");

    let r = c.post_json(
        &format!("/n/{ns}/b/mp/u/{}?uploadId={upload_id}", enc("big/file")),
        &json!({"partsToCommit": [{"partNum": 2, "etag": etags[1]}, {"partNum": 1, "etag": etags[0]}]}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut raw = Md5::digest(&p1).to_vec();
    raw.extend_from_slice(&Md5::digest(&p2));
    let expected = format!("{}-2", B64.encode(Md5::digest(&raw)));
    assert_eq!(r.header("opc-multipart-md5"), Some(expected.as_str()));

    let r = c.get(&format!("/n/{ns}/b/mp/o/{}", enc("big/file")));
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 1004);
    assert!(r.body.ends_with(b"tail"));
    assert_eq!(r.header("opc-multipart-md5"), Some(expected.as_str()));
    assert!(r.header("content-md5").is_none());
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(r.header("opc-meta-x"), Some("1"));
    assert_eq!(c.get(&format!("/n/{ns}/b/mp/u")).json(), json!([]));

    // Abort.
    let r = c.post_json(&format!("/n/{ns}/b/mp/u"), &json!({"object": "other"}));
    let id = r.json()["uploadId"].as_str().unwrap().to_string();
    assert_eq!(
        c.delete(&format!("/n/{ns}/b/mp/u/other?uploadId={id}"))
            .status,
        204
    );
    c.delete(&format!("/n/{ns}/b/mp/u/other?uploadId={id}"))
        .assert_error(404, "UploadNotFound");
}

#[test]
fn connections_are_reused() {
    let emu = emulator();
    let c = Client::new(&emu);
    for _ in 0..10 {
        assert_eq!(c.get("/n/").status, 200);
    }
    let stats = emu.stats();
    assert_eq!(stats.requests, 10);
    assert_eq!(stats.connections, 1, "{stats:?}");
    assert_eq!(stats.operation("GetNamespace"), 10);
    emu.reset_stats();
    assert_eq!(emu.stats().requests, 0);
}

/// Object names with a line feed, carriage return or NULL are refused as the service refuses
/// them (`400 InvalidObjectName`), by PutObject and CreateMultipartUpload, and nothing is
/// stored; other control characters (a tab) are valid names.
#[test]
fn object_names_without_line_breaks_or_null() {
    let emu = emulator();
    let c = Client::new(&emu);
    let ns = emu.namespace();
    make_bucket(&c, &emu, "names");
    for (name, what) in [
        ("a\nb", "line feed"),
        ("trailing LF\n", "line feed"),
        ("\rleading CR", "carriage return"),
        ("dir/a\r\nb", "carriage return"),
        ("nul\0", "NULL"),
    ] {
        let path = format!("/n/{ns}/b/names/o/{}", enc(name));
        let r = c.put_object(&path, b"x", &[]);
        r.assert_error(400, "InvalidObjectName");
        assert!(
            r.message().starts_with("Invalid object name: ") && r.message().contains(what),
            "{name:?}: {}",
            r.message()
        );
        c.get(&path).assert_error(404, "ObjectNotFound");

        let r = c.post_json(&format!("/n/{ns}/b/names/u"), &json!({"object": name}));
        r.assert_error(400, "InvalidObjectName");
    }
    let listed = c.get(&format!("/n/{ns}/b/names/o")).json();
    assert_eq!(listed["objects"], json!([]), "{listed}");
    assert!(c.get(&format!("/n/{ns}/b/names/u")).json() == json!([]));

    // A tab (another control character) is a valid name.
    let path = format!("/n/{ns}/b/names/o/{}", enc("tab\there"));
    assert_eq!(c.put_object(&path, b"x", &[]).status, 200);
    assert_eq!(c.get(&path).body, b"x");
}
