//! Messages and roles named like prelude items never shadow them: after
//! `use protocol::*;` the prelude's `Result`, `Option`, `Some`, ... still
//! mean what they mean everywhere else.
#![allow(clippy::unwrap_used, missing_docs)]

telltale_macros::choreography!(
    r#"
type Option = | Yes | No

protocol Shadows =
  roles Client, Box
  Client -> Box : Result of Nat
  Box -> Client : Option of String
  Client -> Box : Some
  Box -> Client : None
  Client -> Box : Ok
  Box -> Client : Err
  Client -> Box : Vec
  Box -> Client : String
  Client -> Box : Pick of Option
"#
);

mod user {
    use super::shadows::*;

    /// Compiles only if `Result`, `Option`, `Some`, `None`, `Ok`, `Err`,
    /// `Vec`, `String` and `Box` are still the prelude's.
    pub fn prelude_still_works() -> Result<Option<Vec<String>>, Box<str>> {
        let none: Option<u8> = None;
        assert!(none.is_none());
        let err: Result<(), Box<str>> = Err("e".into());
        assert!(err.is_err());
        Ok(Some(vec![String::from("x")]))
    }

    /// The generated names, renamed with a `Msg` (messages), `Role` (roles)
    /// or `Type` (declared types) suffix.
    pub fn renamed() -> (
        ResultMsg,
        OptionMsg,
        SomeMsg,
        NoneMsg,
        OkMsg,
        ErrMsg,
        VecMsg,
        StringMsg,
        BoxRole,
    ) {
        (
            ResultMsg(1),
            OptionMsg("o".into()),
            SomeMsg,
            NoneMsg,
            OkMsg,
            ErrMsg,
            VecMsg,
            StringMsg,
            BoxRole,
        )
    }

    /// The declared enumeration `Option` and the message carrying it.
    pub fn declared() -> Pick {
        Pick(OptionType::No)
    }
}

#[test]
fn generated_names_do_not_shadow_the_prelude() {
    assert_eq!(user::prelude_still_works().unwrap().unwrap().len(), 1);
    let (result, ..) = user::renamed();
    assert_eq!(result.0, 1);
    assert_eq!(shadows::Role::BoxRole.name(), "Box");
    assert_eq!(user::declared().0.wire_index(), 1);
}
