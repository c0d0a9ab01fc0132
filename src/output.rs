//! Writing reports: to stdout, or to a file atomically (a temporary file in the same
//! directory, renamed into place only once complete), so a failed run never leaves a
//! half-written report behind.

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Write to `path` atomically, or to stdout when `path` is `None` or `-`.
pub fn write_output(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match path {
        None => write_stdout(write),
        Some(path) if path.as_os_str() == "-" => write_stdout(write),
        Some(path) => write_atomic(path, write),
    }
}

fn write_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        // A closed pipe (`linchpin audit | head`) is not an error worth reporting.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Write a file through a temporary sibling and rename it into place. A path that exists and
/// is not a regular file (`/dev/null`, `/dev/stdout`, a named pipe) is written directly:
/// renaming over it would replace the device with a file.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let mut out = BufWriter::new(std::fs::OpenOptions::new().write(true).open(path)?);
        write(&mut out)?;
        return out.flush();
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".linchpin-")
        .tempfile_in(dir)?;
    let mut out = BufWriter::new(temp);
    write(&mut out)?;
    let temp = out.into_inner().map_err(|err| err.into_error())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}
