//! `deadline = "refuse"`, a key every attribute takes: a call whose deadline (the call
//! context's, `retry_runtime::context`) has already passed returns `Err(E::from(DeadlineExceeded))`
//! without running its body. Without the key, such a call runs its body once.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, LitStr, Path};

use crate::errors::Errors;
use crate::keys::Arg;

/// Checks the key: its one value, and a fn that can return the refusal. The span of the value,
/// where a missing `From<DeadlineExceeded>` is reported.
pub(crate) fn validate(
    deadline: Option<&Arg<LitStr>>,
    returns_result: bool,
    errors: &mut Errors,
) -> Option<Span> {
    let deadline = deadline?;
    if deadline.value.value() != "refuse" {
        errors.push_spanned(
            &deadline.value,
            "`deadline` takes one value: `deadline = \"refuse\"` refuses a call whose deadline has passed (without the key, such a call runs its body once)",
        );
        return None;
    }
    if !returns_result {
        errors.push_spanned(
            &deadline.key,
            "`deadline = \"refuse\"` returns `Err(E::from(DeadlineExceeded))`, and this fn does not return a `Result`",
        );
        return None;
    }
    Some(deadline.value.span())
}

/// The check before the call: with the deadline in force spent, return the refusal (setting an
/// outer attribute's `rejected` flag: a refusal says nothing of the dependency). A missing
/// `From<DeadlineExceeded>` is reported at `span`, the key's value.
pub(crate) fn refusal(
    krate: &Path,
    span: Span,
    name: &TokenStream,
    rejected: Option<&Ident>,
) -> TokenStream {
    let refused = Ident::new("deadline_refused", Span::mixed_site());
    let conversion = crate::codegen::converted_error(krate, &refused, span);
    let mark_rejected = crate::codegen::mark_rejected(rejected);
    quote! {
        if #krate::__private::deadline_passed() {
            #mark_rejected
            let #refused = #krate::__private::DeadlineExceeded::new(#name);
            return #conversion;
        }
    }
}
