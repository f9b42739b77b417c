import Foundation

/// Runs `body` for every item on up to `workers` threads and returns every item's outcome in
/// item order: unlike `concurrently`, a failure does not stop the other items (each server
/// starts, each service's seeds load, and every failure is reported).
func concurrentlyCollecting<Item: Sendable, Output: Sendable>(_ items: [Item], workers: Int,
                                                              _ body: @escaping @Sendable (Item, WorkerContext) throws -> Output) throws -> [Result<Output, Error>] {
    try concurrently(items, workers: workers) { item, context in Result { try body(item, context) } }
}
