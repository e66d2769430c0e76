import Foundation

/// Wall-clock time in milliseconds since 1970: shown to people, never used to decide what is kept.
public enum WallClock {
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
