//! The state file on disk (unix): the temporary file is created new, so a link planted at its
//! name is never followed; the file keeps its permissions; and the temporary file is synced
//! before the rename and the directory after it (read from the system calls, with strace).
#![cfg(all(feature = "persist", unix))]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use retry_runtime::persist::{BreakerStore, PersistError};
use retry_runtime::{BreakerConfig, register_breaker};

const HEADER: &str = "retry-runtime breaker state v1\n";

/// A directory of the test's own, empty.
fn directory(test: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!(
        "retry-runtime-persist-files-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

#[test]
fn a_link_planted_at_a_temporary_name_is_never_followed() {
    register_breaker("persist-files-link", BreakerConfig::DEFAULT);
    let directory = directory("link");
    let victim = directory.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    // Temporary files are named `<stem>.tmp.<pid>.<n>`, n counting this process's writes:
    // links to the victim at every name the next writes could take.
    let links: Vec<PathBuf> = (0..256)
        .map(|n| directory.join(format!("breakers.tmp.{}.{n}", std::process::id())))
        .collect();
    for link in &links {
        symlink(&victim, link).unwrap();
    }
    let store = BreakerStore::new(directory.join("breakers.state"));
    match store.save() {
        Err(PersistError::Io { error, .. }) => {
            assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists, "{error}");
        }
        other => panic!("expected the planted links to stop the save, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious\n",
        "the victim was written through a link"
    );
    for link in &links {
        let planted = std::fs::symlink_metadata(link).unwrap();
        assert!(
            planted.file_type().is_symlink(),
            "{} was replaced",
            link.display()
        );
    }
    assert!(!store.path().exists(), "nothing was renamed into place");

    // Once the links are gone, saving works again.
    for link in &links {
        std::fs::remove_file(link).unwrap();
    }
    store.save().unwrap();
    let saved = std::fs::read_to_string(store.path()).unwrap();
    assert!(saved.starts_with(HEADER), "{saved}");
    assert!(
        saved.contains("persist-files-link\tclosed\t0\t0\n"),
        "{saved}"
    );
}

#[test]
fn the_file_keeps_its_permissions() {
    register_breaker("persist-files-mode", BreakerConfig::DEFAULT);
    let directory = directory("mode");
    // 0o660 and 0o666 also prove that the umask (usually 0o022) does not narrow them.
    for mode in [0o600, 0o640, 0o660, 0o666, 0o400] {
        let path = directory.join(format!("breakers-{mode:o}.state"));
        std::fs::write(&path, HEADER).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        BreakerStore::new(&path).save().unwrap();
        let kept = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(kept, mode, "{mode:o} became {kept:o}");
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("persist-files-mode\t"),
            "the file was replaced"
        );
    }
}

/// Set in the child that strace watches: the path to save to.
#[cfg(target_os = "linux")]
const SYNC_CHILD: &str = "RETRY_RUNTIME_PERSIST_SYNC_CHILD";

#[cfg(target_os = "linux")]
#[test]
fn the_temporary_file_is_synced_before_the_rename_and_the_directory_after_it() {
    if let Some(path) = std::env::var_os(SYNC_CHILD) {
        register_breaker("persist-files-sync", BreakerConfig::DEFAULT);
        BreakerStore::new(PathBuf::from(path)).save().unwrap();
        return;
    }
    let strace_works = std::process::Command::new("strace")
        .args(["-qq", "-o", "/dev/null", "true"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !strace_works {
        eprintln!("skipped: strace is not installed, or cannot trace here");
        return;
    }
    let directory = directory("sync");
    let path = directory.join("breakers.state");
    std::fs::write(&path, HEADER).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let trace = directory.join("trace");
    // Its output is kept, not printed: only this test's own result line reaches the log.
    let output = std::process::Command::new("strace")
        .args(["-f", "-qq", "-s", "4096", "-o"])
        .arg(&trace)
        .args([
            "-e",
            "trace=open,openat,fsync,fdatasync,rename,renameat,renameat2",
        ])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "files::the_temporary_file_is_synced_before_the_rename_and_the_directory_after_it",
            "--test-threads=1",
            "--quiet",
        ])
        .env(SYNC_CHILD, &path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the traced save failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let trace = std::fs::read_to_string(&trace).unwrap();
    let calls: Vec<&str> = trace.lines().collect();
    check_write_sequence(&calls, &directory, &path).unwrap_or_else(|problem| {
        let named = directory.display().to_string();
        let relevant: Vec<&str> = calls
            .iter()
            .copied()
            .filter(|call| call.contains(&named) || call.contains("sync("))
            .collect();
        panic!("{problem}; the system calls were:\n{}", relevant.join("\n"));
    });
}

/// The save's system calls, in order: the temporary file created new (`O_EXCL`) with the old
/// file's mode, synced, renamed over the file, then the directory opened and synced.
#[cfg(target_os = "linux")]
fn check_write_sequence(calls: &[&str], directory: &Path, path: &Path) -> Result<(), String> {
    let temporary = format!("\"{}/breakers.tmp.", directory.display());
    let find = |from: usize, what: &str, test: &dyn Fn(&str) -> bool| {
        calls[from..]
            .iter()
            .position(|call| test(call))
            .map(|offset| from + offset)
            .ok_or_else(|| format!("no {what}"))
    };
    let result_fd = |call: &str| -> Result<String, String> {
        call.rsplit_once("= ")
            .map(|(_, fd)| fd.trim().to_owned())
            .ok_or_else(|| format!("no result in {call}"))
    };
    let synced = |fd: &str| {
        let fd = fd.to_owned();
        move |call: &str| {
            call.contains(&format!("fsync({fd})")) || call.contains(&format!("fdatasync({fd})"))
        }
    };

    let created = find(0, "creation of the temporary file", &|call| {
        call.contains(&temporary) && call.contains("O_CREAT")
    })?;
    let creation = calls[created];
    if !creation.contains("O_EXCL") {
        return Err(format!("the temporary file is not created new: {creation}"));
    }
    if !creation.contains(", 0600)") {
        return Err(format!(
            "the temporary file is not created with the file's mode 0600: {creation}"
        ));
    }
    let file = result_fd(creation)?;
    let renamed = find(created, "rename", &|call| {
        call.contains("rename") && call.contains(&temporary)
    })?;
    if !calls[renamed].contains(&format!("\"{}\"", path.display())) {
        return Err(format!("renamed elsewhere: {}", calls[renamed]));
    }
    let file_synced = find(created, "fsync of the temporary file", &synced(&file))?;
    if file_synced > renamed {
        return Err("the temporary file is synced after the rename".to_owned());
    }
    let opened = find(
        renamed,
        "opening of the directory after the rename",
        &|call| call.contains(&format!("\"{}\"", directory.display())) && call.contains("O_RDONLY"),
    )?;
    let directory_fd = result_fd(calls[opened])?;
    find(
        opened,
        "fsync of the directory after the rename",
        &synced(&directory_fd),
    )?;
    Ok(())
}
