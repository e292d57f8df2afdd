//! Reading a JSON request body: an object, its fields, their types and ranges. No I/O. Every
//! fault names the field at fault, with its path inside the body (`seats[2].row`).

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Which kind of client fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request is malformed: not JSON, a field missing, of the wrong type or range (400).
    Malformed,
    /// The request is well-formed but names what does not exist: a venue, a seat (422).
    Unknown,
}

/// A client fault, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidInput {
    /// Malformed, or naming what does not exist.
    pub fault: Fault,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// The field at fault, if one is, as a path in the body.
    pub field: Option<String>,
    /// A sentence for humans, naming the field.
    pub message: String,
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        match e.fault {
            Fault::Malformed => Self::BadRequest {
                code: e.code,
                field: e.field,
                message: e.message,
            },
            Fault::Unknown => Self::Unprocessable {
                code: e.code,
                field: e.field,
                message: e.message,
            },
        }
    }
}

impl InvalidInput {
    /// A malformed request, `field` at fault if one is.
    pub fn bad(code: &'static str, field: Option<String>, message: String) -> Self {
        Self {
            fault: Fault::Malformed,
            code,
            field,
            message,
        }
    }

    /// `field` is not what it must be: `invalid_field`.
    pub fn field(field: String, expected: &str) -> Self {
        let message = format!("`{field}` must be {expected}");
        Self::bad("invalid_field", Some(field), message)
    }

    /// `field` names what does not exist (or cannot be): 422 with `code`.
    pub fn unknown(code: &'static str, field: String, message: &str) -> Self {
        Self {
            fault: Fault::Unknown,
            code,
            message: format!("`{field}`: {message}"),
            field: Some(field),
        }
    }
}

/// "a whole number from 1 to 4294967295"
pub const POSITIVE: &str = "a whole number from 1 to 4294967295";

/// A JSON object of a request body, or of an array inside it, with the path of its fields.
pub struct Object<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Object<'v> {
    /// The field `name`'s path, for messages.
    pub fn path(&self, name: &str) -> String {
        format!("{}{name}", self.path)
    }

    /// A field that must be present and not `null`.
    pub fn required(&self, name: &str) -> Result<&'v Value, InvalidInput> {
        match self.map.get(name) {
            None | Some(Value::Null) => {
                let field = self.path(name);
                let message = format!("`{field}` is required");
                Err(InvalidInput::bad("missing_field", Some(field), message))
            }
            Some(value) => Ok(value),
        }
    }

    /// A string field of `min..=max` characters, trimmed of nothing.
    pub fn string(&self, name: &str, min: usize, max: usize) -> Result<&'v str, InvalidInput> {
        match self.required(name)? {
            Value::String(s) if (min..=max).contains(&s.chars().count()) => Ok(s),
            _ => Err(InvalidInput::field(
                self.path(name),
                &format!("a string of {min} to {max} characters"),
            )),
        }
    }

    /// A string field that `check` accepts, described by `expected` when it does not.
    pub fn string_that(
        &self,
        name: &str,
        expected: &str,
        check: impl Fn(&str) -> bool,
    ) -> Result<&'v str, InvalidInput> {
        match self.required(name)? {
            Value::String(s) if check(s) => Ok(s),
            _ => Err(InvalidInput::field(self.path(name), expected)),
        }
    }

    /// A positive whole number given as a JSON number.
    pub fn positive(&self, name: &str) -> Result<u32, InvalidInput> {
        match self.required(name)? {
            Value::Number(n) => n
                .as_u64()
                .and_then(positive)
                .ok_or_else(|| InvalidInput::field(self.path(name), POSITIVE)),
            _ => Err(InvalidInput::field(self.path(name), "a number")),
        }
    }

    /// A positive number given as a JSON number or a string of digits, or else a string that
    /// `label` understands.
    pub fn number_or_text(
        &self,
        name: &str,
        expected: &str,
        label: impl Fn(&str) -> Option<u32>,
    ) -> Result<u32, InvalidInput> {
        let parsed = match self.required(name)? {
            Value::Number(n) => n.as_u64().and_then(positive),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().ok().and_then(positive)
            }
            Value::String(s) => label(s),
            _ => None,
        };
        parsed.ok_or_else(|| InvalidInput::field(self.path(name), expected))
    }

    /// An array field of `1..=max` objects, each as an [`Object`] with its index in its path.
    pub fn objects(&self, name: &str, max: usize) -> Result<Vec<Object<'v>>, InvalidInput> {
        let field = self.path(name);
        let Value::Array(items) = self.required(name)? else {
            return Err(InvalidInput::field(field, "an array"));
        };
        if items.is_empty() || items.len() > max {
            return Err(InvalidInput::field(field, &format!("a list of 1 to {max} items")));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Ok(Object {
                    map,
                    path: format!("{field}[{i}]."),
                }),
                _ => Err(InvalidInput::field(format!("{field}[{i}]"), "an object")),
            })
            .collect()
    }
}

/// The body as a JSON object: `malformed_json` if it is not JSON, `invalid_body` if it is
/// not an object. Read its fields with [`Object`].
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, InvalidInput> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        InvalidInput::bad(
            "malformed_json",
            None,
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(InvalidInput::bad(
            "invalid_body",
            None,
            "the request body must be a JSON object".into(),
        )),
    }
}

/// The fields of a top-level object.
pub fn fields(map: &Map<String, Value>) -> Object<'_> {
    Object {
        map,
        path: String::new(),
    }
}

fn positive(n: u64) -> Option<u32> {
    u32::try_from(n).ok().filter(|n| *n >= 1)
}
