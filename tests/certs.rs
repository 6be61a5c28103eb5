//! Front-proxy analysis against real certificate chains: built with rcgen at test time
//! (ECDSA), plus static OpenSSL-made RSA/SEC1 material in tests/data/front-proxy-openssl
//! because ring cannot generate RSA keys.

use karmada_preflight::certs::{
    analyze_front_proxy, describe_cert, describe_certs, fingerprint_sha256,
    generate_front_proxy_pair, generate_front_proxy_pair_at, is_placeholder, CertPart, CertProblem,
    ExtKeyUsage, FrontProxyInput, FrontProxyReport, ProblemSeverity, PublicKeyKind,
};
use proptest::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);
const WARN_DAYS: i64 = 30;

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

struct Leaf {
    cert_pem: String,
    key_pem: String,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    d
}

fn ca_with(
    cn: &str,
    key: KeyPair,
    is_ca: bool,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Ca {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(cn);
    params.is_ca = if is_ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = not_before;
    params.not_after = not_after;
    let pem = params.self_signed(&key).unwrap().pem();
    Ca { params, key, pem }
}

fn new_ca(cn: &str) -> Ca {
    ca_with(
        cn,
        KeyPair::generate().unwrap(),
        true,
        NOW - Duration::days(365),
        NOW + Duration::days(3650),
    )
}

struct LeafSpec {
    cn: &'static str,
    ekus: Option<Vec<ExtendedKeyUsagePurpose>>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    is_ca: bool,
}

fn spec() -> LeafSpec {
    LeafSpec {
        cn: "front-proxy-client",
        ekus: Some(vec![ExtendedKeyUsagePurpose::ClientAuth]),
        not_before: NOW - Duration::days(30),
        not_after: NOW + Duration::days(365),
        is_ca: false,
    }
}

fn leaf_params(spec: &LeafSpec) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(spec.cn);
    params.extended_key_usages = spec.ekus.clone().unwrap_or_default();
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = spec.not_before;
    params.not_after = spec.not_after;
    if spec.is_ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages.push(KeyUsagePurpose::KeyCertSign);
    }
    params
}

fn issue(ca: &Ca, spec: LeafSpec) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let cert = leaf_params(&spec).signed_by(&key, &issuer).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn run(ca_pem: &str, leaf: &Leaf, client_ca: Option<&str>, allowed: &[&str]) -> FrontProxyReport {
    let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
    analyze_front_proxy(&FrontProxyInput {
        ca_pem: ca_pem.as_bytes(),
        client_cert_pem: leaf.cert_pem.as_bytes(),
        client_key_pem: leaf.key_pem.as_bytes(),
        client_ca_pem: client_ca.map(str::as_bytes),
        allowed_names: &allowed,
        now: NOW,
        warn_within_days: WARN_DAYS,
    })
}

fn codes(report: &FrontProxyReport) -> Vec<&'static str> {
    report.problems.iter().map(CertProblem::code).collect()
}

fn only(report: &FrontProxyReport) -> &CertProblem {
    assert_eq!(
        report.problems.len(),
        1,
        "expected one problem, got {:#?}",
        report.problems
    );
    &report.problems[0]
}

const ALLOWED: &[&str] = &["front-proxy-client"];

#[test]
fn pass_case() {
    let ca = new_ca("front-proxy-ca");
    let other_client_ca = new_ca("ca");
    let leaf = issue(&ca, spec());
    let report = run(&ca.pem, &leaf, Some(&other_client_ca.pem), ALLOWED);
    assert!(report.is_clean(), "{:#?}", report.problems);
    assert_eq!(
        report.client_subject_cn.as_deref(),
        Some("front-proxy-client")
    );
    assert_eq!(report.client_not_after, Some(NOW + Duration::days(365)));
    assert_eq!(report.ca_subject.as_deref(), Some("CN=front-proxy-ca"));
    assert_eq!(
        report.client_fingerprint_sha256.as_ref().map(String::len),
        Some(64)
    );
}

#[test]
fn client_signed_by_a_different_ca() {
    let ca = new_ca("front-proxy-ca");
    let other = new_ca("some-other-ca");
    let leaf = issue(&other, spec());
    let report = run(&ca.pem, &leaf, None, ALLOWED);
    assert!(matches!(
        only(&report),
        CertProblem::NotSignedByFrontProxyCa { .. }
    ));
    assert_eq!(report.problems[0].severity(), ProblemSeverity::Error);
}

#[test]
fn impostor_ca_with_the_same_name_is_not_the_signer() {
    let real = new_ca("front-proxy-ca");
    let impostor = new_ca("front-proxy-ca");
    let leaf = issue(&impostor, spec());
    let report = run(&real.pem, &leaf, None, ALLOWED);
    assert_eq!(codes(&report), ["front-proxy/not-signed-by-ca"]);
}

#[test]
fn ca_bundle_with_several_cas_finds_the_signer() {
    let unrelated = ca_with(
        "old-expired-ca",
        KeyPair::generate().unwrap(),
        true,
        NOW - Duration::days(900),
        NOW - Duration::days(1),
    );
    let ca = new_ca("front-proxy-ca");
    let leaf = issue(&ca, spec());
    let bundle = format!("{}{}", unrelated.pem, ca.pem);
    let report = run(&bundle, &leaf, None, ALLOWED);
    // The expired extra CA does not break the chain, so it is not reported.
    assert!(report.is_clean(), "{:#?}", report.problems);
    assert_eq!(report.ca_subject.as_deref(), Some("CN=front-proxy-ca"));
}

#[test]
fn chain_through_bundled_intermediate() {
    let root = new_ca("front-proxy-root");
    let intermediate_key = KeyPair::generate().unwrap();
    let mut ispec = spec();
    ispec.cn = "front-proxy-intermediate";
    ispec.is_ca = true;
    ispec.ekus = None;
    let iparams = leaf_params(&ispec);
    let intermediate_pem = iparams
        .signed_by(
            &intermediate_key,
            &Issuer::from_params(&root.params, &root.key),
        )
        .unwrap()
        .pem();
    let intermediate = Ca {
        params: iparams,
        key: intermediate_key,
        pem: intermediate_pem,
    };
    let mut leaf = issue(&intermediate, spec());
    leaf.cert_pem = format!("{}{}", leaf.cert_pem, intermediate.pem);
    let report = run(&root.pem, &leaf, None, ALLOWED);
    assert!(report.is_clean(), "{:#?}", report.problems);
}

#[test]
fn expired_client() {
    let ca = new_ca("front-proxy-ca");
    let mut s = spec();
    s.not_before = NOW - Duration::days(400);
    s.not_after = NOW - Duration::days(35);
    let report = run(&ca.pem, &issue(&ca, s), None, ALLOWED);
    let p = only(&report);
    assert!(
        matches!(p, CertProblem::Expired { not_after } if *not_after == NOW - Duration::days(35))
    );
    assert_eq!(p.severity(), ProblemSeverity::Error);
    assert!(p.message().contains("2025-04-27"), "{}", p.message());
}

#[test]
fn not_yet_valid_client() {
    let ca = new_ca("front-proxy-ca");
    let mut s = spec();
    s.not_before = NOW + Duration::days(2);
    let report = run(&ca.pem, &issue(&ca, s), None, ALLOWED);
    assert!(matches!(only(&report), CertProblem::NotYetValid { .. }));
}

#[test]
fn expires_in_ten_days_is_a_warning() {
    let ca = new_ca("front-proxy-ca");
    let mut s = spec();
    s.not_after = NOW + Duration::days(10);
    let report = run(&ca.pem, &issue(&ca, s), None, ALLOWED);
    let p = only(&report);
    assert!(
        matches!(p, CertProblem::ExpiresSoon { days_left: 10, .. }),
        "{p:?}"
    );
    assert_eq!(p.severity(), ProblemSeverity::Warning);
}

#[test]
fn ca_problems_are_reported() {
    let expired = ca_with(
        "front-proxy-ca",
        KeyPair::generate().unwrap(),
        true,
        NOW - Duration::days(900),
        NOW - Duration::days(1),
    );
    let report = run(&expired.pem, &issue(&expired, spec()), None, ALLOWED);
    assert_eq!(codes(&report), ["front-proxy/ca-expired"]);

    let not_ca = ca_with(
        "front-proxy-ca",
        KeyPair::generate().unwrap(),
        false,
        NOW - Duration::days(1),
        NOW + Duration::days(3650),
    );
    let report = run(&not_ca.pem, &issue(&not_ca, spec()), None, ALLOWED);
    let p = only(&report);
    assert!(matches!(p, CertProblem::CaNotACa { .. }));
    // Go accepts a non-CA trust anchor, so this is hygiene, not breakage.
    assert_eq!(p.severity(), ProblemSeverity::Warning);
}

#[test]
fn cn_not_in_allowed_names() {
    let ca = new_ca("front-proxy-ca");
    let mut s = spec();
    s.cn = "system:admin";
    let leaf = issue(&ca, s);
    let report = run(&ca.pem, &leaf, None, ALLOWED);
    match only(&report) {
        CertProblem::CnNotAllowed { cn, allowed } => {
            assert_eq!(cn, "system:admin");
            assert_eq!(allowed, &["front-proxy-client".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    // An empty allowed list accepts any CN, as kube-apiserver does.
    assert!(run(&ca.pem, &leaf, None, &[]).is_clean());
}

#[test]
fn server_auth_only_is_rejected_and_missing_eku_is_accepted() {
    let ca = new_ca("front-proxy-ca");
    let mut s = spec();
    s.ekus = Some(vec![ExtendedKeyUsagePurpose::ServerAuth]);
    let report = run(&ca.pem, &issue(&ca, s), None, ALLOWED);
    assert!(matches!(
        only(&report),
        CertProblem::NoClientAuthUsage { usages } if usages == &[ExtKeyUsage::ServerAuth]
    ));

    let mut s = spec();
    s.ekus = None;
    let report = run(&ca.pem, &issue(&ca, s), None, ALLOWED);
    assert!(report.is_clean(), "{:#?}", report.problems);

    let mut s = spec();
    s.ekus = Some(vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ]);
    assert!(run(&ca.pem, &issue(&ca, s), None, ALLOWED).is_clean());
}

#[test]
fn key_from_another_pair_does_not_match() {
    let ca = new_ca("front-proxy-ca");
    let mut leaf = issue(&ca, spec());
    leaf.key_pem = issue(&ca, spec()).key_pem;
    let report = run(&ca.pem, &leaf, None, ALLOWED);
    assert_eq!(only(&report), &CertProblem::KeyDoesNotMatchCert);
    assert_eq!(report.problems[0].severity(), ProblemSeverity::Error);
}

#[test]
fn front_proxy_ca_reused_as_client_ca() {
    let ca = new_ca("front-proxy-ca");
    let leaf = issue(&ca, spec());

    let report = run(&ca.pem, &leaf, Some(&ca.pem), ALLOWED);
    let p = only(&report);
    assert_eq!(
        p,
        &CertProblem::CaReusedAsClientCa {
            allowed_names_restricted: true
        }
    );
    assert_eq!(p.severity(), ProblemSeverity::Warning);

    let report = run(&ca.pem, &leaf, Some(&ca.pem), &[]);
    assert_eq!(only(&report).severity(), ProblemSeverity::Error);

    // Inside a larger client CA bundle.
    let bundle = format!("{}{}", new_ca("ca").pem, ca.pem);
    assert_eq!(
        codes(&run(&ca.pem, &leaf, Some(&bundle), ALLOWED)),
        ["front-proxy/ca-reused-as-client-ca"]
    );

    // Re-issued CA: same name and key, different certificate bytes.
    let mut reissued_params = ca.params.clone();
    reissued_params.not_after = NOW + Duration::days(7000);
    let reissued = reissued_params.self_signed(&ca.key).unwrap().pem();
    assert_ne!(reissued, ca.pem);
    assert_eq!(
        codes(&run(&ca.pem, &leaf, Some(&reissued), ALLOWED)),
        ["front-proxy/ca-reused-as-client-ca"]
    );
}

#[test]
fn placeholders_are_unknown_never_pass() {
    let p = "{{front_proxy_ca_crt}}\n";
    let leaf = Leaf {
        cert_pem: "  {{front_proxy_client_crt}}  ".into(),
        key_pem: "{{front_proxy_client_key}}".into(),
    };
    let report = run(p, &leaf, Some("{{ca_crt}}"), ALLOWED);
    assert_eq!(
        report.problems,
        [
            CertProblem::Placeholder {
                which: CertPart::FrontProxyCa
            },
            CertProblem::Placeholder {
                which: CertPart::ClientCert
            },
            CertProblem::Placeholder {
                which: CertPart::ClientKey
            },
            CertProblem::Placeholder {
                which: CertPart::ClientCa
            },
        ]
    );
    assert!(report
        .problems
        .iter()
        .all(|p| p.severity() == ProblemSeverity::Unknown));
    assert!(!report.is_clean());
    assert!(is_placeholder("{{front_proxy_ca_crt}}\n"));
    assert!(is_placeholder(""));

    // A real chain with only the CA still templated: the client checks still run.
    let ca = new_ca("front-proxy-ca");
    let mut s = spec();
    s.not_after = NOW - Duration::days(1);
    let report = run(p, &issue(&ca, s), None, ALLOWED);
    assert_eq!(
        codes(&report),
        ["front-proxy/placeholder", "front-proxy/client-expired"]
    );
}

#[test]
fn garbage_is_not_pem_and_never_panics() {
    let ca = new_ca("front-proxy-ca");
    let good = issue(&ca, spec());
    let truncated = &good.cert_pem[..good.cert_pem.len() / 2];
    let cases: Vec<(&str, Leaf)> = vec![
        (
            "hello world",
            Leaf {
                cert_pem: "\u{0}\u{1}binary".into(),
                key_pem: "nope".into(),
            },
        ),
        (
            truncated,
            Leaf {
                cert_pem: truncated.into(),
                key_pem: truncated.into(),
            },
        ),
        // Key and cert swapped.
        (
            &ca.pem,
            Leaf {
                cert_pem: good.key_pem.clone(),
                key_pem: good.cert_pem.clone(),
            },
        ),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            Leaf {
                cert_pem: "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n".into(),
                key_pem:
                    "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n"
                        .into(),
            },
        ),
    ];
    for (ca_pem, leaf) in cases {
        let report = run(ca_pem, &leaf, Some("garbage"), ALLOWED);
        let not_pem: Vec<CertPart> = report
            .problems
            .iter()
            .filter_map(|p| match p {
                CertProblem::NotPem { which, .. } => Some(*which),
                _ => None,
            })
            .collect();
        assert!(
            not_pem.contains(&CertPart::ClientCert),
            "{:#?}",
            report.problems
        );
        assert!(
            not_pem.contains(&CertPart::ClientKey),
            "{:#?}",
            report.problems
        );
        assert!(report
            .problems
            .iter()
            .all(|p| p.severity() != ProblemSeverity::Warning));
    }
    let report = run("garbage", &good, None, ALLOWED);
    assert_eq!(codes(&report), ["front-proxy/not-pem"]);
    assert!(report.problems[0].message().contains("front-proxy-ca.crt"));
}

#[test]
fn encrypted_key_is_an_error() {
    let ca = new_ca("front-proxy-ca");
    let mut leaf = issue(&ca, spec());
    leaf.key_pem =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n".into();
    let report = run(&ca.pem, &leaf, None, ALLOWED);
    assert_eq!(only(&report), &CertProblem::KeyEncrypted);
}

mod openssl_material {
    //! Official-install-shaped RSA (PKCS#1, cfssl style) and OpenSSL SEC1 EC keys.
    use super::*;

    const CA: &str = include_str!("data/front-proxy-openssl/ca.crt");
    const RSA_CERT: &str = include_str!("data/front-proxy-openssl/client-rsa.crt");
    const RSA_PKCS1: &str = include_str!("data/front-proxy-openssl/client-rsa-pkcs1.key");
    const RSA_PKCS8: &str = include_str!("data/front-proxy-openssl/client-rsa-pkcs8.key");
    const OTHER_RSA: &str = include_str!("data/front-proxy-openssl/other-rsa-pkcs8.key");
    const EC_CERT: &str = include_str!("data/front-proxy-openssl/client-ec.crt");
    const EC_SEC1: &str = include_str!("data/front-proxy-openssl/client-ec-sec1.key");

    fn run_at_issue_time(cert: &str, key: &str) -> FrontProxyReport {
        // The static certs are valid for 100 years from generation; test inside that window.
        let now = describe_cert(cert.as_bytes()).unwrap().not_before + Duration::days(1);
        analyze_front_proxy(&FrontProxyInput {
            ca_pem: CA.as_bytes(),
            client_cert_pem: cert.as_bytes(),
            client_key_pem: key.as_bytes(),
            client_ca_pem: None,
            allowed_names: &["front-proxy-client".to_string()],
            now,
            warn_within_days: WARN_DAYS,
        })
    }

    #[test]
    fn rsa_pkcs1_key_matches() {
        assert!(RSA_PKCS1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        let report = run_at_issue_time(RSA_CERT, RSA_PKCS1);
        assert!(report.is_clean(), "{:#?}", report.problems);
        assert_eq!(report.ca_subject.as_deref(), Some("CN=ca"));
    }

    #[test]
    fn rsa_pkcs8_key_matches() {
        assert!(run_at_issue_time(RSA_CERT, RSA_PKCS8).is_clean());
    }

    #[test]
    fn other_rsa_key_mismatches() {
        let report = run_at_issue_time(RSA_CERT, OTHER_RSA);
        assert_eq!(only(&report), &CertProblem::KeyDoesNotMatchCert);
    }

    #[test]
    fn ec_sec1_key_with_parameters_block_matches() {
        assert!(EC_SEC1.starts_with("-----BEGIN EC PARAMETERS-----"));
        let report = run_at_issue_time(EC_CERT, EC_SEC1);
        assert!(report.is_clean(), "{:#?}", report.problems);
    }

    #[test]
    fn key_of_the_wrong_algorithm_mismatches() {
        assert_eq!(
            only(&run_at_issue_time(EC_CERT, RSA_PKCS1)),
            &CertProblem::KeyDoesNotMatchCert
        );
        assert_eq!(
            only(&run_at_issue_time(RSA_CERT, EC_SEC1)),
            &CertProblem::KeyDoesNotMatchCert
        );
    }

    #[test]
    fn describe_rsa_client_cert() {
        let s = describe_cert(RSA_CERT.as_bytes()).unwrap();
        assert_eq!(s.subject, "CN=front-proxy-client");
        assert_eq!(s.subject_cn.as_deref(), Some("front-proxy-client"));
        assert_eq!(s.issuer_cn.as_deref(), Some("ca"));
        assert!(!s.is_ca);
        assert_eq!(s.ext_key_usages, Some(vec![ExtKeyUsage::ClientAuth]));
        assert_eq!(s.public_key, PublicKeyKind::Rsa { bits: 2048 });
        assert_eq!(s.not_after - s.not_before, Duration::days(36500));
        // Pinned from `openssl x509 -noout -fingerprint -sha256`.
        assert_eq!(
            s.fingerprint_sha256,
            "e5a427810f75c86aff13973a90f418f84900b13c9516902f1f273348ede1a529"
        );
        let ca = describe_cert(CA.as_bytes()).unwrap();
        assert!(ca.is_ca);
        assert_eq!(ca.ext_key_usages, None);
    }

    #[test]
    fn describe_bundle_and_ec() {
        let bundle = format!("{CA}{RSA_CERT}{EC_CERT}");
        let all = describe_certs(bundle.as_bytes()).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(
            all[2].public_key,
            PublicKeyKind::Ec {
                curve: "P-256".into()
            }
        );
        assert!(describe_cert(RSA_PKCS1.as_bytes()).is_err());
        assert!(describe_cert(b"{{ca_crt}}").is_err());
    }

    #[test]
    fn no_key_material_in_any_output() {
        for key in [RSA_PKCS1, RSA_PKCS8, OTHER_RSA, EC_SEC1] {
            let report = run_at_issue_time(RSA_CERT, key);
            assert_no_key_material(&report, key);
        }
    }
}

/// Fails if any base64 line of `key_pem`, or its header, shows up in the report's outputs.
fn assert_no_key_material(report: &FrontProxyReport, key_pem: &str) {
    let mut outputs = vec![format!("{report:?}"), format!("{report:#?}")];
    for p in &report.problems {
        outputs.push(p.to_string());
        outputs.push(p.message());
        outputs.push(format!("{p:?}"));
    }
    let body_lines: Vec<&str> = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .collect();
    for out in outputs {
        assert!(!out.contains("PRIVATE KEY-----"), "{out}");
        for line in &body_lines {
            assert!(!out.contains(line), "key material leaked into: {out}");
            assert!(
                !out.contains(&line[..16]),
                "key material leaked into: {out}"
            );
        }
    }
}

#[test]
fn no_key_material_in_reports_or_debug() {
    let ca = new_ca("front-proxy-ca");
    let good = issue(&ca, spec());
    let other = issue(&ca, spec());
    let mixed = Leaf {
        cert_pem: good.cert_pem.clone(),
        key_pem: other.key_pem.clone(),
    };
    let swapped = Leaf {
        cert_pem: good.key_pem.clone(),
        key_pem: good.cert_pem.clone(),
    };
    let truncated_key = Leaf {
        cert_pem: good.cert_pem.clone(),
        key_pem: good.key_pem[..good.key_pem.len() - 40].to_string(),
    };
    for leaf in [&good, &mixed, &swapped, &truncated_key] {
        let report = run(&ca.pem, leaf, Some(&ca.pem), ALLOWED);
        assert_no_key_material(&report, &good.key_pem);
        assert_no_key_material(&report, &other.key_pem);
        let allowed = vec!["front-proxy-client".to_string()];
        let input = FrontProxyInput {
            ca_pem: ca.pem.as_bytes(),
            client_cert_pem: leaf.cert_pem.as_bytes(),
            client_key_pem: leaf.key_pem.as_bytes(),
            client_ca_pem: None,
            allowed_names: &allowed,
            now: NOW,
            warn_within_days: WARN_DAYS,
        };
        let dbg = format!("{input:?}");
        assert!(!dbg.contains("PRIVATE KEY"), "{dbg}");
    }
    let generated = generate_front_proxy_pair(30).unwrap();
    let dbg = format!("{generated:?}");
    assert!(!dbg.contains("PRIVATE KEY"), "{dbg}");
    assert!(dbg.contains("<redacted>"));
}

#[test]
fn generated_pair_passes_analysis() {
    let g = generate_front_proxy_pair_at(NOW, 365).unwrap();
    assert!(g.ca_key_pem.contains("BEGIN PRIVATE KEY"));
    let report = run(
        &g.ca_cert_pem,
        &Leaf {
            cert_pem: g.client_cert_pem.clone(),
            key_pem: g.client_key_pem.clone(),
        },
        Some(&new_ca("ca").pem),
        ALLOWED,
    );
    assert!(report.is_clean(), "{:#?}", report.problems);
    let ca = describe_cert(g.ca_cert_pem.as_bytes()).unwrap();
    assert_eq!(ca.subject_cn.as_deref(), Some("front-proxy-ca"));
    assert!(ca.is_ca);
    let client = describe_cert(g.client_cert_pem.as_bytes()).unwrap();
    assert_eq!(client.subject_cn.as_deref(), Some("front-proxy-client"));
    assert_eq!(client.ext_key_usages, Some(vec![ExtKeyUsage::ClientAuth]));
    assert_eq!(client.not_after, NOW + Duration::days(365));
    assert!(client.not_before < NOW);
    assert_ne!(ca.fingerprint_sha256, client.fingerprint_sha256);

    // Two runs never share keys.
    let again = generate_front_proxy_pair_at(NOW, 365).unwrap();
    assert_ne!(
        fingerprint_sha256(g.ca_key_pem.as_bytes()),
        fingerprint_sha256(again.ca_key_pem.as_bytes())
    );

    assert!(generate_front_proxy_pair(0).is_err());
    assert!(generate_front_proxy_pair(u32::MAX).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn analysis_never_panics_on_arbitrary_input(
        ca in proptest::collection::vec(any::<u8>(), 0..512),
        cert in "\\PC{0,300}",
        key in proptest::collection::vec(any::<u8>(), 0..512),
        client_ca in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..256)),
        days in any::<i64>(),
    ) {
        let allowed = vec!["front-proxy-client".to_string()];
        let _ = analyze_front_proxy(&FrontProxyInput {
            ca_pem: &ca,
            client_cert_pem: cert.as_bytes(),
            client_key_pem: &key,
            client_ca_pem: client_ca.as_deref(),
            allowed_names: &allowed,
            now: NOW,
            warn_within_days: days,
        });
        let _ = describe_cert(&ca);
        let _ = describe_certs(cert.as_bytes());
    }
}

/// Corrupting real DER exercises the X.509 and key parsers far deeper than random bytes.
mod corrupted_der {
    use super::*;
    use base64::Engine as _;

    fn reencode(label: &str, der: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut out = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap());
            out.push('\n');
        }
        out.push_str(&format!("-----END {label}-----\n"));
        out
    }

    fn der_of(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn mutated_chain_never_panics(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            target in 0usize..4,
        ) {
            let ca = new_ca("front-proxy-ca");
            let leaf = issue(&ca, spec());
            let rsa_key = include_str!("data/front-proxy-openssl/client-rsa-pkcs1.key");
            let (label, source) = match target {
                0 => ("CERTIFICATE", ca.pem.as_str()),
                1 => ("CERTIFICATE", leaf.cert_pem.as_str()),
                2 => ("PRIVATE KEY", leaf.key_pem.as_str()),
                _ => ("RSA PRIVATE KEY", rsa_key),
            };
            let mut der = der_of(source);
            for (idx, byte) in &flips {
                let i = idx.index(der.len());
                der[i] ^= byte | 1;
            }
            let full = reencode(label, &der);
            let truncated = reencode(label, &der[..cut.index(der.len())]);
            for mutated in [full, truncated] {
                let (mut ca_pem, mut cert_pem, mut key_pem) =
                    (ca.pem.clone(), leaf.cert_pem.clone(), leaf.key_pem.clone());
                match target {
                    0 => ca_pem = mutated,
                    1 => cert_pem = mutated,
                    _ => key_pem = mutated,
                }
                let report = run(&ca_pem, &Leaf { cert_pem, key_pem }, Some(&ca.pem), ALLOWED);
                // Whatever happened, the CA reuse must still be seen unless the CA itself broke.
                if target != 0 {
                    let reuse = CertProblem::CaReusedAsClientCa { allowed_names_restricted: true };
                    prop_assert!(report.problems.contains(&reuse));
                }
                assert_no_key_material(&report, &leaf.key_pem);
            }
        }
    }
}
