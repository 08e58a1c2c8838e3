//! `{{ path }}` templates and `when:` conditions, evaluated against a JSON context
//! (`case`, `incident`, `entity`, `inputs`, `steps`, `verdict`, `risk`, `severity`).

use serde_json::Value;

/// Looks a dotted path up in the context (`entity.user`, `steps.ticket.output.key`).
pub fn lookup<'a>(ctx: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = ctx;
    for part in path.split('.') {
        v = match v {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The `{{ … }}` references in a string.
pub fn references(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        out.push(after[..j].trim().to_string());
        rest = &after[j + 2..];
    }
    out
}

/// Renders a string: each `{{ path }}` is replaced by the value at that path. A string that
/// is exactly one reference keeps the value's JSON type. An unknown path is an error naming it.
pub fn render_str(s: &str, ctx: &Value) -> Result<Value, String> {
    let refs = references(s);
    let trimmed = s.trim();
    if refs.len() == 1
        && trimmed.starts_with("{{")
        && trimmed.ends_with("}}")
        && trimmed[2..trimmed.len() - 2].find("{{").is_none()
    {
        return lookup(ctx, &refs[0]).cloned().ok_or_else(|| format!("`{}` is not known here", refs[0]));
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            return Err(format!("unclosed `{{{{` in {s:?}"));
        };
        let path = after[..j].trim();
        let v = lookup(ctx, path).ok_or_else(|| format!("`{path}` is not known here"))?;
        out.push_str(&as_text(v));
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

/// Renders every string inside a JSON value.
pub fn render(v: &Value, ctx: &Value) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => render_str(s, ctx)?,
        Value::Array(a) => Value::Array(a.iter().map(|x| render(x, ctx)).collect::<Result<_, _>>()?),
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                out.insert(k.clone(), render(x, ctx)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(String),
    Str(String),
    Num(f64),
    List(Vec<Operand>),
}

fn parse_operand(s: &str) -> Result<Operand, String> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        return Ok(Operand::List(
            inner.split(',').filter(|x| !x.trim().is_empty()).map(parse_operand).collect::<Result<_, _>>()?,
        ));
    }
    if (s.starts_with('\'') && s.ends_with('\'') && s.len() >= 2)
        || (s.starts_with('"') && s.ends_with('"') && s.len() >= 2)
    {
        return Ok(Operand::Str(s[1..s.len() - 1].to_string()));
    }
    if let Ok(n) = s.parse::<f64>() {
        return Ok(Operand::Num(n));
    }
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
        return Ok(Operand::Path(s.to_string()));
    }
    Err(format!("cannot read {s:?} (a path, a 'string', a number or a [list])"))
}

fn value_of(o: &Operand, ctx: &Value) -> Value {
    match o {
        Operand::Path(p) => lookup(ctx, p).cloned().unwrap_or(Value::Null),
        Operand::Str(s) => Value::String(s.clone()),
        Operand::Num(n) => serde_json::json!(n),
        Operand::List(l) => Value::Array(l.iter().map(|x| value_of(x, ctx)).collect()),
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn eq(a: &Value, b: &Value) -> bool {
    match (num(a), num(b)) {
        (Some(x), Some(y)) if !(a.is_string() && b.is_string()) => (x - y).abs() < 1e-9,
        _ => as_text(a) == as_text(b),
    }
}

const OPS: [&str; 8] = [" not in ", " in ", "==", "!=", ">=", "<=", ">", "<"];

fn split_comparison(clause: &str) -> Result<(Operand, &'static str, Operand), String> {
    for op in OPS {
        if let Some(i) = clause.find(op) {
            let (l, r) = (&clause[..i], &clause[i + op.len()..]);
            return Ok((parse_operand(l)?, op.trim(), parse_operand(r)?));
        }
    }
    Err(format!("{clause:?} has no comparison (==, !=, >, >=, <, <=, in, not in)"))
}

/// Checks a condition's syntax without evaluating it.
pub fn check_condition(expr: &str) -> Result<(), String> {
    for clause in expr.split(" and ") {
        let c = clause.trim();
        if c == "true" || c == "false" {
            continue;
        }
        split_comparison(c)?;
    }
    Ok(())
}

/// Evaluates `a == 'x' and risk >= 70 and verdict in ['malicious', 'suspicious']`. Clauses are
/// joined by `and`; a missing path is null (equal to nothing but '').
pub fn condition(expr: &str, ctx: &Value) -> Result<bool, String> {
    for clause in expr.split(" and ") {
        let c = clause.trim();
        let ok = match c {
            "true" => true,
            "false" => false,
            _ => {
                let (l, op, r) = split_comparison(c)?;
                let (a, b) = (value_of(&l, ctx), value_of(&r, ctx));
                match op {
                    "==" => eq(&a, &b),
                    "!=" => !eq(&a, &b),
                    "in" | "not in" => {
                        let inside = b.as_array().is_some_and(|xs| xs.iter().any(|x| eq(&a, x)));
                        if op == "in" { inside } else { !inside }
                    }
                    _ => match (num(&a), num(&b)) {
                        (Some(x), Some(y)) => match op {
                            ">" => x > y,
                            ">=" => x >= y,
                            "<" => x < y,
                            _ => x <= y,
                        },
                        _ => false,
                    },
                }
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_render_and_name_unknown_paths() {
        let ctx = json!({"entity": {"user": "ann@x.com"}, "risk": 80, "steps": {"t": {"output": {"key": "SEC-1"}}}});
        assert_eq!(render_str("{{ entity.user }}", &ctx).unwrap(), json!("ann@x.com"));
        assert_eq!(render_str("{{risk}}", &ctx).unwrap(), json!(80));
        assert_eq!(
            render_str("user {{ entity.user }} in {{ steps.t.output.key }}", &ctx).unwrap(),
            json!("user ann@x.com in SEC-1")
        );
        assert!(render_str("{{ entity.host }}", &ctx).unwrap_err().contains("entity.host"));
        assert!(render_str("{{ entity.user", &ctx).is_err());
        assert_eq!(references("a {{ x.y }} b {{z}}"), vec!["x.y", "z"]);
    }

    #[test]
    fn conditions() {
        let ctx = json!({"verdict": "malicious", "risk": 72, "severity": "high", "entity": {"host": null}});
        assert!(condition("verdict == 'malicious' and risk >= 70", &ctx).unwrap());
        assert!(!condition("verdict == 'benign'", &ctx).unwrap());
        assert!(condition("severity in ['high', 'critical']", &ctx).unwrap());
        assert!(condition("severity not in ['low']", &ctx).unwrap());
        assert!(!condition("entity.host != ''", &ctx).unwrap());
        assert!(condition("risk < 100 and true", &ctx).unwrap());
        assert!(condition("risk", &ctx).is_err());
        assert!(check_condition("risk >= 3 and verdict in ['a']").is_ok());
        assert!(check_condition("just words").is_err());
    }
}
