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
/// renaming over it would replace the device with a file. A symbolic link is followed, so the
/// file it points to is replaced, not the link. A new file gets the usual permissions (0666
/// less the umask); a replaced file keeps its own.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    stage(path, write)?.commit()
}

/// A file written to a temporary sibling of its destination, put in place by
/// [`Staged::commit`]; dropped uncommitted, the temporary file is removed and the destination
/// left as it was. Several staged files committed together are the files of one run, none
/// in place unless all were written.
#[must_use = "a staged file is only put in place by commit"]
pub struct Staged {
    /// The temporary file and its destination; none for a destination written directly (a
    /// device or pipe).
    temp: Option<(tempfile::NamedTempFile, std::path::PathBuf)>,
}

impl Staged {
    /// Rename the file into place.
    pub fn commit(self) -> io::Result<()> {
        if let Some((temp, path)) = self.temp {
            temp.persist(&path).map_err(|err| err.error)?;
        }
        Ok(())
    }
}

/// Write a file as [`write_atomic`] does, streamed through a buffer, without renaming it into
/// place yet.
pub fn stage(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Staged> {
    let resolved = resolve_links(path)?;
    let path = resolved.as_path();
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
        out.flush()?;
        return Ok(Staged { temp: None });
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let existing = std::fs::metadata(path).ok().map(|meta| meta.permissions());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".linchpin-");
    #[cfg(unix)]
    builder.permissions(existing.clone().unwrap_or_else(new_file_permissions));
    let temp = builder.tempfile_in(dir)?;
    if let Some(permissions) = existing {
        // Creation masked them with the umask; the replaced file's mode is restored exactly.
        temp.as_file().set_permissions(permissions)?;
    }
    let mut out = BufWriter::new(temp);
    write(&mut out)?;
    let temp = out.into_inner().map_err(|err| err.into_error())?;
    temp.as_file().sync_all()?;
    Ok(Staged {
        temp: Some((temp, path.to_path_buf())),
    })
}

/// Follow symbolic links (relative ones from the link's folder), also to a target that does
/// not exist yet, so the rename replaces the file a link points to and never the link.
fn resolve_links(path: &Path) -> io::Result<std::path::PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::other(format!(
        "too many levels of symbolic links at {}",
        path.display()
    )))
}

#[cfg(unix)]
fn new_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    // Masked by the umask at creation, like any file a program creates.
    std::fs::Permissions::from_mode(0o666)
}
