//! Offline input: files, directories, stdin and snapshot bundles, read in parallel into
//! an inventory. A file that cannot be read or parsed becomes an input problem naming
//! the file and line; every other file is still loaded.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::bounded;
use super::helm;
use super::limits::Limits;
use super::yaml::{parse_documents_keeping, ParsedDoc};
use crate::inventory::{InputProblem, InputSummary, Inventory, Location, Object, ObjectRef, Scope};
use crate::text::tree_writer::TreeWriter;
use crate::text::{Name, Node, NodePositions, Pos, SpanIndex, Tree};

/// One thing to read and the scope its objects belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// `None` means standard input.
    pub path: Option<PathBuf>,
    pub scope: Scope,
}

/// Objects worth keeping decoded; `None` keeps everything. Rules declare what they read,
/// so a 100k-object CI input keeps only the few objects any rule looks at.
pub type KindFilter = Option<ObjectFilter>;

/// The kinds rules read, and the apiVersions a rule matches whatever the kind (a `cel`
/// rule on `policy.karmada.io/v1alpha1`): one such rule must not make the loader keep
/// every ConfigMap and Service of a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectFilter {
    pub kinds: HashSet<String>,
    pub api_versions: HashSet<String>,
}

impl ObjectFilter {
    /// Whether an object of `kind` is kept. `api_version` is `None` when it is not known
    /// yet (a document that states its `kind` before its `apiVersion`): kept whenever
    /// some apiVersion could still make it wanted.
    pub fn keeps(&self, api_version: Option<&str>, kind: &str) -> bool {
        self.kinds.contains(kind)
            || match api_version {
                Some(a) => self.api_versions.contains(a),
                None => !self.api_versions.is_empty(),
            }
    }
}

/// Expand command-line paths into files with scopes. A directory that holds `karmada/`,
/// `host/` or `members/<name>/` is a bundle (as written by `collect`): those folders set
/// the scope of everything below them.
pub fn expand(paths: &[String], problems: &mut Vec<InputProblem>) -> Vec<InputSpec> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(InputSpec {
                path: None,
                scope: Scope::Pool,
            });
            continue;
        }
        let path = PathBuf::from(p);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                let mut visited = HashSet::new();
                walk(&path, Scope::Pool, true, &mut visited, &mut out, problems);
            }
            Ok(m) => match bounded::check_readable_kind(&path, &m) {
                Ok(()) => out.push(InputSpec {
                    path: Some(path),
                    scope: Scope::Pool,
                }),
                Err(why) => problems.push(file_problem(&path, why)),
            },
            Err(e) => problems.push(file_problem(
                &path,
                format!("cannot read input: {}", io_reason(&e)),
            )),
        }
    }
    out
}

/// A problem with a whole file or directory: it names the path only, since no line of it
/// was read (`missing.yaml:1:` would point into a file that does not exist).
fn file_problem(path: &Path, message: String) -> InputProblem {
    InputProblem {
        location: Location {
            line: None,
            column: None,
            ..Location::file(&path.display().to_string(), Pos { line: 1, column: 1 }, "")
        },
        message,
        warning: false,
    }
}

/// An I/O error as one plain reason, without the `(os error 2)` suffix that the OS code
/// adds: the message already names the path.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.rfind(" (os error ") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json")
    )
}

fn walk(
    dir: &Path,
    scope: Scope,
    top: bool,
    visited: &mut HashSet<PathBuf>,
    out: &mut Vec<InputSpec>,
    problems: &mut Vec<InputProblem>,
) {
    // Canonical paths guard against symlink loops (a link to an ancestor would recurse
    // forever).
    match std::fs::canonicalize(dir) {
        Ok(c) => {
            if !visited.insert(c) {
                problems.push(InputProblem {
                    warning: true,
                    ..file_problem(
                        dir,
                        "directory already visited (symlink loop?); skipped".into(),
                    )
                });
                return;
            }
        }
        Err(e) => {
            problems.push(file_problem(
                dir,
                format!("cannot resolve directory: {}", io_reason(&e)),
            ));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            v
        }
        Err(e) => {
            problems.push(file_problem(
                dir,
                format!("cannot read directory: {}", io_reason(&e)),
            ));
            return;
        }
    };
    let bundle = top
        && entries.iter().any(|p| {
            p.is_dir()
                && matches!(
                    p.file_name().and_then(|n| n.to_str()),
                    Some("karmada" | "host" | "members")
                )
        });
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if name.starts_with('.') {
            continue;
        }
        // A bundle's manifest is read by `load_inputs`, and its etcd key names by the etcd
        // source: neither is a Kubernetes object.
        if bundle
            && (name == crate::sources::live::snapshot::MANIFEST_FILE
                || name == crate::sources::etcd::baseline::BUNDLE_FILE)
        {
            continue;
        }
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                problems.push(file_problem(
                    &path,
                    format!("cannot read: {}", io_reason(&e)),
                ));
                continue;
            }
        };
        if meta.is_dir() {
            if bundle {
                match name.as_str() {
                    "karmada" => walk(&path, Scope::Karmada, false, visited, out, problems),
                    "host" => walk(&path, Scope::Host, false, visited, out, problems),
                    "members" => {
                        let mut members: Vec<PathBuf> = std::fs::read_dir(&path)
                            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                            .unwrap_or_default();
                        members.sort();
                        for m in members.into_iter().filter(|m| m.is_dir()) {
                            let mname = m
                                .file_name()
                                .and_then(|n| n.to_str())
                                .unwrap_or("")
                                .to_string();
                            walk(
                                &m,
                                Scope::Member(mname.into()),
                                false,
                                visited,
                                out,
                                problems,
                            );
                        }
                    }
                    _ => walk(&path, scope.clone(), false, visited, out, problems),
                }
            } else {
                walk(&path, scope.clone(), false, visited, out, problems);
            }
        } else if is_manifest(&path) {
            // Opening a FIFO would block until a writer appears, and a device may never
            // end; only regular files are read from directories. (A pipe named on the
            // command line, like `<(helm template ...)`, is still read: it was asked for.)
            if !meta.is_file() {
                problems.push(file_problem(
                    &path,
                    "not a regular file (FIFO, socket or device); skipped".into(),
                ));
                continue;
            }
            out.push(InputSpec {
                path: Some(path),
                scope: scope.clone(),
            });
        }
    }
}

/// What one file yielded.
struct FileResult {
    objects: Vec<Object>,
    /// Per object: 0 for a document of the file, 1 and 2 for manifests embedded in the
    /// Helm chart's ConfigMaps (`helm::expand`).
    depth: Vec<u8>,
    problems: Vec<InputProblem>,
    summary: InputSummary,
    skipped: usize,
    /// Identity and depth of objects read but not kept, in files that may embed manifests:
    /// an embedded copy of a skipped object is a duplicate too, and the count of objects
    /// read must not depend on which kinds were kept.
    skipped_refs: Vec<(ObjectRef, u8)>,
}

fn read_source(spec: &InputSpec, limits: &Limits) -> Result<(String, Vec<u8>), InputProblem> {
    match &spec.path {
        None => {
            let stdin = Path::new("<stdin>");
            let buf = bounded::read_capped(std::io::stdin(), 0, limits.max_file_bytes)
                .map_err(|m| file_problem(stdin, format!("{m}; skipped")))?;
            Ok(("<stdin>".to_string(), buf))
        }
        Some(p) => {
            let bytes = bounded::read_file(p, limits.max_file_bytes)
                .map_err(|m| file_problem(p, format!("{m}; skipped")))?;
            Ok((p.display().to_string(), bytes))
        }
    }
}

fn line_col_of_byte(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    Pos {
        line: line as u32,
        column: col as u32,
    }
}

fn load_file(spec: &InputSpec, limits: &Limits, filter: &KindFilter) -> FileResult {
    let mut res = FileResult {
        objects: Vec::new(),
        depth: Vec::new(),
        problems: Vec::new(),
        summary: InputSummary {
            source: spec
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "<stdin>".into()),
            scope: spec.scope.clone(),
            documents: 0,
            objects: 0,
            bytes: 0,
            live: None,
        },
        skipped: 0,
        skipped_refs: Vec::new(),
    };
    let (name, bytes) = match read_source(spec, limits) {
        Ok(x) => x,
        Err(p) => {
            res.problems.push(p);
            return res;
        }
    };
    res.summary.bytes = bytes.len() as u64;
    let at = |pos: Pos, msg: String, warning: bool| InputProblem {
        location: Location::file(&name, pos, ""),
        message: msg,
        warning,
    };
    // UTF-16 has a NUL in every ASCII character: decode it (or say why not) before the
    // NUL check below calls it binary.
    let bytes = match bounded::utf16(&bytes) {
        None => bytes,
        Some((encoding, Ok(text))) => {
            res.problems.push(at(
                Pos { line: 1, column: 1 },
                format!("file is {encoding} text, decoded (most tools expect UTF-8)"),
                true,
            ));
            text.into_bytes()
        }
        Some((encoding, Err(why))) => {
            res.problems.push(at(
                Pos { line: 1, column: 1 },
                format!("file is {encoding} text that cannot be decoded ({why}); skipped"),
                false,
            ));
            return res;
        }
    };
    // YAML forbids NUL; a NUL almost always means a binary file with a manifest's name.
    // `contains` on bytes is a vectorised memchr; a byte-by-byte search of every file
    // was a visible share of a large load.
    let nul = bytes
        .contains(&0)
        .then(|| bytes.iter().position(|&b| b == 0))
        .flatten();
    if let Some(off) = nul {
        res.problems.push(at(
            line_col_of_byte(&bytes, off),
            "file contains a NUL byte (binary file?); skipped".into(),
            false,
        ));
        return res;
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            res.problems.push(at(
                line_col_of_byte(&bytes, e.valid_up_to()),
                format!("invalid UTF-8 at byte {}; file skipped", e.valid_up_to()),
                false,
            ));
            return res;
        }
    };
    // Documents of kinds no rule reads are not built past their top-level scalars. The
    // Helm chart's ConfigMaps carry the objects of karmada-apiserver, and the chart's
    // `karmada-version` ConfigMap states the version: those files keep ConfigMaps. A file
    // that embeds manifests is built whole (a Helm render: small), so the copies of
    // objects no rule reads are still known by name and counted once.
    let embeds = helm::may_embed(text);
    let configmaps = embeds || text.contains(KARMADA_VERSION_KEY);
    let keep = filter.as_ref().filter(|_| !embeds).map(|f| {
        move |api: Option<&str>, kind: &str| {
            f.keeps(api, kind) || (configmaps && kind == "ConfigMap")
        }
    });
    let keep_ref = keep
        .as_ref()
        .map(|k| k as &dyn Fn(Option<&str>, &str) -> bool);
    let ctx = FileCtx {
        file: Name::from(name.as_str()),
        scope: &spec.scope,
        filter,
        text,
        limits,
        embeds,
    };
    let outcome = parse_documents_keeping(text, limits, keep_ref, |doc| {
        res.summary.documents += 1;
        add_document(doc, &ctx, &mut res);
    });
    for p in outcome.problems {
        res.problems.push(at(p.pos, p.message, p.warning));
    }
    drop_embedded_duplicates(&mut res);
    res
}

/// The `data` key of the ConfigMap `karmada-version` the chart keeps in karmada-apiserver.
const KARMADA_VERSION_KEY: &str = "karmadaVersion";

/// The chart renders the same static resources twice in some versions (a top-level
/// `<release>-static-resources` and a copy nested in `<release>-config`); an embedded
/// object is dropped when one with the same identity was read less deeply nested.
fn drop_embedded_duplicates(res: &mut FileResult) {
    // Objects of one identity share their kind, so they were all kept or all skipped:
    // each list is deduplicated on its own.
    let skipped = unique_by_depth(res.skipped_refs.iter().map(|(r, d)| (r, *d)));
    res.summary.objects -= skipped.iter().filter(|k| !**k).count();
    let keep = unique_by_depth(
        res.objects
            .iter()
            .map(|o| &o.r)
            .zip(res.depth.iter().copied()),
    );
    let dropped = keep.iter().filter(|k| !**k).count();
    if dropped == 0 {
        return;
    }
    let mut i = 0;
    res.objects.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    let mut j = 0;
    res.depth.retain(|_| {
        j += 1;
        keep[j - 1]
    });
    res.summary.objects -= dropped;
}

/// Per object: false for an embedded copy of an object read less deeply nested (or the
/// same depth, earlier).
fn unique_by_depth<'a>(objects: impl Iterator<Item = (&'a ObjectRef, u8)> + Clone) -> Vec<bool> {
    if objects.clone().all(|(_, d)| d == 0) {
        return objects.map(|_| true).collect();
    }
    let mut best: std::collections::HashMap<&ObjectRef, u8> = std::collections::HashMap::new();
    for (r, d) in objects.clone() {
        let e = best.entry(r).or_insert(d);
        *e = (*e).min(d);
    }
    objects
        .scan(HashSet::new(), |seen, (r, d)| {
            Some(d == 0 || (best.get(r) == Some(&d) && seen.insert(r)))
        })
        .collect()
}

/// What every document of one file shares.
struct FileCtx<'a> {
    /// The file as reports name it, shared by its objects and their findings.
    file: Name,
    scope: &'a Scope,
    filter: &'a KindFilter,
    text: &'a str,
    limits: &'a Limits,
    /// The file may embed manifests in ConfigMaps (see [`FileResult::skipped_refs`]).
    embeds: bool,
}

/// One document (or List item, or embedded manifest) about to become an object.
struct Doc {
    tree: Tree,
    positions: NodePositions,
    start: Pos,
    /// 0 for a document of the file, 1 and 2 for manifests embedded in ConfigMaps.
    depth: u8,
}

impl Doc {
    /// A document that was taken apart as a `Value` (a List item, an embedded manifest).
    fn from_value(value: &Value, spans: &SpanIndex, start: Pos, depth: u8) -> Doc {
        let tree = Tree::from_value(value);
        let positions = NodePositions::new(&tree, spans);
        Doc {
            tree,
            positions,
            start,
            depth,
        }
    }
}

fn add_document(doc: ParsedDoc, ctx: &FileCtx<'_>, res: &mut FileResult) {
    let (scope, filter) = (ctx.scope, ctx.filter);
    let start = doc.start;
    let root = doc.tree.root();
    if !root.is_object() {
        res.problems.push(InputProblem {
            location: Location::in_file(ctx.file.clone(), start, ""),
            message: format!(
                "document {} is {}, not a Kubernetes object; skipped",
                doc.index + 1,
                root.type_name()
            ),
            warning: true,
        });
        return;
    }
    let kind = root.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    // `kind: List` and `kubectl get -o yaml` dumps (`DeploymentList`, ...) hold the
    // real objects in `items`.
    if kind == "List" || (kind.ends_with("List") && root.get("items").is_some_and(|i| i.is_array()))
    {
        // Each item becomes a tree of its own in one walk (with its positions).
        let mut writer = TreeWriter::default();
        for item in root
            .get("items")
            .and_then(|i| i.items())
            .into_iter()
            .flatten()
        {
            let (tree, positions) = writer.subtree(item, &doc.positions);
            let is_configmap =
                tree.root().get("kind").and_then(|k| k.as_str()) == Some("ConfigMap");
            let item = Doc {
                tree,
                positions,
                start: doc.positions.of(item.id()).unwrap_or(start),
                depth: 0,
            };
            if is_configmap {
                add_configmap(item, ctx, res);
            } else {
                add_object(item, scope, filter, ctx, res);
            }
        }
        return;
    }
    let is_configmap = kind == "ConfigMap";
    let doc = Doc {
        tree: doc.tree,
        positions: doc.positions,
        start,
        depth: 0,
    };
    if is_configmap {
        add_configmap(doc, ctx, res);
    } else {
        add_object(doc, scope, filter, ctx, res);
    }
}

/// A ConfigMap: the objects the Helm chart embeds in it are loaded too, in the scope its
/// hook Jobs apply them to; the ConfigMap itself is kept when a rule reads ConfigMaps or
/// it is the chart's `karmada-version` record.
fn add_configmap(doc: Doc, ctx: &FileCtx<'_>, res: &mut FileResult) {
    let file = &ctx.file;
    let root = doc.tree.root();
    // Only a ConfigMap with `data` can carry manifests; most (and every one whose kind
    // was not built) have none, and are not taken apart.
    if root.get("data").is_some_and(|d| d.is_object()) {
        let spans = doc.positions.to_span_index(&doc.tree);
        let embedded = helm::expand(&root.to_value(), &spans, ctx.text, ctx.limits);
        for p in embedded.problems {
            res.problems.push(InputProblem {
                location: Location::in_file(file.clone(), p.pos, ""),
                message: p.message,
                warning: p.warning,
            });
        }
        for d in embedded.docs {
            let scope = match d.target {
                helm::Target::KarmadaApiserver => Scope::Karmada,
                helm::Target::Host => ctx.scope.clone(),
            };
            let doc = Doc::from_value(&d.value, &d.spans, d.start, d.depth);
            add_object(doc, &scope, ctx.filter, ctx, res);
        }
    }
    let version_record =
        root.lookup("/metadata/name").and_then(|n| n.as_str()) == Some("karmada-version");
    let keep_all = match ctx.filter {
        Some(f) if version_record && !f.kinds.contains("ConfigMap") => {
            let mut f = f.clone();
            f.kinds.insert("ConfigMap".into());
            Some(f)
        }
        other => other.clone(),
    };
    add_object(doc, ctx.scope, &keep_all, ctx, res);
}

fn add_object(
    doc: Doc,
    scope: &Scope,
    filter: &KindFilter,
    ctx: &FileCtx<'_>,
    res: &mut FileResult,
) {
    let Doc {
        tree,
        positions,
        start,
        depth,
    } = doc;
    let root = tree.root();
    let kind = root.get("kind").and_then(|n| n.as_str());
    let api_version = root.get("apiVersion").and_then(|n| n.as_str());
    let (Some(kind), Some(api_version)) = (kind, api_version) else {
        let missing = if kind.is_none() { "kind" } else { "apiVersion" };
        res.problems.push(InputProblem {
            location: Location::in_file(ctx.file.clone(), start, ""),
            message: format!("document has no {missing}; not a Kubernetes object, skipped"),
            warning: true,
        });
        return;
    };
    // Counted whether kept or not: the report says what was read, which must not depend
    // on which rules ran.
    res.summary.objects += 1;
    if let Some(f) = filter {
        if !f.keeps(Some(api_version), kind) {
            res.skipped += 1;
            if ctx.embeds {
                let r = object_ref(root, scope, api_version, kind);
                res.skipped_refs.push((r, depth));
            }
            return;
        }
    }
    let r = object_ref(root, scope, api_version, kind);
    for (pointer, message) in shape_problems(root, kind) {
        res.problems.push(InputProblem {
            location: Location::in_file(
                ctx.file.clone(),
                positions.resolve(&tree, &pointer).unwrap_or(start),
                &pointer,
            ),
            message,
            warning: false,
        });
    }
    res.depth.push(depth);
    res.objects.push(Object::from_file(
        r,
        tree,
        positions,
        ctx.file.clone(),
        start,
    ));
}

fn object_ref(root: Node<'_>, scope: &Scope, api_version: &str, kind: &str) -> ObjectRef {
    // By key, not by pointer: this runs for every object kept.
    let metadata = root.get("metadata");
    let text = |key: &str| metadata.and_then(|m| m.get(key)).and_then(|n| n.as_str());
    let name = text("name").unwrap_or("<unnamed>");
    let namespace = text("namespace");
    ObjectRef::new(scope.clone(), api_version, kind, namespace, name)
}

/// Fields every object of a kind the rules read must have the right type for the rules
/// to see it at all: a `metadata` that is not a mapping hides the name, and
/// `containers: {}` hides every container, so a rule looking for the karmada-apiserver
/// would quietly not find it. kubectl rejects such objects; they are reported as errors
/// (at the field) and the object is still kept so rules that can use it do.
fn shape_problems(root: Node<'_>, kind: &str) -> Vec<(String, String)> {
    use crate::inventory::workload::pod_spec_pointer;
    let mut out = Vec::new();
    // Runs on every kept object: fields are reached by key, and a pointer is written
    // only for a problem.
    let mut expect = |at: Option<Node<'_>>, pointer: &dyn Fn() -> String, ok: bool, want: &str| {
        if let Some(v) = at.filter(|v| !v.is_null() && !ok) {
            let pointer = pointer();
            let message = format!("{} is {}, expected {want}", &pointer[1..], v.type_name());
            out.push((pointer, message));
        }
    };
    let metadata = root.get("metadata");
    expect(
        metadata,
        &|| "/metadata".into(),
        metadata.is_some_and(|m| m.is_object()),
        "a mapping",
    );
    for field in ["name", "namespace"] {
        let v = metadata.and_then(|m| m.get(field));
        let ok = v.is_some_and(|v| v.is_string());
        expect(v, &|| format!("/metadata/{field}"), ok, "a string");
    }
    if let Some(ps) = pod_spec_pointer(kind) {
        let pod_spec = root.lookup(ps);
        for list in ["containers", "initContainers"] {
            let v = pod_spec.and_then(|p| p.get(list));
            let ok = v.is_some_and(|v| v.items().is_some_and(|mut a| a.all(|n| n.is_object())));
            expect(v, &|| format!("{ps}/{list}"), ok, "a list of mappings");
        }
    }
    out
}

/// Read every input into an inventory. Files are parsed on all cores; the inventory
/// keeps the command-line order so reports are deterministic.
pub fn load_inputs(paths: &[String], limits: &Limits, filter: &KindFilter) -> Inventory {
    let mut inv = Inventory::new();
    let specs = expand(paths, &mut inv.problems);
    let results = crate::par::map_ordered(&specs, |spec| load_file(spec, limits, filter));
    // Bundles written by `collect` say which kinds were listed completely and which
    // reads failed; without that an empty list would read as "not looked at".
    for p in paths {
        let manifest = Path::new(p).join(crate::sources::live::snapshot::MANIFEST_FILE);
        if manifest.is_file() {
            if let Err(e) =
                crate::sources::live::snapshot::apply_manifest(&manifest, limits, &mut inv)
            {
                inv.problems.push(file_problem(
                    &manifest,
                    format!("bundle manifest ignored: {e}"),
                ));
            }
        }
    }
    // A bundle collected with etcd flags records etcd's key names beside the objects.
    for p in paths {
        let keys = Path::new(p).join(crate::sources::etcd::baseline::BUNDLE_FILE);
        if keys.is_file() {
            match crate::sources::etcd::bundle_facts(&keys, limits.max_file_bytes) {
                Ok(facts) => inv.etcd = Some(facts),
                Err(e) => inv.problems.push(file_problem(&keys, e.message)),
            }
        }
    }
    let mut seen_sources = BTreeSet::new();
    inv.reserve(results.iter().map(|r| r.objects.len()).sum());
    for r in results {
        inv.skipped_objects += r.skipped;
        inv.problems.extend(r.problems);
        for o in r.objects {
            inv.push(o);
        }
        if seen_sources.insert(r.summary.source.clone()) {
            inv.inputs.push(r.summary);
        }
    }
    inv
}
