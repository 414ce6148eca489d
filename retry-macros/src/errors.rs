//! Collects every error of one attribute, so the user sees them all in one build.

use proc_macro2::TokenStream;

#[derive(Default)]
pub(crate) struct Errors {
    collected: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.collected {
            Some(collected) => collected.combine(error),
            None => self.collected = Some(error),
        }
    }

    pub(crate) fn push_spanned(
        &mut self,
        tokens: impl quote::ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.collected.is_none()
    }

    /// `compile_error!` invocations, one per error.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.collected
            .map(|error| error.to_compile_error())
            .unwrap_or_default()
    }
}
