/// The version both command-line tools print for `--version`.
public enum ToolVersion {
    public static let number = "0.9.0"
    /// The sync protocol spoken on the wire, which decides who can sync with whom.
    public static let protocolVersion = 2
    public static let text = "\(number) (sync protocol \(protocolVersion))"
}
