import Foundation
import Stack
import Testing
import TestSupport
import Topology
import Renderers
import Workspace

/// `backups.upload`: after each dump, the crontab line (run as cron runs it) and `ovudev backup`
/// run the command with the dump's path; a failed upload is logged and fails the line (exit ≠ 0).
/// The Redis server has ACL on, so the line's login as ovudev's own user is exercised too.
@Suite(.ownThread) struct BackupUploadTests {
    @Test func bothTheCronLineAndOvudevBackupUpload() throws {
        let base = NSTemporaryDirectory() + "ovudev-upload-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let destination = base + "/up %load"  // a space and a % (cron's line terminator) in the user's own quoting
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let project = try RedisACLTests.project()
        defer { project.close() }
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(project.directory)/ovu.topology.json"))) as! [String: Any]
        json["backups"] = ["upload": "cp {file} '\(destination)/'"]
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: "\(project.directory)/ovu.topology.json"))
        let reloaded = try Project.load(topologyPath: "\(project.directory)/ovu.topology.json")
        let stack = NativeStack(project: reloaded, plan: try reloaded.plan(scenario: "dev"))
        _ = try stack.up(check: false)
        try RedisACLTests().login(stack, "sam").command(["SET", "sam:k", "v"])

        let out = "\(project.directory)/render/dev"
        _ = try reloaded.render(scenario: "dev", output: out)
        let (variables, jobs) = BackupTests.crontab(try String(contentsOfFile: "\(out)/backup/crontab", encoding: .utf8))
        let env = BackupTests.cronEnvironment(variables)
        let job = try #require(jobs.first { $0.contains("mkdir -p") } as String?)
        let runner = BackupRunner(stack: stack)
        let target = try #require(stack.plan.backups.targets.first)

        // 1. The cron line: dump, then upload; the copy is the dump.
        let r = try BackupTests.runCronJob(job, environment: env)
        #expect(r.status == 0 && r.output.isEmpty, "\(job)\n\(r.output)\n\((try? String(contentsOfFile: "\(runner.backupsDirectory)/backup.log", encoding: .utf8)) ?? "")")
        let dump = try #require(runner.latest(target))
        let uploaded = "\(destination)/\((dump as NSString).lastPathComponent)"
        #expect(FileManager.default.contentsEqual(atPath: dump, andPath: uploaded))

        // 2. `ovudev backup` (the runner): its dump is uploaded too.
        let file = try runner.backup(target)
        #expect(FileManager.default.contentsEqual(atPath: file.path, andPath: "\(destination)/\((file.path as NSString).lastPathComponent)"))

        // 3. The destination gone: both fail, both log it, the dumps stay.
        try FileManager.default.removeItem(atPath: destination)
        let failed = try BackupTests.runCronJob(job, environment: env)
        #expect(failed.status != 0 && failed.output.isEmpty, "\(failed.output)")
        let log = try String(contentsOfFile: "\(runner.backupsDirectory)/backup.log", encoding: .utf8)
        #expect(log.contains("FAILED upload "), "\(log)")
        let before = runner.dumps(of: target).count
        #expect(throws: EngineError.self) { try runner.backup(target) }
        #expect(runner.dumps(of: target).count == before + 1, "the dump stays when its upload fails")

        // 4. A failed dump is not uploaded, and not reported as a failed upload.
        _ = try stack.down()
        let logged = try String(contentsOfFile: "\(runner.backupsDirectory)/backup.log", encoding: .utf8).count
        #expect(try BackupTests.runCronJob(job, environment: env).status != 0)
        let tail = String(try String(contentsOfFile: "\(runner.backupsDirectory)/backup.log", encoding: .utf8).dropFirst(logged))
        #expect(tail.contains("FAILED \(target.name)") && !tail.contains("FAILED upload"), "\(tail)")
    }
}
