//! Following `$ref`s into `#/components`.
//!
//! Only local references are followed; a chain of references that loops, or
//! one that leads nowhere, is an error naming the document. Cycles *through*
//! schemas (a tree whose nodes hold children of the same type) are legal and
//! are cut by the schema comparison, not here.

use std::path::Path;

use indexmap::IndexMap;
use openapiv3::{
    Components, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema, SecurityScheme,
};

use crate::error::XtaskError;
use crate::json_pointer;

/// Resolves references within one document.
#[derive(Clone, Copy)]
pub(crate) struct Resolver<'a> {
    /// The document references point into.
    pub document: &'a OpenAPI,
    /// Its file, for error messages.
    pub path: &'a Path,
}

/// A schema as written: a reference or an inline schema.
#[derive(Clone, Copy)]
pub(crate) enum SchemaNode<'a> {
    Reference(&'a str),
    Inline(&'a Schema),
}

impl<'a> From<&'a ReferenceOr<Schema>> for SchemaNode<'a> {
    fn from(node: &'a ReferenceOr<Schema>) -> Self {
        match node {
            ReferenceOr::Reference { reference } => SchemaNode::Reference(reference),
            ReferenceOr::Item(schema) => SchemaNode::Inline(schema),
        }
    }
}

impl<'a> From<&'a ReferenceOr<Box<Schema>>> for SchemaNode<'a> {
    fn from(node: &'a ReferenceOr<Box<Schema>>) -> Self {
        match node {
            ReferenceOr::Reference { reference } => SchemaNode::Reference(reference),
            ReferenceOr::Item(schema) => SchemaNode::Inline(schema),
        }
    }
}

/// The item a reference leads to, and the last reference followed (which
/// identifies the component, for cycle detection).
pub(crate) type Resolved<'a, T> = (&'a T, Option<&'a str>);

impl<'a> Resolver<'a> {
    pub fn schema(&self, node: SchemaNode<'a>) -> Result<Resolved<'a, Schema>, XtaskError> {
        match node {
            SchemaNode::Inline(schema) => Ok((schema, None)),
            SchemaNode::Reference(reference) => {
                self.follow(reference, "schemas", |components| &components.schemas)
            }
        }
    }

    pub fn parameter(&self, item: &'a ReferenceOr<Parameter>) -> Result<&'a Parameter, XtaskError> {
        self.item(item, "parameters", |components| &components.parameters)
    }

    pub fn response(&self, item: &'a ReferenceOr<Response>) -> Result<&'a Response, XtaskError> {
        self.item(item, "responses", |components| &components.responses)
    }

    pub fn request_body(
        &self,
        item: &'a ReferenceOr<RequestBody>,
    ) -> Result<&'a RequestBody, XtaskError> {
        self.item(item, "requestBodies", |components| {
            &components.request_bodies
        })
    }

    /// The security scheme an operation's requirement names.
    pub fn security_scheme(&self, name: &str) -> Result<&'a SecurityScheme, XtaskError> {
        let reference = format!(
            "#/components/securitySchemes/{}",
            json_pointer::escape(name)
        );
        let entry = self
            .document
            .components
            .as_ref()
            .and_then(|components| components.security_schemes.get(name))
            .ok_or_else(|| {
                self.broken(
                    &reference,
                    "a security requirement names a scheme that is not defined",
                )
            })?;
        match entry {
            ReferenceOr::Item(scheme) => Ok(scheme),
            ReferenceOr::Reference { reference } => self
                .follow(reference, "securitySchemes", |components| {
                    &components.security_schemes
                })
                .map(|(scheme, _)| scheme),
        }
    }

    fn item<T>(
        &self,
        item: &'a ReferenceOr<T>,
        section: &str,
        map: impl Fn(&'a Components) -> &'a IndexMap<String, ReferenceOr<T>>,
    ) -> Result<&'a T, XtaskError> {
        match item {
            ReferenceOr::Item(item) => Ok(item),
            ReferenceOr::Reference { reference } => {
                self.follow(reference, section, map).map(|(item, _)| item)
            }
        }
    }

    fn follow<T>(
        &self,
        reference: &'a str,
        section: &str,
        map: impl Fn(&'a Components) -> &'a IndexMap<String, ReferenceOr<T>>,
    ) -> Result<Resolved<'a, T>, XtaskError> {
        let prefix = format!("#/components/{section}/");
        let mut current = reference;
        let mut followed: Vec<&str> = Vec::new();
        loop {
            if followed.contains(&current) {
                return Err(self.broken(reference, "the chain of references loops"));
            }
            followed.push(current);
            let name = current.strip_prefix(&prefix).ok_or_else(|| {
                self.broken(
                    current,
                    &format!("only local references to `{prefix}...` are supported here"),
                )
            })?;
            let entry = self
                .document
                .components
                .as_ref()
                .and_then(|components| map(components).get(&json_pointer::unescape(name)))
                .ok_or_else(|| self.broken(current, "no such component"))?;
            match entry {
                ReferenceOr::Item(item) => return Ok((item, Some(current))),
                ReferenceOr::Reference { reference } => current = reference,
            }
        }
    }

    fn broken(&self, reference: &str, message: &str) -> XtaskError {
        XtaskError::BrokenReference {
            path: self.path.to_path_buf(),
            reference: reference.to_string(),
            message: message.to_string(),
        }
    }
}
