//! The conventional Identity resources the emulator serves from the API model: compartments
//! (nesting, names unique per parent, non-empty deletes refused, deleted ones kept as DELETED),
//! policies (pagination, filters, if-match, retry tokens), API keys (an uploaded key signs),
//! credentials shown once, tags, identity providers (a polymorphic model).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Client, Sign};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

fn all_pages(c: &Client, first: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut target = first.to_string();
    loop {
        let r = c.get(&target);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        out.extend(r.json().as_array().unwrap().iter().cloned());
        match r.header("opc-next-page") {
            Some(next) => target = format!("{first}&page={next}"),
            None => return out,
        }
    }
}

fn compartment(c: &Client, parent: &str, name: &str) -> Value {
    let r = c.post_json(
        "/20160918/compartments",
        &json!({"compartmentId": parent, "name": name, "description": "d"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[test]
fn compartments_nest_and_refuse_non_empty_deletes() {
    let emu = common::emulator();
    let c = Client::new(&emu);
    let t = emu.tenancy_id();
    let a = compartment(&c, t, "apps");
    assert_eq!(a["lifecycleState"], "ACTIVE");
    assert!(
        a["id"]
            .as_str()
            .unwrap()
            .starts_with("ocid1.compartment.oc1..")
    );
    let id_a = a["id"].as_str().unwrap();
    let b = compartment(&c, id_a, "backend");
    let id_b = b["id"].as_str().unwrap();
    assert_eq!(b["compartmentId"], id_a);
    // Names are unique within a parent, not across the tenancy.
    compartment(&c, id_a, "apps");
    c.post_json(
        "/20160918/compartments",
        &json!({"compartmentId": t, "name": "apps", "description": ""}),
    )
    .assert_error(409, "CompartmentAlreadyExists");
    // An unknown parent is not found.
    c.post_json(
        "/20160918/compartments",
        &json!({"compartmentId": "ocid1.compartment.oc1..nope", "name": "x", "description": ""}),
    )
    .assert_error(404, "NotAuthorizedOrNotFound");

    // Direct children only, unless the whole tree of the tenancy is asked for.
    let top = all_pages(&c, &format!("/20160918/compartments?compartmentId={t}"));
    assert_eq!(top.len(), 1);
    let all = all_pages(
        &c,
        &format!(
            "/20160918/compartments?compartmentId={t}&compartmentIdInSubtree=true&accessLevel=ANY"
        ),
    );
    assert_eq!(all.len(), 3);
    let under_a = all_pages(&c, &format!("/20160918/compartments?compartmentId={id_a}"));
    assert_eq!(under_a.len(), 2);

    // A compartment holding anything cannot be deleted.
    c.delete(&format!("/20160918/compartments/{id_a}"))
        .assert_error(409, "Conflict");
    let p = c.post_json(
        "/20160918/policies",
        &json!({"compartmentId": id_b, "name": "p", "description": "", "statements": ["allow group x to read all-resources in compartment backend"]}),
    );
    assert_eq!(p.status, 200);
    let r = c.delete(&format!("/20160918/compartments/{id_b}"));
    r.assert_error(409, "Conflict");
    assert!(r.message().contains("Policy"), "{}", r.message());
    let pid = p.json()["id"].as_str().unwrap().to_string();
    assert_eq!(c.delete(&format!("/20160918/policies/{pid}")).status, 204);

    // Deleting is a work request; the compartment stays as DELETED under a new name.
    let r = c.delete(&format!("/20160918/compartments/{id_b}"));
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let wr = r.header("opc-work-request-id").unwrap().to_string();
    let w = c.get(&format!("/20160918/workRequests/{wr}"));
    assert_eq!(w.status, 200);
    assert_eq!(w.json()["status"], "SUCCEEDED");
    assert_eq!(w.json()["operationType"], "DELETE_COMPARTMENT");
    let gone = c.get(&format!("/20160918/compartments/{id_b}")).json();
    assert_eq!(gone["lifecycleState"], "DELETED");
    assert!(gone["name"].as_str().unwrap().starts_with("backend."));
    compartment(&c, id_a, "backend");
    let active = all_pages(
        &c,
        &format!("/20160918/compartments?compartmentId={id_a}&lifecycleState=ACTIVE"),
    );
    assert_eq!(active.len(), 2);
}

#[test]
fn policies_page_filter_update_and_dedupe() {
    let emu = common::emulator();
    let c = Client::new(&emu);
    let t = emu.tenancy_id();
    let mut ids = Vec::new();
    for i in 0..7 {
        let r = c.post_json(
            "/20160918/policies",
            &json!({"compartmentId": t, "name": format!("p{i}"), "description": "", "statements": ["allow"]}),
        );
        assert_eq!(r.status, 200);
        assert!(r.header("etag").is_some());
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let all = all_pages(&c, &format!("/20160918/policies?compartmentId={t}"));
    assert_eq!(all.len(), 7);
    let first = c.get(&format!("/20160918/policies?compartmentId={t}"));
    assert!(first.header("opc-next-page").is_some());
    let by_name = all_pages(&c, &format!("/20160918/policies?compartmentId={t}&name=p3"));
    assert_eq!(by_name.len(), 1);
    let desc = all_pages(
        &c,
        &format!("/20160918/policies?compartmentId={t}&sortBy=NAME&sortOrder=DESC"),
    );
    assert_eq!(desc[0]["name"], "p6");
    c.post_json(
        "/20160918/policies",
        &json!({"compartmentId": t, "name": "p0", "description": "", "statements": ["allow"]}),
    )
    .assert_error(409, "PolicyAlreadyExists");
    c.post_json(
        "/20160918/policies",
        &json!({"compartmentId": t, "name": "bad", "description": ""}),
    )
    .assert_error(400, "MissingParameter");

    let target = format!("/20160918/policies/{}", ids[0]);
    let got = c.get(&target);
    let etag = got.header("etag").unwrap().to_string();
    let upd = c.send(
        "PUT",
        &target,
        &[("if-match", "stale")],
        Some(br#"{"description": "x"}"#),
        &Sign::default(),
    );
    upd.assert_error(412, "NoEtagMatch");
    let upd = c.send(
        "PUT",
        &target,
        &[("if-match", &etag)],
        Some(br#"{"description": "new", "statements": ["allow a", "allow b"]}"#),
        &Sign::default(),
    );
    assert_eq!(upd.status, 200);
    assert_eq!(upd.json()["description"], "new");
    assert_eq!(upd.json()["statements"], json!(["allow a", "allow b"]));
    assert_eq!(
        upd.json()["name"],
        "p0",
        "the name is not in UpdatePolicyDetails"
    );

    // CreatePolicy takes a retry token (the model says so): a repeat creates nothing.
    let body = serde_json::to_vec(
        &json!({"compartmentId": t, "name": "tok", "description": "", "statements": ["allow"]}),
    )
    .unwrap();
    let once = c.send(
        "POST",
        "/20160918/policies",
        &[("opc-retry-token", "tok-1")],
        Some(&body),
        &Sign::default(),
    );
    let twice = c.send(
        "POST",
        "/20160918/policies",
        &[("opc-retry-token", "tok-1")],
        Some(&body),
        &Sign::default(),
    );
    assert_eq!(once.status, 200);
    assert_eq!(once.json()["id"], twice.json()["id"]);

    assert_eq!(c.delete(&target).status, 204);
    c.get(&target).assert_error(404, "NotAuthorizedOrNotFound");
}

#[test]
fn an_uploaded_api_key_signs_until_it_is_deleted() {
    let emu = common::emulator();
    let admin = Client::new(&emu);
    let t = emu.tenancy_id();
    let user = admin.post_json(
        "/20160918/users",
        &json!({"compartmentId": t, "name": "signer", "description": ""}),
    );
    let user_id = user.json()["id"].as_str().unwrap().to_string();
    let key = RsaPrivateKey::new(&mut ChaCha20Rng::seed_from_u64(7), 2048).unwrap();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let private = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();

    let keys_path = format!("/20160918/users/{user_id}/apiKeys");
    let up = admin.post_json(&keys_path, &json!({"key": public}));
    assert_eq!(up.status, 200, "{}", String::from_utf8_lossy(&up.body));
    let k = up.json();
    let fp = k["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(
        fp,
        ocisdk_emulator::fingerprint(&key.to_public_key()).unwrap()
    );
    assert_eq!(k["keyId"], format!("{t}/{user_id}/{fp}"));
    assert_eq!(k["userId"], user_id.as_str());
    assert_eq!(k["lifecycleState"], "ACTIVE");
    admin
        .post_json(&keys_path, &json!({"key": public}))
        .assert_error(409, "NotAuthorizedOrResourceAlreadyExists");
    admin
        .post_json(&keys_path, &json!({"key": "not a key"}))
        .assert_error(400, "InvalidParameter");
    let listed = admin.get(&keys_path).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // The emulator's own key is listed under its user too.
    let own = admin
        .get(&format!("/20160918/users/{}/apiKeys", emu.user_id()))
        .json();
    assert_eq!(own[0]["fingerprint"], emu.fingerprint());

    let signer = Client::with_key(&emu, &private, &format!("{t}/{user_id}/{fp}"));
    let me = signer.get(&format!("/20160918/users/{user_id}"));
    assert_eq!(me.status, 200, "{}", String::from_utf8_lossy(&me.body));

    assert_eq!(admin.delete(&format!("{keys_path}/{fp}")).status, 204);
    signer
        .get(&format!("/20160918/users/{user_id}"))
        .assert_error(401, "NotAuthenticated");

    // Keys of a deleted user stop signing too.
    admin.post_json(&keys_path, &json!({"key": public}));
    assert_eq!(
        signer.get(&format!("/20160918/users/{user_id}")).status,
        200
    );
    assert_eq!(
        admin.delete(&format!("/20160918/users/{user_id}")).status,
        204
    );
    signer
        .get(&format!("/20160918/users/{user_id}"))
        .assert_error(401, "NotAuthenticated");
}

#[test]
fn credentials_are_shown_once_and_tags_need_retiring() {
    let emu = common::emulator();
    let c = Client::new(&emu);
    let t = emu.tenancy_id();
    let user = emu.user_id();
    let tok = c.post_json(
        &format!("/20160918/users/{user}/authTokens"),
        &json!({"description": "ci"}),
    );
    assert_eq!(tok.status, 200);
    let token = tok.json();
    assert!(token["token"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        token["id"]
            .as_str()
            .unwrap()
            .starts_with("ocid1.credential.")
    );
    let listed = c.get(&format!("/20160918/users/{user}/authTokens")).json();
    assert_eq!(listed[0]["id"], token["id"]);
    assert!(listed[0]["token"].is_null(), "{listed}");
    let id = token["id"].as_str().unwrap();
    let upd = c.put_json(
        &format!("/20160918/users/{user}/authTokens/{id}"),
        &json!({"description": "renamed"}),
    );
    assert_eq!(upd.json()["description"], "renamed");
    assert!(upd.json()["token"].is_null());
    c.get("/20160918/users/ocid1.user.oc1..nobody/authTokens")
        .assert_error(404, "NotAuthorizedOrNotFound");

    let ns = c.post_json(
        "/20160918/tagNamespaces",
        &json!({"compartmentId": t, "name": "Ops", "description": "", "freeformTags": {"of": "namespace"}}),
    );
    assert_eq!(ns.status, 200);
    let ns_id = ns.json()["id"].as_str().unwrap().to_string();
    c.post_json(
        "/20160918/tagNamespaces",
        &json!({"compartmentId": t, "name": "ops", "description": ""}),
    )
    .assert_error(409, "NotAuthorizedOrResourceAlreadyExists");
    let tag = c.post_json(
        &format!("/20160918/tagNamespaces/{ns_id}/tags"),
        &json!({"name": "CostCenter", "description": ""}),
    );
    assert_eq!(tag.status, 200, "{}", String::from_utf8_lossy(&tag.body));
    let tag = tag.json();
    assert_eq!(tag["tagNamespaceName"], "Ops");
    assert_eq!(tag["tagNamespaceId"], ns_id.as_str());
    assert_eq!(tag["compartmentId"], t);
    assert_eq!(tag["isRetired"], false);
    assert_eq!(
        tag["freeformTags"],
        json!({}),
        "a tag does not take its namespace's tags"
    );
    let tag_path = format!("/20160918/tagNamespaces/{ns_id}/tags/CostCenter");
    assert_eq!(c.get(&tag_path).json()["id"], tag["id"]);
    let default = c.post_json(
        "/20160918/tagDefaults",
        &json!({"compartmentId": t, "tagDefinitionId": tag["id"], "value": "42"}),
    );
    assert_eq!(default.status, 200);
    assert_eq!(default.json()["tagDefinitionName"], "CostCenter");
    assert_eq!(default.json()["tagNamespaceId"], ns_id.as_str());

    c.delete(&format!("/20160918/tagNamespaces/{ns_id}"))
        .assert_error(409, "Conflict");
    c.delete(&tag_path).assert_error(409, "Conflict");
    let retired = c.put_json(&tag_path, &json!({"isRetired": true}));
    assert_eq!(retired.json()["isRetired"], true);
    assert_eq!(c.delete(&tag_path).status, 204);
    assert_eq!(
        c.delete(&format!("/20160918/tagNamespaces/{ns_id}")).status,
        204
    );
}

#[test]
fn identity_providers_are_polymorphic() {
    let emu = common::emulator();
    let c = Client::new(&emu);
    let t = emu.tenancy_id();
    let body = json!({"protocol": "SAML2", "compartmentId": t, "name": "idcs", "description": "",
        "productType": "IDCS", "metadataUrl": "https://idcs.example/metadata", "metadata": "<xml/>"});
    let idp = c.post_json("/20160918/identityProviders", &body);
    assert_eq!(idp.status, 200, "{}", String::from_utf8_lossy(&idp.body));
    assert_eq!(idp.json()["metadataUrl"], "https://idcs.example/metadata");
    let id = idp.json()["id"].as_str().unwrap().to_string();
    let mut other = body.clone();
    other["protocol"] = json!("LDAP");
    c.post_json("/20160918/identityProviders", &other)
        .assert_error(400, "InvalidParameter");
    let mut elsewhere = body.clone();
    elsewhere["name"] = json!("x");
    elsewhere["compartmentId"] = json!("ocid1.compartment.oc1..x");
    c.post_json("/20160918/identityProviders", &elsewhere)
        .assert_error(400, "InvalidParameter");
    c.get(&format!("/20160918/identityProviders?compartmentId={t}"))
        .assert_error(400, "MissingParameter");
    let listed = all_pages(
        &c,
        &format!("/20160918/identityProviders?compartmentId={t}&protocol=SAML2"),
    );
    assert_eq!(listed[0]["metadataUrl"], "https://idcs.example/metadata");

    let group = c.post_json(
        "/20160918/groups",
        &json!({"compartmentId": t, "name": "g", "description": ""}),
    );
    let gid = group.json()["id"].as_str().unwrap().to_string();
    let mapping = c.post_json(
        &format!("/20160918/identityProviders/{id}/groupMappings"),
        &json!({"idpGroupName": "admins", "groupId": gid}),
    );
    assert_eq!(mapping.status, 200);
    assert_eq!(mapping.json()["idpId"], id.as_str());
    c.post_json(
        &format!("/20160918/identityProviders/{id}/groupMappings"),
        &json!({"idpGroupName": "admins", "groupId": "ocid1.group.oc1..none"}),
    )
    .assert_error(400, "RelatedResourceNotAuthorizedOrNotFound");
    c.delete(&format!("/20160918/identityProviders/{id}"))
        .assert_error(409, "Conflict");
}
