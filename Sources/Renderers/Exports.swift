// Renderers' clients (the CLI, tests) keep seeing what moved out to the pure modules —
// `Escape`, `PostgresSQL`, `BackupCommand`, `Project`, `SecretStore` — through `import Renderers`.
@_exported import Statements
@_exported import Workspace
