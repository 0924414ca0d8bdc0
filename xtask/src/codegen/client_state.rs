//! What every request of the generated `Client` shares, and the hook that
//! caps response bodies.
//!
//! progenitor reads a success body whole (`ResponseValue::from_response`),
//! with no bound: an endless or huge body from a hostile server or proxy
//! would take all memory. The generated client's `exec` hook therefore wraps
//! every response body in `http_body_util::Limited`, so reading stops, with
//! a `LengthLimitError` in the error's sources, once the client's limit is
//! passed. The limit and the per-client headers (added by the pre-hook) live
//! in `ClientState`, progenitor's "inner" value.

use proc_macro2::TokenStream;
use quote::quote;

use super::syn_tree::{PassInput, parse_items};

/// The pass: the client's shared state and the body-capping hook replace
/// progenitor's empty hooks impl.
pub fn apply(file: &mut syn::File, _input: &PassInput<'_>) -> Result<(), String> {
    let before = file.items.len();
    file.items.retain(|item| !is_default_hooks_impl(item));
    if file.items.len() + 1 != before {
        return Err(
            "progenitor's output has no single empty `impl ClientHooks` to replace".to_string(),
        );
    }
    file.items.extend(parse_items(items())?);
    Ok(())
}

/// The path progenitor is given as the client's inner type.
pub fn inner_type() -> TokenStream {
    quote!(crate::ClientState)
}

/// The pre-hook: adds the per-client headers to every request.
pub fn pre_hook() -> TokenStream {
    quote!(
        |state: &crate::ClientState, request: &mut ::reqwest::Request| {
            for (name, value) in state.headers() {
                request.headers_mut().insert(name.clone(), value.clone());
            }
        }
    )
}

/// `ClientState`, its default limit, and the error type that says a body
/// passed it.
fn items() -> TokenStream {
    quote! {
        /// The most bytes of a response body a [`Client`] reads unless told
        /// otherwise: 32 MiB. A page of 100 sessions is a few kilobytes.
        pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

        /// The error, among a body error's sources, that says a response body
        /// was larger than [`ClientState::max_response_bytes`].
        pub use ::http_body_util::LengthLimitError;

        /// What every request of a [`Client`] shares: the headers added to
        /// each request (credentials, user agent) and the most bytes of a
        /// response body that are read.
        #[derive(Debug, Clone)]
        pub struct ClientState {
            headers: ::reqwest::header::HeaderMap,
            max_response_bytes: usize,
        }

        impl ClientState {
            /// Headers added to every request, and the body limit in bytes.
            pub fn new(headers: ::reqwest::header::HeaderMap, max_response_bytes: usize) -> Self {
                Self { headers, max_response_bytes }
            }

            /// The headers added to every request.
            pub fn headers(&self) -> &::reqwest::header::HeaderMap {
                &self.headers
            }

            /// The most bytes of a response body that are read.
            pub fn max_response_bytes(&self) -> usize {
                self.max_response_bytes
            }
        }

        impl ClientHooks<ClientState> for &Client {
            /// Sends the request; the response's body reads at most
            /// [`ClientState::max_response_bytes`] bytes, then fails.
            async fn exec(
                &self,
                request: ::reqwest::Request,
                _info: &::progenitor_client::OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                let response = self.client().execute(request).await?;
                let limit = self.inner().max_response_bytes();
                let response: ::http::Response<::reqwest::Body> = response.into();
                let (parts, body) = response.into_parts();
                let body = ::reqwest::Body::wrap(::http_body_util::Limited::new(body, limit));
                Ok(::reqwest::Response::from(::http::Response::from_parts(parts, body)))
            }
        }
    }
}

/// Whether `item` is progenitor's empty `impl ClientHooks<..> for &Client {}`,
/// which [`items`] replaces.
fn is_default_hooks_impl(item: &syn::Item) -> bool {
    match item {
        syn::Item::Impl(implementation) => {
            implementation.items.is_empty()
                && implementation
                    .trait_
                    .as_ref()
                    .and_then(|(_, path, _)| path.segments.last())
                    .is_some_and(|segment| segment.ident == "ClientHooks")
        }
        _ => false,
    }
}
