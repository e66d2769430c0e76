/// A command the client cannot carry out as given; nothing was changed.
public struct ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
