//! Region lookups, endpoints, source parsing and resolution, through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const SYD_METADATA: &str = r#"{"realmKey":"OC1","realmDomainComponent":"oraclecloud.com","regionKey":"SYD","regionIdentifier":"ap-sydney-1"}"#;

fn sources<'a>(
    regions_config: Option<&'a str>,
    region_metadata: Option<&'a str>,
    default_realm: Option<&'a str>,
) -> RegionSources<'a> {
    RegionSources {
        regions_config,
        region_metadata,
        default_realm,
    }
}

#[test]
fn short_codes_and_ids() {
    let iad = Region::from_table("iad").unwrap();
    assert_eq!(iad.id(), "us-ashburn-1");
    assert_eq!(iad.code(), "iad");
    assert_eq!(iad.realm().key(), "oc1");
    assert_eq!(iad.realm().domain(), "oraclecloud.com");
    assert_eq!(Region::from_table("PHX").unwrap().id(), "us-phoenix-1");
    assert_eq!(Region::from_table("US-Phoenix-1").unwrap().code(), "phx");
    assert_eq!(
        Region::from_table("sa-riodejaneiro-1").unwrap().code(),
        "hnw"
    );
    assert!(Region::from_table("xx-newcity-1").is_none());
    assert!(Region::from_table("").is_none());
}

#[test]
fn gov_and_sovereign_realms() {
    let langley = Region::from_table("lfi").unwrap();
    assert_eq!(langley.id(), "us-langley-1");
    assert_eq!(langley.realm().key(), "oc2");
    assert_eq!(langley.realm().domain(), "oraclegovcloud.com");
    let gov = Region::from_table("us-gov-ashburn-1").unwrap();
    assert_eq!(gov.code(), "ric");
    assert_eq!(gov.realm().key(), "oc3");
    assert_eq!(
        gov.identity_endpoint(),
        "https://identity.us-gov-ashburn-1.oci.oraclegovcloud.com"
    );
    let uk = Region::from_table("ltn").unwrap();
    assert_eq!(uk.realm().domain(), "oraclegovcloud.uk");
    let eu = Region::from_table("eu-frankfurt-2").unwrap();
    assert_eq!(eu.realm().key(), "oc19");
    assert_eq!(
        eu.object_storage_endpoint(),
        "https://objectstorage.eu-frankfurt-2.oraclecloud.eu"
    );
    assert_eq!(
        Realm::from_key("OC52").unwrap().domain(),
        "oraclecloud52.com"
    );
}

#[test]
fn endpoints() {
    let fra = Region::from_table("eu-frankfurt-1").unwrap();
    assert_eq!(
        fra.identity_endpoint(),
        "https://identity.eu-frankfurt-1.oci.oraclecloud.com"
    );
    assert_eq!(
        fra.object_storage_endpoint(),
        "https://objectstorage.eu-frankfurt-1.oraclecloud.com"
    );
    assert_eq!(
        fra.endpoint("iaas"),
        "https://iaas.eu-frankfurt-1.oraclecloud.com"
    );
    assert_eq!(fra.to_string(), "eu-frankfurt-1");
    assert_eq!(fra.realm().to_string(), "oc1");
}

#[test]
fn from_str() {
    assert_eq!("fra".parse::<Region>().unwrap().id(), "eu-frankfurt-1");
    let new: Region = "xx-newcity-1".parse().unwrap();
    assert_eq!(new.realm().key(), "oc1");
    assert!("not a region".parse::<Region>().is_err());
}

#[test]
fn parse_sources() {
    let m = parse_region_metadata(SYD_METADATA).unwrap();
    assert_eq!(m.region_key, "SYD");
    assert_eq!(m.to_region(), Region::from_table("syd").unwrap());
    let list = parse_regions_config(&format!("[{SYD_METADATA}]")).unwrap();
    assert_eq!(list, vec![m]);
    assert!(parse_regions_config("[]").unwrap().is_empty());
}

#[test]
fn regions_config_resolution() {
    let config = r#"[
        {"realmKey":"OC99","realmDomainComponent":"example.cloud","regionKey":"NEW","regionIdentifier":"xx-newcity-1"},
        {"realmKey":"oc1","realmDomainComponent":"oraclecloud.com","regionKey":"ZZZ","regionIdentifier":"zz-other-1"}
    ]"#;
    let s = sources(Some(config), None, None);
    for name in ["xx-newcity-1", "XX-NewCity-1", "new", "NEW"] {
        let r = resolve_region(name, &s).unwrap();
        assert_eq!(r.id(), "xx-newcity-1");
        assert_eq!(r.code(), "new");
        assert_eq!(r.realm(), &Realm::new("oc99", "example.cloud"));
        assert_eq!(
            r.identity_endpoint(),
            "https://identity.xx-newcity-1.oci.example.cloud"
        );
    }
    assert_eq!(resolve_region("zzz", &s).unwrap().id(), "zz-other-1");
    // The built-in table wins, and later sources are not even parsed.
    let broken = sources(Some("{"), Some("{"), Some("oc99"));
    assert_eq!(resolve_region("iad", &broken).unwrap().id(), "us-ashburn-1");
}

#[test]
fn region_metadata_resolution() {
    let meta = r#"{"realmKey":"OC77","realmDomainComponent":"Example.Cloud","regionKey":"nwc","regionIdentifier":"xx-newcity-1"}"#;
    let r = resolve_region("NWC", &sources(None, Some(meta), None)).unwrap();
    assert_eq!(r.id(), "xx-newcity-1");
    assert_eq!(r.realm().key(), "oc77");
    assert_eq!(r.realm().domain(), "example.cloud");
    // regions-config comes first.
    let config = r#"[{"realmKey":"oc5","realmDomainComponent":"first.example","regionKey":"nwc","regionIdentifier":"xx-newcity-1"}]"#;
    let r = resolve_region("xx-newcity-1", &sources(Some(config), Some(meta), None)).unwrap();
    assert_eq!(r.realm().domain(), "first.example");
    // Config without a match falls through to the metadata.
    let r = resolve_region("nwc", &sources(Some("[]"), Some(meta), None)).unwrap();
    assert_eq!(r.realm().key(), "oc77");
}

#[test]
fn default_realm_fallback() {
    let r = resolve_region("xx-newcity-1", &RegionSources::default()).unwrap();
    assert_eq!(r.id(), "xx-newcity-1");
    assert_eq!(r.realm(), &Realm::from_key("oc1").unwrap());
    assert_eq!(
        r.object_storage_endpoint(),
        "https://objectstorage.xx-newcity-1.oraclecloud.com"
    );
    // Metadata for another region does not capture the name.
    let r = resolve_region(
        "xx-newcity-1",
        &sources(None, Some(SYD_METADATA), Some("OC19")),
    )
    .unwrap();
    assert_eq!(r.realm().domain(), "oraclecloud.eu");
    // The official SDKs' form: a domain.
    let r = resolve_region(
        "us-gov-newcity-2",
        &sources(None, None, Some("example.cloud")),
    )
    .unwrap();
    assert_eq!(r.realm(), &Realm::new("unknown", "example.cloud"));
    let r = resolve_region("xx-newcity-1", &sources(None, None, Some("oraclecloud.uk"))).unwrap();
    assert_eq!(r.realm().domain(), "oraclecloud.uk");
    let r = resolve_region(
        "xx-newcity-1",
        &sources(None, None, Some("oraclegovcloud.uk")),
    )
    .unwrap();
    assert_eq!(r.realm().key(), "oc4");
    let r = resolve_region("XX-NEWCITY-1", &sources(None, None, Some("  "))).unwrap();
    assert_eq!(r.id(), "xx-newcity-1");
    assert_eq!(r.realm().key(), "oc1");
}

#[test]
fn unknown_default_realm() {
    let err = resolve_region("xx-newcity-1", &sources(None, None, Some("oc99"))).unwrap_err();
    assert_eq!(err, RegionError::UnknownRealm { key: "oc99".into() });
    let msg = err.to_string();
    assert!(msg.contains("\"oc99\""), "{msg}");
    assert!(msg.contains("OCI_DEFAULT_REALM"), "{msg}");
    assert!(msg.contains("oc1, oc2"), "{msg}");
}

#[test]
fn unknown_names() {
    for name in [
        "",
        " ",
        "not a region",
        "FOO",
        "us-ashburn",
        "-1",
        "us--1",
        "us-x-",
        "iad1",
        "us-ashburn-1x",
    ] {
        match resolve_region(name, &RegionSources::default()) {
            Err(RegionError::Unknown { name: n, hint }) => {
                assert_eq!(n, name);
                assert!(hint.contains("OCI_REGION_METADATA"), "{hint}");
            }
            other => panic!("{name:?}: {other:?}"),
        }
    }
    let err = resolve_region("us-ashburn", &RegionSources::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("unknown region \"us-ashburn\": did you mean us-ashburn-1"),
        "{msg}"
    );
    assert!(msg.contains("OCI_REGION_METADATA"), "{msg}");
    assert!(msg.contains("regions-config.json"), "{msg}");
    let msg = resolve_region(" eu-frankfurt-1 ", &RegionSources::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("did you mean eu-frankfurt-1"), "{msg}");
    // Nothing close: regions sharing the prefix.
    let msg = resolve_region("ap-nowhere-xyz", &RegionSources::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("did you mean ap-chuncheon-1"), "{msg}");
    let msg = resolve_region("not a region", &RegionSources::default())
        .unwrap_err()
        .to_string();
    assert!(!msg.contains("did you mean"), "{msg}");
}

#[test]
fn malformed_sources() {
    let err = resolve_region("xx-newcity-1", &sources(Some("{not json"), None, None)).unwrap_err();
    match &err {
        RegionError::Malformed { origin, .. } => assert_eq!(origin, REGIONS_CONFIG_SOURCE),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("malformed region metadata in ~/.oci/regions-config.json: ")
    );

    let err = resolve_region("xx-newcity-1", &sources(None, Some("[1]"), None)).unwrap_err();
    assert!(
        matches!(&err, RegionError::Malformed { origin, .. } if origin == "OCI_REGION_METADATA")
    );

    // A single object where an array is expected, and vice versa.
    assert!(parse_regions_config(SYD_METADATA).is_err());
    assert!(parse_region_metadata(&format!("[{SYD_METADATA}]")).is_err());

    let missing = r#"{"realmKey":"oc1","regionKey":"syd","regionIdentifier":"ap-sydney-1"}"#;
    let msg = parse_region_metadata(missing).unwrap_err().to_string();
    assert!(
        msg.contains("OCI_REGION_METADATA") && msg.contains("realmDomainComponent"),
        "{msg}"
    );

    let empty = r#"[{"realmKey":"oc1","realmDomainComponent":"oraclecloud.com","regionKey":"","regionIdentifier":"x"}]"#;
    assert_eq!(
        parse_regions_config(empty).unwrap_err(),
        RegionError::Malformed {
            origin: REGIONS_CONFIG_SOURCE.into(),
            reason: "entry 0: regionKey is empty".into()
        }
    );
    // Blank texts count as absent, as an empty environment variable does in the official SDKs.
    assert!(resolve_region("xx-newcity-1", &sources(Some(""), Some(" "), None)).is_ok());
}

/// The emulator's profiles name a region that resolves from nowhere, not even from a regions
/// config that lists it, and the error says what to do.
#[test]
fn the_emulator_region_never_resolves() {
    let listed = r#"[{"realmKey":"OC1","realmDomainComponent":"oraclecloud.com","regionKey":"EMU","regionIdentifier":"ocisdk-emulator"}]"#;
    for s in [
        RegionSources::default(),
        sources(Some(listed), None, Some("oc1")),
    ] {
        for name in [EMULATOR_REGION, "OCISDK-EMULATOR"] {
            let msg = resolve_region(name, &s).unwrap_err().to_string();
            assert!(msg.contains("ocisdk-emulator"), "{msg}");
            assert!(msg.contains("endpoint"), "{msg}");
        }
    }
}
