//! What a folder holds, as the file browser lists it: folders first, then files, each
//! group by name without regard to case, with `..` on top when there is a parent.

use std::path::{Path, PathBuf};

/// What an entry is (in the order the listing shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `..`, the folder above.
    Parent,
    /// A folder (or a link to one).
    Dir,
    /// Anything else.
    File,
}

/// One entry of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file's name (not valid UTF-8 is shown with replacement characters).
    pub name: String,
    /// Folder or file.
    pub kind: Kind,
    /// Bytes, for files.
    pub size: u64,
}

/// A folder and its entries, in the order shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// The folder.
    pub dir: PathBuf,
    /// Its entries.
    pub entries: Vec<Entry>,
}

impl Listing {
    /// The number of folders and of files (`..` not counted).
    pub fn counts(&self) -> (usize, usize) {
        let dirs = self.entries.iter().filter(|e| e.kind == Kind::Dir).count();
        let files = self.entries.iter().filter(|e| e.kind == Kind::File).count();
        (dirs, files)
    }
}

/// Reads a folder. Entries that vanish or cannot be examined while it is read are left
/// out (or shown as empty files), as `ls` does.
pub fn list(dir: &Path) -> std::io::Result<Listing> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        // Follow links, so that a link to a folder opens like one.
        let meta = std::fs::metadata(entry.path()).or_else(|_| entry.metadata());
        let (kind, size) = match meta {
            Ok(m) if m.is_dir() => (Kind::Dir, 0),
            Ok(m) => (Kind::File, m.len()),
            Err(_) => (Kind::File, 0),
        };
        entries.push(Entry { name, kind, size });
    }
    entries.sort_by_cached_key(|e| (e.kind, e.name.to_lowercase(), e.name.clone()));
    if dir.parent().is_some() {
        let parent = Entry {
            name: "..".into(),
            kind: Kind::Parent,
            size: 0,
        };
        entries.insert(0, parent);
    }
    Ok(Listing {
        dir: dir.to_path_buf(),
        entries,
    })
}

/// A size as people read it: `512 B`, `1.5 KB`, `20.0 MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(20 * 1024 * 1024), "20.0 MB");
    }

    #[test]
    fn folders_come_first_then_names_without_case() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("zeta")).expect("mkdir");
        std::fs::write(dir.path().join("B.txt"), "12345").expect("write");
        std::fs::write(dir.path().join("a.txt"), "").expect("write");
        let listing = list(dir.path()).expect("lists");
        let names: Vec<_> = listing.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["..", "zeta", "a.txt", "B.txt"]);
        assert_eq!(listing.entries[3].size, 5);
        assert_eq!(listing.counts(), (1, 2));
    }
}
