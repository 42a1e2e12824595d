//! `kfscale validate` checks this machine as well as kfscale.yaml (#17 item 4): the kubeconfig and
//! its context, helm, the customer repository and its branch, what `kfscale init` left to fill
//! in, and (item 3) the AWS profile and region, each failure naming the key and the fix. No
//! cluster: nothing is contacted.
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: nowhere\n  cluster: {server: 'https://127.0.0.1:9'}\n\
users:\n- name: nobody\n  user: {token: t}\ncontexts:\n- name: staging\n  context: {cluster: nowhere, user: nobody}\n\
current-context: staging\n";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    /// kubeconfig, a helm that is only a file, a values file, a customer repo on `main`, and a
    /// kfscale.yaml naming them all (`cluster` is its `cluster:` flow mapping).
    fn new(cluster: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        std::fs::write(path.join("kubeconfig"), KUBECONFIG).unwrap();
        let helm = path.join("helm");
        std::fs::write(&helm, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(path.join("customer")).unwrap();
        std::fs::write(path.join("customer/values.yaml"), "global: {numNodes: 3}\n").unwrap();
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["add", "values.yaml"],
            &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "values"],
        ] {
            let status = Command::new("git")
                .arg("-C")
                .arg(path.join("customer"))
                .args(args)
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        }
        let workspace = Workspace { dir };
        workspace.config(cluster, &[]);
        workspace
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Rewrites kfscale.yaml with `cluster` (its flow mapping) and the other sections as `new`
    /// made them, but those `replace` gives (whole `key: ...` lines).
    fn config(&self, cluster: &str, replace: &[&str]) {
        let helm = format!(
            "helm: {{chart: oci://registry.example/kfuse, binary: {}}}",
            self.path("helm").display()
        );
        let mut sections = vec![
            format!("cluster: {cluster}"),
            "kubernetes: {kubeconfig: kubeconfig}".to_string(),
            helm,
            "values: {file: customer/values.yaml}".to_string(),
            "git: {repo: customer, branch: main}".to_string(),
        ];
        for line in replace {
            let key = line.split(':').next().unwrap_or_default();
            for section in &mut sections {
                if section.starts_with(&format!("{key}:")) {
                    *section = line.to_string();
                }
            }
        }
        std::fs::write(self.path("kfscale.yaml"), sections.join("\n") + "\n").unwrap();
    }

    fn validate(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kfscale"));
        command
            .arg("validate")
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1");
        for var in [
            "KFSCALE_CONFIG",
            "KUBECONFIG",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
        ] {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        command.output().unwrap()
    }
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const ACME: &str = "{aws: {region: us-east-1, cluster: acme, nodegroup: kfuse}}";

#[test]
fn a_complete_machine_validates() {
    let ws = Workspace::new(ACME);
    let output = ws.validate(&[], &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}\n{stdout}");
    assert!(
        stdout.contains("context staging (cluster nowhere at https://127.0.0.1:9)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("binary {}", ws.path("helm").display())),
        "{stdout}"
    );
}

#[test]
fn each_missing_piece_of_this_machine_is_named_with_its_key_and_fix() {
    let ws = Workspace::new(ACME);
    let unfilled = "{aws: {region: us-east-1, cluster: \"<fill in>\", nodegroup: kfuse}}";
    let cases: [(&str, &str, &[&str], &[&str]); 6] = [
        (
            ACME,
            "kubernetes: {kubeconfig: missing-kubeconfig}",
            &[],
            &[
                "kubernetes.kubeconfig: no kubeconfig:",
                "missing-kubeconfig does not exist; fix: write it with `aws eks update-kubeconfig --name acme --region us-east-1`",
            ],
        ),
        (
            ACME,
            "",
            &["--context", "production"],
            &[
                "kubernetes.context: the kubeconfig",
                "has no context `production`; it has: staging; fix:",
            ],
        ),
        (
            ACME,
            "helm: {chart: oci://r/kfuse, binary: helm-nowhere-to-be-found}",
            &[],
            &["helm.binary: `helm-nowhere-to-be-found` is not on PATH; fix: install helm 3"],
        ),
        (
            ACME,
            "git: {repo: ., branch: main}",
            &[],
            &[
                "git.repo:",
                "is not in a git repository; fix: point git.repo at the customer repository",
            ],
        ),
        (
            ACME,
            "git: {repo: customer, branch: release}",
            &[],
            &[
                "git.branch: the repository",
                "has no branch `release` (HEAD is on main); fix:",
            ],
        ),
        (
            unfilled,
            "",
            &[],
            &["cluster.aws.cluster is still \"<fill in>\": `kfscale init` could not find it; fix: set it"],
        ),
    ];
    for (cluster, replace, args, expected) in cases {
        ws.config(cluster, &[replace]);
        let output = ws.validate(args, &[]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{replace} {args:?}: {stdout}");
        for part in expected {
            assert!(stderr.contains(part), "{replace} {args:?}: no {part:?} in:\n{stderr}");
        }
        // Each case names only its own problem.
        assert_eq!(stderr.matches("Error:").count(), 1, "{replace} {args:?}:\n{stderr}");
    }
}

/// `~/.aws/config` and `~/.aws/credentials` under the workspace's HOME.
fn aws_files(ws: &Workspace) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(ws.path(".aws")).unwrap();
    let (config, credentials) = (ws.path(".aws/config"), ws.path(".aws/credentials"));
    std::fs::write(
        &config,
        "[default]\nregion = us-west-2\n\n[profile prod]\nregion = eu-west-1\n\n[profile bare]\noutput = json\n",
    )
    .unwrap();
    std::fs::write(
        &credentials,
        "[creds-only]\naws_access_key_id = a\naws_secret_access_key = b\n",
    )
    .unwrap();
    (config, credentials)
}

#[test]
fn an_aws_profile_that_does_not_exist_is_named_with_the_files_looked_in() {
    let ws = Workspace::new("{aws: {cluster: acme, nodegroup: kfuse, profile: prdo}}");
    let (config, credentials) = aws_files(&ws);
    let output = ws.validate(&[], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains(&format!(
            "the AWS profile `prdo` (cluster.aws.profile in kfscale.yaml) does not exist: neither {} nor {} has it (they have: bare, creds-only, default, prod); fix: create it (`aws configure --profile prdo`",
            config.display(),
            credentials.display()
        )),
        "{stderr}"
    );

    // AWS_PROFILE, and the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name instead.
    ws.config("{aws: {cluster: acme, nodegroup: kfuse}}", &[]);
    let (elsewhere, none) = (ws.path("aws-config"), ws.path("no-credentials"));
    std::fs::write(&elsewhere, "[profile other]\nregion = us-east-2\n").unwrap();
    let output = ws.validate(
        &[],
        &[
            ("AWS_PROFILE", "prod"),
            ("AWS_CONFIG_FILE", elsewhere.to_str().unwrap()),
            ("AWS_SHARED_CREDENTIALS_FILE", none.to_str().unwrap()),
        ],
    );
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains(&format!(
            "the AWS profile `prod` (AWS_PROFILE) does not exist: neither {} nor {} has it (they have: other)",
            elsewhere.display(),
            none.display()
        )),
        "{stderr}"
    );
}

#[test]
fn the_region_comes_from_kfscale_yaml_then_the_environment_then_the_profile() {
    let ws = Workspace::new("{aws: {cluster: acme, nodegroup: kfuse, profile: prod}}");
    aws_files(&ws);
    let region = |env: &[(&str, &str)]| {
        let output = ws.validate(&[], env);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{env:?}: {stderr}");
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("aws         region "))
            .map(String::from)
            .unwrap_or_else(|| panic!("{stdout}"))
    };
    assert_eq!(region(&[]), "eu-west-1, profile prod");
    assert_eq!(
        region(&[("AWS_DEFAULT_REGION", "ap-south-1")]),
        "ap-south-1, profile prod"
    );
    assert_eq!(
        region(&[("AWS_DEFAULT_REGION", "ap-south-1"), ("AWS_REGION", "ca-central-1")]),
        "ca-central-1, profile prod"
    );
    ws.config("{aws: {cluster: acme, nodegroup: kfuse}}", &[]);
    assert_eq!(region(&[]), "us-west-2", "the default profile's");
    ws.config("{aws: {region: sa-east-1, cluster: acme, nodegroup: kfuse}}", &[]);
    assert_eq!(
        region(&[("AWS_REGION", "ca-central-1")]),
        "sa-east-1",
        "kfscale.yaml first"
    );

    ws.config("{aws: {cluster: acme, nodegroup: kfuse, profile: bare}}", &[]);
    let output = ws.validate(&[], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("no AWS region: cluster.aws.region is not set, nor AWS_REGION or AWS_DEFAULT_REGION, and the AWS profile `bare` sets none in")
            && stderr.contains("fix: set cluster.aws.region"),
        "{stderr}"
    );
}

#[test]
fn a_plan_refuses_an_unknown_aws_profile_before_any_eks_call() {
    let ws = Workspace::new("{aws: {cluster: acme, nodegroup: kfuse, profile: prdo}}");
    aws_files(&ws);
    let eks = TcpListener::bind("127.0.0.1:0").unwrap();
    eks.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", eks.local_addr().unwrap());
    let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(["plan", "--config", "kfscale.yaml", "--nodes", "6"])
        .current_dir(ws.dir.path())
        .env("HOME", ws.dir.path())
        .env("AWS_ENDPOINT_URL_EKS", &endpoint)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the AWS profile `prdo` (cluster.aws.profile in"),
        "{stderr}"
    );
    assert!(eks.accept().is_err(), "EKS was called");
}

#[test]
fn partition_growth_is_shown_and_an_unknown_stream_named() {
    let ws = Workspace::new(ACME);
    let config = ws.path("kfscale.yaml");
    let base = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{base}partition_growth: {{expected: 1.2, streams: {{logs: 2}}}}\n"),
    )
    .unwrap();
    let output = ws.validate(&[], &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}\n{stdout}");
    assert!(
        stdout.contains("growth      partitions × (n+m)/n × 1.2 by default, 2 for stream logs"),
        "{stdout}"
    );

    std::fs::write(&config, format!("{base}partition_growth: {{streams: {{apm: 2}}}}\n")).unwrap();
    let output = ws.validate(&[], &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}\n{stdout}");
    assert!(
        stderr.contains("kfscale.yaml: `partition_growth.streams.apm` names no stream of the profile")
            && stderr.contains("fix: use a stream the profile has (events, logs, metrics, traces)"),
        "{stderr}"
    );
}
