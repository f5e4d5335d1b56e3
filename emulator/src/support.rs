//! How the emulator serves each operation of the API model: by a hand-written handler (real),
//! by the model-driven Identity engine (generic), or with `501 NotImplemented` naming it. The
//! README's operation table is [`operations_table`]; a test keeps the two equal, and another
//! sends every operation to an emulator to check the classification against the answers.

use crate::identity::generic;
use crate::model;

/// The operations with a hand-written handler in `server::run`, by service.
pub(crate) const REAL: &[(&str, &str)] = &[
    ("identity", "AddUserToGroup"),
    ("identity", "CreateGroup"),
    ("identity", "CreateUser"),
    ("identity", "DeleteGroup"),
    ("identity", "DeleteUser"),
    ("identity", "GetGroup"),
    ("identity", "GetUser"),
    ("identity", "GetUserGroupMembership"),
    ("identity", "GetWorkRequest"),
    ("identity", "ListGroups"),
    ("identity", "ListUserGroupMemberships"),
    ("identity", "ListUsers"),
    ("identity", "ListWorkRequests"),
    ("identity", "RemoveUserFromGroup"),
    ("identity", "UpdateGroup"),
    ("identity", "UpdateUser"),
    ("object_storage", "AbortMultipartUpload"),
    ("object_storage", "CancelWorkRequest"),
    ("object_storage", "CommitMultipartUpload"),
    ("object_storage", "CopyObject"),
    ("object_storage", "CreateBucket"),
    ("object_storage", "CreateMultipartUpload"),
    ("object_storage", "CreatePreauthenticatedRequest"),
    ("object_storage", "CreateRetentionRule"),
    ("object_storage", "DeleteBucket"),
    ("object_storage", "DeleteObject"),
    ("object_storage", "DeleteObjectLifecyclePolicy"),
    ("object_storage", "DeletePreauthenticatedRequest"),
    ("object_storage", "DeleteRetentionRule"),
    ("object_storage", "GetBucket"),
    ("object_storage", "GetNamespace"),
    ("object_storage", "GetObject"),
    ("object_storage", "GetObjectLifecyclePolicy"),
    ("object_storage", "GetPreauthenticatedRequest"),
    ("object_storage", "GetRetentionRule"),
    ("object_storage", "GetWorkRequest"),
    ("object_storage", "HeadBucket"),
    ("object_storage", "HeadObject"),
    ("object_storage", "ListBuckets"),
    ("object_storage", "ListMultipartUploadParts"),
    ("object_storage", "ListMultipartUploads"),
    ("object_storage", "ListObjectVersions"),
    ("object_storage", "ListObjects"),
    ("object_storage", "ListPreauthenticatedRequests"),
    ("object_storage", "ListRetentionRules"),
    ("object_storage", "ListWorkRequestErrors"),
    ("object_storage", "ListWorkRequestLogs"),
    ("object_storage", "ListWorkRequests"),
    ("object_storage", "PutObject"),
    ("object_storage", "PutObjectLifecyclePolicy"),
    ("object_storage", "RenameObject"),
    ("object_storage", "UpdateBucket"),
    ("object_storage", "UpdateRetentionRule"),
    ("object_storage", "UploadPart"),
    ("secrets", "GetSecretBundle"),
    ("secrets", "GetSecretBundleByName"),
    ("secrets", "ListSecretBundleVersions"),
];

/// How the emulator serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Support {
    /// A hand-written handler with the service's behaviour.
    Real,
    /// The model-driven behaviour of conventional Identity resources (create, get, update,
    /// delete, list of a collection).
    Generic,
    /// `501 NotImplemented`, naming the operation.
    NotImplemented,
}

impl Support {
    /// The word used in the README's table: `real`, `generic`, `501`.
    pub fn label(self) -> &'static str {
        match self {
            Support::Real => "real",
            Support::Generic => "generic",
            Support::NotImplemented => "501",
        }
    }
}

/// One operation of the model and how the emulator serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationSupport {
    /// The service (`identity`, `object_storage`, `secrets`).
    pub service: &'static str,
    /// The operation's name in the API reference.
    pub operation: &'static str,
    /// Its HTTP method.
    pub method: &'static str,
    /// Its path template, with the service's version prefix.
    pub path: &'static str,
    /// How the emulator serves it.
    pub support: Support,
}

/// How `operation` of `service` is served.
pub(crate) fn support_of(service: &str, operation: &str) -> Support {
    if REAL.contains(&(service, operation)) {
        Support::Real
    } else if generic::lookup(service, operation).is_some() {
        Support::Generic
    } else {
        Support::NotImplemented
    }
}

/// Every operation of the API model (Identity, Object Storage, Secrets) and how the emulator
/// serves it, by service, then name.
pub fn operation_support() -> Vec<OperationSupport> {
    model::all_operations()
        .into_iter()
        .map(|o| OperationSupport {
            service: o.service.as_str(),
            operation: o.name.as_str(),
            method: o.method.as_str(),
            path: o.path.as_str(),
            support: support_of(&o.service, &o.name),
        })
        .collect()
}

fn service_title(service: &str) -> &str {
    match service {
        "identity" => "Identity",
        "object_storage" => "Object Storage",
        "secrets" => "Secrets",
        other => other,
    }
}

/// The README's operation table, in Markdown: per service, the counts, then one row per
/// operation (`real`, `generic` or `501`), generated from the API model.
pub fn operations_table() -> String {
    let all = operation_support();
    let mut out = String::new();
    out.push_str("| service | operations | real | generic | 501 |\n|---|---:|---:|---:|---:|\n");
    let mut services: Vec<&str> = all.iter().map(|o| o.service).collect();
    services.dedup();
    let count = |svc: Option<&str>, s: Option<Support>| {
        all.iter()
            .filter(|o| svc.is_none_or(|x| o.service == x) && s.is_none_or(|s| o.support == s))
            .count()
    };
    for svc in services.iter().copied().map(Some).chain([None]) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            svc.map_or("**all**", service_title),
            count(svc, None),
            count(svc, Some(Support::Real)),
            count(svc, Some(Support::Generic)),
            count(svc, Some(Support::NotImplemented)),
        ));
    }
    for svc in services {
        out.push_str(&format!(
            "\n#### {}\n\n| operation | method and path | emulator |\n|---|---|---|\n",
            service_title(svc)
        ));
        for o in all.iter().filter(|o| o.service == svc) {
            out.push_str(&format!(
                "| {} | `{} {}` | {} |\n",
                o.operation,
                o.method,
                o.path,
                o.support.label()
            ));
        }
    }
    out
}
