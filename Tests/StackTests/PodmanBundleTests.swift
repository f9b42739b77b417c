import Foundation
import Testing
import TestSupport
import Renderers
@testable import Stack
import Topology

/// The rendered compose bundle under a real engine: Debian's podman behind its Docker-compatible
/// socket and Debian's docker-compose 1.29, images built without a registry
/// (scripts/podman-images.sh: debootstrap base, then postgres/redis/python stand-ins; cached in
/// podman's store, so only the first run builds them). Never skipped: when podman cannot run
/// here the test fails and says why (`make deps` installs what it needs).
@Suite(.serialized, .ownThread(early: true)) struct PodmanBundleTests {
    /// How long a plain `docker-compose down` may take: with `init: true` the apps stop on SIGTERM
    /// (measured ~5 s for the stage bundle); without it every app waits out the 10 s grace (31–35 s).
    static let downLimit: TimeInterval = 15

    @Test("stage bundle under podman + docker-compose 1.29: healthy, env URLs reach their own data only, down leaves nothing; ovudev up --engine docker then check; a failing one-shot's log is kept and shown")
    func stageBundleUnderPodman() throws {
        let engine = try PodmanEngine()
        defer { engine.stop() }

        // 1. The bundle as rendered, under docker-compose itself.
        let project = try TempProject()
        defer { engine.removeProject("ovu-stage"); project.close() }
        let render = try ovudev(["render", "--scenario", "stage"], directory: project.directory)
        try #require(render.status == 0, "render: \(render.output)")
        let bundle = "\(project.directory)/render/stage"
        let compose = ["docker-compose", "--project-directory", bundle, "-f", "\(bundle)/docker-compose.yml", "-p", "ovu-stage"]
        let volumesBefore = try engine.volumes()
        let up = try engine.run(compose + ["up", "-d", "--build"])
        try #require(up.status == 0, "docker-compose up -d: \(engine.failureReport(up.output, project: "ovu-stage"))")
        try engine.waitReady(project: "ovu-stage")

        let plan = try project.project.plan(scenario: "stage")
        let postgresLog = try engine.run(compose + ["logs", "--no-color", "postgres"]).output
        #expect(!postgresLog.contains("docker-entrypoint-initdb.d/"), "the server's entrypoint ran an init file (provision runs it): \(postgresLog.suffix(2000))")
        let provisionLog = try engine.run(compose + ["logs", "--no-color", "postgres-provision"]).output
        #expect(provisionLog.contains("CREATE ROLE"), "postgres-provision did not create the roles on an empty volume: \(provisionLog.suffix(2000))")
        // The one-shots see their one file, not the init folder (post-migrate/ inside it).
        for (service, file) in [("postgres-provision", "/ovu/init-db.sql"), ("postgres-grants", "/ovu/grants.sql")] {
            let id = try engine.run(compose + ["ps", "-q", service]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let mounts = try engine.run(["podman", "inspect", "--format", "{{range .Mounts}}{{.Destination}} {{end}}", id]).output
            #expect(mounts.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0.hasPrefix("/ovu") } == [file],
                    "\(service) mounts: \(mounts)")
        }

        // 2. Each app's environment, from inside its container: its URLs work, other databases refuse it.
        let databases = Set(plan.instances.compactMap { $0.database?.database })
        for instance in plan.instances where instance.command != nil {
            let id = try engine.run(compose + ["ps", "-q", instance.name]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(!id.isEmpty, "no container for \(instance.name)")
            let probe = try engine.run(["podman", "exec", "-i", id, "python3", "-", databases.sorted().joined(separator: ",")], input: Self.probe)
            #expect(probe.status == 0, "\(instance.name): \(probe.output)")
            #expect(probe.output.contains("ok DATABASE_URL"), "\(instance.name) did not probe its DATABASE_URL: \(probe.output)")
        }

        // 3. A plain down: fast (apps get SIGTERM through init), no container and no anonymous
        // volume left (only the servers' named data volumes), then down -v removes those too.
        let start = Date()
        let down = try engine.run(compose + ["down"])
        let downSeconds = Date().timeIntervalSince(start)
        print("podman: docker-compose down of the stage bundle took \(String(format: "%.1f", downSeconds)) s")
        #expect(down.status == 0, "down: \(down.output)")
        #expect(downSeconds < Self.downLimit, "docker-compose down took \(downSeconds) s (apps not stopped by SIGTERM?)")
        #expect(try engine.containers(project: "ovu-stage").isEmpty, "containers left after down")
        let afterDown = try engine.volumes().subtracting(volumesBefore)
        #expect(afterDown == ["ovu-stage_postgres-data", "ovu-stage_redis-data"], "volumes left by a plain down: \(afterDown.sorted())")
        #expect(try engine.run(compose + ["down", "-v"]).status == 0)
        let leftByDownV = try engine.volumes().subtracting(volumesBefore)
        #expect(leftByDownV.isEmpty, "volumes left after down -v: \(leftByDownV.sorted())")

        // 4. ovudev up --engine docker (docker-compose 1.29: ovudev waits itself), then ovudev check.
        let ovuUp = try ovudev(["up", "--engine", "docker", "--scenario", "stage"], directory: project.directory, environment: engine.environment)
        #expect(ovuUp.status == 0, "ovudev up --engine docker: \(ovuUp.output)")
        if ovuUp.status == 0 {
            let check = try ovudev(["check", "--scenario", "stage"], directory: project.directory, environment: engine.environment)
            #expect(check.status == 0, "ovudev check: \(check.output)")
        }
        #expect(try engine.run(compose + ["down", "-v"]).status == 0)
        #expect(try engine.containers(project: "ovu-stage").isEmpty, "containers left after down -v")
        let left = try engine.volumes().subtracting(volumesBefore)
        #expect(left.isEmpty, "volumes left after down -v: \(left.sorted())")
    }

    @Test("a failing migration under podman: ovudev up --engine docker fails, names it, shows and keeps its log")
    func failingOneShotLogIsKept() throws {
        let engine = try PodmanEngine()
        defer { engine.stop() }
        let marker = "ovu-planted-failure-\(UInt32.random(in: 0...UInt32.max))"
        let project = try TempProject { json in
            var services = json["services"] as! [String: [String: Any]]
            services["ulm"]!["migrate"] = "echo \(marker) >&2; exit 3"
            json["services"] = services
        }
        defer { engine.removeProject("ovu-stage"); project.close() }
        let up = try ovudev(["up", "--engine", "docker", "--scenario", "stage"], directory: project.directory, environment: engine.environment)
        #expect(up.status != 0, "ovudev up passed with a failing migration: \(up.output)")
        #expect(up.output.contains("ulm-migrate"), "the failing service is not named: \(up.output)")
        #expect(up.output.contains(marker), "the failing container's log is not shown: \(up.output)")
        let saved = "\(project.directory)/.ovu/stage/ulm-migrate.log"
        let kept = (try? String(contentsOfFile: saved, encoding: .utf8)) ?? ""
        #expect(kept.contains(marker), "the failing container's log is not kept in \(saved)")
    }

    /// Run inside an app container (stdlib and psql only): every *_URL of its environment works,
    /// and its database role is refused by every other database of the Plan (argv[1]).
    static let probe = #"""
import os, socket, subprocess, sys, urllib.parse, urllib.request
fails = []
def say(ok, what):
    print(("ok " if ok else "FAIL ") + what, flush=True)
    if not ok: fails.append(what)
def psql(url, db=None):
    u = urllib.parse.urlsplit(url.replace("+asyncpg", "").replace("+psycopg", ""))
    env = dict(os.environ, PGHOST=u.hostname, PGPORT=str(u.port or 5432), PGUSER=urllib.parse.unquote(u.username),
               PGPASSWORD=urllib.parse.unquote(u.password or ""), PGDATABASE=db or u.path.lstrip("/"), PGCONNECT_TIMEOUT="5")
    r = subprocess.run(["psql", "-X", "-At", "-c", "select current_user, current_database()"], env=env, capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()
own = set()
for key, url in sorted(os.environ.items()):
    if not key.endswith("_URL"): continue
    scheme = url.split(":", 1)[0]
    if scheme.startswith("postgres"):
        ok, out = psql(url); say(ok, f"{key} {out}")
        own.add(urllib.parse.urlsplit(url).path.lstrip("/"))
    elif scheme == "redis":
        u = urllib.parse.urlsplit(url)
        with socket.create_connection((u.hostname, u.port or 6379), timeout=5) as s:
            s.sendall(f"SELECT {u.path.lstrip('/') or 0}\r\nPING\r\n".encode()); data = b""
            while data.count(b"\r\n") < 2: data += s.recv(100)
        say(data == b"+OK\r\n+PONG\r\n", f"{key} {data!r}")
    elif scheme == "http":
        try: status = urllib.request.urlopen(url + "/health", timeout=5).status
        except Exception as e: status = repr(e)
        say(status == 200, f"{key} /health {status}")
url = os.environ.get("DATABASE_URL", "")
if url.startswith("postgres"):
    for db in sorted(set(filter(None, sys.argv[1].split(","))) - own):
        ok, out = psql(url, db); say(not ok, f"refused by {db}: {out.splitlines()[-1] if out else ''}")
sys.exit(1 if fails else 0)
"""#
}

/// podman's API service and healthcheck driver (scripts/podman-engine.sh) in a private folder,
/// after scripts/podman-images.sh; fails with the reason when podman cannot run a container.
final class PodmanEngine {
    let directory: String
    let environment: [String: String]

    init() throws {
        for tool in ["podman", "docker-compose", "debootstrap", "curl"] where Subprocess.which(tool) == nil {
            throw EngineError("\(tool) is not installed: `make deps` (scripts/install-deps.sh) installs podman, debootstrap, docker-compose, runc, catatonit")
        }
        guard Subprocess.isRoot else { throw EngineError("the podman tests run rootful podman and need root (this VM's rootless podman is not set up)") }
        var template = "/run/ovu-podman-test-XXXXXX".utf8CString
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw EngineError("mkdtemp in /run failed") }
        directory = String(cString: made)
        environment = ProcessInfo.processInfo.environment.merging([
            "OVU_PODMAN_DIR": directory, "CONTAINERS_CONF": "\(directory)/containers.conf", "DOCKER_HOST": "unix://\(directory)/podman.sock",
        ]) { $1 }
        let started = Date()
        let images = try Subprocess.run(["bash", "\(repositoryRoot)/scripts/podman-images.sh"], environment: environment)
        guard images.status == 0 else { throw EngineError("scripts/podman-images.sh failed:\n\(images.output.suffix(3000))") }
        print("podman: images ready after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        let service = try Subprocess.run(["bash", "\(repositoryRoot)/scripts/podman-engine.sh", "start"], environment: environment)
        guard service.status == 0 else { throw EngineError("scripts/podman-engine.sh start failed:\n\(service.output)") }
        let probe = try run(["podman", "run", "--rm", "localhost/ovu-debian:bookworm", "true"])
        guard probe.status == 0 else { stop(); throw EngineError("podman cannot run a container here:\n\(probe.output)") }
    }

    @discardableResult
    func run(_ arguments: [String], input: String? = nil) throws -> Subprocess.Result {
        try Subprocess.run(arguments, environment: environment, input: input)
    }

    func stop() {
        _ = try? Subprocess.run(["bash", "\(repositoryRoot)/scripts/podman-engine.sh", "stop"], environment: environment)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func volumes() throws -> Set<String> {
        Set(try run(["podman", "volume", "ls", "-q"]).output.split(separator: "\n").map(String.init))
    }

    func containers(project: String) throws -> [String] {
        try run(["podman", "ps", "-a", "-q", "--filter", "label=com.docker.compose.project=\(project)"]).output.split(separator: "\n").map(String.init)
    }

    /// Every container and volume of a compose project, whatever state a failed test left.
    func removeProject(_ project: String) {
        for id in (try? containers(project: project)) ?? [] { _ = try? run(["podman", "rm", "-f", "-v", id]) }
        for volume in (try? volumes()) ?? [] where volume.hasPrefix("\(project)_") { _ = try? run(["podman", "volume", "rm", "-f", volume]) }
    }

    /// Until every container of the project is healthy, running, or (one-shots) exited 0.
    func waitReady(project: String, timeout: TimeInterval = 240) throws {
        guard let api = EngineAPI(environment: environment) else { throw EngineError("DOCKER_HOST is not a unix socket") }
        let failed = try api.waitReady(project: project, timeout: timeout) { _ in }
        guard failed.isEmpty else {
            throw EngineError(failureReport(failed.map { "\($0.service) \($0.reason)" }.joined(separator: "\n"), project: project))
        }
    }

    /// The message, then the log of every container of the project that exited non-zero or is unhealthy.
    func failureReport(_ message: String, project: String) -> String {
        var text = message
        let api = EngineAPI(environment: environment)
        for c in (try? api?.containers(project: project)) ?? [] where c.failure != nil {
            let log = (try? run(["podman", "logs", c.id]).output) ?? ""
            text += "\n--- \(c.service) \(c.failure!):\n\(log.suffix(3000))"
        }
        return text
    }
}
