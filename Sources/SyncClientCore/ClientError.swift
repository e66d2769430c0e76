/// A command the client cannot carry out as given; nothing was changed.
package struct ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
