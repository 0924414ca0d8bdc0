//! Comparing paths and operations: what a client calls, with which
//! parameters and body, and which responses it gets back.

use openapiv3::{
    MediaType, Operation, Parameter, ParameterData, ParameterSchemaOrContent, PathItem, PathStyle,
    QueryStyle, ReferenceOr, Responses,
};

use super::resolve::{Resolver, SchemaNode};
use super::rules::Rule;
use super::schema::Place;
use super::{Differ, Subject, capitalized};
use crate::error::XtaskError;
use crate::json_pointer;

use crate::spec::{OPERATION_METHODS as METHODS, template_shape};

fn operation<'a>(item: &'a PathItem, method: &str) -> Option<&'a Operation> {
    match method {
        "get" => item.get.as_ref(),
        "put" => item.put.as_ref(),
        "post" => item.post.as_ref(),
        "delete" => item.delete.as_ref(),
        "options" => item.options.as_ref(),
        "head" => item.head.as_ref(),
        "patch" => item.patch.as_ref(),
        "trace" => item.trace.as_ref(),
        _ => None,
    }
}

struct PathEntry<'a> {
    key: String,
    path: &'a str,
    item: &'a PathItem,
    pointer: String,
}

fn path_entries<'a>(resolver: &Resolver<'a>) -> Result<Vec<PathEntry<'a>>, XtaskError> {
    resolver
        .document
        .paths
        .paths
        .iter()
        .map(|(path, item)| match item {
            ReferenceOr::Item(item) => Ok(PathEntry {
                key: template_shape(path),
                path,
                item,
                pointer: json_pointer::push("/paths", path),
            }),
            ReferenceOr::Reference { reference } => Err(XtaskError::BrokenReference {
                path: resolver.path.to_path_buf(),
                reference: reference.clone(),
                message: format!("path `{path}` is a reference, which is not supported"),
            }),
        })
        .collect()
}

fn methods_of(item: &PathItem) -> String {
    METHODS
        .iter()
        .filter(|method| operation(item, method).is_some())
        .map(|method| method.to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One operation of one document.
pub(crate) struct OperationAt<'a> {
    pub path_item: &'a PathItem,
    pub operation: &'a Operation,
    pub path_pointer: String,
    pub pointer: String,
}

/// A parameter in effect for an operation (path-level ones included).
struct Param<'a> {
    location: &'static str,
    data: &'a ParameterData,
    style: &'static str,
    explode: bool,
    pointer: String,
}

impl<'a> Param<'a> {
    fn describe(&self) -> String {
        format!("{} parameter `{}`", self.location, self.data.name)
    }

    fn same_slot(&self, other: &Param) -> bool {
        self.location == other.location && self.data.name == other.data.name
    }

    /// The schema and where it sits relative to the parameter.
    fn schema(&self) -> Option<(SchemaNode<'a>, String)> {
        match &self.data.format {
            ParameterSchemaOrContent::Schema(schema) => {
                Some((schema.into(), json_pointer::push(&self.pointer, "schema")))
            }
            ParameterSchemaOrContent::Content(content) => {
                content.iter().find_map(|(media_type, media)| {
                    media.schema.as_ref().map(|schema| {
                        let pointer = json_pointer::push(
                            &json_pointer::push(
                                &json_pointer::push(&self.pointer, "content"),
                                media_type,
                            ),
                            "schema",
                        );
                        (schema.into(), pointer)
                    })
                })
            }
        }
    }
}

fn param<'a>(parameter: &'a Parameter, base: &str) -> Param<'a> {
    let (location, style) = match parameter {
        Parameter::Query { style, .. } => (
            "query",
            match style {
                QueryStyle::Form => "form",
                QueryStyle::SpaceDelimited => "spaceDelimited",
                QueryStyle::PipeDelimited => "pipeDelimited",
                QueryStyle::DeepObject => "deepObject",
            },
        ),
        Parameter::Header { .. } => ("header", "simple"),
        Parameter::Path { style, .. } => (
            "path",
            match style {
                PathStyle::Matrix => "matrix",
                PathStyle::Label => "label",
                PathStyle::Simple => "simple",
            },
        ),
        Parameter::Cookie { .. } => ("cookie", "form"),
    };
    let data = parameter.parameter_data_ref();
    Param {
        location,
        data,
        style,
        // OpenAPI's default: explode for `form`, not for the other styles.
        explode: data.explode.unwrap_or(style == "form"),
        pointer: json_pointer::push(&json_pointer::push(base, "parameters"), &data.name),
    }
}

fn params<'a>(resolver: &Resolver<'a>, at: &OperationAt<'a>) -> Result<Vec<Param<'a>>, XtaskError> {
    let mut list: Vec<Param<'a>> = Vec::new();
    for item in &at.path_item.parameters {
        list.push(param(resolver.parameter(item)?, &at.path_pointer));
    }
    for item in &at.operation.parameters {
        let own = param(resolver.parameter(item)?, &at.pointer);
        // An operation's parameter overrides the path's one of the same slot.
        list.retain(|inherited| !inherited.same_slot(&own));
        list.push(own);
    }
    Ok(list)
}

fn content_schema(media: &MediaType) -> Option<SchemaNode<'_>> {
    media.schema.as_ref().map(SchemaNode::from)
}

fn responses_of(responses: &Responses) -> Vec<(String, &ReferenceOr<openapiv3::Response>)> {
    responses
        .responses
        .iter()
        .map(|(status, response)| (status.to_string(), response))
        .chain(
            responses
                .default
                .iter()
                .map(|response| ("default".to_string(), response)),
        )
        .collect()
}

impl<'a> Differ<'a> {
    /// Compares every path of both documents.
    pub(crate) fn paths(&mut self) -> Result<(), XtaskError> {
        let old_paths = path_entries(&self.old)?;
        let new_paths = path_entries(&self.new)?;
        for old in &old_paths {
            if !new_paths.iter().any(|new| new.key == old.key) {
                self.report(
                    Rule::PathRemoved,
                    old.pointer.clone(),
                    format!(
                        "Path `{}` was removed ({}).",
                        old.path,
                        methods_of(old.item)
                    ),
                );
            }
        }
        for new in &new_paths {
            match old_paths.iter().find(|old| old.key == new.key) {
                None => self.report(
                    Rule::PathAdded,
                    new.pointer.clone(),
                    format!("Path `{}` was added ({}).", new.path, methods_of(new.item)),
                ),
                Some(old) => self.path_item(old, new)?,
            }
        }
        Ok(())
    }

    fn path_item(&mut self, old: &PathEntry<'a>, new: &PathEntry<'a>) -> Result<(), XtaskError> {
        for method in METHODS {
            let old_pointer = json_pointer::push(&old.pointer, method);
            let new_pointer = json_pointer::push(&new.pointer, method);
            let name = |path: &str, operation: &Operation| match &operation.operation_id {
                Some(id) => format!("`{} {path}` (`{id}`)", method.to_uppercase()),
                None => format!("`{} {path}`", method.to_uppercase()),
            };
            match (operation(old.item, method), operation(new.item, method)) {
                (None, None) => {}
                (Some(operation), None) => self.report(
                    Rule::OperationRemoved,
                    old_pointer,
                    format!("Operation {} was removed.", name(old.path, operation)),
                ),
                (None, Some(operation)) => self.report(
                    Rule::OperationAdded,
                    new_pointer,
                    format!("Operation {} was added.", name(new.path, operation)),
                ),
                (Some(old_operation), Some(new_operation)) => self.operation(
                    &OperationAt {
                        path_item: old.item,
                        operation: old_operation,
                        path_pointer: old.pointer.clone(),
                        pointer: old_pointer,
                    },
                    &OperationAt {
                        path_item: new.item,
                        operation: new_operation,
                        path_pointer: new.pointer.clone(),
                        pointer: new_pointer,
                    },
                )?,
            }
        }
        Ok(())
    }

    fn operation(
        &mut self,
        old: &OperationAt<'a>,
        new: &OperationAt<'a>,
    ) -> Result<(), XtaskError> {
        if let (Some(old_id), Some(new_id)) =
            (&old.operation.operation_id, &new.operation.operation_id)
            && old_id != new_id
        {
            self.report(
                Rule::OperationIdChanged,
                json_pointer::push(&new.pointer, "operationId"),
                format!(
                    "operationId `{old_id}` became `{new_id}`: the generated method is renamed."
                ),
            );
        }
        self.parameters(old, new)?;
        self.request_body(old, new)?;
        self.responses(old, new)?;
        self.security(old, new)
    }

    fn parameters(
        &mut self,
        old: &OperationAt<'a>,
        new: &OperationAt<'a>,
    ) -> Result<(), XtaskError> {
        let old_params = params(&self.old, old)?;
        let mut new_params: Vec<Option<Param<'a>>> =
            params(&self.new, new)?.into_iter().map(Some).collect();
        let mut take = |matches: &dyn Fn(&Param<'a>) -> bool| {
            new_params
                .iter_mut()
                .find(|slot| slot.as_ref().is_some_and(matches))
                .and_then(Option::take)
        };

        let mut unmatched = Vec::new();
        let mut pairs = Vec::new();
        for old_param in &old_params {
            match take(&|new_param| new_param.same_slot(old_param)) {
                Some(new_param) => pairs.push((old_param, new_param)),
                None => unmatched.push(old_param),
            }
        }
        // Same name in another location: the parameter moved.
        let mut moved = Vec::new();
        let mut removed = Vec::new();
        for old_param in unmatched {
            match take(&|new_param| new_param.data.name == old_param.data.name) {
                Some(new_param) => moved.push((old_param, new_param)),
                None => removed.push(old_param),
            }
        }
        let added: Vec<Param<'a>> = new_params.into_iter().flatten().collect();

        for (old_param, new_param) in &pairs {
            self.parameter(old_param, new_param)?;
        }
        for (old_param, new_param) in moved {
            self.report(
                Rule::ParameterLocationChanged,
                json_pointer::push(&new_param.pointer, "in"),
                format!(
                    "Parameter `{}` moved from the {} to the {}.",
                    new_param.data.name, old_param.location, new_param.location
                ),
            );
        }
        for old_param in removed {
            self.report(
                Rule::ParameterRemoved,
                old_param.pointer.clone(),
                format!(
                    "{} was removed: the generated setter disappears and the server ignores the value.",
                    capitalized(&old_param.describe())
                ),
            );
        }
        for new_param in added {
            let (rule, note) = match (new_param.data.required, new_param.location) {
                (true, "header") => (
                    Rule::RequestHeaderRequiredAdded,
                    "required; existing calls do not send it",
                ),
                (true, _) => (
                    Rule::ParameterRequiredAdded,
                    "required; existing calls do not send it",
                ),
                (false, _) => (Rule::ParameterOptionalAdded, "optional"),
            };
            self.report(
                rule,
                new_param.pointer.clone(),
                format!("{} was added ({note}).", capitalized(&new_param.describe())),
            );
        }
        Ok(())
    }

    fn parameter(&mut self, old: &Param<'a>, new: &Param<'a>) -> Result<(), XtaskError> {
        match (old.data.required, new.data.required) {
            (false, true) => self.report(
                Rule::ParameterBecameRequired,
                json_pointer::push(&new.pointer, "required"),
                format!("{} became required.", capitalized(&new.describe())),
            ),
            (true, false) => self.report(
                Rule::ParameterBecameOptional,
                json_pointer::push(&new.pointer, "required"),
                format!("{} became optional.", capitalized(&new.describe())),
            ),
            _ => {}
        }
        if (old.style, old.explode) != (new.style, new.explode) {
            self.report(
                Rule::ParameterStyleChanged,
                json_pointer::push(&new.pointer, "style"),
                format!(
                    "{} is serialized differently: style {} (explode {}) became {} (explode {}).",
                    capitalized(&new.describe()),
                    old.style,
                    old.explode,
                    new.style,
                    new.explode
                ),
            );
        }
        match (old.schema(), new.schema()) {
            (Some((old_schema, old_pointer)), Some((new_schema, new_pointer))) => {
                let place = Place::new(old_pointer, new_pointer, new.describe());
                self.schema(Subject::Parameter, old_schema, new_schema, &place)?;
            }
            (None, None) => {}
            _ => self.report(
                Rule::ParameterTypeChanged,
                new.pointer.clone(),
                format!(
                    "{} gained or lost its schema.",
                    capitalized(&new.describe())
                ),
            ),
        }
        Ok(())
    }

    fn request_body(
        &mut self,
        old: &OperationAt<'a>,
        new: &OperationAt<'a>,
    ) -> Result<(), XtaskError> {
        let old_pointer = json_pointer::push(&old.pointer, "requestBody");
        let new_pointer = json_pointer::push(&new.pointer, "requestBody");
        let old_body = match &old.operation.request_body {
            Some(body) => Some(self.old.request_body(body)?),
            None => None,
        };
        let new_body = match &new.operation.request_body {
            Some(body) => Some(self.new.request_body(body)?),
            None => None,
        };
        let (old_body, new_body) = match (old_body, new_body) {
            (None, None) => return Ok(()),
            (Some(_), None) => {
                self.report(
                    Rule::RequestBodyRemoved,
                    old_pointer,
                    "The request body was removed.".to_string(),
                );
                return Ok(());
            }
            (None, Some(body)) => {
                let (rule, note) = if body.required {
                    (
                        Rule::RequestBodyRequiredAdded,
                        "required; existing calls do not send it",
                    )
                } else {
                    (Rule::RequestBodyOptionalAdded, "optional")
                };
                self.report(
                    rule,
                    new_pointer,
                    format!("A request body was added ({note})."),
                );
                return Ok(());
            }
            (Some(old_body), Some(new_body)) => (old_body, new_body),
        };
        if !old_body.required && new_body.required {
            self.report(
                Rule::RequestBodyBecameRequired,
                json_pointer::push(&new_pointer, "required"),
                "The request body became required.".to_string(),
            );
        }
        let old_content = json_pointer::push(&old_pointer, "content");
        let new_content = json_pointer::push(&new_pointer, "content");
        for (media_type, old_media) in &old_body.content {
            let Some(new_media) = new_body.content.get(media_type) else {
                self.report(
                    Rule::RequestContentTypeRemoved,
                    json_pointer::push(&old_content, media_type),
                    format!("The request body no longer accepts `{media_type}`."),
                );
                continue;
            };
            self.media_schema(
                Subject::RequestBody,
                (&old_content, old_media),
                (&new_content, new_media),
                media_type,
                "the request body".to_string(),
            )?;
        }
        Ok(())
    }

    /// Compares the schemas of `media_type`, present on both sides under
    /// the `content` maps at the given pointers.
    fn media_schema(
        &mut self,
        subject: Subject,
        (old_content, old_media): (&str, &'a MediaType),
        (new_content, new_media): (&str, &'a MediaType),
        media_type: &str,
        label: String,
    ) -> Result<(), XtaskError> {
        let (Some(old_schema), Some(new_schema)) =
            (content_schema(old_media), content_schema(new_media))
        else {
            return Ok(());
        };
        let place = Place::new(
            json_pointer::push(&json_pointer::push(old_content, media_type), "schema"),
            json_pointer::push(&json_pointer::push(new_content, media_type), "schema"),
            label,
        );
        self.schema(subject, old_schema, new_schema, &place)
    }

    fn responses(
        &mut self,
        old: &OperationAt<'a>,
        new: &OperationAt<'a>,
    ) -> Result<(), XtaskError> {
        let old_base = json_pointer::push(&old.pointer, "responses");
        let new_base = json_pointer::push(&new.pointer, "responses");
        let old_responses = responses_of(&old.operation.responses);
        let new_responses = responses_of(&new.operation.responses);
        for (status, _) in &old_responses {
            if !new_responses.iter().any(|(other, _)| other == status) {
                self.report(
                    Rule::ResponseStatusRemoved,
                    json_pointer::push(&old_base, status),
                    format!("Response `{status}` is no longer documented."),
                );
            }
        }
        for (status, new_response) in &new_responses {
            let Some((_, old_response)) = old_responses.iter().find(|(other, _)| other == status)
            else {
                self.report(
                    Rule::ResponseStatusAdded,
                    json_pointer::push(&new_base, status),
                    format!("Response `{status}` was added."),
                );
                continue;
            };
            let old_response = self.old.response(old_response)?;
            let new_response = self.new.response(new_response)?;
            let old_content = json_pointer::push(&json_pointer::push(&old_base, status), "content");
            let new_content = json_pointer::push(&json_pointer::push(&new_base, status), "content");
            for media_type in old_response.content.keys() {
                if !new_response.content.contains_key(media_type) {
                    self.report(
                        Rule::ResponseContentTypeRemoved,
                        json_pointer::push(&old_content, media_type),
                        format!("Response `{status}` no longer sends `{media_type}`."),
                    );
                }
            }
            for (media_type, new_media) in &new_response.content {
                let Some(old_media) = old_response.content.get(media_type) else {
                    self.report(
                        Rule::ResponseContentTypeAdded,
                        json_pointer::push(&new_content, media_type),
                        format!("Response `{status}` may now send `{media_type}`."),
                    );
                    continue;
                };
                self.media_schema(
                    Subject::Response,
                    (&old_content, old_media),
                    (&new_content, new_media),
                    media_type,
                    format!("the `{status}` response body"),
                )?;
            }
        }
        Ok(())
    }
}
