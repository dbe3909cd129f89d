//! Which credentials a run uses, remembered so that when AWS refuses them
//! the message can say where they came from and how to refresh them.

use std::sync::OnceLock;

/// Where this run's credentials come from, as `--profile` said, or the
/// environment.
static CREDENTIAL_SOURCE: OnceLock<Option<String>> = OnceLock::new();

/// Remembers `--profile`, for the hint when AWS refuses the credentials.
pub fn remember_credential_source(profile: Option<&str>) {
    let _ = CREDENTIAL_SOURCE.set(profile.map(str::to_string));
}

/// Which credentials AWS refused and how to refresh them, in words.
pub fn credentials_hint() -> String {
    let flag = CREDENTIAL_SOURCE.get().cloned().flatten();
    let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let keys_in_env = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
    match (flag, env_profile) {
        (Some(profile), _) => format!(
            "they came from profile `{profile}` (--profile): run `aws sso login --profile {profile}` if it uses SSO, or renew its keys with `aws configure --profile {profile}`, then run again"
        ),
        (None, _) if keys_in_env => "they came from the environment (AWS_ACCESS_KEY_ID): set fresh AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or unset them to use a profile), then run again".to_string(),
        (None, Some(profile)) => format!(
            "they came from profile `{profile}` (AWS_PROFILE): run `aws sso login --profile {profile}` if it uses SSO, or renew its keys with `aws configure --profile {profile}`, then run again"
        ),
        (None, None) => "they came from the default chain (the default profile, SSO, or the instance or container role): run `aws sso login` or `aws configure`, or pass --profile, then run again".to_string(),
    }
}
