//! Types declared in the protocol source: `type Vote = | Approve | Reject`
//! becomes a Rust enum in the protocol's module.
//!
//! Only enumerations (constructors without arguments, no type parameters,
//! at most 127 constructors) are generated. On the wire a value is the
//! single byte of its constructor's index, which is exactly the postcard
//! encoding of a serde enum, so a generated enum and a host type with the
//! same constructors in the same order interoperate. Any other declared type
//! is left to the host, like a named type from another module.

use crate::names::{rust_ident, shadows_prelude};
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::collections::BTreeMap;
use telltale_lang::ast::{Item, TypeDef};
use telltale_lang::Module;

/// The most constructors an enumeration may have (one varint byte each).
const MAX_CONSTRUCTORS: usize = 127;

/// The enumerations a module declares, by name, with their constructors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclaredEnums(BTreeMap<String, Vec<String>>);

impl DeclaredEnums {
    /// The enumerations of `module` that can be generated.
    pub fn of(module: &Module) -> Self {
        let mut enums = BTreeMap::new();
        for item in &module.items {
            let Item::Type(decl) = item else { continue };
            let TypeDef::Variants(constructors) = &decl.def else {
                continue;
            };
            let simple = decl.params.is_empty()
                && !constructors.is_empty()
                && constructors.len() <= MAX_CONSTRUCTORS
                && constructors
                    .iter()
                    .all(|(name, args)| args.is_empty() && rust_ident(&name.text).is_some())
                && rust_ident(&decl.name.text).is_some();
            if simple {
                let names = constructors
                    .iter()
                    .map(|(name, _)| name.text.clone())
                    .collect();
                enums.insert(decl.name.text.clone(), names);
            }
        }
        DeclaredEnums(enums)
    }

    /// The names of the declared enumerations.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }

    /// The Rust name of a payload sort's named path, when it is a declared
    /// enumeration (named without a module path).
    pub fn ident(&self, path: &str) -> Option<Ident> {
        self.0.get(path).and_then(|_| enum_ident(path))
    }

    /// The definitions of every declared enumeration.
    pub fn definitions(&self) -> TokenStream {
        let items = self.0.iter().filter_map(|(name, constructors)| {
            let ident = enum_ident(name)?;
            let variants: Vec<Ident> = constructors.iter().filter_map(|c| rust_ident(c)).collect();
            let indices: Vec<u8> = (0..variants.len())
                .filter_map(|i| u8::try_from(i).ok())
                .collect();
            let doc = format!("`{name}`, declared in the protocol source.");
            Some(quote! {
                #[doc = #doc]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                pub enum #ident {
                    #(#[doc = "A constructor."] #variants,)*
                }

                impl #ident {
                    /// The constructor's index: its encoding on the wire.
                    pub fn wire_index(self) -> u8 {
                        match self { #(#ident::#variants => #indices,)* }
                    }

                    /// The constructor with this wire index.
                    pub fn from_wire_index(index: u8) -> ::core::option::Option<Self> {
                        match index {
                            #(#indices => ::core::option::Option::Some(#ident::#variants),)*
                            _ => ::core::option::Option::None,
                        }
                    }
                }
            })
        });
        quote!(#(#items)*)
    }
}

/// The Rust name of a declared enumeration: its own, with a `Type` suffix
/// if it would shadow a prelude name (`type Option = ...` → `OptionType`).
fn enum_ident(name: &str) -> Option<Ident> {
    if shadows_prelude(name) {
        rust_ident(&format!("{name}Type"))
    } else {
        rust_ident(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_enumerations_never_shadow_the_prelude() {
        assert_eq!(
            enum_ident("Vote").map(|i| i.to_string()).as_deref(),
            Some("Vote")
        );
        assert_eq!(
            enum_ident("Option").map(|i| i.to_string()).as_deref(),
            Some("OptionType")
        );
    }
}
