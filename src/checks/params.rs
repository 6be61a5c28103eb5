//! Decoding template parameters with errors that point into the rule file.

use serde::de::DeserializeOwned;

use super::CompileError;

pub fn decode<T: DeserializeOwned>(params: &serde_json::Value) -> Result<T, CompileError> {
    let v = if params.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        params.clone()
    };
    serde_json::from_value(v).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("");
        CompileError {
            pointer: if field.is_empty() {
                String::new()
            } else {
                format!("/{field}")
            },
            message: format!("invalid params: {msg}"),
        }
    })
}
