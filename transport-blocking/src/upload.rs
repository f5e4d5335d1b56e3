//! Upload bodies and whether they can be sent twice.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek};

use ocisdk_core::body::UploadSource;

/// `Read + Seek` as one object-safe trait.
pub trait ReadSeek: Read + io::Seek {}
impl<T: Read + io::Seek> ReadSeek for T {}

/// Where an upload's bytes come from.
enum Source<'a> {
    /// A reader that can only be read once (a pipe, a socket, a generator).
    Once(Box<dyn Read + 'a>),
    /// A reader that can seek back to where it started (a file, a cursor).
    Seekable(Box<dyn ReadSeek + 'a>, u64),
}

/// The bytes of an upload. Whether a failed attempt can be retried depends on the source: a
/// slice, a `Vec`, a file or any `Read + Seek` rewinds to where it started; a plain reader is
/// sent at most once (a retry would send a truncated or empty body, as some SDKs have done).
pub struct UploadBody<'a> {
    source: Source<'a>,
}

impl std::fmt::Debug for UploadBody<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.source {
            Source::Once(_) => "UploadBody(once)",
            Source::Seekable(..) => "UploadBody(replayable)",
        })
    }
}

impl<'a> UploadBody<'a> {
    /// A body read once from `reader`; an attempt that fails after reading from it is not
    /// retried.
    pub fn from_reader(reader: impl Read + 'a) -> Self {
        UploadBody {
            source: Source::Once(Box::new(reader)),
        }
    }

    /// A body that can be sent again: each attempt seeks back to the reader's current
    /// position.
    pub fn from_seekable(mut reader: impl Read + Seek + 'a) -> io::Result<Self> {
        let start = reader.stream_position()?;
        Ok(UploadBody {
            source: Source::Seekable(Box::new(reader), start),
        })
    }

    fn seekable_or_once<R: Read + Seek + 'a>(mut reader: R) -> Self {
        match reader.stream_position() {
            Ok(start) => UploadBody {
                source: Source::Seekable(Box::new(reader), start),
            },
            Err(_) => UploadBody::from_reader(reader),
        }
    }

    /// Whether a failed attempt can be retried with this body.
    pub fn is_replayable(&self) -> bool {
        self.kind() == UploadSource::Replayable
    }

    /// What the core needs to know about the source to decide on retries.
    pub(crate) fn kind(&self) -> UploadSource {
        match self.source {
            Source::Once(_) => UploadSource::OneShot,
            Source::Seekable(..) => UploadSource::Replayable,
        }
    }

    /// Goes back to where the body started, for another attempt.
    pub(crate) fn rewind(&mut self) -> io::Result<()> {
        match &mut self.source {
            Source::Seekable(reader, start) => reader.seek(io::SeekFrom::Start(*start)).map(drop),
            Source::Once(_) => Err(io::Error::other("a one-shot body cannot be rewound")),
        }
    }

    pub(crate) fn reader(&mut self) -> &mut dyn Read {
        match &mut self.source {
            Source::Once(r) => r,
            Source::Seekable(r, _) => r,
        }
    }
}

impl<'a> From<&'a [u8]> for UploadBody<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        UploadBody::seekable_or_once(Cursor::new(bytes))
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for UploadBody<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        UploadBody::from(&bytes[..])
    }
}

impl From<Vec<u8>> for UploadBody<'static> {
    fn from(bytes: Vec<u8>) -> Self {
        UploadBody::seekable_or_once(Cursor::new(bytes))
    }
}

impl From<bytes::Bytes> for UploadBody<'static> {
    fn from(bytes: bytes::Bytes) -> Self {
        UploadBody::seekable_or_once(Cursor::new(bytes))
    }
}

/// A file is uploaded from its current position, and rewound there for a retry. If its
/// position cannot be read, the body falls back to being sent once.
impl From<File> for UploadBody<'static> {
    fn from(file: File) -> Self {
        UploadBody::seekable_or_once(file)
    }
}

impl<'a> From<&'a mut File> for UploadBody<'a> {
    fn from(file: &'a mut File) -> Self {
        UploadBody::seekable_or_once(file)
    }
}
