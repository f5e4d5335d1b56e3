//! Names: OCI's PascalCase and snake_case into Rust items, keywords escaped.

/// Rust keywords (strict and reserved) that cannot be identifiers as they are.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized",
    "use", "virtual", "where", "while", "yield",
];

/// A snake_case identifier as Rust code: keywords as raw identifiers (`r#type`).
pub fn ident(snake: &str) -> String {
    if snake == "self" || snake == "Self" || snake == "crate" || snake == "super" {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake) {
        format!("r#{snake}")
    } else {
        snake.to_string()
    }
}

/// `CreateUser` → `create_user`; `OAuth2ClientCredential` → `o_auth2_client_credential`.
pub fn snake(pascal: &str) -> String {
    let chars: Vec<char> = pascal.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                Some(_) => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// `sort_by` → `SortBy`.
pub fn pascal(snake: &str) -> String {
    snake
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(capitalize)
        .collect()
}

fn capitalize(part: &str) -> String {
    let mut chars = part.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// An enum value as a variant name: `CREATING` → `Creating`, `InfrequentAccess` stays,
/// `ssh-rsa` → `SshRsa`, `2048` → `V2048`.
pub fn variant(value: &str) -> String {
    let mut out = String::new();
    for part in value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let all_upper = part
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if all_upper {
            let lower = part.to_ascii_lowercase();
            out.push_str(&capitalize(&lower));
        } else {
            out.push_str(&capitalize(part));
        }
    }
    if out.is_empty() {
        out.push_str("Empty");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "UnknownValue" || out == "Self" {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("CreateUser"), "create_user");
        assert_eq!(snake("OAuth2ClientCredential"), "o_auth2_client_credential");
        assert_eq!(snake("ListObjects"), "list_objects");
        assert_eq!(snake("IAMWorkRequest"), "iam_work_request");
        assert_eq!(pascal("sort_by"), "SortBy");
        assert_eq!(variant("CREATING"), "Creating");
        assert_eq!(variant("InfrequentAccess"), "InfrequentAccess");
        assert_eq!(variant("ssh-rsa"), "SshRsa");
        assert_eq!(variant("2048"), "V2048");
        assert_eq!(ident("type"), "r#type");
    }
}
