//! The OCI quickstart walkthrough with the blocking client.
//!
//! ```text
//! cargo run -p ocisdk-blocking --example quickstart [-- --config FILE --profile NAME --endpoint URL --users N]
//! ```
//!
//! With no `--config`/`--endpoint` it starts an embedded emulator and talks to that. Everything it
//! creates is deleted again, also when a step fails; any failure exits non-zero.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use ocisdk_blocking::{Client, IdentityClient, ObjectStorageClient};
use ocisdk_core::Error;
use ocisdk_core::identity::*;
use ocisdk_core::object_storage::*;

#[derive(Default)]
struct Args {
    config: Option<PathBuf>,
    profile: Option<String>,
    endpoint: Option<String>,
    users: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        users: 1,
        ..Default::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--config" => args.config = Some(PathBuf::from(value("--config")?)),
            "--profile" => args.profile = Some(value("--profile")?),
            "--endpoint" => args.endpoint = Some(value("--endpoint")?),
            "--users" => {
                let v = value("--users")?;
                args.users = v
                    .parse()
                    .map_err(|_| format!("--users wants a number, got {v:?}"))?;
                if args.users == 0 {
                    return Err("--users must be at least 1".into());
                }
            }
            "-h" | "--help" => {
                return Err(
                    "usage: quickstart [--config FILE] [--profile NAME] [--endpoint URL] [--users N]"
                        .into(),
                );
            }
            other => return Err(format!("unknown flag {other:?}; try --help")),
        }
    }
    Ok(args)
}

/// What the walkthrough created, so a failure can undo it in reverse order.
#[derive(Default)]
struct Created {
    group: Option<String>,
    users: Vec<String>,
    memberships: Vec<String>,
    bucket: Option<(String, String)>,
    object: Option<(String, String, String)>,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    // Keeps the embedded emulator (and its temp dir) alive for the whole run.
    let mut _emulator = None;
    let built = if args.config.is_none() && args.endpoint.is_none() {
        match start_emulator() {
            Ok((emulator, dir, client)) => {
                _emulator = Some((emulator, dir));
                Ok(client)
            }
            Err(e) => Err(e),
        }
    } else {
        build_client(&args)
    };
    let client = match built {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut created = Created::default();
    let result = walkthrough(&client, args.users, &mut created);
    cleanup(&client, &mut created);
    match result {
        Ok(()) => {
            println!("Quickstart complete.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Started = (ocisdk_emulator::Emulator, tempfile::TempDir, Client);

fn start_emulator() -> Result<Started, Box<dyn std::error::Error>> {
    let emulator = ocisdk_emulator::Emulator::start()?;
    let dir = tempfile::tempdir()?;
    let config = emulator.write_config(dir.path())?;
    println!("Started the embedded emulator at {}", emulator.url());
    println!("  config: {}", config.display());
    let client = Client::builder_from_config_file(Some(&config), None)?
        .endpoint(emulator.url())
        .build()?;
    Ok((emulator, dir, client))
}

fn build_client(args: &Args) -> Result<Client, Box<dyn std::error::Error>> {
    let mut builder =
        Client::builder_from_config_file(args.config.as_deref(), args.profile.as_deref())?;
    if let Some(endpoint) = &args.endpoint {
        builder = builder.endpoint(endpoint);
    }
    Ok(builder.build()?)
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}", nanos & 0xffff_ffff)
}

fn walkthrough(client: &Client, users: usize, created: &mut Created) -> Result<(), Error> {
    let identity = client.identity();
    let tenancy = client.tenancy().to_string();
    let suffix = unique_suffix();

    println!("\n== Identity ==");
    let group = identity.create_group(CreateGroup::new(
        &tenancy,
        format!("ocisdk-quickstart-group-{suffix}"),
        "Created by the ocisdk quickstart",
    ))?;
    created.group = Some(group.data.id.clone());
    println!(
        "Created group {} ({}): {:?}, etag {}, opc-request-id {}",
        group.data.name,
        group.data.id,
        group.data.lifecycle_state,
        group.etag.as_deref().unwrap_or("-"),
        group.opc_request_id.as_deref().unwrap_or("-"),
    );

    for i in 0..users {
        let mut request = CreateUser::new(
            &tenancy,
            format!("ocisdk-quickstart-user-{suffix}-{i}"),
            "Created by the ocisdk quickstart",
        );
        request.create_user_details.email = Some(format!("quickstart-{i}@example.com"));
        let user = identity.create_user(request)?;
        created.users.push(user.data.id.clone());
        println!(
            "Created user {} ({}): {:?}",
            user.data.name, user.data.id, user.data.lifecycle_state
        );
    }

    let first_user = created.users[0].clone();
    let membership =
        identity.add_user_to_group(AddUserToGroup::new(&first_user, &group.data.id))?;
    created.memberships.push(membership.data.id.clone());
    println!(
        "Added user {} to group {}: membership {} ({:?})",
        first_user, group.data.id, membership.data.id, membership.data.lifecycle_state
    );

    println!("Users in the tenancy, page by page:");
    let mut total = 0;
    for (n, page) in identity.pages(ListUsers::new(&tenancy)).enumerate() {
        let page = page?;
        total += page.data.len();
        println!(
            "  page {}: {} user(s){}",
            n + 1,
            page.data.len(),
            page.next_page
                .as_deref()
                .map(|t| format!(", opc-next-page {t}"))
                .unwrap_or_default()
        );
        for user in &page.data {
            println!("    {} {}", user.name, user.id);
        }
    }
    println!("  {total} user(s) in all");

    for id in std::mem::take(&mut created.memberships) {
        let r = identity.remove_user_from_group(RemoveUserFromGroup::new(&id))?;
        println!("Removed membership {id}: {}", r.status.as_u16());
    }
    for id in std::mem::take(&mut created.users) {
        let r = identity.delete_user(DeleteUser::new(&id))?;
        println!("Deleted user {id}: {}", r.status.as_u16());
    }
    if let Some(id) = created.group.take() {
        let r = identity.delete_group(DeleteGroup::new(&id))?;
        println!("Deleted group {id}: {}", r.status.as_u16());
    }

    println!("\n== Object Storage ==");
    let os = client.object_storage();
    let namespace = os.get_namespace(GetNamespace::new())?.data;
    println!("Namespace: {namespace}");
    let bucket_name = format!("ocisdk-quickstart-bucket-{suffix}");
    let bucket = os.create_bucket(CreateBucket::new(&namespace, &bucket_name, &tenancy))?;
    created.bucket = Some((namespace.clone(), bucket_name.clone()));
    println!(
        "Created bucket {}: etag {}",
        bucket.data.name,
        bucket.etag.as_deref().unwrap_or(&bucket.data.etag)
    );

    let content = b"Hello from the ocisdk quickstart!";
    let object_name = "quickstart/hello.txt";
    let mut put = PutObject::new(&namespace, &bucket_name, object_name, content.len() as u64);
    put.content_type = Some("text/plain".into());
    let put = os.put_object(put, &content[..])?;
    created.object = Some((
        namespace.clone(),
        bucket_name.clone(),
        object_name.to_string(),
    ));
    println!(
        "Put object {object_name}: {} bytes, etag {}, opc-content-md5 {}",
        content.len(),
        put.data.etag.as_deref().unwrap_or("-"),
        put.data.opc_content_md5.as_deref().unwrap_or("-")
    );

    let mut got = os.get_object(GetObject::new(&namespace, &bucket_name, object_name))?;
    let mut body = Vec::new();
    got.read_to_end(&mut body).map_err(|e| {
        Error::Transport(ocisdk_core::error::TransportError::new(
            ocisdk_core::error::TransportErrorKind::Io,
            format!("reading {object_name}: {e}"),
        ))
    })?;
    println!(
        "Got object {object_name}: {:?} ({} bytes, content-type {})",
        String::from_utf8_lossy(&body),
        body.len(),
        got.meta.data.content_type.as_deref().unwrap_or("-")
    );
    if body != content {
        return Err(Error::Misuse(
            "the object read back differs from what was put",
        ));
    }
    cleanup_objects(&os, created)?;
    Ok(())
}

fn cleanup_objects(os: &ObjectStorageClient, created: &mut Created) -> Result<(), Error> {
    if let Some((ns, bucket, name)) = created.object.take() {
        let r = os.delete_object(DeleteObject::new(&ns, &bucket, &name))?;
        println!("Deleted object {name}: {}", r.status.as_u16());
    }
    if let Some((ns, bucket)) = created.bucket.take() {
        let r = os.delete_bucket(DeleteBucket::new(&ns, &bucket))?;
        println!("Deleted bucket {bucket}: {}", r.status.as_u16());
    }
    Ok(())
}

/// Best-effort undo after a failure; reports but does not stop on errors.
fn cleanup(client: &Client, created: &mut Created) {
    let identity: IdentityClient = client.identity();
    let os = client.object_storage();
    if let Err(e) = cleanup_objects(&os, created) {
        eprintln!("cleanup: {e}");
    }
    for id in std::mem::take(&mut created.memberships) {
        if let Err(e) = identity.remove_user_from_group(RemoveUserFromGroup::new(&id)) {
            eprintln!("cleanup: {e}");
        }
    }
    for id in std::mem::take(&mut created.users) {
        if let Err(e) = identity.delete_user(DeleteUser::new(&id)) {
            eprintln!("cleanup: {e}");
        }
    }
    if let Some(id) = created.group.take()
        && let Err(e) = identity.delete_group(DeleteGroup::new(&id))
    {
        eprintln!("cleanup: {e}");
    }
}
