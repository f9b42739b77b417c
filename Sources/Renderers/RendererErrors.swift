import Topology

/// A topology that cannot be rendered for a target, and a template that does not parse, are
/// bad input: exit 2.
extension RenderError: ExitStatusError {
    public var exitStatus: Int32 { 2 }
}

extension TemplateError: ExitStatusError {
    public var exitStatus: Int32 { 2 }
}
