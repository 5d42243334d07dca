//! MQTT topics of wire format v1: `coverage/v1/{site}/{kind}` for readings and
//! `coverage/v1/{site}/resend` for the collector's requests to resend a gap.
//!
//! A site id matches `[A-Za-z0-9_-]{1,64}` and equals the agent's MQTT username, which is what
//! lets the broker's ACL (`pattern write coverage/v1/%u/#`) keep one site from writing as another.

use crate::wire::Kind;
use thiserror::Error;

/// The prefix every v1 topic starts with.
pub const PREFIX: &str = "coverage/v1";

/// The filter a collector subscribes to for every reading of every site.
pub const READINGS_FILTER: &str = "coverage/v1/+/+";

/// The last topic level of a resend request.
pub const RESEND: &str = "resend";

/// Why a topic or site id is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicError {
    /// The site id is empty, too long or has characters outside `[A-Za-z0-9_-]`.
    #[error("site id {0:?} must match [A-Za-z0-9_-]{{1,64}}")]
    BadSite(String),
    /// The topic does not have the shape `coverage/v1/{site}/{kind}`.
    #[error("topic {0:?} is not coverage/v1/{{site}}/{{kind}}")]
    Shape(String),
    /// The last level is not a known kind.
    #[error(
        "topic {topic:?} has unknown kind {kind:?} (expected signal, latency, throughput, heartbeat or resend)"
    )]
    UnknownKind {
        /// The whole topic.
        topic: String,
        /// The unknown last level.
        kind: String,
    },
}

/// Checks a site id against `[A-Za-z0-9_-]{1,64}`.
pub fn validate_site(site: &str) -> Result<(), TopicError> {
    let ok = (1..=64).contains(&site.len())
        && site
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(TopicError::BadSite(site.to_owned()))
    }
}

/// What the last level of a topic addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Readings of one kind, agent to collector.
    Reading(Kind),
    /// A resend request, collector to agent.
    Resend,
}

/// A parsed v1 topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// Site id, already validated.
    pub site: String,
    /// What the topic carries.
    pub channel: Channel,
}

impl Topic {
    /// Parses `coverage/v1/{site}/{kind|resend}`.
    pub fn parse(topic: &str) -> Result<Topic, TopicError> {
        let rest = topic
            .strip_prefix(PREFIX)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| TopicError::Shape(topic.to_owned()))?;
        let (site, last) = rest
            .split_once('/')
            .ok_or_else(|| TopicError::Shape(topic.to_owned()))?;
        if last.contains('/') {
            return Err(TopicError::Shape(topic.to_owned()));
        }
        validate_site(site)?;
        let channel = if last == RESEND {
            Channel::Resend
        } else {
            Channel::Reading(Kind::parse(last).ok_or_else(|| TopicError::UnknownKind {
                topic: topic.to_owned(),
                kind: last.to_owned(),
            })?)
        };
        Ok(Topic {
            site: site.to_owned(),
            channel,
        })
    }
}

/// The topic a reading of `kind` from `site` is published on.
pub fn reading_topic(site: &str, kind: Kind) -> String {
    format!("{PREFIX}/{site}/{}", kind.as_str())
}

/// The topic on which the collector asks `site` to resend readings.
pub fn resend_topic(site: &str) -> String {
    format!("{PREFIX}/{site}/{RESEND}")
}

/// The shared-subscription filter several collectors use to split the load.
pub fn shared_readings_filter(group: &str) -> String {
    format!("$share/{group}/{READINGS_FILTER}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_every_kind() {
        for kind in Kind::ALL {
            let t = reading_topic("bk-01834_a", kind);
            let parsed = Topic::parse(&t).unwrap();
            assert_eq!(parsed.site, "bk-01834_a");
            assert_eq!(parsed.channel, Channel::Reading(kind));
        }
        assert_eq!(
            Topic::parse(&resend_topic("s1")).unwrap().channel,
            Channel::Resend
        );
    }

    #[test]
    fn rejects_bad_shapes_and_sites() {
        assert!(matches!(
            Topic::parse("coverage/v2/s1/signal"),
            Err(TopicError::Shape(_))
        ));
        assert!(matches!(
            Topic::parse("coverage/v1/s1"),
            Err(TopicError::Shape(_))
        ));
        assert!(matches!(
            Topic::parse("coverage/v1/s1/signal/x"),
            Err(TopicError::Shape(_))
        ));
        assert!(matches!(
            Topic::parse("coverage/v1/s.1/signal"),
            Err(TopicError::BadSite(_))
        ));
        assert!(matches!(
            Topic::parse("coverage/v1//signal"),
            Err(TopicError::BadSite(_))
        ));
        assert!(matches!(
            Topic::parse("coverage/v1/s1/gps"),
            Err(TopicError::UnknownKind { .. })
        ));
        assert!(validate_site(&"a".repeat(64)).is_ok());
        assert!(validate_site(&"a".repeat(65)).is_err());
        assert!(validate_site("xã").is_err());
    }

    #[test]
    fn shared_filter_has_the_share_prefix() {
        assert_eq!(
            shared_readings_filter("collectors"),
            "$share/collectors/coverage/v1/+/+"
        );
    }
}
