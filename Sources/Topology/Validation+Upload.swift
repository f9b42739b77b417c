import Foundation

extension Validator {
    /// `backups.upload`: one line of shell with `{file}` (unquoted: ovudev puts the path in
    /// quotes itself) and nothing cron cannot carry.
    func backupUpload(_ command: String, path: String) -> String? {
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty {
            d.error(path, "is empty: give a command such as \"aws s3 cp {file} s3://bucket/\", or leave \"upload\" out")
            return nil
        }
        if !command.contains(BackupPlan.uploadFileToken) {
            d.error(path, "\"\(command)\" does not name the dump: write {file} where its path goes, e.g. \"aws s3 cp {file} s3://bucket/\"")
            return nil
        }
        if command.contains("'{file}'") || command.contains("\"{file}\"") {
            d.error(path, "write {file} without quotes: ovudev puts the path in double quotes itself")
            return nil
        }
        if command.contains(where: { $0.isNewline || ($0.asciiValue.map { $0 < 0x20 && $0 != 0x09 } ?? false) }) {
            d.error(path, "must be one line (a crontab line cannot hold a newline or control character)")
            return nil
        }
        return command
    }
}

extension BackupPlan {
    public static let uploadFileToken = "{file}"

    /// The upload command as shell text, `{file}` replaced by `file` (a shell word or a quoted
    /// variable the caller gives).
    public func uploadCommand(file: String) -> String? {
        upload.map { $0.replacingOccurrences(of: Self.uploadFileToken, with: file) }
    }
}
