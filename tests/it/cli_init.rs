//! `kfscale init`'s refusals, which need no cluster: an existing kfscale.yaml is never
//! overwritten without --force, a missing values file or an unknown context is named, all before
//! the API server is contacted. The discovery itself runs on the rig: `live_init.rs`.
use std::net::TcpListener;
use std::process::{Command, Output};

struct Setup {
    dir: tempfile::TempDir,
    server: TcpListener,
}

impl Setup {
    /// A kubeconfig whose API server is a listener that would see any connection.
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        server.set_nonblocking(true).unwrap();
        let port = server.local_addr().unwrap().port();
        std::fs::write(
            dir.path().join("kubeconfig"),
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\n\
                 users:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: staging\n  context: {{cluster: c, user: u}}\n\
                 current-context: staging\n"
            ),
        )
        .unwrap();
        Setup { dir, server }
    }

    fn init(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kfscale"))
            .arg("init")
            .args(["--kubeconfig", "kubeconfig"])
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("KFSCALE_CONFIG")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn contacted(&self) -> bool {
        self.server.accept().is_ok()
    }
}

#[test]
fn an_existing_kfscale_yaml_is_never_overwritten_without_force() {
    let setup = Setup::new();
    let config = setup.dir.path().join("kfscale.yaml");
    std::fs::write(&config, "# mine\n").unwrap();
    let output = setup.init(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("kfscale.yaml already exists, and init never overwrites it; nothing was written; fix:")
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "# mine\n");
    assert!(!setup.contacted(), "the API server was contacted");

    // --config names another file: KFSCALE_CONFIG's rule, as every command reads it.
    let other = setup.dir.path().join("ops.yaml");
    std::fs::write(&other, "# ops\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kfscale"))
        .args(["init", "--kubeconfig", "kubeconfig"])
        .current_dir(setup.dir.path())
        .env("KFSCALE_CONFIG", &other)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("ops.yaml already exists"));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "# ops\n");
}

#[test]
fn a_missing_values_file_or_an_unknown_context_is_named_before_the_cluster_is_contacted() {
    let setup = Setup::new();
    let output = setup.init(&["--values", "nope.yaml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--values nope.yaml: no such file; fix:"), "{stderr}");

    let output = setup.init(&["--context", "prod"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("has no context `prod`; it has: staging"), "{stderr}");
    assert!(!setup.contacted(), "the API server was contacted");
    assert!(!setup.dir.path().join("kfscale.yaml").exists());
}
