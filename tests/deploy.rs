//! The deployment files under `deploy/`, checked offline (no container engine runs
//! here): every EARSHOT_* variable they set is a real configuration key with a value
//! `earshot` accepts, every healthcheck or probe targets the port its service really
//! listens on, the Kubernetes files reference what exists, and the cluster DDL is what
//! `earshot migrate --print-sql` prints for a cluster today.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;
use serde_yaml_ng::Value;
use support::repo_root;

fn yaml_documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            let mut value = Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
            value.apply_merge().unwrap();
            value
        })
        .collect()
}

fn str_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// Loads the configuration the way the service would, with these variables, and fails
/// with earshot's own message when a key is unknown or a value invalid.
fn assert_config_accepts(what: &str, config: &Path, env: &BTreeMap<String, String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_earshot"));
    command
        .args(["migrate", "--print-sql"])
        .env("EARSHOT_CONFIG", config)
        .stdin(Stdio::null());
    for (key, value) in env {
        assert!(key.starts_with("EARSHOT_"), "{what}: {key}");
        command.env(key, value);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{what}: earshot rejects its configuration: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The port of an `ADDR:PORT` listen address among a service's arguments or variables.
fn listen_ports(args: &[String], env: &BTreeMap<String, String>) -> Vec<u16> {
    let mut ports = Vec::new();
    let mut values: Vec<&String> = env
        .iter()
        .filter(|(k, _)| k.ends_with("_LISTEN"))
        .map(|(_, v)| v)
        .collect();
    for pair in args.windows(2) {
        if pair[0].ends_with("-listen") {
            values.push(&pair[1]);
        }
    }
    for value in values {
        let addr: std::net::SocketAddr = value.parse().unwrap_or_else(|_| panic!("{value}"));
        assert!(
            addr.ip().is_unspecified(),
            "{value}: a container must listen beyond loopback"
        );
        ports.push(addr.port());
    }
    ports
}

#[test]
fn compose_services_use_real_config_keys_and_probe_the_ports_they_listen_on() {
    let path = repo_root().join("deploy/compose/compose.yaml");
    let compose = &yaml_documents(&path)[0];
    let services = compose["services"].as_mapping().unwrap();
    for name in [
        "kafka",
        "clickhouse",
        "migrate",
        "collect",
        "process",
        "detect",
    ] {
        assert!(services.contains_key(name), "compose has no {name} service");
    }
    let mut earshot_services = 0;
    for (name, service) in services {
        let name = str_of(name);
        let image = str_of(&service["image"]);
        if !image.starts_with("earshot") {
            assert!(
                service.get("healthcheck").is_some(),
                "{name}: the services wait on its health"
            );
            continue;
        }
        earshot_services += 1;
        let env: BTreeMap<String, String> = service["environment"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let value = str_of(v);
                // `${VAR:?message}` is filled in by compose at start.
                let value = if value.starts_with("${") {
                    "secret".into()
                } else {
                    value
                };
                (str_of(k), value)
            })
            .collect();
        assert_eq!(env["EARSHOT_KAFKA__BROKERS"], "kafka:9092", "{name}");
        assert_eq!(
            env["EARSHOT_CLICKHOUSE__URL"], "http://clickhouse:8123",
            "{name}"
        );
        assert_config_accepts(&name, &repo_root().join("config/earshot.toml"), &env);
        let args: Vec<String> = service["command"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(str_of)
            .collect();
        if name == "migrate" {
            continue;
        }
        assert!(
            service["deploy"]["resources"]["limits"]["memory"].is_string(),
            "{name}: a memory limit"
        );
        let ports = listen_ports(&args, &env);
        assert_eq!(ports.len(), 1, "{name}: one metrics listener");
        let check = service["healthcheck"]["test"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(str_of)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            check.contains(&format!("127.0.0.1:{}/metrics", ports[0])),
            "{name}: the healthcheck `{check}` must probe port {}",
            ports[0]
        );
    }
    assert_eq!(earshot_services, 4);
}

#[test]
fn kubernetes_workloads_use_real_config_keys_and_probe_their_ports() {
    let dir = repo_root().join("deploy/kubernetes");
    let kustomization = &yaml_documents(&dir.join("kustomization.yaml"))[0];
    let mut common = BTreeMap::new();
    for generator in kustomization["configMapGenerator"].as_sequence().unwrap() {
        for file in generator["files"].as_sequence().into_iter().flatten() {
            assert!(dir.join(str_of(file)).exists(), "{file:?}");
        }
        for literal in generator["literals"].as_sequence().into_iter().flatten() {
            let (key, value) = str_of(literal)
                .split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .unwrap();
            common.insert(key, value);
        }
    }
    // What the secret adds, as the Secret example shows it.
    let secret = &yaml_documents(&dir.join("secret.example.yaml"))[0];
    for (key, _) in secret["stringData"].as_mapping().unwrap() {
        common.insert(str_of(key), "secret".into());
    }
    let mut workloads = 0;
    let mut kinds = Vec::new();
    for resource in kustomization["resources"].as_sequence().unwrap() {
        for doc in yaml_documents(&dir.join(str_of(resource))) {
            let kind = str_of(&doc["kind"]);
            kinds.push(kind.clone());
            if kind != "Deployment" && kind != "Job" {
                continue;
            }
            workloads += 1;
            let name = str_of(&doc["metadata"]["name"]);
            let container = &doc["spec"]["template"]["spec"]["containers"][0];
            let mut env = common.clone();
            for var in container["env"].as_sequence().into_iter().flatten() {
                env.insert(str_of(&var["name"]), str_of(&var["value"]));
            }
            assert_config_accepts(&name, &dir.join("earshot.toml"), &env);
            if kind == "Job" {
                continue;
            }
            let args: Vec<String> = container["args"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(str_of)
                .collect();
            let ports = listen_ports(&args, &env);
            assert_eq!(ports.len(), 1, "{name}");
            let port = ports[0] as u64;
            assert_eq!(
                container["ports"][0]["containerPort"].as_u64(),
                Some(port),
                "{name}"
            );
            for probe in ["readinessProbe", "livenessProbe"] {
                assert_eq!(
                    container[probe]["httpGet"]["port"].as_u64(),
                    Some(port),
                    "{name} {probe}"
                );
            }
            assert!(
                container["resources"]["limits"]["memory"].is_string(),
                "{name}"
            );
        }
    }
    assert_eq!(workloads, 4, "collect, process, detect and the migrate job");
    for kind in ["Kafka", "KafkaNodePool", "ClickHouseInstallation"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }
    // The brokers and the cluster the services are pointed at are the ones defined here.
    let kafka = yaml_documents(&dir.join("kafka.yaml"));
    let kafka = kafka
        .iter()
        .find(|d| str_of(&d["kind"]) == "Kafka")
        .unwrap();
    let bootstrap = format!(
        "{}-kafka-bootstrap:{}",
        str_of(&kafka["metadata"]["name"]),
        kafka["spec"]["kafka"]["listeners"][0]["port"]
            .as_u64()
            .unwrap()
    );
    assert_eq!(common["EARSHOT_KAFKA__BROKERS"], bootstrap);
    let chi = &yaml_documents(&dir.join("clickhouse.yaml"))[0];
    assert_eq!(
        common["EARSHOT_CLICKHOUSE__CLUSTER"],
        str_of(&chi["spec"]["configuration"]["clusters"][0]["name"])
    );
    // The shipped config file is the project's, so the two cannot drift apart.
    assert_eq!(
        std::fs::read_to_string(dir.join("earshot.toml")).unwrap(),
        std::fs::read_to_string(repo_root().join("config/earshot.toml")).unwrap(),
        "deploy/kubernetes/earshot.toml must be a copy of config/earshot.toml"
    );
}

#[test]
fn the_cluster_ddl_in_deploy_is_what_print_sql_prints_for_a_cluster() {
    let output = Command::new(env!("CARGO_BIN_EXE_earshot"))
        .args(["migrate", "--print-sql"])
        .env("EARSHOT_CLICKHOUSE__CLUSTER", "earshot")
        .stdin(Stdio::null())
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let shipped =
        std::fs::read_to_string(repo_root().join("deploy/clickhouse-cluster/schema.sql")).unwrap();
    let shipped: String = shipped
        .lines()
        .filter(|l| !l.starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        shipped.trim(),
        printed.trim(),
        "regenerate with: EARSHOT_CLICKHOUSE__CLUSTER=earshot earshot migrate --print-sql"
    );
    assert!(printed.contains("ReplicatedReplacingMergeTree"));
    assert!(printed.contains(
        "ENGINE = Distributed('earshot', 'earshot', mentions_local, cityHash64(mention_id))"
    ));
}
