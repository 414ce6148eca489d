//! A typed view of the annotated fn: its shape (sync, async, `#[async_trait]`), its return type
//! and its error type. The body is kept as tokens and quoted once, never parsed as statements
//! (except to find the future inside an `#[async_trait]` method), so a body with a syntax error
//! still expands from the signature and the IDE keeps working.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Block, Expr, FnArg, GenericArgument, Path, PathArguments, ReceiverKind, ReturnType,
    Signature, Stmt, Type, TypeParamBound, Visibility, braced,
};

use crate::errors::Errors;

/// The fn as written, its body untouched.
pub(crate) struct RetryFn {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: TokenStream,
}

impl Parse for RetryFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        braced!(content in input);
        let body = content.parse()?;
        Ok(RetryFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ToTokens for RetryFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        let body = &self.body;
        tokens.extend(quote::quote!({ #body }));
    }
}

/// How the fn runs, which decides how its body is wrapped.
pub(crate) enum Flavor {
    Sync,
    Async,
    /// A method already rewritten by `#[async_trait]`: `fn m(..) -> Pin<Box<dyn Future<Output =
    /// R> + Send + 'async_trait>> { Box::pin(async move { <rebindings>; <body> }) }`. The retry
    /// loop goes inside the `async move` block, after the argument rebindings.
    AsyncTrait {
        /// `Box::pin`, as the body wrote it.
        callee: syn::ExprPath,
        /// Statements of the body before `Box::pin(..)` (usually none).
        before: Vec<Stmt>,
        /// `let __self = self;`, `let arg = arg;`: they move the arguments into the future once.
        rebindings: Vec<Stmt>,
        /// The rest of the `async move` block: the user's body.
        attempt: Vec<Stmt>,
    },
}

/// What the analysis learnt of the fn.
pub(crate) struct FnShape {
    pub flavor: Flavor,
    /// The `Result` type each attempt produces, `impl Trait` erased to `_` so it can annotate a
    /// `let`.
    pub output: Type,
    /// The error type `E`, when the return type spells `Result<T, E>`.
    pub error_type: Option<Type>,
    /// Whether the fn returns a `Result`: always assumed without `on_result` (rustc checks it);
    /// with it, the return type must be spelled as a path ending in `Result` to be taken as one,
    /// and any other type is a plain value that `on_result` judges.
    pub returns_result: bool,
    /// The return type may be a `Result` whose parts the attributes cannot see: a path that
    /// does not spell `Result<T, E>` out (a type alias such as `Answer`, `io::Result<()>`, a type
    /// parameter) and is not obviously something else.
    pub hides_result: bool,
}

/// Which attribute is asking, for its messages and its checks: each attribute's
/// [`StackedAttribute::KIND`](crate::strategy::StackedAttribute::KIND).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttributeKind {
    /// The attribute as messages spell it: "`#[retry]`".
    pub(crate) spelled: &'static str,
    /// Why the fn must return a `Result`.
    pub(crate) needs_result: &'static str,
    /// What the attribute offers a fn that returns values rather than a `Result` ("" if
    /// nothing), appended to the message that asks for a `Result`.
    pub(crate) value_alternative: &'static str,
    /// Runs the body more than once, so a method taking `self` by value cannot be used.
    pub(crate) runs_body_again: bool,
}

/// What `#[retry]` and `#[circuit_breaker]` offer a fn that returns values.
pub(crate) const ON_RESULT_ALTERNATIVE: &str = ", or give `on_result = path`, a fn taking `&` the returned value and saying with a `bool` whether it is a failure";

/// Why an attribute that refuses calls needs the fn to return a `Result`.
pub(crate) const REFUSAL_NEEDS_RESULT: &str = "a rejected call is returned as an `Err`";

/// Checks what the attribute cannot work with, and works out the shape.
pub(crate) fn analyze(
    function: &RetryFn,
    attribute: AttributeKind,
    judges_values: bool,
    errors: &mut Errors,
) -> Option<FnShape> {
    let sig = &function.sig;
    let spelled = attribute.spelled;
    if let Some(constness) = &sig.constness {
        errors.push_spanned(
            constness,
            format!("{spelled} cannot be used on a `const fn`: it keeps run-time state, which a const fn cannot touch; remove `const`"),
        );
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(receiver) = input
            && attribute.runs_body_again
            && matches!(receiver.kind, ReceiverKind::Value)
        {
            errors.push_spanned(
                receiver.self_token,
                "`#[retry]` cannot retry a method that takes `self` by value: the first attempt would consume it; take `&self` or `&mut self`, or `self: Arc<Self>`",
            );
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.push_spanned(variadic, format!("{spelled} does not support variadic fns"));
    }

    let async_trait = if sig.asyncness.is_none() {
        async_trait_parts(function)
    } else {
        None
    };
    let (flavor, written_output) = if let Some((flavor, output)) = async_trait {
        (flavor, Some(output))
    } else {
        let flavor = if sig.asyncness.is_some() {
            Flavor::Async
        } else {
            Flavor::Sync
        };
        let output = match &sig.output {
            ReturnType::Type(_, ty) => Some((**ty).clone()),
            ReturnType::Default => None,
        };
        (flavor, output)
    };
    let Some(written_output) = written_output else {
        errors.push_spanned(
            &sig.ident,
            format!(
                "{spelled} needs a fn that returns `Result<T, E>`, and `{}` returns `()`; add a return type such as `-> Result<(), MyError>`",
                sig.ident
            ),
        );
        return None;
    };
    let returns_result = !judges_values || spelled_as_result(&written_output);
    if !judges_values && let Some(found) = obviously_not_result(&written_output) {
        errors.push_spanned(
            &written_output,
            format!(
                "{spelled} needs a fn that returns `Result<T, E>`, not {found}: {}; return a `Result`{}",
                attribute.needs_result,
                attribute.value_alternative,
            ),
        );
        return None;
    }
    let error_type = result_error_type(&written_output);
    let hides_result = error_type.is_none() && obviously_not_result(&written_output).is_none();
    let mut output = written_output;
    EraseImplTrait.visit_type_mut(&mut output);
    Some(FnShape {
        flavor,
        output,
        error_type,
        returns_result,
        hides_result,
    })
}

/// The path to write before a variant name: `E` without its generic arguments.
pub(crate) fn variant_prefix(error_type: &Type) -> Option<Path> {
    let Type::Path(type_path) = error_type else {
        return None;
    };
    if type_path.qself.is_some() {
        return None;
    }
    let mut path = type_path.path.clone();
    for segment in &mut path.segments {
        segment.arguments = PathArguments::None;
    }
    Some(path)
}

/// Whether `E` is one of the fn's own type parameters (no variants to name).
pub(crate) fn is_type_parameter(sig: &Signature, error_type: &Type) -> bool {
    let Type::Path(type_path) = error_type else {
        return false;
    };
    let Some(ident) = type_path.path.get_ident() else {
        return false;
    };
    sig.generics
        .type_params()
        .any(|parameter| parameter.ident == *ident)
}

/// `Result<T, E>` (any path ending in `Result` with two arguments) gives `E`.
fn result_error_type(output: &Type) -> Option<Type> {
    let Type::Path(type_path) = output else {
        return None;
    };
    let last = type_path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let types: Vec<&Type> = arguments
        .args
        .iter()
        .filter_map(|argument| match argument {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [_, error] => Some((*error).clone()),
        _ => None,
    }
}

/// A path whose last segment ends in `Result` (`Result`, `io::Result`, `anyhow::Result`).
fn spelled_as_result(output: &Type) -> bool {
    matches!(output, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|last| last.ident.to_string().ends_with("Result")))
}

/// Return types that are certainly not a `Result`. Other paths may be aliases of one, and rustc
/// checks them.
fn obviously_not_result(output: &Type) -> Option<String> {
    const NOT_RESULTS: &[&str] = &[
        "Option", "bool", "char", "str", "String", "Vec", "Box", "u8", "u16", "u32", "u64", "u128",
        "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
    ];
    let described = match output {
        Type::Path(type_path) if type_path.qself.is_none() => {
            let last = type_path.path.segments.last()?.ident.to_string();
            if !NOT_RESULTS.contains(&last.as_str()) {
                return None;
            }
            format!("`{last}`")
        }
        Type::Tuple(tuple) if tuple.elems.is_empty() => "`()`".to_owned(),
        Type::Tuple(_) => "a tuple".to_owned(),
        Type::Reference(_) => "a reference".to_owned(),
        Type::Array(_) | Type::Slice(_) => "an array".to_owned(),
        Type::Never(_) => "`!`".to_owned(),
        Type::ImplTrait(_) => "`impl Trait`".to_owned(),
        Type::Ptr(_) => "a pointer".to_owned(),
        _ => return None,
    };
    Some(described)
}

struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(impl_trait) = ty {
            *ty = Type::Infer(syn::TypeInfer {
                attrs: Vec::new(),
                underscore_token: syn::Token![_](impl_trait.impl_token.span),
            });
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}

/// Recognises the output of `#[async_trait]`: a `Pin<Box<dyn Future<Output = R> ..>>` return
/// type and a body ending in `Box::pin(async move { .. })`.
fn async_trait_parts(function: &RetryFn) -> Option<(Flavor, Type)> {
    let ReturnType::Type(_, output) = &function.sig.output else {
        return None;
    };
    let future_output = pinned_future_output(output)?;
    let body = &function.body;
    let block: Block = syn::parse2(quote::quote!({ #body })).ok()?;
    let mut statements = block.stmts;
    let last = statements.pop()?;
    let Stmt::Expr(Expr::Call(call), None) = last else {
        return None;
    };
    let Expr::Path(callee) = &*call.func else {
        return None;
    };
    let callee_names: Vec<String> = callee
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    if !callee_names.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    let Some(Expr::Async(inner)) = call.args.first() else {
        return None;
    };
    inner.capture?;
    let mut inner_statements = inner.block.stmts.clone().into_iter().peekable();
    let mut rebindings = Vec::new();
    while let Some(statement) = inner_statements.next_if(is_rebinding_or_fake_return) {
        rebindings.push(statement);
    }
    Some((
        Flavor::AsyncTrait {
            callee: callee.clone(),
            before: statements,
            rebindings,
            attempt: inner_statements.collect(),
        },
        future_output,
    ))
}

/// `let x = x;`, `let mut __self = self;`, or async-trait's `if let Some(r) = None::<R> { .. }`.
fn is_rebinding_or_fake_return(statement: &Stmt) -> bool {
    match statement {
        Stmt::Local(local) => local.init.as_ref().is_some_and(|init| {
            init.diverge.is_none()
                && matches!(&*init.expr, Expr::Path(path) if path.path.get_ident().is_some())
        }),
        Stmt::Expr(Expr::If(expr_if), _) => matches!(&*expr_if.cond, Expr::Let(_)),
        _ => false,
    }
}

/// `R` in `Pin<Box<dyn Future<Output = R> + ..>>`.
fn pinned_future_output(ty: &Type) -> Option<Type> {
    let boxed = single_type_argument(ty, "Pin")?;
    let Type::TraitObject(object) = single_type_argument(&boxed, "Box")? else {
        return None;
    };
    object.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(trait_bound) = bound else {
            return None;
        };
        let last = trait_bound.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(arguments) = &last.arguments else {
            return None;
        };
        arguments.args.iter().find_map(|argument| match argument {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(assoc.ty.clone()),
            _ => None,
        })
    })
}

fn single_type_argument(ty: &Type, name: &str) -> Option<Type> {
    let Type::Path(type_path) = ty else {
        return None;
    };
    let last = type_path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    })
}
