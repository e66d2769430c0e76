/// A small seeded generator (as in ArgumentParser's `Examples/roll/SplitMix64.swift`): the same
/// seed gives the same run, so every randomized failure is reproducible from its printed seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeds for a randomized test: `SYNC_TEST_SEED` runs just that one; otherwise `count` seeds
/// from `base` (raise the count with `SYNC_TEST_CASES`).
public func testSeeds(count: Int, base: UInt64) -> [UInt64] {
    let environment = ProcessInfo.processInfo.environment
    if let text = environment["SYNC_TEST_SEED"], let seed = UInt64(text) { return [seed] }
    let count = environment["SYNC_TEST_CASES"].flatMap(Int.init) ?? count
    return (0..<UInt64(count)).map { base &+ $0 }
}

import Foundation
