//! Acknowledging an MQTT message once its point is dealt with: the token the ingest loop hands
//! the sink with every point, and the point itself.
//!
//! Its own module so that the dependency points one way: `ingest` makes tokens, `sink` spends
//! them, and neither imports the other for it. Invariant: a token acknowledges at most once
//! (`ack` takes it by value); a dropped token sends nothing, so the broker redelivers.

use rumqttc::v5::mqttbytes::v5::Publish;
use tokio::sync::mpsc;

/// Acknowledges one MQTT message once its point is dealt with.
#[derive(Debug)]
pub struct AckToken(Option<AckRequest>);

/// A PUBACK the sink asks the ingest loop to send.
#[derive(Debug)]
pub struct AckRequest {
    publish: Publish,
    generation: u64,
    to: mpsc::UnboundedSender<(Publish, u64)>,
}

impl AckToken {
    /// A token with nothing to acknowledge (tests, replays).
    pub fn none() -> AckToken {
        AckToken(None)
    }

    /// Asks for the PUBACK to be sent; never blocks. Dropped when the ingest has stopped (the
    /// broker then redelivers the message to the next session).
    pub fn ack(self) {
        if let Some(a) = self.0 {
            let _ = a.to.send((a.publish, a.generation));
        }
    }

    /// A token that asks for the PUBACK of `publish`, received on connection `generation`, on
    /// the ingest loop's channel `to`.
    pub fn new(
        publish: Publish,
        generation: u64,
        to: mpsc::UnboundedSender<(Publish, u64)>,
    ) -> AckToken {
        AckToken(Some(AckRequest {
            publish,
            generation,
            to,
        }))
    }
}

/// One point waiting to be written, with what acknowledges its MQTT message.
#[derive(Debug)]
pub struct Pending {
    /// The line, newline-terminated.
    pub line: String,
    /// Acknowledges the message once the point is stored or dead-lettered.
    pub ack: AckToken,
}
