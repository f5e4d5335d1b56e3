//! The OCI quickstart walkthrough with the async client.
//!
//! ```text
//! cargo run -p ocisdk-hyper --example quickstart [-- --config FILE --profile NAME --endpoint URL --users N]
//! ```
//!
//! With no `--config`/`--endpoint` it starts an embedded emulator and talks to that. Everything it
//! creates is deleted again, also when a step fails; any failure exits non-zero.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use ocisdk_core::Error;
use ocisdk_hyper::Client;
use ocisdk_identity::*;
use ocisdk_object_storage::*;

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

#[tokio::main]
async fn main() -> ExitCode {
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
    let result = walkthrough(&client, args.users, &mut created).await;
    cleanup(&client, &mut created).await;
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

/// The steps of the official quickstart (the Python SDK's "CRUD operations and Pagination" and
/// "Working with Bytes"), one for one, each request sent with the client's generic `send`
/// (`IdentityClient::new(client).create_group(..)` sends the same; the blocking quickstart
/// shows that form).
async fn walkthrough(client: &Client, users: usize, created: &mut Created) -> Result<(), Error> {
    let compartment_id = client.tenancy().to_string();
    let suffix = unique_suffix();

    println!("\n== Creating entities ==");
    let request = CreateGroupDetails::new(
        &compartment_id,
        format!("ocisdk-quickstart-group-{suffix}"),
        "Created with the ocisdk quickstart",
    );
    let group = client.send(CreateGroup::new(request)).await?;
    created.group = Some(group.data.id.clone());
    println!(
        "Created group {} ({}): {}, etag {}, opc-request-id {}",
        group.data.name,
        group.data.id,
        group.data.lifecycle_state,
        group.etag.as_deref().unwrap_or("-"),
        group.opc_request_id.as_deref().unwrap_or("-"),
    );

    for i in 0..users {
        let request = CreateUserDetails::new(
            &compartment_id,
            format!("ocisdk-quickstart-user-{suffix}-{i}"),
            "Created with the ocisdk quickstart",
        )
        .email(format!("quickstart-{i}@example.com"));
        let user = client.send(CreateUser::new(request)).await?;
        created.users.push(user.data.id.clone());
        println!(
            "Created user {} ({}): {}",
            user.data.name, user.data.id, user.data.lifecycle_state
        );
    }

    let user_id = created.users[0].clone();
    let request = AddUserToGroupDetails::new(&user_id, &group.data.id);
    let response = client.send(AddUserToGroup::new(request)).await?;
    println!(
        "Added user {user_id} to group {}: status {}",
        group.data.id,
        response.status.as_u16()
    );

    println!("\n== Listing with pagination ==");
    let first_page = client.send(ListUsers::new(&compartment_id)).await?;
    println!(
        "First page: {} user(s), has_next_page {}, next_page {}",
        first_page.data.len(),
        first_page.has_next_page(),
        first_page.next_page.as_deref().unwrap_or("-")
    );
    let mut total = 0;
    let mut all_users = client.paginate(ListUsers::new(&compartment_id));
    while let Some(user) = all_users.next().await {
        let user = user?;
        total += 1;
        println!("  {} {}", user.name, user.id);
    }
    println!("{total} user(s) in all, across pages");

    println!("\n== Deleting entities ==");
    // Users and groups can have any number of memberships: find this one by both ids.
    let memberships = client
        .send(
            ListUserGroupMemberships::new(&compartment_id)
                .user_id(&user_id)
                .group_id(&group.data.id),
        )
        .await?;
    if memberships.data.len() != 1 {
        return Err(Error::Misuse(
            "there must be exactly one membership for a user and a group",
        ));
    }
    let membership_id = memberships.data[0].id.clone();
    let status = client
        .send(RemoveUserFromGroup::new(&membership_id))
        .await?
        .status;
    println!("Removed membership {membership_id}: {}", status.as_u16());
    for id in std::mem::take(&mut created.users) {
        let status = client.send(DeleteUser::new(&id)).await?.status;
        println!("Deleted user {id}: {}", status.as_u16());
    }
    if let Some(id) = created.group.take() {
        let status = client.send(DeleteGroup::new(&id)).await?.status;
        println!("Deleted group {id}: {}", status.as_u16());
    }

    println!("\n== Working with bytes ==");
    let namespace = client.send(GetNamespace::new()).await?.data;
    println!("Namespace: {namespace}");
    let request = CreateBucketDetails::new(
        format!("ocisdk-quickstart-bucket-{suffix}"),
        &compartment_id,
    );
    let bucket = client.send(CreateBucket::new(&namespace, request)).await?;
    created.bucket = Some((namespace.clone(), bucket.data.name.clone()));
    println!(
        "Created bucket {}: etag {}",
        bucket.data.name, bucket.data.etag
    );

    let my_data = b"Hello, World!";
    let object_name = "my-object-name";
    let put = PutObject::new(
        &namespace,
        &bucket.data.name,
        object_name,
        my_data.len() as u64,
    );
    let obj = client.send_upload(put, &my_data[..]).await?;
    created.object = Some((
        namespace.clone(),
        bucket.data.name.clone(),
        object_name.to_string(),
    ));
    println!(
        "Put {object_name}: etag {}, opc-content-md5 {}",
        obj.data.etag.as_deref().unwrap_or("-"),
        obj.data.opc_content_md5.as_deref().unwrap_or("-")
    );

    let same_obj = client
        .send_download(GetObject::new(&namespace, &bucket.data.name, object_name))
        .await?;
    let status = same_obj.meta.status;
    let content = same_obj.body.bytes().await.map_err(|e| {
        Error::Transport(ocisdk_core::error::TransportError::from_io(
            &e,
            "reading the object",
        ))
    })?;
    println!(
        "Got {object_name}: status {}, content {:?}",
        status.as_u16(),
        String::from_utf8_lossy(&content)
    );
    if &content[..] != my_data {
        return Err(Error::Misuse(
            "the object read back differs from what was put",
        ));
    }
    cleanup_objects(client, created).await?;
    Ok(())
}

async fn cleanup_objects(client: &Client, created: &mut Created) -> Result<(), Error> {
    if let Some((ns, bucket, name)) = created.object.take() {
        let r = client.send(DeleteObject::new(&ns, &bucket, &name)).await?;
        println!("Deleted object {name}: {}", r.status.as_u16());
    }
    if let Some((ns, bucket)) = created.bucket.take() {
        let r = client.send(DeleteBucket::new(&ns, &bucket)).await?;
        println!("Deleted bucket {bucket}: {}", r.status.as_u16());
    }
    Ok(())
}

/// Best-effort undo after a failure; reports but does not stop on errors.
async fn cleanup(client: &Client, created: &mut Created) {
    if let Err(e) = cleanup_objects(client, created).await {
        eprintln!("cleanup: {e}");
    }
    for id in std::mem::take(&mut created.memberships) {
        if let Err(e) = client.send(RemoveUserFromGroup::new(&id)).await {
            eprintln!("cleanup: {e}");
        }
    }
    for id in std::mem::take(&mut created.users) {
        if let Err(e) = client.send(DeleteUser::new(&id)).await {
            eprintln!("cleanup: {e}");
        }
    }
    if let Some(id) = created.group.take()
        && let Err(e) = client.send(DeleteGroup::new(&id)).await
    {
        eprintln!("cleanup: {e}");
    }
}
