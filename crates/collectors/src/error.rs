//! Errors of the collectors. None of them carries a credential: request URLs are
//! stripped from transport errors because some platforms take keys in the query string.

use earshot_model::Platform;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is unusable; `key` is its full path (`collectors.mastodon.instances[0]`).
    #[error("{key}: {problem}")]
    Config { key: String, problem: String },

    /// The platform could not be reached, or kept failing, after every retry.
    #[error("{platform}: request failed after {attempts} attempt(s): {reason}")]
    Exhausted {
        platform: Platform,
        attempts: u32,
        reason: String,
    },

    /// The platform refused the request in a way retrying cannot fix (401, 403, 404…).
    #[error("{platform}: HTTP {status}: {body}")]
    Refused {
        platform: Platform,
        status: u16,
        body: String,
    },

    /// The platform answered 200 with something we cannot read, and kept doing so.
    #[error("{platform}: unreadable response: {reason}")]
    Malformed { platform: Platform, reason: String },

    /// A response body was larger than `collectors.http.max_body_bytes`.
    #[error("{platform}: response body over {limit} bytes (collectors.http.max_body_bytes)")]
    BodyTooLarge { platform: Platform, limit: u64 },

    /// A quota counted in days (YouTube's units) is spent: nothing more can be fetched
    /// until it resets, so the job stops where it is and resumes when run again then.
    #[error("{platform}: quota spent: {detail}")]
    QuotaExhausted { platform: Platform, detail: String },

    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),

    #[error(transparent)]
    KafkaConfig(#[from] earshot_kafka::Error),

    /// A stored cursor no longer parses (the cursor format changed incompatibly).
    #[error("cursor of job `{job}` is unreadable: {reason}")]
    Cursor { job: String, reason: String },

    /// A Kafka read did not reach the end of the topic in time.
    #[error("timed out reading `{topic}` to its end")]
    ReadTimeout { topic: String },

    /// A topic the collectors need is missing (`ensure_topics` could not create it).
    #[error("topic `{topic}` does not exist")]
    MissingTopic { topic: String },

    /// The job's poll panicked (a platform answer our code did not expect). The panic
    /// is caught, logged and counted, and the job polls again at its next slot.
    #[error("job `{job}` panicked: {message}")]
    Panicked { job: String, message: String },

    #[error("shutting down")]
    Shutdown,
}

impl Error {
    pub(crate) fn config(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Config {
            key: key.into(),
            problem: problem.into(),
        }
    }
}
