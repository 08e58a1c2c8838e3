//! Vigil exceptions: the team's own "this is expected here" decisions, kept beside the rules.
//!
//! An exception is a Sigma filter document (so it matches with the same engine and modifiers as
//! the rules it silences) that must also say why (`description`), who decided (`author`), and
//! may say until when (`expires: YYYY-MM-DD`). An exception without a reason or owner is
//! rejected; an expired one is reported and not applied, so a silenced rule comes back by
//! itself.

use rsigma_parser::FilterRule;

use crate::rules::{Rejection, RulePack};

/// An exception that was not applied because its date has passed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expired {
    pub file: String,
    pub title: String,
    pub expires: String,
}

/// Loads exceptions from YAML text into the pack's filters. `today` is `YYYY-MM-DD`.
pub fn add_exceptions(pack: &mut RulePack, file: &str, text: &str, today: &str) -> Vec<Expired> {
    let mut expired = Vec::new();
    let coll = match rsigma_parser::parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            pack.rejected.push(rejection(file, None, format!("exception file cannot be parsed: {e}")));
            return expired;
        }
    };
    for e in &coll.errors {
        pack.rejected.push(rejection(file, None, format!("exception: {e}")));
    }
    for r in &coll.rules {
        pack.rejected.push(rejection(
            file,
            Some(r.title.clone()),
            "a detection rule in an exceptions file; exceptions are filter documents".into(),
        ));
    }
    for c in &coll.correlations {
        pack.rejected.push(rejection(
            file,
            Some(c.title.clone()),
            "a correlation in an exceptions file; exceptions are filter documents".into(),
        ));
    }
    for f in coll.filters {
        match check(&f, today) {
            Err(why) => pack.rejected.push(rejection(file, Some(f.title.clone()), why)),
            Ok(Some(date)) => expired.push(Expired { file: file.to_string(), title: f.title.clone(), expires: date }),
            Ok(None) => pack.filters.push((file.to_string(), f)),
        }
    }
    expired
}

/// `Ok(Some(date))` when expired, `Ok(None)` when it applies.
fn check(f: &FilterRule, today: &str) -> Result<Option<String>, String> {
    if f.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
        return Err("an exception must say why (description)".into());
    }
    if f.author.as_deref().is_none_or(|d| d.trim().is_empty()) {
        return Err("an exception must name who decided it (author)".into());
    }
    let Some(exp) = f.custom_attributes.get("expires") else { return Ok(None) };
    let Some(date) = exp.as_str().map(|d| d.trim().to_string()) else {
        return Err(format!("expires must be a date YYYY-MM-DD, not {exp:?}"));
    };
    let valid = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !valid {
        return Err(format!("expires must be a date YYYY-MM-DD, not {date:?}"));
    }
    Ok((date.as_str() < today).then_some(date))
}

fn rejection(file: &str, title: Option<String>, reason: String) -> Rejection {
    Rejection { file: file.to_string(), rule_id: None, title, reason }
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}
