//! The scenario library: every scenario the sandbox knows by name, from the
//! embedded default, a `--scenario` file or folder, and YAML bodies posted to
//! the control API. Tenants activate one by name.
//!
//! What comes with the sandbox (the embedded default and the files) is
//! built in: the same for every tenant, and never replaced by an upload.
//! A named scenario posted to the control API belongs to the tenant that
//! posted it: only that tenant sees and activates it, its reset forgets it,
//! and the default tenant's reset forgets every upload. Uploads are capped
//! per tenant and in all, so they cannot grow memory without end.
//!
//! With `--watch`, the files are read again every [`WATCH_EVERY`]: a changed
//! file that parses replaces its entry and gives the tenants running it a
//! fresh world; one that does not parse keeps the old entry and is reported
//! (log and control API) with its file, line and column until it is fixed.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::limits::Budget;
use crate::scenario::{read_file, Scenario, ScenarioError};

/// How often `--watch` reads the files again.
pub const WATCH_EVERY: Duration = Duration::from_millis(500);

/// The name of the scenario the default tenant starts with.
pub(crate) const DEFAULT_NAME: &str = "default";

/// How many uploaded scenarios one tenant may keep.
pub const MAX_UPLOADS_PER_TENANT: usize = 32;
/// How many bytes of uploaded YAML all tenants together may keep.
pub const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// What an upload counts against the process's memory budget: a parsed
/// scenario with its defaults takes about 10 KiB however short its text,
/// and grows with it (rules, fixtures, templates).
fn upload_cost(yaml_bytes: usize) -> usize {
    16 * 1024 + 8 * yaml_bytes
}

#[derive(Debug)]
struct Entry {
    scenario: Arc<Scenario>,
    /// The file it came from, or `<embedded>` / `<request body>`.
    source: String,
    /// A hash of the file's text, to notice changes.
    digest: Option<u64>,
}

/// Named scenarios and the files that failed to load.
#[derive(Debug, Default)]
pub(crate) struct Library {
    /// The built-in entries.
    entries: BTreeMap<String, Entry>,
    /// Uploaded entries by tenant (its base path, `""` for the default one),
    /// each with the size of its YAML.
    uploads: HashMap<String, BTreeMap<String, (Entry, usize)>>,
    /// The YAML bytes of every upload together.
    upload_bytes: usize,
    /// Where scenario files are read from, for `--watch`.
    path: Option<PathBuf>,
    /// Files that changed but do not parse, by file.
    errors: BTreeMap<String, ScenarioError>,
    /// What uploads draw on; none until the sandbox names its own.
    budget: Option<Arc<Budget>>,
}

/// Why an upload did not join the library.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The name is a built-in scenario's.
    BuiltIn,
    /// The tenant or the whole library is full.
    Full(String),
}

/// What a rescan changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Rescan {
    /// Entries that now hold a new scenario.
    pub(crate) reloaded: Vec<String>,
    /// Files refused, with where.
    pub(crate) refused: Vec<ScenarioError>,
}

impl Library {
    /// Only `scenario`, as `default`.
    pub(crate) fn single(scenario: Arc<Scenario>, source: &str) -> Self {
        let mut library = Self::default();
        library.insert(DEFAULT_NAME.to_owned(), scenario, source.to_owned(), None);
        library
    }

    /// The embedded default plus every scenario at `path`: one file, or every
    /// `.yaml`/`.yml` file of a folder, each named after its file. A file
    /// named `default.yaml` replaces the embedded default; a single file is
    /// always the default. Any bad file refuses the whole load.
    pub(crate) fn load(path: &Path) -> Result<Self, ScenarioError> {
        let mut library = Self::single(Arc::new(Scenario::embedded_default()), "<embedded>");
        library.path = Some(path.to_owned());
        for (name, file) in files(path)? {
            let text = read_file(&file)?;
            let scenario = Scenario::parse(&file.display().to_string(), &text)?;
            let name = if path.is_dir() {
                name
            } else {
                DEFAULT_NAME.to_owned()
            };
            let source = file.display().to_string();
            library.insert(name, Arc::new(scenario), source, Some(digest(&text)));
        }
        Ok(library)
    }

    /// Counts uploads against `budget` from now on.
    pub(crate) fn set_budget(&mut self, budget: Arc<Budget>) {
        self.budget = Some(budget);
    }

    /// Gives back what the uploads of `bytes` of YAML were counted at.
    fn refund(&self, bytes: usize, uploads: usize) {
        if let Some(budget) = &self.budget {
            budget.refund(8 * bytes + 16 * 1024 * uploads);
        }
    }

    fn insert(
        &mut self,
        name: String,
        scenario: Arc<Scenario>,
        source: String,
        digest: Option<u64>,
    ) {
        self.entries.insert(
            name,
            Entry {
                scenario,
                source,
                digest,
            },
        );
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<Scenario>> {
        self.entries.get(name).map(|e| e.scenario.clone())
    }

    /// The scenario `name` as `tenant` sees it: its own upload, or a
    /// built-in one.
    pub(crate) fn get_for(&self, tenant: &str, name: &str) -> Option<Arc<Scenario>> {
        self.uploads
            .get(tenant)
            .and_then(|own| own.get(name))
            .map(|(e, _)| e.scenario.clone())
            .or_else(|| self.get(name))
    }

    /// Keeps `scenario`, posted by `tenant` as `bytes` of YAML, under `name`
    /// for that tenant; a second upload of a name replaces the first.
    pub(crate) fn upload(
        &mut self,
        tenant: &str,
        name: &str,
        scenario: Arc<Scenario>,
        bytes: usize,
    ) -> Result<(), Refused> {
        if self.entries.contains_key(name) {
            return Err(Refused::BuiltIn);
        }
        let own = self.uploads.get(tenant);
        let replaced = own.and_then(|own| own.get(name)).map_or(0, |(_, b)| *b);
        let count = own.map_or(0, BTreeMap::len);
        if replaced == 0 && count >= MAX_UPLOADS_PER_TENANT {
            return Err(Refused::Full(format!(
                "a tenant keeps at most {MAX_UPLOADS_PER_TENANT} uploaded scenarios; reset the tenant to forget them"
            )));
        }
        if self.upload_bytes - replaced + bytes > MAX_UPLOAD_BYTES {
            return Err(Refused::Full(format!(
                "uploaded scenarios may take at most {MAX_UPLOAD_BYTES} bytes in all; a reset forgets them"
            )));
        }
        if let Some(budget) = &self.budget {
            if !budget.try_charge(upload_cost(bytes)) {
                return Err(Refused::Full(
                    "the sandbox's memory budget is spent (--memory-budget); reset tenants to forget their uploads, or start it with a larger budget".to_owned(),
                ));
            }
        }
        if replaced > 0 {
            self.refund(replaced, 1);
        }
        let entry = Entry {
            scenario,
            source: "<request body>".to_owned(),
            digest: None,
        };
        self.uploads
            .entry(tenant.to_owned())
            .or_default()
            .insert(name.to_owned(), (entry, bytes));
        self.upload_bytes = self.upload_bytes - replaced + bytes;
        Ok(())
    }

    /// Forgets what `tenant` uploaded.
    pub(crate) fn forget(&mut self, tenant: &str) {
        if let Some(own) = self.uploads.remove(tenant) {
            let bytes = own.values().map(|(_, b)| b).sum::<usize>();
            self.upload_bytes -= bytes;
            self.refund(bytes, own.len());
        }
    }

    /// Forgets every upload: the library is the built-in one again.
    pub(crate) fn forget_all(&mut self) {
        let uploads = self.uploads.values().map(BTreeMap::len).sum();
        self.refund(self.upload_bytes, uploads);
        self.uploads.clear();
        self.upload_bytes = 0;
    }

    /// Reads the files again; see the module documentation.
    pub(crate) fn rescan(&mut self) -> Rescan {
        let mut out = Rescan::default();
        let Some(path) = self.path.clone() else {
            return out;
        };
        let listed = match files(&path) {
            Ok(listed) => listed,
            Err(e) => {
                out.refused.push(e.clone());
                self.errors.insert(e.source.clone(), e);
                return out;
            }
        };
        let single = !path.is_dir();
        for (name, file) in listed {
            let name = if single {
                DEFAULT_NAME.to_owned()
            } else {
                name
            };
            let source = file.display().to_string();
            let text = match read_file(&file) {
                Ok(text) => text,
                Err(e) => {
                    self.errors.insert(source, e.clone());
                    out.refused.push(e);
                    continue;
                }
            };
            // An editor that saves by truncating and rewriting leaves the
            // file empty for a moment; that is a file being written, not a
            // scenario with nothing in it, so the old one stays.
            if !has_content(&text) && self.entries.contains_key(&name) {
                let e = ScenarioError {
                    source: source.clone(),
                    line: 0,
                    column: 0,
                    message: "the file is empty or holds only comments (still being written?); the previous version stays active".to_owned(),
                };
                if self.errors.get(&source) != Some(&e) {
                    out.refused.push(e.clone());
                }
                self.errors.insert(source, e);
                continue;
            }
            let digest = digest(&text);
            let known = self.entries.get(&name).and_then(|e| e.digest);
            let failed_before = self.errors.contains_key(&source);
            if known == Some(digest) && !failed_before {
                continue;
            }
            match Scenario::parse(&source, &text) {
                Ok(scenario) => {
                    self.errors.remove(&source);
                    self.insert(name.clone(), Arc::new(scenario), source, Some(digest));
                    out.reloaded.push(name);
                }
                Err(e) => {
                    // Reported once per version of the file, not every scan.
                    let new = self.errors.get(&source) != Some(&e);
                    self.errors.insert(source, e.clone());
                    if new {
                        out.refused.push(e);
                    }
                }
            }
        }
        out
    }

    /// What `tenant` sees, built-in entries then its uploads, by name, and
    /// the errors, for `GET /__admin/scenarios`.
    pub(crate) fn describe(&self, tenant: &str) -> (Value, Value) {
        let own = self.uploads.get(tenant);
        let uploaded = own.into_iter().flatten().map(|(name, (e, _))| (name, e));
        let entries = self
            .entries
            .iter()
            .chain(uploaded)
            .map(|(name, e)| {
                json!({
                    "name": name,
                    "description": e.scenario.description,
                    "source": e.source,
                    "rules": e.scenario.rules.len(),
                })
            })
            .collect();
        let errors = self.errors.values().map(error_json).collect();
        (Value::Array(entries), Value::Array(errors))
    }
}

/// A refused scenario as the control API shows it.
pub(crate) fn error_json(e: &ScenarioError) -> Value {
    json!({
        "source": e.source,
        "line": e.line,
        "column": e.column,
        "message": e.message,
        "location": e.to_string(),
    })
}

/// The scenario files at `path` with their names (file stems), sorted.
fn files(path: &Path) -> Result<Vec<(String, PathBuf)>, ScenarioError> {
    let cannot = |e: std::io::Error| ScenarioError {
        source: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    };
    if !path.is_dir() {
        let name = stem(path).unwrap_or_else(|| DEFAULT_NAME.to_owned());
        return Ok(vec![(name, path.to_owned())]);
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path).map_err(cannot)? {
        let file = entry.map_err(cannot)?.path();
        let yaml = file
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        if yaml && file.is_file() {
            if let Some(name) = stem(&file) {
                found.push((name, file));
            }
        }
    }
    found.sort();
    Ok(found)
}

fn stem(path: &Path) -> Option<String> {
    path.file_stem().and_then(|s| s.to_str()).map(str::to_owned)
}

fn digest(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// Whether a file says anything: blank lines, comments and document
/// markers alone are a file still being written, not an empty scenario.
fn has_content(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .any(|line| !(line.is_empty() || line.starts_with('#') || line == "---" || line == "..."))
}
