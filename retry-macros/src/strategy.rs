//! What each attribute is to a stack of them: one [`StackedAttribute`] implementation per
//! attribute, in its folder's `mod.rs` (its syntax, checks and expansion, and the facts the
//! stack needs about it), and one line in [`ALL`]. `stack` iterates these and matches on none.

use proc_macro2::TokenStream;
use syn::{Expr, Ident};

use crate::errors::Errors;
use crate::keys::{Arg, OnArg};
use crate::signature::{AttributeKind, FnShape, RetryFn};
use crate::{adaptive_limit, breaker, bulkhead, chaos, hedge, rate_limit, retry, throttle};

/// Every attribute that stacks, in no particular order.
pub(crate) const ALL: [Strategy; 8] = [
    Strategy::of::<retry::Retry>(),
    Strategy::of::<breaker::CircuitBreaker>(),
    Strategy::of::<rate_limit::RateLimit>(),
    Strategy::of::<bulkhead::Bulkhead>(),
    Strategy::of::<hedge::Hedge>(),
    Strategy::of::<chaos::Chaos>(),
    Strategy::of::<throttle::Throttle>(),
    Strategy::of::<adaptive_limit::AdaptiveLimit>(),
];

/// What wrapping one layer needs besides its plan.
pub(crate) struct Layer<'a> {
    pub(crate) shape: &'a FnShape,
    pub(crate) fn_name: &'a Ident,
    pub(crate) is_async: bool,
    /// The flag this layer sets when it rejects a call.
    pub(crate) rejected: Option<&'a Ident>,
    /// The flag inner layers set when they reject a call.
    pub(crate) inner_rejected: Option<&'a Ident>,
}

/// An attribute's `on` and `when`, which need to see the fn's `Result<T, E>`.
pub(crate) type Selectors<'a> = (&'a Option<Arg<OnArg>>, &'a Option<Arg<Expr>>);

/// One attribute: its pipeline (`parse`, `validate`, `wrap`) and what a stack needs to know of it.
pub(crate) trait StackedAttribute: 'static {
    /// The attribute's name, the last segment of its path.
    const NAME: &'static str;
    /// How its messages name it, and the fn shapes it takes.
    const KIND: AttributeKind;
    /// Can refuse a call without running what it wraps (a chaos fault is not a refusal: it
    /// stands for the real fault, to be retried and counted as one).
    const REJECTS: bool;
    /// Reads an inner refusal: a retry does not retry it, a breaker counts it as ignored, a
    /// hedge starts no attempt at once for it, the adaptive limit and the throttle do not count
    /// it (it never reached the dependency).
    const READS_REJECTIONS: bool;
    /// Runs attempts side by side, each with its own refusal flag, and passes on the refusal of
    /// the attempt whose outcome it returns (`#[hedge]`).
    const FLAG_PER_ATTEMPT: bool = false;
    /// Why the fn must return a `Result` whatever its keys, when it must.
    const NEEDS_RESULT: Option<&'static str>;

    /// The parsed keys.
    type Args: 'static;
    /// The checked keys, ready to expand.
    type Plan: 'static;

    /// Reads the keys, collecting syntax errors.
    fn parse(tokens: TokenStream, errors: &mut Errors) -> Self::Args;
    /// Checks the keys against each other and the fn, collecting every error.
    fn validate(
        args: Self::Args,
        function: &RetryFn,
        shape: &FnShape,
        errors: &mut Errors,
    ) -> Option<Self::Plan>;
    /// Wraps `body` (the fn's, or the inner layers' expansion of it).
    fn wrap(plan: &Self::Plan, layer: &Layer<'_>, body: &TokenStream) -> TokenStream;

    /// Whether its keys let the fn return values rather than a `Result` (`on_result`).
    fn judges_values(_args: &Self::Args) -> bool {
        false
    }
    /// Its `on` and `when`, if it has the keys.
    fn selectors(_args: &Self::Args) -> Option<Selectors<'_>> {
        None
    }
    /// The `on_result` it lends to the stacked attributes that judge values and name none of
    /// their own (a retry's: what it calls a failure is one for a breaker, a hedge, a throttle).
    fn lent_on_result(_args: &Self::Args) -> Option<&Expr> {
        None
    }
    /// Its `on_result`, if it has the key.
    fn on_result(_args: &mut Self::Args) -> Option<&mut Option<Arg<Expr>>> {
        None
    }
}

/// An attribute, type-erased for a stack: its facts, and its parser.
#[derive(Clone, Copy)]
pub(crate) struct Strategy {
    pub(crate) name: &'static str,
    pub(crate) kind: AttributeKind,
    pub(crate) rejects: bool,
    pub(crate) reads_rejections: bool,
    pub(crate) flag_per_attempt: bool,
    parse: fn(TokenStream, &mut Errors) -> Box<dyn ParsedLayer>,
}

impl Strategy {
    pub(crate) const fn of<A: StackedAttribute>() -> Strategy {
        Strategy {
            name: A::NAME,
            kind: A::KIND,
            rejects: A::REJECTS,
            reads_rejections: A::READS_REJECTIONS,
            flag_per_attempt: A::FLAG_PER_ATTEMPT,
            parse: parse::<A>,
        }
    }

    /// Reads one attribute's keys.
    pub(crate) fn parse(self, tokens: TokenStream, errors: &mut Errors) -> Box<dyn ParsedLayer> {
        (self.parse)(tokens, errors)
    }
}

fn parse<A: StackedAttribute>(tokens: TokenStream, errors: &mut Errors) -> Box<dyn ParsedLayer> {
    Box::new(Parsed::<A>(A::parse(tokens, errors)))
}

/// One attribute of a stack, its keys read.
pub(crate) trait ParsedLayer {
    fn strategy(&self) -> Strategy;
    fn judges_values(&self) -> bool;
    fn selectors(&self) -> Option<Selectors<'_>>;
    fn lends_on_result(&self) -> Option<&Expr>;
    fn on_result(&mut self) -> Option<&mut Option<Arg<Expr>>>;
    fn needs_result(&self) -> Option<&'static str>;
    fn validate(
        self: Box<Self>,
        function: &RetryFn,
        shape: &FnShape,
        errors: &mut Errors,
    ) -> Option<Box<dyn PlannedLayer>>;
}

/// One attribute of a stack, checked and ready to wrap.
pub(crate) trait PlannedLayer {
    fn wrap(&self, layer: &Layer<'_>, body: &TokenStream) -> TokenStream;
}

struct Parsed<A: StackedAttribute>(A::Args);

struct Planned<A: StackedAttribute>(A::Plan);

impl<A: StackedAttribute> ParsedLayer for Parsed<A> {
    fn strategy(&self) -> Strategy {
        Strategy::of::<A>()
    }

    fn judges_values(&self) -> bool {
        A::judges_values(&self.0)
    }

    fn selectors(&self) -> Option<Selectors<'_>> {
        A::selectors(&self.0)
    }

    fn lends_on_result(&self) -> Option<&Expr> {
        A::lent_on_result(&self.0)
    }

    fn on_result(&mut self) -> Option<&mut Option<Arg<Expr>>> {
        A::on_result(&mut self.0)
    }

    fn needs_result(&self) -> Option<&'static str> {
        A::NEEDS_RESULT
    }

    fn validate(
        self: Box<Self>,
        function: &RetryFn,
        shape: &FnShape,
        errors: &mut Errors,
    ) -> Option<Box<dyn PlannedLayer>> {
        A::validate(self.0, function, shape, errors)
            .map(|plan| Box::new(Planned::<A>(plan)) as Box<dyn PlannedLayer>)
    }
}

impl<A: StackedAttribute> PlannedLayer for Planned<A> {
    fn wrap(&self, layer: &Layer<'_>, body: &TokenStream) -> TokenStream {
        A::wrap(&self.0, layer, body)
    }
}
