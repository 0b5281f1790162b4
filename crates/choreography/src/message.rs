//! Messages: a label and its payload.

use crate::error::ChoreoResult;
use crate::Value;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// What travels between roles: the label that names the message (and selects
/// a branch at a choice) and its payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The label name, e.g. `ping`.
    pub label: Arc<str>,
    /// The payload.
    pub value: Value,
}

impl Message {
    /// A message with a payload.
    pub fn new(label: impl Into<Arc<str>>, value: Value) -> Self {
        Message {
            label: label.into(),
            value,
        }
    }

    /// A message without payload, e.g. a pure choice label.
    pub fn unit(label: impl Into<Arc<str>>) -> Self {
        Message::new(label, Value::Unit)
    }

    /// A message carrying a typed payload, serialised with postcard into
    /// [`Value::Bytes`] (the carrier of named user sorts).
    pub fn encode<T: Serialize + ?Sized>(
        label: impl Into<Arc<str>>,
        payload: &T,
    ) -> ChoreoResult<Self> {
        Ok(Message::new(label, Value::encode(payload)?))
    }

    /// The typed payload of a message built with [`Message::encode`].
    pub fn decode<T: DeserializeOwned>(&self) -> ChoreoResult<T> {
        Ok(self.value.decode()?)
    }

    /// The label name.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// `label(value)`, or just `label` for unit payloads.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Unit => f.write_str(&self.label),
            value => write!(f, "{}({value})", self.label),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn typed_payloads_round_trip_and_messages_print() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Order {
            item: String,
            quantity: u32,
        }
        let order = Order {
            item: "book".into(),
            quantity: 2,
        };
        let message = Message::encode("order", &order).unwrap();
        assert_eq!(message.decode::<Order>().unwrap(), order);
        assert_eq!(message.to_string(), "order(<6 bytes>)");
        assert_eq!(Message::unit("stop").to_string(), "stop");
        assert_eq!(Message::new("n", Value::Nat(3)).to_string(), "n(3)");
    }
}
