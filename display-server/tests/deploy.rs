//! What docs/deploy.md ships, checked as far as this machine can: the Kubernetes manifest
//! (`dist/kubernetes/netui.yaml`) through `kubectl apply --dry-run=client`, and the
//! container's entry point (`dist/docker/entrypoint.sh`), which the image and the pods' probes
//! run: it serves the display its host name numbers, and its `check` speaks the protocol.
//! Docker itself cannot run here; the image is not built by the tests.
//!
//! `kubectl apply --dry-run=client` still asks an API server which kinds exist (discovery),
//! and, to validate, for its OpenAPI schema. With no cluster here, the test answers the
//! discovery itself (a few lines of JSON for `v1` and `apps/v1`, "not found" for the objects,
//! as an empty cluster would) and runs kubectl with `--validate=false`; kubectl still decodes
//! every object into its type, and the test checks what the objects say.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use netui_testkit::process::{terminate, workspace_program, Ready};
use netui_testkit::{tools, TestDisplay};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What an empty API server answers: the discovery of Services and StatefulSets, and 404.
fn answer(path: &str) -> (u16, &'static str) {
    match path {
        "/api" => (
            200,
            r#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}"#,
        ),
        "/apis" => (
            200,
            r#"{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}]}"#,
        ),
        "/api/v1" => (
            200,
            r#"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"services","singularName":"service","namespaced":true,"kind":"Service","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["svc"]}]}"#,
        ),
        "/apis/apps/v1" => (
            200,
            r#"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[{"name":"statefulsets","singularName":"statefulset","namespaced":true,"kind":"StatefulSet","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["sts"]}]}"#,
        ),
        _ => (
            404,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"not found","reason":"NotFound","code":404}"#,
        ),
    }
}

/// Serves one HTTP request on `stream`, closing it after the answer.
fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // The headers, up to the empty line (GETs have no body).
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = request.split(' ').nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let (code, body) = answer(path);
    let status = if code == 200 { "OK" } else { "Not Found" };
    let _ = write!(
        &stream,
        "HTTP/1.1 {code} {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A stand-in API server on loopback, and a kubeconfig that points kubectl at it.
fn empty_cluster(dir: &Path) -> PathBuf {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = listener.local_addr().expect("its address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: empty\n  cluster:\n    server: \
             http://{addr}\ncontexts:\n- name: empty\n  context:\n    cluster: empty\n    \
             namespace: default\ncurrent-context: empty\n"
        ),
    )
    .expect("kubeconfig");
    kubeconfig
}

#[test]
fn the_kubernetes_manifest_applies_in_a_client_dry_run() {
    let Some(kubectl) = tools::program("kubectl", "apt-get install kubernetes-client") else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let kubeconfig = empty_cluster(home.path());
    let out = Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "apply",
            "--dry-run=client",
            "--validate=false",
            "-o",
            "json",
            "-f",
        ])
        .arg(repo().join("dist/kubernetes/netui.yaml"))
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubectl runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // A List of the objects (newer kubectl), or the objects one after the other (older).
    let mut items = Vec::new();
    for value in serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Value>() {
        let value = value.expect("kubectl prints JSON");
        match value["items"].as_array() {
            Some(list) if value["kind"] == "List" => items.extend(list.iter().cloned()),
            _ => items.push(value),
        }
    }
    let kind = |k: &str| {
        items
            .iter()
            .find(|i| i["kind"] == k)
            .unwrap_or_else(|| panic!("no {k} in {items:?}"))
    };
    let service = kind("Service");
    let set = kind("StatefulSet");
    // A headless Service that names the pods: session-N.netui.
    assert_eq!(service["spec"]["clusterIP"], "None");
    assert_eq!(set["metadata"]["name"], "session");
    assert_eq!(set["spec"]["serviceName"], service["metadata"]["name"]);
    assert_eq!(service["metadata"]["name"], "netui");
    let labels = &set["spec"]["template"]["metadata"]["labels"];
    for (key, value) in service["spec"]["selector"].as_object().expect("a selector") {
        assert_eq!(&labels[key], value, "the Service selects the session pods");
    }
    // Probes that speak the protocol, through the entry point's check.
    let container = &set["spec"]["template"]["spec"]["containers"][0];
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(
            container[probe]["exec"]["command"],
            serde_json::json!(["/usr/local/bin/netui-entrypoint", "check"]),
            "{probe}"
        );
    }
    let env = container["env"].as_array().expect("env");
    assert!(env
        .iter()
        .any(|e| e["name"] == "NETUI_DISPLAY_NUMBER" && e["value"] == "from-hostname"));
}

/// The entry point, as a pod named `host` runs it, with the workspace's programs on PATH.
fn entrypoint(host: &str, runtime: &Path, bin: &Path) -> Command {
    let path = std::env::join_paths([bin.to_path_buf()].into_iter().chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let mut command = Command::new("sh");
    command
        .arg(repo().join("dist/docker/entrypoint.sh"))
        .env("PATH", path)
        .env("HOSTNAME", host)
        .env("NETUI_DISPLAY_NUMBER", "from-hostname")
        .env("XDG_RUNTIME_DIR", runtime)
        .env("NETUI_TLS_DIR", runtime.join("tls"))
        .env("RUST_LOG", "warn")
        .env_remove("NETUI_DISPLAY");
    command
}

#[test]
fn the_entry_point_serves_the_display_its_host_name_numbers_and_its_check_speaks_netui() {
    let netinfo = workspace_program("demos", "netinfo");
    let bin = tempfile::tempdir().expect("bin dir");
    std::os::unix::fs::symlink(&netinfo, bin.path().join("netinfo")).expect("netinfo");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_display-server"),
        bin.path().join("display-server"),
    )
    .expect("display-server");

    // The check of a pod whose display runs: a real display, numbered as session-57's.
    let display = TestDisplay::numbered(57, netui::Size::new(64, 48));
    let check = entrypoint("session-57", display.dir.path(), bin.path())
        .arg("check")
        .output()
        .expect("runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // ... and of one whose display is not there.
    let check = entrypoint("session-58", display.dir.path(), bin.path())
        .arg("check")
        .stderr(Stdio::null())
        .output()
        .expect("runs");
    assert!(
        !check.status.success(),
        "the check passed without a display"
    );
    drop(display);

    // The server of pod session-N: display :N, TCP on every address at 7100+N. N is chosen
    // so that 7100+N is free here (the VNC port is left out: --no-rfb goes through).
    let runtime = tempfile::tempdir().expect("runtime");
    let number = loop {
        let port = TcpListener::bind("0.0.0.0:0")
            .and_then(|l| l.local_addr())
            .expect("a port")
            .port();
        if let Some(n) = port.checked_sub(7100) {
            break n;
        }
    };
    let host = format!("session-{number}");
    let mut server = Ready::start(
        entrypoint(&host, runtime.path(), bin.path())
            .arg("--no-rfb")
            .stderr(Stdio::inherit()),
    );
    assert!(
        server
            .line
            .starts_with(&format!("netui display :{number} ready")),
        "{}",
        server.line
    );
    assert!(
        server
            .line
            .contains(&format!("tcp 0.0.0.0:{} tls", 7100 + number)),
        "{}",
        server.line
    );
    let check = entrypoint(&host, runtime.path(), bin.path())
        .arg("check")
        .output()
        .expect("runs");
    assert!(check.status.success());
    let status = terminate(&mut server.child.0);
    assert!(status.success(), "{status:?}");
}
