//! The unit the log stores: a key, a short UTF-8 head and a body of bytes.
//!
//! Invariants the log enforces on append: keys strictly increase over the life of a log
//! directory (gaps allowed), a head is at most [`crate::MAX_HEAD_BYTES`] and a body at most
//! [`crate::MAX_BODY_BYTES`].

/// One record as read back from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The caller's key (the agent's `seq`); strictly increasing in append order within a log.
    pub key: u64,
    /// A short UTF-8 text the caller gives meaning to (the agent and the collector store the
    /// MQTT topic here).
    pub head: String,
    /// The bytes, at most [`crate::MAX_BODY_BYTES`].
    pub body: Vec<u8>,
}

impl Record {
    /// A borrowed view, for [`crate::SegLog::append_batch`].
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            key: self.key,
            head: &self.head,
            body: &self.body,
        }
    }
}

/// One record to append, borrowed from the caller's own type (no copy before framing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// The record's key; above every key appended before.
    pub key: u64,
    /// Its head, at most [`crate::MAX_HEAD_BYTES`].
    pub head: &'a str,
    /// Its body, at most [`crate::MAX_BODY_BYTES`].
    pub body: &'a [u8],
}

/// Anything [`crate::SegLog::append_batch`] can frame without a copy: the log's own
/// [`Record`] and [`RecordRef`], and the callers' record types (the agent's spool `Record`).
pub trait AsRecord {
    /// The record as the log frames it.
    fn as_record(&self) -> RecordRef<'_>;
}

impl AsRecord for Record {
    fn as_record(&self) -> RecordRef<'_> {
        self.as_ref()
    }
}

impl AsRecord for RecordRef<'_> {
    fn as_record(&self) -> RecordRef<'_> {
        *self
    }
}
