//! One command's arguments as the generated dispatch reads them, by the
//! spec's parameter names, checked; and what sending gave.

use std::collections::HashMap;

use clap::ArgMatches;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::exit::Failure;
use crate::input;
use crate::table::{Kind, Operation, Param, Place};

/// The arguments of one command line.
pub struct Invocation<'m> {
    operation: &'static Operation,
    matches: &'m ArgMatches,
    /// Values the pager sets page by page (`offset`, `limit`).
    overrides: HashMap<&'static str, u64>,
}

/// What sending an operation gave.
pub enum Sent {
    /// An argument was refused before anything was sent.
    Input(Failure),
    /// The server's answer, as JSON, or the client's error.
    Answer(Result<Value, recallr_ext::Error>),
}

impl Sent {
    /// The decoded answer as JSON (`null` for a 204).
    pub fn answer<T: Serialize>(result: Result<T, recallr_ext::Error>) -> Self {
        match result {
            Ok(value) => match serde_json::to_value(&value) {
                Ok(value) => Sent::Answer(Ok(value)),
                Err(error) => Sent::Input(Failure::other(format!(
                    "cannot turn the answer into JSON: {error}"
                ))),
            },
            Err(error) => Sent::Answer(Err(error)),
        }
    }

    /// An operation the generated dispatch does not have (a table out of
    /// step with it: `cargo xtask codegen` regenerates both).
    pub fn unknown(id: &str) -> Self {
        Sent::Input(Failure::other(format!(
            "this build cannot send `{id}`; regenerate with `cargo xtask codegen`"
        )))
    }
}

/// What asking for an operation's event stream gave.
pub enum Streamed {
    /// An argument was refused before anything was sent.
    Input(Failure),
    /// The events, each as JSON; the request is sent on the first poll.
    Events(recallr_ext::EventStream<Value>),
}

impl Streamed {
    /// An operation the generated dispatch cannot stream.
    pub fn unknown(id: &str) -> Self {
        Streamed::Input(Failure::other(format!(
            "this build cannot stream `{id}`; regenerate with `cargo xtask codegen`"
        )))
    }
}

impl<'m> Invocation<'m> {
    pub fn new(operation: &'static Operation, matches: &'m ArgMatches) -> Self {
        Self {
            operation,
            matches,
            overrides: HashMap::new(),
        }
    }

    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    pub fn matches(&self) -> &ArgMatches {
        self.matches
    }

    /// Sets an integer parameter for the next send (the pager's offset and
    /// limit).
    pub fn set(&mut self, name: &'static str, value: u64) {
        self.overrides.insert(name, value);
    }

    fn param(&self, name: &str) -> Result<&'static Param, Failure> {
        self.operation.param(name).ok_or_else(|| {
            Failure::other(format!(
                "`{}` has no parameter `{name}`; regenerate with `cargo xtask codegen`",
                self.operation.id
            ))
        })
    }

    fn raw(&self, name: &str) -> Option<String> {
        self.matches
            .try_get_one::<String>(name)
            .ok()
            .flatten()
            .cloned()
    }

    /// A text parameter (text, enum, date-time, JSON text), checked.
    pub fn text(&self, name: &str) -> Result<Option<String>, Failure> {
        let param = self.param(name)?;
        let Some(value) = self.raw(name) else {
            return Ok(None);
        };
        check_text(param, &value)?;
        Ok(Some(value))
    }

    pub fn required_text(&self, name: &str) -> Result<String, Failure> {
        self.text(name)?
            .ok_or_else(|| missing(self.operation, name))
    }

    /// A repeatable text parameter's values.
    pub fn texts(&self, name: &str) -> Vec<String> {
        self.matches
            .try_get_many::<String>(name)
            .ok()
            .flatten()
            .map(|values| values.cloned().collect())
            .unwrap_or_default()
    }

    pub fn uuid(&self, name: &str) -> Result<Option<uuid::Uuid>, Failure> {
        let param = self.param(name)?;
        self.raw(name)
            .map(|value| {
                uuid::Uuid::parse_str(value.trim()).map_err(|_| {
                    Failure::usage(format!(
                        "--{} must be a UUID, e.g. 3f2a6c1e-0b7d-4c53-9a41-1d2e3f4a5b6c",
                        param.flag
                    ))
                })
            })
            .transpose()
    }

    pub fn required_uuid(&self, name: &str) -> Result<uuid::Uuid, Failure> {
        self.uuid(name)?
            .ok_or_else(|| missing(self.operation, name))
    }

    pub fn integer(&self, name: &str) -> Result<Option<u64>, Failure> {
        if let Some(value) = self.overrides.get(name) {
            return Ok(Some(*value));
        }
        Ok(self
            .matches
            .try_get_one::<u64>(name)
            .ok()
            .flatten()
            .copied())
    }

    pub fn number(&self, name: &str) -> Result<Option<f64>, Failure> {
        Ok(self
            .matches
            .try_get_one::<f64>(name)
            .ok()
            .flatten()
            .copied())
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, Failure> {
        Ok(self
            .matches
            .try_get_one::<bool>(name)
            .ok()
            .flatten()
            .copied())
    }

    /// The request body: `--body` (an object), with the fields given as
    /// flags set on it, decoded as the generated type.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Failure> {
        let mut body = match self.raw("body") {
            Some(source) => match input::json_argument("--body", &source)? {
                Value::Object(object) => object,
                _ => return Err(Failure::usage("--body must be a JSON object")),
            },
            None => Map::new(),
        };
        for param in self
            .operation
            .params
            .iter()
            .filter(|p| p.place == Place::Body)
        {
            if let Some(value) = self.body_value(param)? {
                body.insert(param.name.to_string(), value);
            }
        }
        for param in self
            .operation
            .params
            .iter()
            .filter(|p| p.place == Place::Body)
        {
            if param.required && !body.contains_key(param.name) {
                return Err(Failure::usage(format!(
                    "--{} is required (or give `{}` in --body)",
                    param.flag, param.name
                )));
            }
        }
        serde_json::from_value(Value::Object(body)).map_err(|error| {
            Failure::usage(format!(
                "the request body is not what the API takes: {error}"
            ))
        })
    }

    fn body_value(&self, param: &Param) -> Result<Option<Value>, Failure> {
        Ok(match param.kind {
            Kind::Integer => self.integer(param.name)?.map(Value::from),
            Kind::Number => self.number(param.name)?.map(Value::from),
            Kind::Boolean => self.boolean(param.name)?.map(Value::from),
            Kind::Json => match self.raw(param.name) {
                Some(text) => Some(input::json_argument(&format!("--{}", param.flag), &text)?),
                None => None,
            },
            _ => self.text(param.name)?.map(Value::from),
        })
    }

    /// Warns on stderr about each enum value given that the spec does not
    /// list: it is sent anyway, as a newer server may have it.
    pub fn warn_about_unknown_values(&self) {
        for param in self
            .operation
            .params
            .iter()
            .filter(|p| p.kind == Kind::Enum)
        {
            let given = if param.many {
                self.texts(param.name)
            } else {
                self.raw(param.name).into_iter().collect()
            };
            for value in given {
                if !param.values.contains(&value.as_str()) {
                    eprintln!(
                        "warning: `{}` is not a {} this build knows ({}); sending it anyway, as a newer server may have it",
                        crate::render::escape_controls(&value),
                        param.noun,
                        param.values.join(", ")
                    );
                }
            }
        }
    }

    /// What the command acts on, innermost first: "session 3f2a… of user u1".
    pub fn target(&self) -> Option<String> {
        self.target_from(self.operation.targets())
    }

    /// What a 404 found missing, with what holds it: "session 3f2a… of
    /// user u1" when the client says the `resource` missing is a session.
    pub fn missing_target(&self, resource: &str) -> Option<String> {
        let targets: Vec<&Param> = self.operation.targets().collect();
        let named = targets
            .iter()
            .position(|param| param.noun == resource)
            .unwrap_or(0);
        self.target_from(targets.into_iter().skip(named))
    }

    fn target_from<'a>(&self, targets: impl Iterator<Item = &'a Param>) -> Option<String> {
        let parts: Vec<String> = targets
            .map(|param| {
                let value = self.raw(param.name).unwrap_or_default();
                format!("{} {}", param.noun, crate::render::escape_controls(&value))
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" of "))
    }
}

fn missing(operation: &Operation, name: &str) -> Failure {
    let flag = operation.param(name).map_or(name, |param| param.flag);
    Failure::usage(format!("--{flag} is required"))
}

/// The checks every text value gets before it is sent.
fn check_text(param: &Param, value: &str) -> Result<(), Failure> {
    match param.kind {
        Kind::JsonText => match serde_json::from_str::<Value>(value) {
            Ok(Value::Object(_)) => {}
            Ok(_) => {
                return Err(Failure::usage(format!(
                    "--{} must be a JSON object, e.g. '{{\"topic\":\"billing\"}}'",
                    param.flag
                )));
            }
            Err(error) => {
                return Err(Failure::usage(format!(
                    "--{} is not valid JSON: {error}",
                    param.flag
                )));
            }
        },
        _ if param.place == Place::Path => {
            if value.is_empty() {
                return Err(Failure::usage(format!("--{} is empty", param.flag)));
            }
            if value.len() > recallr_ext::MAX_USER_ID_LEN {
                // Not echoed: a line of 100 KB helps nobody.
                return Err(Failure::usage(format!(
                    "--{} is {} bytes long; at most {} can be sent",
                    param.flag,
                    value.len(),
                    recallr_ext::MAX_USER_ID_LEN
                )));
            }
            if value == "." || value == ".." {
                return Err(Failure::usage(format!(
                    "--{} {value:?} cannot be sent: URLs resolve it as a path step",
                    param.flag
                )));
            }
        }
        _ => {}
    }
    Ok(())
}
