//! The output files on disk: where an `outputs` path really leads, reading one for `check`, and
//! writing all of them for `emit` so that either every file changes or none does.
//!
//! - Paths are resolved through symbolic links before anything is read or written: an output
//!   must stay inside the repository (not through a linked directory to elsewhere), outside
//!   `.git`, must not be the model file nor a file the model's builds and jobs read (a
//!   Dockerfile, an ignore file, an input, a cache key, `.gitmodules`, `.gitattributes`), and
//!   must not itself be a link.
//! - `check` reads regular files only, at most [`MAX_OUTPUT_BYTES`]: a FIFO, a device or a
//!   directory is an error, never a hang or an endless read.
//! - `emit` writes every file to a temporary file in its directory, then renames them all. A
//!   failed rename puts back the files already replaced (from hard-linked backups). New files get
//!   mode 0666 less the umask, as any new file; a replaced regular file keeps its mode (a
//!   replaced link is no file: its target's mode is not taken). Temporary files, and the
//!   directories made for a write that fails, are removed on every error, and on SIGINT, SIGTERM
//!   or SIGHUP: a handler waits for the writing to finish or fail, removes what is left, then
//!   lets the signal end the process.

use std::fs::{self, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::error::Error;
use crate::model::{Diagnostic, LoadedModel, ModelErrors, ModelPath, output_paths};
use crate::outputs::Output;
use crate::plan::Plan;
use crate::workspace::Workspace;

/// `check` compares files up to this size; a larger file is stale without a diff. pipegen's own
/// outputs stay far below it (GitHub takes workflows up to 512,000 bytes).
pub const MAX_OUTPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Temporary files and backups that exist right now. The signal handler removes them; the
/// writer holds the lock for its whole transaction, so the two never interleave.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Where each output is on disk, after checking that it may be written or read there.
pub fn resolve(
    workspace: &Workspace,
    loaded: &LoadedModel,
    plan: &Plan,
    files: &[Output],
) -> Result<Vec<PathBuf>, Error> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Read { path, source }
    };
    let root = fs::canonicalize(&workspace.root).map_err(read_error(&workspace.root))?;
    let model = fs::canonicalize(&workspace.model_arg).map_err(read_error(&workspace.model_arg))?;
    let mut problems = Vec::new();
    let mut resolved: Vec<PathBuf> = Vec::new();
    let mut readers = Readers::of(plan);
    for file in files {
        let at = ModelPath::keys(["outputs", file.target.name()]);
        match resolve_one(&root, &model, &output_paths::normalize(&file.path)) {
            Ok(path) => {
                // Spelled apart, two outputs can still be one file: through a linked directory,
                // or in other letter case on a case-insensitive file system.
                if let Some(first) = resolved.iter().position(|other| same_file_name(other, &path)) {
                    let first = &files[first];
                    problems.push(
                        Diagnostic::new(
                            "duplicate-output",
                            at,
                            format!(
                                "`{}` and `{}` (`outputs.{}`) are one file on disk, {}",
                                file.path,
                                first.path,
                                first.target.name(),
                                path.display()
                            ),
                        )
                        .label("same file as the other output")
                        .related(ModelPath::keys(["outputs", first.target.name()]), "first named here")
                        .help("give each output a file of its own, e.g. `.github/workflows/images.yml`"),
                    );
                } else if let Some(reader) = readers.find(&root, &path) {
                    problems.push(
                        Diagnostic::new(
                            "output-path",
                            at,
                            format!("`{}` is {reader}: writing the pipeline there would replace it", file.path),
                        )
                        .label("a file the model reads")
                        .help("give the pipeline a file of its own, e.g. `.gitlab-ci.yml`"),
                    );
                }
                resolved.push(path);
            }
            Err((message, help)) => {
                problems.push(
                    Diagnostic::new("output-path", at, format!("`{}` {message}", file.path)).label("here").help(help),
                );
                resolved.push(PathBuf::new());
            }
        }
    }
    if problems.is_empty() { Ok(resolved) } else { Err(ModelErrors::new(loaded.source.clone(), problems).into()) }
}

/// The files of the repository that the model's builds and jobs read, each with what reads it:
/// an output written over one would change what the pipeline builds or hashes.
struct Readers {
    /// Repository-relative paths (normalized), each once, with the first reader found.
    files: Vec<(String, String)>,
    /// Real directories, by repository-relative path, as resolved so far.
    directories: std::collections::HashMap<String, PathBuf>,
}

impl Readers {
    fn of(plan: &Plan) -> Readers {
        let mut files: Vec<(String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut add = |path: String, reader: &dyn Fn() -> String| {
            let path = output_paths::normalize(&path);
            if !path.is_empty() && seen.insert(path.clone()) {
                files.push((path, reader()));
            }
        };
        // The checkout reads it (`crate::checkout`); `.gitattributes`, at any depth, in `find`.
        add(".gitmodules".to_string(), &|| "git's `.gitmodules`, which the pipeline's checkout reads".to_string());
        let caches = |caches: &[crate::plan::CacheUse], add: &mut dyn FnMut(String, &dyn Fn() -> String)| {
            for cache in caches {
                for key in &cache.key_files {
                    add(key.clone(), &|| format!("a key file of cache `{}`, which the pipeline hashes", cache.name));
                }
            }
        };
        for build in &plan.builds {
            let image = &build.this.id.image;
            add(build.dockerfile.clone(), &|| format!("the Dockerfile of image `{image}`, which its build reads"));
            for target in crate::emit::Target::ALL {
                for candidate in target.builder().ignore_file_candidates(&build.context, &build.dockerfile) {
                    add(candidate, &|| format!("an ignore file that the build of image `{image}` reads"));
                }
            }
            for input in build.inputs.iter().filter(|i| !crate::plan::recipe::Glob::is_glob(i)) {
                add(input.clone(), &|| format!("an input of image `{image}`, which its tag hashes"));
            }
            caches(&build.caches, &mut add);
        }
        for run in &plan.runs {
            caches(&run.caches, &mut add);
        }
        Readers { files, directories: std::collections::HashMap::new() }
    }

    /// What reads the file at `output` (a real path under `root`, canonical), if anything does:
    /// spelled alike, or alike once links are followed (a linked directory on the way, a read
    /// file that is itself a link), in any letter case as on case-insensitive file systems.
    fn find(&mut self, root: &Path, output: &Path) -> Option<&str> {
        let name = output.file_name()?.to_string_lossy().to_lowercase();
        if name == ".gitattributes" {
            return Some("a `.gitattributes`, which git reads on every checkout of the pipeline");
        }
        let lexical = output.strip_prefix(root).ok().map(crate::workspace::slash_path);
        let Readers { files, directories } = self;
        files
            .iter()
            .find(|(path, _)| {
                if lexical.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(path)) {
                    return true;
                }
                let (parent, file_name) = path.rsplit_once('/').unwrap_or(("", path));
                let on_disk = root.join(path);
                // A link may lead anywhere; otherwise only a file of the same name can be it.
                if fs::symlink_metadata(&on_disk).is_ok_and(|m| m.file_type().is_symlink()) {
                    return fs::canonicalize(&on_disk).is_ok_and(|real| same_file_name(&real, output));
                }
                if file_name.to_lowercase() != name {
                    return false;
                }
                let real_parent = directories.entry(parent.to_string()).or_insert_with(|| real_directory(root, parent));
                same_file_name(&real_parent.join(file_name), output)
            })
            .map(|(_, reader)| reader.as_str())
    }
}

/// The real path of the directory `relative` under `root`: its deepest existing ancestor
/// resolved through links, and the missing rest as written.
fn real_directory(root: &Path, relative: &str) -> PathBuf {
    // Every error walks on, so the walk always ends with an answer.
    let (existing, missing) = deepest_existing(&root.join(relative), |_| true).unwrap_or_default();
    let mut real = fs::canonicalize(&existing).unwrap_or(existing);
    for component in missing.iter().rev() {
        real.push(component);
    }
    real
}

/// `path`'s deepest ancestor (itself included) that exists, and the names below it that do not,
/// the deepest first. A name that cannot be looked up is taken for missing when `walks_on` says
/// so; otherwise its error ends the walk.
fn deepest_existing(
    path: &Path,
    walks_on: impl Fn(&std::io::Error) -> bool,
) -> Result<(PathBuf, Vec<PathBuf>), std::io::Error> {
    let mut existing = path.to_path_buf();
    let mut missing: Vec<PathBuf> = Vec::new();
    while let Err(e) = fs::symlink_metadata(&existing) {
        if !walks_on(&e) {
            return Err(e);
        }
        let Some(up) = existing.parent() else { break };
        missing.push(existing.file_name().map(PathBuf::from).unwrap_or_default());
        existing = up.to_path_buf();
    }
    Ok((existing, missing))
}

/// Whether two resolved paths name one file, here or on a case-insensitive file system (macOS,
/// Windows), where a checkout writes `CI.yml` and `ci.yml` to one file.
fn same_file_name(one: &Path, other: &Path) -> bool {
    !one.as_os_str().is_empty() && one.to_string_lossy().to_lowercase() == other.to_string_lossy().to_lowercase()
}

/// The longest file name Linux's and macOS's file systems take, in bytes (NAME_MAX).
const MAX_NAME_BYTES: usize = 255;

/// The real path of the output `relative` (normalized) under `root` (canonical), or why not.
fn resolve_one(root: &Path, model: &Path, relative: &str) -> Result<PathBuf, (String, String)> {
    let unresolved = |e: std::io::Error| {
        (format!("cannot be resolved: {e}"), "make every directory on the way an existing directory".to_string())
    };
    // A longer name fails with ENAMETOOLONG wherever it is used, which reads as a missing file
    // to a walk that looks for what exists.
    if let Some(long) = relative.split('/').find(|c| c.len() > MAX_NAME_BYTES) {
        return Err((
            format!("has a name of {} bytes, more than file systems take ({MAX_NAME_BYTES})", long.len()),
            "shorten every name on the way to 255 bytes or fewer".to_string(),
        ));
    }
    let target = root.join(relative);
    let name = target.file_name().map(PathBuf::from).unwrap_or_default();
    let parent = target.parent().unwrap_or(root);
    // The deepest directory that exists; what follows it will be created as plain directories.
    // ENOTDIR: something on the way is no directory; the walk goes on up to it, refused below.
    let (existing, missing) = deepest_existing(parent, |e| {
        matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory)
    })
    .map_err(unresolved)?;
    let real = fs::canonicalize(&existing).map_err(unresolved)?;
    if !fs::metadata(&real).map_err(unresolved)?.is_dir() {
        let spelled = crate::workspace::slash_path(existing.strip_prefix(root).unwrap_or(&existing));
        let linked = fs::symlink_metadata(&existing).is_ok_and(|m| m.file_type().is_symlink());
        let what = match (linked, fs::metadata(&real).is_ok_and(|m| m.is_file())) {
            (false, true) => "a file",
            (true, true) => "a symbolic link to a file",
            (false, false) => "a FIFO, a socket or a device",
            (true, false) => "a symbolic link to a FIFO, a socket or a device",
        };
        return Err((
            format!("cannot be written: `{spelled}` is {what}, not a directory"),
            format!(
                "write the output elsewhere, or move `{spelled}` out of the way: pipegen creates missing directories, it replaces no file"
            ),
        ));
    }
    let mut real_parent = real;
    for component in missing.iter().rev() {
        real_parent.push(component);
    }
    let Ok(inside) = real_parent.strip_prefix(root) else {
        return Err((
            format!("leads outside the repository, to {}, through a symbolic link", real_parent.display()),
            "outputs are files of the repository; write to a path without links that leave it".to_string(),
        ));
    };
    let inside_git = inside.components().any(|c| matches!(c, Component::Normal(n) if n.eq_ignore_ascii_case(".git")));
    if inside_git {
        return Err((
            "leads into `.git` through a symbolic link".to_string(),
            "write the pipeline into the work tree, e.g. `.gitlab-ci.yml`".to_string(),
        ));
    }
    let real_target = real_parent.join(name);
    if same_file_name(&real_target, model) {
        return Err((
            if real_target == model {
                "is the model file itself".to_string()
            } else {
                "is the model file itself on case-insensitive file systems (macOS, Windows)".to_string()
            },
            "give the pipeline a file of its own, e.g. `.gitlab-ci.yml`".to_string(),
        ));
    }
    match fs::symlink_metadata(&real_target) {
        Ok(metadata) if metadata.file_type().is_symlink() => Err((
            "is a symbolic link".to_string(),
            "pipegen writes and compares regular files; remove the link or point `outputs` at its target".to_string(),
        )),
        Ok(metadata) if !metadata.is_file() => Err((
            "is not a regular file (a directory, a FIFO or a device)".to_string(),
            "name a file to write, e.g. `.gitlab-ci.yml`".to_string(),
        )),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(unresolved(e)),
        _ => Ok(real_target),
    }
}

/// An output file as `check` finds it.
#[derive(Debug)]
pub enum OnDisk {
    Missing,
    Bytes(Vec<u8>),
    /// Larger than [`MAX_OUTPUT_BYTES`]: this many bytes.
    TooLarge(u64),
}

/// Read the output at `path` (resolved), a regular file of at most [`MAX_OUTPUT_BYTES`].
pub fn read_output(path: &Path) -> Result<OnDisk, Error> {
    let read_error = |source| Error::Read { path: path.to_path_buf(), source };
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OnDisk::Missing),
        Err(e) => return Err(read_error(e)),
    };
    // Opening a FIFO would wait for a writer: look before opening, and again at what was opened.
    let not_regular =
        || Error::Usage(format!("{} is not a regular file; pipegen only compares regular files", path.display()));
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let file = fs::File::open(path).map_err(read_error)?;
    let opened = file.metadata().map_err(read_error)?;
    if !opened.is_file() {
        return Err(not_regular());
    }
    if opened.len() > MAX_OUTPUT_BYTES {
        return Ok(OnDisk::TooLarge(opened.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_OUTPUT_BYTES + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > MAX_OUTPUT_BYTES {
        return Ok(OnDisk::TooLarge(bytes.len() as u64));
    }
    Ok(OnDisk::Bytes(bytes))
}

/// Write every `(path, content)` (resolved paths) or none of them.
pub fn write_all(files: &[(PathBuf, &str)]) -> Result<(), Error> {
    remove_pending_on_signals();
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    let mut created = Vec::new();
    let result = transaction(files, &mut pending, &mut created);
    // Renamed files left the list; whatever is still in it is a temporary file or a backup.
    for path in pending.drain(..) {
        let _ = fs::remove_file(path);
    }
    if result.is_err() {
        // Deepest first, and only while empty: a directory someone filled meanwhile stays.
        for directory in created.iter().rev() {
            let _ = fs::remove_dir(directory);
        }
    }
    result
}

/// Write `files` as [`write_all`] does, listing in `pending` the files to remove in the end and
/// in `created` the directories it made, parents first, to remove if it fails.
fn transaction(files: &[(PathBuf, &str)], pending: &mut Vec<PathBuf>, created: &mut Vec<PathBuf>) -> Result<(), Error> {
    let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
    for (target, content) in files {
        let write_error = |source| Error::Write { path: target.clone(), source: without_temporary_path(source) };
        let directory = target.parent().unwrap_or(Path::new("."));
        // Listed before they are made: a create_dir_all that fails halfway made some of them.
        let first_new = created.len();
        for missing in directory.ancestors().take_while(|d| fs::symlink_metadata(d).is_err()) {
            created.insert(first_new, missing.to_path_buf());
        }
        fs::create_dir_all(directory).map_err(write_error)?;
        // Only a regular file's mode is kept: a link (to /dev/null, 0666) is replaced by a new
        // file, which gets a new file's mode.
        let kept_mode = fs::symlink_metadata(target).ok().filter(fs::Metadata::is_file).map(|m| m.permissions());
        // 0666 at creation, which the kernel masks with the umask: the mode of any new file.
        let temporary = tempfile::Builder::new()
            .prefix(".pipegen-")
            .suffix(".tmp")
            .permissions(Permissions::from_mode(0o666))
            .tempfile_in(directory)
            .map_err(write_error)?;
        let (mut file, path) = temporary.keep().map_err(|e| write_error(e.error))?;
        pending.push(path.clone());
        file.write_all(content.as_bytes()).map_err(write_error)?;
        if let Some(mode) = kept_mode {
            file.set_permissions(mode).map_err(write_error)?;
        }
        file.sync_all().map_err(write_error)?;
        staged.push((path, target));
    }

    // Each replaced file is first hard-linked to a backup, so a failed rename can be undone.
    let mut committed: Vec<(&Path, Option<PathBuf>)> = Vec::new();
    for (temporary, target) in &staged {
        let outcome = backup(target, pending).and_then(|saved| {
            fs::rename(temporary, target)?;
            Ok(saved)
        });
        match outcome {
            Ok(saved) => {
                pending.retain(|p| p != temporary);
                committed.push((target, saved));
            }
            Err(source) => {
                for (done, saved) in committed.into_iter().rev() {
                    let _ = match saved {
                        Some(saved) => fs::rename(&saved, done),
                        None => fs::remove_file(done),
                    };
                }
                return Err(Error::Write { path: target.to_path_buf(), source: without_temporary_path(source) });
            }
        }
    }
    Ok(())
}

/// `error` without the temporary file's name that tempfile adds to it (`… at path
/// "/x/.pipegen-AbC.tmp"`): the message names the output instead, and keeps the OS error.
fn without_temporary_path(error: std::io::Error) -> std::io::Error {
    if error.get_ref().is_none() {
        return error;
    }
    let message = error.to_string();
    match message.rsplit_once(" at path \"") {
        Some((os_error, temporary)) if temporary.contains(".pipegen-") => std::io::Error::new(error.kind(), os_error),
        _ => error,
    }
}

/// A copy of `target` beside it, if it exists (a hard link, or a copy where links are not
/// possible), listed in `pending` so that it is removed in the end.
fn backup(target: &Path, pending: &mut Vec<PathBuf>) -> std::io::Result<Option<PathBuf>> {
    if fs::symlink_metadata(target).is_err() {
        return Ok(None);
    }
    let directory = target.parent().unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".pipegen-backup-").suffix(".tmp");
    let saved = builder
        .make_in(directory, |path| fs::hard_link(target, path))
        .or_else(|_| builder.make_in(directory, |path| fs::copy(target, path).map(|_| ())))?;
    let path = saved.into_temp_path().keep().map_err(|e| e.error)?;
    pending.push(path.clone());
    Ok(Some(path))
}

/// Once per process: on SIGINT, SIGTERM or SIGHUP, remove the pending files and end as the
/// signal would have.
fn remove_pending_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
                for path in pending.iter() {
                    let _ = fs::remove_file(path);
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_rename_puts_back_the_files_already_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = dir.path().join("first.yml");
        fs::write(&first, "old first\n").expect("write");
        // The second target is a directory: its rename fails after the first succeeded.
        let second = dir.path().join("second.yml");
        fs::create_dir(&second).expect("mkdir");
        fs::write(second.join("keep"), "x").expect("write");
        let result = write_all(&[(first.clone(), "new first\n"), (second.clone(), "new second\n")]);
        assert!(result.is_err());
        assert_eq!(fs::read_to_string(&first).expect("read"), "old first\n");
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["first.yml", "second.yml"]);
    }

    /// The directories made for the outputs go with a failed write (tester: outputs
    /// `newdir/a/gl.yml` and `afile/x.yml`, `afile` a file, left an empty `newdir/a`).
    #[test]
    fn a_failed_write_removes_the_directories_it_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("afile"), "kept\n").expect("write");
        // The second write fails making its directory, then at its rename.
        let second = dir.path().join("second.yml");
        fs::create_dir(&second).expect("mkdir");
        fs::write(second.join("keep"), "x").expect("write");
        for failing in [dir.path().join("afile/x.yml"), second.clone()] {
            let result = write_all(&[(dir.path().join("newdir/a/gl.yml"), "new\n"), (failing.clone(), "new\n")]);
            assert!(result.is_err(), "{}", failing.display());
            let mut left: Vec<String> = fs::read_dir(dir.path())
                .expect("list")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            assert_eq!(left, ["afile", "second.yml"], "{}", failing.display());
        }
        // A directory that was there before stays, emptied or not.
        fs::create_dir(dir.path().join("old")).expect("mkdir");
        assert!(write_all(&[(dir.path().join("old/new/gl.yml"), "new\n"), (second, "new\n")]).is_err());
        assert!(dir.path().join("old").is_dir() && !dir.path().join("old/new").exists());
    }

    /// A write error names the output and the OS error, not the temporary file that failed
    /// (`… at path "/x/.pipegen-AbC.tmp"`, tempfile's wording). `/proc/self` takes no new file,
    /// not even root's.
    #[test]
    fn a_write_error_names_the_output_not_the_temporary_file() {
        let target = Path::new("/proc/self/pipegen-output.yml");
        let error = write_all(&[(target.to_path_buf(), "new\n")]).expect_err("no file can be made in /proc/self");
        let message = error.to_string();
        assert!(message.starts_with("cannot write /proc/self/pipegen-output.yml: "), "{message}");
        assert!(message.contains("(os error "), "the OS error is kept: {message}");
        assert!(!message.contains(".pipegen-") && !message.contains("at path"), "{message}");
    }

    #[test]
    fn new_files_follow_the_umask_and_replaced_files_keep_their_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let kept = dir.path().join("kept.yml");
        fs::write(&kept, "old\n").expect("write");
        fs::set_permissions(&kept, Permissions::from_mode(0o640)).expect("chmod");
        let new = dir.path().join("sub/new.yml");
        write_all(&[(kept.clone(), "new\n"), (new.clone(), "new\n")]).expect("written");
        let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&kept), 0o640);
        // The test process's umask decides; a new file is never private by accident.
        let umask = {
            let probe = dir.path().join("probe");
            fs::File::create(&probe).expect("create");
            0o666 & !mode(&probe)
        };
        assert_eq!(mode(&new), 0o666 & !umask);
    }
}
