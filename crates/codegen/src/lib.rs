//! The code generator behind `telltale_macros::choreography!`: a `.tell`
//! protocol becomes the tokens of its typed session API, and the same walk
//! describes that API for people (`tell api FILE --role R`).
//!
//! It is a normal library (a proc-macro crate can export nothing but its
//! macros), so the macro and the `tell` binary share one generator. What
//! is generated is documented on the macro.

mod declared;
mod error;
mod generate;
mod imports;
mod input;
pub mod names;
mod outline;
mod payload;
mod runtime;
mod states;
mod unprojectable;

pub use error::MacroError;
pub use outline::{ProtocolOutline, RoleOutline};
pub use unprojectable::diagnostic as projection_diagnostic;

use generate::GeneratedProtocol;
use input::{LoadedSource, MacroArgs};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use telltale_lang::{
    load, lower_all, Diagnostic, LowerOptions, LoweredProtocol, Module, SourceFile,
};

/// The macro's expansion of its arguments `input`, or `compile_error!`s.
pub fn expand(input: TokenStream) -> TokenStream {
    let args = match syn::parse2::<MacroArgs>(input) {
        Ok(args) => args,
        Err(e) => return e.to_compile_error(),
    };
    expand_args(args)
        .unwrap_or_else(|errors| errors.iter().map(MacroError::to_compile_error).collect())
}

/// The expansion, or every error found.
fn expand_args(args: MacroArgs) -> Result<TokenStream, Vec<MacroError>> {
    let source = args.source.load().map_err(|e| vec![e])?;
    let file = SourceFile::new(source.name.clone(), source.text.clone());
    let (mut module, diagnostics) = load(&file);
    if !diagnostics.is_empty() {
        return Err(language_errors(&source, &file, &diagnostics));
    }
    let imported = imports::resolve(&source, &mut module)?;
    let protocols = lower_all(
        &module,
        &LowerOptions {
            params: args.params,
        },
    )
    .map_err(|diagnostics| language_errors(&source, &file, &diagnostics))?;
    if protocols.is_empty() {
        return Err(vec![MacroError::Input {
            span: source.literal.span(),
            message: "the source declares no protocol".into(),
        }]);
    }
    let modules = generate_all(&source, &file, &module, &protocols)?
        .into_iter()
        .map(|generated| generated.tokens);
    // The expansion depends on the protocol file and every module it
    // imports: editing one of them rebuilds the crate.
    let read = source
        .file
        .iter()
        .map(|p| p.display().to_string())
        .chain(imported);
    let dependency = read.map(|path| {
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    Ok(quote!(#(#dependency)* #(#modules)*))
}

/// Every protocol's module, or every error found.
fn generate_all(
    source: &LoadedSource,
    file: &SourceFile,
    module: &Module,
    protocols: &[LoweredProtocol],
) -> Result<Vec<GeneratedProtocol>, Vec<MacroError>> {
    let declared = declared::DeclaredEnums::of(module);
    let mut generated = Vec::with_capacity(protocols.len());
    let mut errors = Vec::new();
    for protocol in protocols {
        match generate::protocol_module(source, file, protocol, &declared) {
            Ok(code) => generated.push(code),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(generated)
    } else {
        Err(errors)
    }
}

/// The typed API `choreography!` generates for the lowered `protocols` of
/// `module` (read from `file`), described per protocol, or why the macro
/// would refuse them.
pub fn outlines(
    file: &SourceFile,
    module: &Module,
    protocols: &[LoweredProtocol],
) -> Result<Vec<ProtocolOutline>, Vec<MacroError>> {
    let source = LoadedSource {
        name: file.name.clone(),
        text: file.text.clone(),
        file: None,
        literal: syn::LitStr::new(&file.text, Span::call_site()),
    };
    Ok(generate_all(&source, file, module, protocols)?
        .into_iter()
        .map(|generated| generated.outline)
        .collect())
}

/// Diagnostics as errors at their DSL spans.
fn language_errors(
    source: &LoadedSource,
    file: &SourceFile,
    diagnostics: &[Diagnostic],
) -> Vec<MacroError> {
    diagnostics
        .iter()
        .map(|d| MacroError::language(source, file, d))
        .collect()
}
