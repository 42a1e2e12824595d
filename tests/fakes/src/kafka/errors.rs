//! Kafka error codes as the fake returns them: a code plus the message Kafka's controller or broker
//! puts next to it (clients show the message, tests match the code).
use kafka_protocol::ResponseError;

/// One error of a response entity (topic, partition, resource), as in Kafka's `ApiError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: i16,
    pub message: Option<String>,
}

impl ApiError {
    pub fn new(error: ResponseError, message: impl Into<String>) -> ApiError {
        ApiError {
            code: error.code(),
            message: Some(message.into()),
        }
    }

    /// An error without a message: Kafka sends null when it has nothing to add.
    pub fn bare(error: ResponseError) -> ApiError {
        ApiError {
            code: error.code(),
            message: None,
        }
    }

    pub fn from_code(code: i16) -> ApiError {
        ApiError { code, message: None }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Kafka's name of an error code (`NOT_CONTROLLER`), as `Errors.java` spells it.
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        None => "NONE".to_string(),
        Some(ResponseError::Unknown(code)) => format!("UNKNOWN_{code}"),
        Some(error) => upper_snake(&format!("{error}")),
    }
}

/// The code of a Kafka error name (`NOT_CONTROLLER` or `NotController`, any case), or of a number.
pub fn error_code(name: &str) -> Option<i16> {
    if let Ok(code) = name.trim().parse::<i16>() {
        return Some(code);
    }
    let wanted = name.trim().to_ascii_uppercase().replace(['-', ' '], "_");
    if wanted == "NONE" {
        return Some(0);
    }
    // The crate knows every code Kafka defines; the table is small enough to scan.
    (-1..=200).find(|&code| {
        code != 0 && (error_name(code) == wanted || camel_upper(code).as_deref() == Some(wanted.as_str()))
    })
}

fn camel_upper(code: i16) -> Option<String> {
    match ResponseError::try_from_code(code) {
        None | Some(ResponseError::Unknown(_)) => None,
        Some(error) => Some(format!("{error}").to_ascii_uppercase()),
    }
}

fn upper_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    let chars: Vec<char> = camel.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev_lower = chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev_lower || (next_lower && chars[i - 1].is_ascii_uppercase()) {
                out.push('_');
            }
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kafka_errors_java() {
        assert_eq!(error_name(41), "NOT_CONTROLLER");
        assert_eq!(error_name(7), "REQUEST_TIMED_OUT");
        assert_eq!(error_name(85), "NO_REASSIGNMENT_IN_PROGRESS");
        assert_eq!(error_name(0), "NONE");
    }

    #[test]
    fn codes_from_names_numbers_and_camel_case() {
        assert_eq!(error_code("NOT_CONTROLLER"), Some(41));
        assert_eq!(error_code("not_controller"), Some(41));
        assert_eq!(error_code("NotController"), Some(41));
        assert_eq!(error_code("7"), Some(7));
        assert_eq!(error_code("UNSUPPORTED_VERSION"), Some(35));
        assert_eq!(error_code("NO_SUCH_ERROR"), None);
    }
}
