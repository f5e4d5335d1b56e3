//! Identity: groups, users, memberships, pagination, retry tokens, validation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, Sign, emulator, emulator_with};
use ocisdk_emulator::EmulatorConfig;
use serde_json::{Value, json};

fn is_rfc3339_millis(s: &str) -> bool {
    // 2016-08-25T21:10:29.600Z
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && s.chars().filter(char::is_ascii_digit).count() == 17
}

fn create_group(c: &Client, tenancy: &str, name: &str) -> Value {
    let r = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": tenancy, "name": name, "description": format!("{name} group")}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// Walks a list with opc-next-page; returns (items, number of requests).
fn list_all(c: &Client, first: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut target = first.to_string();
    let mut requests = 0;
    loop {
        let r = c.get(&target);
        requests += 1;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        items.extend(r.json().as_array().unwrap().iter().cloned());
        match r.header("opc-next-page") {
            Some(token) => {
                let sep = if first.contains('?') { '&' } else { '?' };
                target = format!("{first}{sep}page={}", common::enc(token));
            }
            None => break,
        }
        assert!(requests < 100, "pagination does not end");
    }
    (items, requests)
}

#[test]
fn group_lifecycle_and_pagination() {
    let emu = emulator();
    let c = Client::new(&emu);
    let tenancy = emu.tenancy_id();

    let first = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": tenancy, "name": "g0", "description": "first", "freeformTags": {"team": "sdk"}}),
    );
    assert_eq!(first.status, 200);
    let etag = first.header("etag").unwrap().to_string();
    assert!(first.header("opc-request-id").is_some());
    let g = first.json();
    let id = g["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ocid1.group.oc1..aaaa"), "{id}");
    assert_eq!(g["compartmentId"], tenancy);
    assert_eq!(g["name"], "g0");
    assert_eq!(g["description"], "first");
    assert_eq!(g["lifecycleState"], "ACTIVE");
    assert_eq!(g["freeformTags"], json!({"team": "sdk"}));
    assert_eq!(g["definedTags"], json!({}));
    assert!(g.as_object().unwrap().contains_key("inactiveStatus"));
    assert!(
        is_rfc3339_millis(g["timeCreated"].as_str().unwrap()),
        "{}",
        g["timeCreated"]
    );

    for i in 1..7 {
        create_group(&c, tenancy, &format!("g{i}"));
    }

    // Default page size 3: 7 groups take 3 pages, in creation order.
    let base = format!("/20160918/groups?compartmentId={tenancy}");
    let (items, requests) = list_all(&c, &base);
    assert_eq!(requests, 3);
    let names: Vec<&str> = items.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["g0", "g1", "g2", "g3", "g4", "g5", "g6"]);

    // limit is honoured.
    let r = c.get(&format!("{base}&limit=5"));
    assert_eq!(r.json().as_array().unwrap().len(), 5);
    assert!(r.header("opc-next-page").is_some());
    // name filter, sort by name descending.
    let r = c.get(&format!("{base}&name=g3"));
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let r = c.get(&format!("{base}&sortBy=NAME&sortOrder=DESC&limit=2"));
    let names: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["g6", "g5"]);

    // Get, update (etag changes), if-match.
    let r = c.get(&format!("/20160918/groups/{id}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = c.put_json(
        &format!("/20160918/groups/{id}"),
        &json!({"description": "changed"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["description"], "changed");
    assert_eq!(r.json()["freeformTags"], json!({"team": "sdk"}));
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    let stale = c.send(
        "PUT",
        &format!("/20160918/groups/{id}"),
        &[("if-match", &etag)],
        Some(br#"{"description":"x"}"#),
        &Sign::default(),
    );
    stale.assert_error(412, "NoEtagMatch");

    // Delete and 404.
    let r = c.delete(&format!("/20160918/groups/{id}"));
    assert_eq!(r.status, 204);
    assert!(r.header("opc-request-id").is_some());
    c.get(&format!("/20160918/groups/{id}"))
        .assert_error(404, "NotAuthorizedOrNotFound");
    c.delete(&format!("/20160918/groups/{id}"))
        .assert_error(404, "NotAuthorizedOrNotFound");

    let stats = emu.stats();
    assert_eq!(stats.operation("CreateGroup"), 7);
    assert_eq!(stats.operation("ListGroups"), 6);
    assert!(stats.connections >= 1);
    assert!(stats.connections < stats.requests, "{stats:?}");
}

#[test]
fn names_are_unique() {
    let emu = emulator();
    let c = Client::new(&emu);
    create_group(&c, emu.tenancy_id(), "admins");
    let r = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": emu.tenancy_id(), "name": "admins", "description": ""}),
    );
    r.assert_error(409, "EntityAlreadyExists");
    assert!(r.message().contains("admins"));

    let u = json!({"compartmentId": emu.tenancy_id(), "name": "alice", "description": "", "email": "a@example.com"});
    assert_eq!(c.post_json("/20160918/users", &u).status, 200);
    c.post_json("/20160918/users", &u)
        .assert_error(409, "EntityAlreadyExists");
}

#[test]
fn users_have_the_full_model() {
    let emu = emulator();
    let c = Client::new(&emu);
    let r = c.post_json(
        "/20160918/users",
        &json!({"compartmentId": emu.tenancy_id(), "name": "bob", "description": "Bob", "email": "bob@example.com"}),
    );
    assert_eq!(r.status, 200);
    let u = r.json();
    assert!(
        u["id"]
            .as_str()
            .unwrap()
            .starts_with("ocid1.user.oc1..aaaa")
    );
    for field in [
        "id",
        "compartmentId",
        "name",
        "description",
        "email",
        "emailVerified",
        "identityProviderId",
        "externalIdentifier",
        "timeCreated",
        "lifecycleState",
        "inactiveStatus",
        "freeformTags",
        "definedTags",
        "capabilities",
        "isMfaActivated",
        "lastSuccessfulLoginTime",
        "previousSuccessfulLoginTime",
        "dbUserName",
    ] {
        assert!(
            u.as_object().unwrap().contains_key(field),
            "missing {field}"
        );
    }
    assert_eq!(u["email"], "bob@example.com");
    assert_eq!(u["capabilities"]["canUseApiKeys"], true);
    assert!(is_rfc3339_millis(u["timeCreated"].as_str().unwrap()));

    // The key's own user exists too.
    let me = c.get(&format!("/20160918/users/{}", emu.user_id()));
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["name"], "emulator-admin");
    let (all, _) = list_all(
        &c,
        &format!("/20160918/users?compartmentId={}", emu.tenancy_id()),
    );
    assert_eq!(all.len(), 2);

    let id = u["id"].as_str().unwrap();
    let r = c.put_json(
        &format!("/20160918/users/{id}"),
        &json!({"email": "robert@example.com"}),
    );
    assert_eq!(r.json()["email"], "robert@example.com");
    assert_eq!(r.json()["description"], "Bob");
}

#[test]
fn memberships_block_deletes() {
    let emu = emulator();
    let c = Client::new(&emu);
    let t = emu.tenancy_id();
    let g = create_group(&c, t, "devs");
    let u = c
        .post_json(
            "/20160918/users",
            &json!({"compartmentId": t, "name": "carol", "description": "c"}),
        )
        .json();
    let (gid, uid) = (g["id"].as_str().unwrap(), u["id"].as_str().unwrap());

    let r = c.post_json(
        "/20160918/userGroupMemberships",
        &json!({"userId": uid, "groupId": gid}),
    );
    assert_eq!(r.status, 200);
    assert!(r.header("etag").is_some());
    let m = r.json();
    let mid = m["id"].as_str().unwrap();
    assert_eq!(m["userId"], uid);
    assert_eq!(m["groupId"], gid);
    assert_eq!(m["compartmentId"], t);
    assert_eq!(m["lifecycleState"], "ACTIVE");
    assert!(is_rfc3339_millis(m["timeCreated"].as_str().unwrap()));

    c.post_json(
        "/20160918/userGroupMemberships",
        &json!({"userId": uid, "groupId": gid}),
    )
    .assert_error(409, "EntityAlreadyExists");
    c.post_json(
        "/20160918/userGroupMemberships",
        &json!({"userId": "ocid1.user.oc1..nope", "groupId": gid}),
    )
    .assert_error(400, "RelatedResourceNotAuthorizedOrNotFound");

    assert_eq!(
        c.get(&format!("/20160918/userGroupMemberships/{mid}"))
            .json()["id"],
        mid
    );
    let r = c.get(&format!(
        "/20160918/userGroupMemberships?compartmentId={t}&userId={uid}"
    ));
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let r = c.get(&format!(
        "/20160918/userGroupMemberships?compartmentId={t}&groupId={gid}&userId={uid}"
    ));
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    c.get(&format!("/20160918/userGroupMemberships?compartmentId={t}"))
        .assert_error(400, "MissingParameter");

    let r = c.delete(&format!("/20160918/groups/{gid}"));
    r.assert_error(409, "Conflict");
    assert!(r.message().contains("member"), "{}", r.message());
    c.delete(&format!("/20160918/users/{uid}"))
        .assert_error(409, "Conflict");

    assert_eq!(
        c.delete(&format!("/20160918/userGroupMemberships/{mid}"))
            .status,
        204
    );
    c.get(&format!("/20160918/userGroupMemberships/{mid}"))
        .assert_error(404, "NotAuthorizedOrNotFound");
    assert_eq!(c.delete(&format!("/20160918/groups/{gid}")).status, 204);
    assert_eq!(c.delete(&format!("/20160918/users/{uid}")).status, 204);
}

#[test]
fn retry_tokens_deduplicate_creates() {
    let emu = emulator();
    let c = Client::new(&emu);
    let t = emu.tenancy_id();
    let body = serde_json::to_vec(&json!({"compartmentId": t, "name": "once", "description": ""}))
        .unwrap();
    let send = |token: &str, body: &[u8]| {
        c.send(
            "POST",
            "/20160918/groups",
            &[("opc-retry-token", token)],
            Some(body),
            &Sign::default(),
        )
    };
    let a = send("token-1", &body);
    let b = send("token-1", &body);
    assert_eq!(a.status, 200);
    assert_eq!(b.status, 200);
    assert_eq!(a.body, b.body);
    assert_eq!(a.header("etag"), b.header("etag"));
    assert_ne!(a.header("opc-request-id"), b.header("opc-request-id"));
    let (groups, _) = list_all(&c, &format!("/20160918/groups?compartmentId={t}"));
    assert_eq!(groups.len(), 1);

    // Same token, different request.
    let other =
        serde_json::to_vec(&json!({"compartmentId": t, "name": "twice", "description": ""}))
            .unwrap();
    send("token-1", &other).assert_error(409, "InvalidatedRetryToken");

    // The entity created with the token was deleted.
    let id = a.json()["id"].as_str().unwrap().to_string();
    assert_eq!(c.delete(&format!("/20160918/groups/{id}")).status, 204);
    send("token-1", &body).assert_error(409, "InvalidatedRetryToken");

    // Without a token the conflict shows.
    assert_eq!(
        c.post_json(
            "/20160918/groups",
            &json!({"compartmentId": t, "name": "dup", "description": ""})
        )
        .status,
        200
    );
    c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": t, "name": "dup", "description": ""}),
    )
    .assert_error(409, "EntityAlreadyExists");
}

#[test]
fn request_validation() {
    let emu = emulator();
    let c = Client::new(&emu);
    let t = emu.tenancy_id();

    let r = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": t, "name": "x"}),
    );
    r.assert_error(400, "MissingParameter");
    assert!(r.message().contains("description"));
    let r = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": t, "description": ""}),
    );
    r.assert_error(400, "MissingParameter");
    assert!(r.message().contains("name"));
    let r = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": t, "name": 5, "description": ""}),
    );
    r.assert_error(400, "InvalidParameter");
    assert!(r.message().contains("name"));
    let r = c.send(
        "POST",
        "/20160918/groups",
        &[],
        Some(b"{not json"),
        &Sign::default(),
    );
    r.assert_error(400, "CannotParseRequest");
    let r = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": "ocid1.compartment.oc1..other", "name": "x", "description": ""}),
    );
    r.assert_error(400, "InvalidParameter");
    assert!(r.message().contains("compartmentId"));
    c.get("/20160918/groups")
        .assert_error(400, "MissingParameter");
    c.get("/20160918/groups?compartmentId=ocid1.tenancy.oc1..other")
        .assert_error(404, "NotAuthorizedOrNotFound");
    c.get(&format!("/20160918/groups?compartmentId={t}&limit=0"))
        .assert_error(400, "InvalidParameter");
    c.get(&format!("/20160918/groups?compartmentId={t}&page=garbage!"))
        .assert_error(400, "InvalidParameter");
    // An operation of the API model without behaviour here says so, naming it; a path that is
    // no operation at all is a 404 as on the service.
    let r = c.get(&format!("/20160918/tenancies/{t}/regionSubscriptions"));
    r.assert_error(501, "NotImplemented");
    assert!(
        r.message().contains("ListRegionSubscriptions"),
        "{}",
        r.message()
    );
    c.get("/20160918/nonsense").assert_error(404, "NotFound");
}

#[test]
fn empty_pages_keep_a_token() {
    let emu = emulator_with(EmulatorConfig {
        empty_pages: true,
        page_size: 2,
        ..EmulatorConfig::default()
    });
    let c = Client::new(&emu);
    for i in 0..5 {
        create_group(&c, emu.tenancy_id(), &format!("e{i}"));
    }
    let base = format!("/20160918/groups?compartmentId={}", emu.tenancy_id());
    let mut sizes = Vec::new();
    let mut target = base.clone();
    loop {
        let r = c.get(&target);
        sizes.push(r.json().as_array().unwrap().len());
        match r.header("opc-next-page") {
            Some(t) => target = format!("{base}&page={}", common::enc(t)),
            None => break,
        }
    }
    assert_eq!(sizes, [2, 0, 2, 0, 1]);
}

#[test]
fn concurrent_creates_stay_consistent() {
    let emu = emulator();
    let t = emu.tenancy_id().to_string();
    std::thread::scope(|s| {
        for w in 0..4 {
            let emu = &emu;
            let t = t.clone();
            s.spawn(move || {
                let c = Client::new(emu);
                for i in 0..10 {
                    let r = c.post_json(
                        "/20160918/groups",
                        &json!({"compartmentId": t, "name": format!("w{w}-{i}"), "description": ""}),
                    );
                    assert_eq!(r.status, 200);
                    // Everyone also races for one shared name: exactly one wins.
                    let r = c.post_json(
                        "/20160918/groups",
                        &json!({"compartmentId": t, "name": format!("shared-{i}"), "description": ""}),
                    );
                    assert!(r.status == 200 || r.status == 409);
                }
            });
        }
    });
    let c = Client::new(&emu);
    let (all, _) = list_all(
        &c,
        &format!("/20160918/groups?compartmentId={t}&limit=1000"),
    );
    assert_eq!(all.len(), 40 + 10);
}

/// With a home region other than its own region, the emulator refuses every Identity create,
/// update and delete as OCI does outside the home region (`403 NotAllowed`, "Please go to your
/// home region … to execute CREATE, UPDATE and DELETE operations."), applies nothing, and still
/// serves reads and Object Storage; with the home region equal to its region (any case), or
/// without one, writes work.
#[test]
fn identity_writes_only_in_the_home_region() {
    let emu = emulator_with(EmulatorConfig {
        region: "us-ashburn-1".into(),
        home_region: Some("us-phoenix-1".into()),
        ..Default::default()
    });
    let c = Client::new(&emu);
    let tenancy = emu.tenancy_id();
    let refused = |r: common::Resp| {
        r.assert_error(403, "NotAllowed");
        assert_eq!(
            r.message(),
            "Please go to your home region us-phoenix-1 to execute CREATE, UPDATE and DELETE operations."
        );
    };
    let group = json!({"compartmentId": tenancy, "name": "g", "description": "d"});
    refused(c.post_json("/20160918/groups", &group));
    // With a retry token, too; and a refusal is not remembered under it.
    refused(c.send(
        "POST",
        "/20160918/groups",
        &[("opc-retry-token", "home-region-token")],
        Some(&serde_json::to_vec(&group).unwrap()),
        &Sign::default(),
    ));
    refused(c.post_json(
        "/20160918/users",
        &json!({"compartmentId": tenancy, "name": "u", "description": "d"}),
    ));
    let me = format!("/20160918/users/{}", emu.user_id());
    refused(c.put_json(&me, &json!({"description": "changed"})));
    refused(c.delete(&me));
    refused(c.post_json(
        "/20160918/userGroupMemberships",
        &json!({"compartmentId": tenancy, "userId": emu.user_id(), "groupId": "ocid1.group.oc1..x"}),
    ));
    // An operation the emulator does not implement is refused the same way (the rule comes
    // first, as on the service).
    refused(c.post_json(
        "/20160918/compartments",
        &json!({"compartmentId": tenancy, "name": "c", "description": "d"}),
    ));

    // Nothing was applied; reads work.
    let r = c.get(&format!("/20160918/groups?compartmentId={tenancy}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!([]));
    let r = c.get(&me);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["description"],
        "The owner of the emulator's API key"
    );
    // Object Storage is regional: not affected.
    let r = c.post_json(
        &format!("/n/{}/b/", emu.namespace()),
        &json!({"name": "b", "compartmentId": tenancy}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A bad signature is still 401 first.
    c.send(
        "POST",
        "/20160918/groups",
        &[],
        Some(&serde_json::to_vec(&group).unwrap()),
        &Sign {
            corrupt: true,
            ..Sign::default()
        },
    )
    .assert_error(401, "NotAuthenticated");

    // In the home region (compared without regard to case), and without the setting: allowed.
    for config in [
        EmulatorConfig {
            region: "us-phoenix-1".into(),
            home_region: Some("US-PHOENIX-1".into()),
            ..Default::default()
        },
        EmulatorConfig::default(),
    ] {
        let emu = emulator_with(config);
        let c = Client::new(&emu);
        let group = json!({"compartmentId": emu.tenancy_id(), "name": "g", "description": "d"});
        let r = c.post_json("/20160918/groups", &group);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let id = r.json()["id"].as_str().unwrap().to_string();
        assert_eq!(c.delete(&format!("/20160918/groups/{id}")).status, 204);
    }
}
