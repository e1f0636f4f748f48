//! A Bot API request's parameters, from any of the four ways Telegram accepts them: the query
//! string, a JSON body, a form-encoded body, or `multipart/form-data` with uploaded files (as a
//! field of their own, or referenced as `attach://<part>`). Form fields carry everything as
//! text, so the getters accept numbers, booleans and JSON objects written as strings.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use bytes::Bytes;
use serde_json::{Map, Value};

/// An uploaded file part.
#[derive(Clone, Debug)]
pub(super) struct Upload {
    pub file_name: String,
    pub mime_type: Option<String>,
    pub bytes: Bytes,
}

#[derive(Debug, Default)]
pub(super) struct Params {
    /// Plain parameters (strings for form and multipart bodies).
    pub fields: Map<String, Value>,
    /// File parts by part name.
    pub files: HashMap<String, Upload>,
}

impl Params {
    /// Reads the request's parameters; the error is a Telegram-style description.
    pub async fn from_request(req: Request) -> Result<Params, String> {
        let mut params = Params::default();
        if let Some(query) = req.uri().query() {
            params.add_form(query.as_bytes());
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(req, &())
                .await
                .map_err(|e| format!("Bad Request: invalid multipart body: {e}"))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| format!("Bad Request: invalid multipart body: {e}"))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let mime_type = field.content_type().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| format!("Bad Request: invalid multipart body: {e}"))?;
                match file_name {
                    Some(file_name) => {
                        let upload = Upload {
                            file_name,
                            mime_type,
                            bytes,
                        };
                        params.files.insert(name, upload);
                    }
                    None => {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        params.fields.insert(name, Value::String(text));
                    }
                }
            }
            return Ok(params);
        }
        let body = axum::body::to_bytes(req.into_body(), usize::MAX)
            .await
            .map_err(|e| format!("Bad Request: could not read the body: {e}"))?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            params.add_form(&body);
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(fields)) => params.fields.extend(fields),
                Ok(_) => return Err("Bad Request: parameters must be a JSON object".into()),
                Err(_) => return Err("Bad Request: can't parse JSON".into()),
            }
        }
        Ok(params)
    }

    fn add_form(&mut self, form: &[u8]) {
        for (key, value) in url::form_urlencoded::parse(form) {
            self.fields
                .insert(key.into_owned(), Value::String(value.into_owned()));
        }
    }

    /// The parameters as one JSON object (files named by their part), for the call records.
    pub fn to_json(&self) -> Value {
        let mut all = self.fields.clone();
        for (name, upload) in &self.files {
            all.entry(name.clone())
                .or_insert_with(|| Value::String(format!("<file {}>", upload.file_name)));
        }
        Value::Object(all)
    }

    /// A text parameter (numbers and booleans given as JSON are written out).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.fields.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// An integer parameter; a present value that is not one is the error
    /// "Bad Request: wrong parameter <key>".
    pub fn int(&self, key: &str) -> Result<Option<i64>, String> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| wrong(key)),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| wrong(key)),
            Some(_) => Err(wrong(key)),
        }
    }

    /// A boolean parameter (`true`, `"true"`, `"1"`).
    pub fn flag(&self, key: &str) -> bool {
        match self.fields.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A structured parameter (object or array), given as JSON or as a string holding JSON.
    pub fn json(&self, key: &str) -> Result<Option<Value>, String> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|_| format!("Bad Request: can't parse {key} JSON object")),
            Some(other) => Ok(Some(other.clone())),
        }
    }

    /// `chat_id` as a number; a `@username` or anything else names no chat the fake knows.
    pub fn chat_id(&self) -> Result<i64, String> {
        match self.int("chat_id") {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err("Bad Request: chat_id is empty".into()),
            Err(_) => Err("Bad Request: chat not found".into()),
        }
    }

    /// The file a parameter refers to: an upload in a part of the same name, or the part that
    /// an `attach://<part>` value names. `Ok(None)` means the value is a file id or URL.
    pub fn upload(&self, key: &str) -> Result<Option<Upload>, String> {
        if let Some(upload) = self.files.get(key) {
            return Ok(Some(upload.clone()));
        }
        match self.str(key) {
            Some(value) => {
                match value.strip_prefix("attach://") {
                    Some(part) => self.files.get(part).cloned().map(Some).ok_or_else(|| {
                        format!("Bad Request: file {part} not found in the request")
                    }),
                    None => Ok(None),
                }
            }
            None => Err(format!("Bad Request: there is no {key} in the request")),
        }
    }
}

fn wrong(key: &str) -> String {
    format!("Bad Request: wrong parameter {key} in request")
}
