//! Lexical pieces of the RFC 3261 25.1 grammar shared by the header parsers: tokens, quoted
//! strings, LWS, generic parameters and top-level comma splitting. Everything works on `&str`
//! with checked slicing only.

use super::HeaderError;

/// `token` characters (RFC 3261 25.1).
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// Whether `s` is a non-empty `token`.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// `word` characters (RFC 3261 25.1, used by Call-ID).
pub fn is_word_char(c: char) -> bool {
    is_token_char(c) || "()<>:\\\"/[]?{}".contains(c)
}

/// LWS characters left after unfolding (SP, HTAB).
pub fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The index after a quoted-string that starts at `start` (which must be `"`), honouring
/// quoted-pairs (RFC 3261 25.1); `None` when it is not terminated.
pub fn quoted_end(s: &str, start: usize) -> Option<usize> {
    let rest = s.get(start..)?;
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, '"')) => {}
        _ => return None,
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next()?;
            }
            '"' => return Some(start + i + 1),
            _ => {}
        }
    }
    None
}

/// Splits a header value at commas that are outside quoted strings and `<...>` (RFC 3261
/// 7.3.1: `#rule` lists). Each element is trimmed. Errors on an unterminated quote or `<`.
pub fn split_commas(s: &str) -> Result<Vec<&str>, HeaderError> {
    let mut out = Vec::new();
    let mut begin = 0;
    let mut i = 0;
    let mut in_angle = false;
    while let Some(c) = s.get(i..).and_then(|r| r.chars().next()) {
        match c {
            '"' if !in_angle => {
                i = quoted_end(s, i).ok_or(HeaderError::UnterminatedQuote)?;
                continue;
            }
            '<' => in_angle = true,
            '>' => in_angle = false,
            ',' if !in_angle => {
                out.push(s.get(begin..i).unwrap_or_default().trim());
                begin = i + 1;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    if in_angle {
        return Err(HeaderError::UnterminatedAngle);
    }
    out.push(s.get(begin..).unwrap_or_default().trim());
    Ok(out)
}

/// Removes the quotes and quoted-pair backslashes of a quoted-string (the content, not the
/// wire form). A value without quotes is returned unchanged.
pub fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The quoted-string wire form of `s` (RFC 3261 25.1: `"` and `\` become quoted-pairs).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One generic parameter (`generic-param`, `uri-parameter`): the name as received and the
/// value in its wire form (a quoted value keeps its quotes), `None` for a bare name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: Option<String>,
}

/// An ordered list of parameters; unknown ones are kept (RFC 3261 7.3.1). Names compare
/// case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<Param>);

impl Params {
    /// The wire value of the first parameter named `name`; `Some(None)` for a bare name.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_deref())
    }

    /// The value of `name` with quotes removed, if it has one.
    pub fn value(&self, name: &str) -> Option<String> {
        self.get(name).flatten().map(unquote)
    }

    /// Whether a parameter named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` (replacing the first of that name in place, else appending).
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_string);
        match self
            .0
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => p.value = value,
            None => self.0.push(Param {
                name: name.to_string(),
                value,
            }),
        }
    }

    /// Removes every parameter named `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
    }

    /// Writes `;name[=value]` for each parameter.
    pub fn write(&self, out: &mut String) {
        for p in &self.0 {
            out.push(';');
            out.push_str(&p.name);
            if let Some(v) = &p.value {
                out.push('=');
                out.push_str(v);
            }
        }
    }

    /// Parses `*( SEMI generic-param )` (RFC 3261 25.1) with LWS around `;` and `=`.
    /// `s` must start with `;` or be empty (after LWS). Values are tokens, hosts (IPv6 in
    /// brackets) or quoted strings.
    pub fn parse_generic(s: &str) -> Result<Params, HeaderError> {
        let mut params = Vec::new();
        let mut rest = s.trim_start();
        while !rest.is_empty() {
            rest = rest
                .strip_prefix(';')
                .ok_or(HeaderError::Unexpected)?
                .trim_start();
            let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
            let name = rest.get(..end).unwrap_or_default();
            if name.is_empty() {
                return Err(HeaderError::BadParam);
            }
            rest = rest.get(end..).unwrap_or_default().trim_start();
            let mut value = None;
            if let Some(r) = rest.strip_prefix('=') {
                let r = r.trim_start();
                let vend = if r.starts_with('"') {
                    quoted_end(r, 0).ok_or(HeaderError::UnterminatedQuote)?
                } else if r.starts_with('[') {
                    r.find(']').map(|i| i + 1).ok_or(HeaderError::BadParam)?
                } else {
                    r.find(|c: char| !(is_token_char(c) || c == ':'))
                        .unwrap_or(r.len())
                };
                let v = r.get(..vend).unwrap_or_default();
                if v.is_empty() {
                    return Err(HeaderError::BadParam);
                }
                value = Some(v.to_string());
                rest = r.get(vend..).unwrap_or_default().trim_start();
            }
            params.push(Param {
                name: name.to_string(),
                value,
            });
        }
        Ok(Params(params))
    }
}
