//! Upload bodies and whether they can be sent twice.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek};

use crate::transport::{ReadSeek, Source};

/// The bytes of an upload. Whether a failed attempt can be retried depends on the source: a
/// slice, a `Vec`, a file or any `Read + Seek` rewinds to where it started; a plain reader is
/// sent at most once (a retry would send a truncated or empty body, as some SDKs have done).
pub struct UploadBody<'a> {
    pub(crate) source: Source<'a>,
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
            source: Source::Seekable(Box::new(reader) as Box<dyn ReadSeek + 'a>, start),
        })
    }

    /// Whether a failed attempt can be retried with this body.
    pub fn is_replayable(&self) -> bool {
        matches!(self.source, Source::Seekable(..))
    }
}

impl<'a> From<&'a [u8]> for UploadBody<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        UploadBody {
            source: Source::Seekable(Box::new(Cursor::new(bytes)), 0),
        }
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for UploadBody<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        UploadBody::from(&bytes[..])
    }
}

impl From<Vec<u8>> for UploadBody<'static> {
    fn from(bytes: Vec<u8>) -> Self {
        UploadBody {
            source: Source::Seekable(Box::new(Cursor::new(bytes)), 0),
        }
    }
}

impl From<bytes::Bytes> for UploadBody<'static> {
    fn from(bytes: bytes::Bytes) -> Self {
        UploadBody {
            source: Source::Seekable(Box::new(Cursor::new(bytes)), 0),
        }
    }
}

/// A file is uploaded from its current position, and rewound there for a retry. If its
/// position cannot be read, the body falls back to being sent once.
impl From<File> for UploadBody<'static> {
    fn from(mut file: File) -> Self {
        match file.stream_position() {
            Ok(start) => UploadBody {
                source: Source::Seekable(Box::new(file), start),
            },
            Err(_) => UploadBody::from_reader(file),
        }
    }
}

impl<'a> From<&'a mut File> for UploadBody<'a> {
    fn from(file: &'a mut File) -> Self {
        match file.stream_position() {
            Ok(start) => UploadBody {
                source: Source::Seekable(Box::new(file), start),
            },
            Err(_) => UploadBody::from_reader(file),
        }
    }
}
