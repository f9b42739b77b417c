import Statements
import Topology
import Workspace

/// A container of a pod template, built field by field and printed in Kubernetes' usual order.
struct K8sContainer {
    var name: String
    var image: String
    var command: [String]
    var env: [YAMLNode] = []
    var envFrom: [YAMLNode] = []
    var ports: [YAMLNode] = []
    var readinessProbe: YAMLNode?
    var livenessProbe: YAMLNode?
    var cpu = "10m"
    var memory = "32Mi"
    var volumeMounts: [YAMLNode] = []

    var node: YAMLNode {
        .map([
            "name": .string(name),
            "image": .string(image),
            "imagePullPolicy": .string("IfNotPresent"),
            "command": .list(command.map { .string($0) }),
            "envFrom": envFrom.isEmpty ? nil : .list(envFrom),
            "env": env.isEmpty ? nil : .list(env),
            "ports": ports.isEmpty ? nil : .list(ports),
            "readinessProbe": readinessProbe,
            "livenessProbe": livenessProbe,
            "resources": .map(["requests": .strings([("cpu", cpu), ("memory", memory)])]),
            "volumeMounts": volumeMounts.isEmpty ? nil : .list(volumeMounts),
        ])
    }
}

extension KubernetesRenderer {
    /// A pod template: no service-link variables (a Service named `redis` would otherwise put
    /// `REDIS_PORT=tcp://…` into every pod) and no API token (no pod here talks to the API).
    func podTemplate(labels: [(String, String)], annotations: [(String, String)] = [], initContainers: [K8sContainer] = [],
                     containers: [K8sContainer], volumes: [YAMLNode] = [], restartPolicy: String? = nil) -> YAMLNode {
        .map([
            "metadata": .map([
                "labels": .strings(labels),
                "annotations": annotations.isEmpty ? nil : .strings(annotations),
            ]),
            "spec": .map([
                "restartPolicy": restartPolicy.map { .string($0) },
                "enableServiceLinks": .bool(false),
                "automountServiceAccountToken": .bool(false),
                "initContainers": initContainers.isEmpty ? nil : .list(initContainers.map(\.node)),
                "containers": .list(containers.map(\.node)),
                "volumes": volumes.isEmpty ? nil : .list(volumes),
            ]),
        ])
    }

    /// A plain value: `$` doubled, so that Kubernetes' `$(VAR)` expansion leaves it as written.
    func env(_ name: String, _ value: String) -> YAMLNode {
        .map(["name": .string(name), "value": .string(literal(value))])
    }

    /// A value that refers to variables defined before it as `$(VAR)`.
    func env(_ name: String, expanding value: String) -> YAMLNode {
        .map(["name": .string(name), "value": .string(value)])
    }

    /// Text for `command` or an env value that Kubernetes passes on unchanged: it expands
    /// `$(VAR)` there and turns `$$` into `$`.
    func literal(_ text: String) -> String { text.replacingOccurrences(of: "$", with: "$$") }

    /// A shell script as a container command.
    func shell(_ script: String) -> [String] { ["sh", "-c", literal(script)] }

    func env(_ name: String, secret ref: SecretRef) -> YAMLNode {
        .map([
            "name": .string(name),
            "valueFrom": .map(["secretKeyRef": .map(["name": .string(secretName(ref)), "key": .string(Self.secretKey)])]),
        ])
    }

    func configMapVolume(_ name: String, configMap: String, defaultMode: Int? = nil) -> YAMLNode {
        .map(["name": .string(name), "configMap": .map(["name": .string(configMap), "defaultMode": defaultMode.map { .int($0) }])])
    }

    func mount(_ name: String, at path: String, readOnly: Bool = false, subPath: String? = nil) -> YAMLNode {
        .map(["name": .string(name), "mountPath": .string(path), "subPath": subPath.map { .string($0) }, "readOnly": readOnly ? .bool(true) : nil])
    }

    func execProbe(_ command: [String], initialDelay: Int, period: Int, failureThreshold: Int) -> YAMLNode {
        .map([
            "exec": .map(["command": .list(command.map { .string($0) })]),
            "initialDelaySeconds": .int(initialDelay),
            "periodSeconds": .int(period),
            "timeoutSeconds": .int(5),
            "failureThreshold": .int(failureThreshold),
        ])
    }

    /// `sh -c` with a script that loops until `check` succeeds, printing what it waits for.
    func waitLoop(_ check: String, waitingFor what: String) -> [String] {
        shell("until \(check); do echo \(Escape.shellWord("waiting for \(what)")); sleep 2; done")
    }

    /// A Job whose pods are deleted with it, retried a few times, and removed after it finished.
    func job(name: String, labels: [(String, String)], template: YAMLNode) -> YAMLNode {
        .map([
            "apiVersion": .string("batch/v1"),
            "kind": .string("Job"),
            "metadata": metadata(name, labels: labels),
            "spec": .map([
                "backoffLimit": .int(6),
                "ttlSecondsAfterFinished": .int(Self.jobTTLSeconds),
                "template": template,
            ]),
        ])
    }

    func configMap(_ name: String, labels: [(String, String)], data: [(String, String)]) -> YAMLNode {
        .map([
            "apiVersion": .string("v1"),
            "kind": .string("ConfigMap"),
            "metadata": metadata(name, labels: labels),
            "data": .strings(data),
        ])
    }
}
