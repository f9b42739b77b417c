import ArgumentParser
import Stack

/// Started in the background when a new server took (or could have taken) a spare copy of a
/// pristine cluster (see ClusterCache+Spares).
struct CacheSpare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache-spare",
        abstract: "Make a spare copy of a pristine cluster in the cluster cache: the next new server takes it by rename.",
        shouldDisplay: false)
    @Argument(help: "The pristine cluster's name in the cache.") var name: String
    @Option(help: "The account that owns the copy.") var owner: String?

    func run() throws {
        guard let cache = ClusterCache.standard else { return }
        _ = try cache.makeSpare(name, marker: NativeEngine.pendingPasswordMarker, owner: owner)
    }
}
