//! Deterministic benchmark corpus: N Kubernetes objects spread over many YAML files,
//! plus a copy of the official Karmada v0.10.1 install so the rules have real work.
//!
//! Two mixes:
//! * `Mix::Irrelevant`: almost every object is of a kind no rule reads (ConfigMaps,
//!   ServiceAccounts, Ingresses, ResourceQuotas, NetworkPolicies,
//!   PodDisruptionBudgets, LimitRanges; `tests/same_findings.rs` checks that no bundled rule
//!   reads them, so the mix stays irrelevant as rules are added). The relevant objects are
//!   a fixed set (the Karmada install, 50 Deployments, 5 CRDs) whatever N is, so peak
//!   memory can be compared between N = 10k and N = 100k: it must not grow with
//!   irrelevant objects.
//! * `Mix::Relevant`: most objects are of kinds rules read or are likely to read
//!   (Deployments, `cluster.karmada.io` Clusters, ClusterRoles, EndpointSlices).
//!
//! Shared by `benches/offline.rs` (timing) and usable on its own
//! `cargo bench --bench offline -- gen DIR 100000 [--relevant]`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    Irrelevant,
    Relevant,
}

impl Mix {
    pub fn name(self) -> &'static str {
        match self {
            Mix::Irrelevant => "irrelevant",
            Mix::Relevant => "relevant",
        }
    }
}

/// Bumped whenever the generated text changes, so cached corpora are regenerated.
pub const GENERATOR_VERSION: u32 = 2;

/// The apiVersions and kinds of [`Mix::Irrelevant`]'s filler objects (read by
/// `tests/same_findings.rs`, which includes this file; the bench itself does not need it).
#[allow(dead_code)]
pub const IRRELEVANT_KINDS: &[(&str, &str)] = &[
    ("v1", "ConfigMap"),
    ("networking.k8s.io/v1", "Ingress"),
    ("v1", "ResourceQuota"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("policy/v1", "PodDisruptionBudget"),
    ("v1", "ServiceAccount"),
    ("v1", "LimitRange"),
];

/// splitmix64: tiny, seeded, identical on every platform (no `rand` dependency needed).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn word(&mut self) -> &'static str {
        const WORDS: &[&str] = &[
            "alpha",
            "billing",
            "cart",
            "checkout",
            "db",
            "edge",
            "frontend",
            "gateway",
            "search",
            "ledger",
            "metrics",
            "orders",
            "payments",
            "queue",
            "recommend",
            "users",
            "auth",
            "cache",
            "mail",
            "ingest",
        ];
        WORDS[self.below(WORDS.len() as u64) as usize]
    }
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub objects: usize,
    pub files: usize,
    pub bytes: u64,
}

/// Write `objects` generated objects into `dir` (created; existing content is left
/// alone, so callers pass a fresh directory), plus the Karmada fixture install.
pub fn generate(dir: &Path, objects: usize, mix: Mix, seed: u64) -> std::io::Result<Written> {
    let mut w = Written::default();
    std::fs::create_dir_all(dir)?;
    w = copy_fixture_install(dir, w)?;
    let mut rng = Rng::new(seed ^ (objects as u64) ^ ((mix as u64) << 40));
    let mut made = 0usize;
    let mut file_no = 0usize;
    let mut fixed_deployments = 0usize;
    let mut fixed_crds = 0usize;
    while made < objects {
        // Files of 1..=100 objects (mean ~50), 100 files a folder, like a GitOps repo.
        let per_file = (1 + rng.below(100) as usize).min(objects - made);
        let sub = dir.join(format!("team-{:03}", file_no / 100));
        std::fs::create_dir_all(&sub)?;
        let mut text = String::with_capacity(per_file * 1200);
        for _ in 0..per_file {
            if !text.is_empty() {
                text.push_str("---\n");
            }
            let i = made;
            match mix {
                Mix::Irrelevant => {
                    // A fixed number of relevant objects whatever N is (see module docs).
                    if fixed_deployments < 50 && i % 97 == 13 {
                        fixed_deployments += 1;
                        deployment(&mut text, &mut rng, i);
                    } else if fixed_crds < 5 && i % 101 == 7 {
                        fixed_crds += 1;
                        crd(&mut text, i);
                    } else {
                        irrelevant(&mut text, &mut rng, i);
                    }
                }
                Mix::Relevant => match rng.below(10) {
                    0..=3 => deployment(&mut text, &mut rng, i),
                    4..=5 => cluster(&mut text, &mut rng, i),
                    6 => cluster_role(&mut text, &mut rng, i),
                    7..=8 => endpoint_slice(&mut text, &mut rng, i),
                    _ => mixed_filler(&mut text, &mut rng, i),
                },
            }
            made += 1;
        }
        let path = sub.join(format!("objects-{file_no:05}.yaml"));
        w.bytes += text.len() as u64;
        std::fs::write(path, text)?;
        w.files += 1;
        file_no += 1;
    }
    w.objects += made;
    Ok(w)
}

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/karmada-v0.10.1")
}

fn copy_fixture_install(dir: &Path, mut w: Written) -> std::io::Result<Written> {
    let mut stack = vec![fixture_root()];
    let out = dir.join("karmada-install");
    std::fs::create_dir_all(&out)?;
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&p)?;
                // Count documents roughly (the install is a handful of files; exactness
                // only matters for the objects/s figure, which uses the loader's count).
                w.objects +=
                    text.matches("\nkind:").count() + usize::from(text.starts_with("kind:"));
                w.bytes += text.len() as u64;
                w.files += 1;
                let rel = p.strip_prefix(fixture_root()).unwrap_or(&p);
                let name = rel.to_string_lossy().replace('/', "_");
                std::fs::write(out.join(name), text)?;
            }
        }
    }
    Ok(w)
}

fn labels(t: &mut String, indent: &str, app: &str, i: usize) {
    let _ = write!(
        t,
        "{indent}labels:\n{indent}  app: {app}\n{indent}  app.kubernetes.io/part-of: shop\n{indent}  \
         team: team-{:03}\n",
        i % 37
    );
}

/// A ConfigMap of a few keys and a properties file (both fillers write it).
fn configmap(t: &mut String, rng: &mut Rng, app: &str, ns: &str, i: usize) {
    let _ = write!(
        t,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app}-config\n  namespace: {ns}\n"
    );
    labels(t, "  ", app, i);
    t.push_str("data:\n");
    for k in 0..(3 + rng.below(6)) {
        let _ = writeln!(t, "  key-{k}: \"value {} for {app}\"", rng.next() % 100_000);
    }
    let _ = write!(
        t,
        "  application.properties: |\n    server.port=8080\n    log.level=info\n    feature.{}=true\n",
        rng.word()
    );
}

/// A ServiceAccount with a cloud role annotation (both fillers write it).
fn service_account(t: &mut String, rng: &mut Rng, app: &str, ns: &str) {
    let _ = write!(
        t,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {app}\n  namespace: {ns}\n  annotations:\n    \
         eks.amazonaws.com/role-arn: arn:aws:iam::{:012}:role/{app}\n",
        rng.next() % 1_000_000_000_000
    );
}

fn irrelevant(t: &mut String, rng: &mut Rng, i: usize) {
    let app = format!("{}-{i}", rng.word());
    let ns = format!("ns-{}", i % 53);
    match rng.below(10) {
        0..=2 => configmap(t, rng, &app, &ns, i),
        3..=4 => {
            let _ = write!(
                t,
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {app}\n  namespace: {ns}\n"
            );
            labels(t, "  ", &app, i);
            let _ = write!(
                t,
                "spec:\n  ingressClassName: nginx\n  rules:\n  - host: {app}.example.com\n    http:\n      paths:\n      \
                 - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: {app}\n            \
                 port:\n              number: {}\n",
                80 + rng.below(1000)
            );
        }
        5 => {
            let _ = write!(
                t,
                "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  hard:\n    \
                 requests.cpu: \"{}\"\n    requests.memory: {}Gi\n    pods: \"{}\"\n",
                1 + rng.below(64),
                1 + rng.below(256),
                10 + rng.below(500)
            );
        }
        6 => {
            let _ = write!(
                t,
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  \
                 podSelector:\n    matchLabels:\n      app: {app}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    \
                 - podSelector:\n        matchLabels:\n          app: {}\n    ports:\n    - protocol: TCP\n      port: 8080\n",
                rng.word()
            );
        }
        7 => {
            let _ = write!(
                t,
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  \
                 minAvailable: {}\n  selector:\n    matchLabels:\n      app: {app}\n",
                1 + rng.below(3)
            );
        }
        8 => service_account(t, rng, &app, &ns),
        _ => {
            let _ = write!(
                t,
                "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: {app}\n  namespace: {ns}\nspec:\n  limits:\n  - type: \
                 Container\n    default:\n      cpu: {}m\n      memory: 256Mi\n    defaultRequest:\n      cpu: 100m\n      memory: 128Mi\n",
                100 + rng.below(900)
            );
        }
    }
}

/// The filler of the relevant mix, as generator v1 wrote it (Services, Secrets, Karmada
/// policies: kinds some rules read), so that corpus and its golden report stay the same.
fn mixed_filler(t: &mut String, rng: &mut Rng, i: usize) {
    let app = format!("{}-{i}", rng.word());
    let ns = format!("ns-{}", i % 53);
    match rng.below(10) {
        0..=2 => configmap(t, rng, &app, &ns, i),
        3..=4 => {
            let _ = write!(
                t,
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {app}\n  namespace: {ns}\n"
            );
            labels(t, "  ", &app, i);
            let _ = write!(
                t,
                "spec:\n  type: ClusterIP\n  selector:\n    app: {app}\n  ports:\n  - name: http\n    port: 80\n    \
                 targetPort: 8080\n    protocol: TCP\n  - name: metrics\n    port: 9090\n    targetPort: {}\n",
                9000 + rng.below(1000)
            );
        }
        5 => {
            let _ = write!(
                t,
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {app}-creds\n  namespace: {ns}\ntype: Opaque\ndata:\n  \
                 username: YWRtaW4=\n  password: {:016x}\n",
                rng.next()
            );
        }
        6 => {
            let _ = write!(
                t,
                "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata:\n  name: {app}\n  \
                 namespace: {ns}\nspec:\n  resourceSelectors:\n  - apiVersion: apps/v1\n    kind: Deployment\n    \
                 name: {app}\n  placement:\n    clusterAffinity:\n      clusterNames:\n      - member{}\n      - member{}\n    \
                 replicaScheduling:\n      replicaSchedulingType: Divided\n      replicaDivisionPreference: Weighted\n",
                rng.below(10),
                rng.below(10)
            );
        }
        7 => {
            let _ = write!(
                t,
                "apiVersion: policy.karmada.io/v1alpha1\nkind: OverridePolicy\nmetadata:\n  name: {app}\n  \
                 namespace: {ns}\nspec:\n  resourceSelectors:\n  - apiVersion: apps/v1\n    kind: Deployment\n    \
                 name: {app}\n  overrideRules:\n  - targetCluster:\n      clusterNames: [member{}]\n    overriders:\n      \
                 imageOverrider:\n      - component: Registry\n        operator: replace\n        value: registry.example.com\n",
                rng.below(10)
            );
        }
        8 => service_account(t, rng, &app, &ns),
        _ => {
            let _ = write!(
                t,
                "apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\nmetadata:\n  name: {app}\nspec:\n  \
                 resourceSelectors:\n  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRole\n    name: {app}\n  \
                 placement:\n    clusterAffinity:\n      labelSelector:\n        matchLabels:\n          env: prod\n"
            );
        }
    }
}

fn deployment(t: &mut String, rng: &mut Rng, i: usize) {
    let app = format!("{}-{i}", rng.word());
    let _ = write!(
        t,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\n  namespace: ns-{}\n",
        i % 53
    );
    labels(t, "  ", &app, i);
    let _ = write!(
        t,
        "spec:\n  replicas: {}\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n",
        1 + rng.below(5)
    );
    labels(t, "      ", &app, i);
    let _ = write!(
        t,
        "    spec:\n      serviceAccountName: {app}\n      containers:\n      - name: {app}\n        image: \
         registry.example.com/{app}:v1.{}.{}\n        imagePullPolicy: IfNotPresent\n        command:\n        - /app/server\n        \
         - --port=8080\n        - --log-level=info\n        - --cache-size={}\n        env:\n        - name: GOMAXPROCS\n          \
         value: \"2\"\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: {app}-creds\n              \
         key: password\n        ports:\n        - containerPort: 8080\n          name: http\n        resources:\n          requests:\n            \
         cpu: 100m\n            memory: 128Mi\n          limits:\n            memory: 256Mi\n        readinessProbe:\n          httpGet:\n            \
         path: /healthz\n            port: 8080\n        volumeMounts:\n        - name: config\n          mountPath: /etc/app\n      volumes:\n      \
         - name: config\n        configMap:\n          name: {app}-config\n",
        rng.below(30),
        rng.below(10),
        rng.below(4096)
    );
}

fn crd(t: &mut String, i: usize) {
    let _ = write!(
        t,
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets{i}.example.com\nspec:\n  \
         group: example.com\n  names:\n    kind: Widget{i}\n    plural: widgets{i}\n  scope: Namespaced\n  versions:\n  - name: v1\n    \
         served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            \
         type: object\n            properties:\n              size:\n                type: integer\n"
    );
}

fn cluster(t: &mut String, rng: &mut Rng, i: usize) {
    let _ = write!(
        t,
        "apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: member-{i}\nspec:\n  syncMode: {}\n  \
         apiEndpoint: https://10.{}.{}.{}:6443\n  secretRef:\n    namespace: karmada-cluster\n    name: member-{i}\n  \
         insecureSkipTLSVerification: false\n  provider: {}\n  region: region-{}\nstatus:\n  kubernetesVersion: v1.{}.{}\n  \
         conditions:\n  - type: Ready\n    status: \"True\"\n    reason: ClusterReady\n",
        if rng.below(2) == 0 { "Push" } else { "Pull" },
        rng.below(256),
        rng.below(256),
        rng.below(256),
        ["aws", "gcp", "azure", "onprem"][rng.below(4) as usize],
        rng.below(8),
        18 + rng.below(8),
        rng.below(12)
    );
}

fn cluster_role(t: &mut String, rng: &mut Rng, i: usize) {
    let _ = write!(
        t,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: role-{i}\nrules:\n- apiGroups: [\"\"]\n  \
         resources: [\"pods\", \"services\", \"configmaps\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n- apiGroups: [\"apps\"]\n  \
         resources: [\"deployments\"]\n  verbs: [\"get\", \"list\"{}]\n",
        if rng.below(3) == 0 { ", \"update\"" } else { "" }
    );
}

fn endpoint_slice(t: &mut String, rng: &mut Rng, i: usize) {
    let _ = write!(
        t,
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: svc-{i}-abcde\n  namespace: ns-{}\n  labels:\n    \
         kubernetes.io/service-name: svc-{i}\naddressType: IPv4\nports:\n- name: http\n  port: 8080\n  protocol: TCP\nendpoints:\n",
        i % 53
    );
    for _ in 0..(1 + rng.below(4)) {
        let _ = write!(
            t,
            "- addresses: [\"10.{}.{}.{}\"]\n  conditions:\n    ready: true\n  nodeName: node-{}\n",
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(100)
        );
    }
}
