import Foundation
import SyncModel
import SyncProtocol
import Testing

/// The pace of a sync's requests: a pure function of the link last measured and the requests
/// timed so far, the same for the same inputs.
@Suite struct LinkPaceTests {
    /// 64 kbit/s each way and a 600 ms round trip, as the poor-link tests emulate it.
    static let satellite = (bytesPerSecond: 8_000.0, roundTrip: 0.6)

    @Test func aLinkNeverMeasuredStartsWithTheProbeAndCompresses() {
        let pace = LinkPace(known: nil)
        #expect(pace.budget == LinkPace.probeBytes)
        #expect(pace.compresses)
        #expect(pace.bytesPerSecond == nil)
    }

    @Test func aMeasuredSlowLinkGetsPagesOfTwentySecondsLessTheRoundTrip() {
        let pace = LinkPace(known: Self.satellite)
        #expect(pace.budget == Int(8_000 * (LinkPace.requestSeconds - 0.6)), "\(pace.budget)")
        #expect(pace.compresses)
        // One page at that budget, plain, takes the bound at most.
        #expect(pace.roundTrip + Double(pace.budget) / 8_000 <= LinkPace.requestSeconds + 1e-9)
    }

    @Test func aFastLinkGetsTheServersWholePageAndNoCompression() {
        let pace = LinkPace(known: (bytesPerSecond: 100_000_000, roundTrip: 0.001))
        #expect(pace.budget == PageBudget.syncBytes)
        #expect(!pace.compresses)
    }

    @Test func timedRequestsOverrideTheLastMeasurement() {
        // Measured fast at the office; in the field a 100 KB request takes 13.1 s.
        var pace = LinkPace(known: (bytesPerSecond: 50_000_000, roundTrip: 0.6))
        pace.samples = [LinkPace.Sample(wire: 600, units: 0, seconds: 0.6), LinkPace.Sample(wire: 100_000, units: 100_000, seconds: 13.1)]
        // 100,600 bytes over 0.15 s (a quarter of the small request) and 12.5 s.
        #expect(abs((pace.bytesPerSecond ?? 0) - 100_600 / 12.65) < 0.01, "\(String(describing: pace.bytesPerSecond))")
        #expect(abs(pace.budget - Int(100_600 / 12.65 * 19.4)) <= 1, "\(pace.budget)")
        #expect(pace.compresses)
    }

    @Test func aRoundTripMeasuredElsewhereCannotMakeATimedRequestLookInstant() {
        // The last link's round trip (2 s) is longer than this request took.
        let pace = LinkPace(known: (bytesPerSecond: 1_000, roundTrip: 2), samples: [LinkPace.Sample(wire: 40_000, units: 40_000, seconds: 1.5)])
        // At most three quarters of the request is taken as round trip: 40,000 over 0.375 s.
        #expect(abs((pace.bytesPerSecond ?? 0) - 40_000 / 0.375) < 1)
    }

    @Test func compressedSmallEditsWidenTheBudgetAtMostThreefold() {
        let plain = LinkPace(known: Self.satellite)
        // Wire bytes a tenth of the budget units: taken as a third.
        let compressed = LinkPace(known: Self.satellite, samples: [LinkPace.Sample(wire: 2_000, units: 20_000, seconds: 0.85)])
        #expect(compressed.wirePerUnit == LinkPace.minimumWirePerUnit)
        #expect(abs(Double(compressed.budget) - Double(plain.budget) * 3) <= 3, "\(compressed.budget) against \(plain.budget)")
    }

    @Test func smallRequestsAloneCountAtMostFourTimesTheirBytesOverTheirTimeAndTheBudgetStaysInItsBounds() {
        // Only small requests on a link never measured: each is a round trip, and a quarter
        // of its time is taken as the transfer.
        let pace = LinkPace(known: nil, samples: [LinkPace.Sample(wire: 500, units: 0, seconds: 0.6), LinkPace.Sample(wire: 700, units: 0, seconds: 0.6)])
        #expect(pace.bytesPerSecond == 4_000)
        #expect(pace.budget == Int(4_000 * (LinkPace.requestSeconds - 0.6)))
        // With a rate measured before, requests this small keep it.
        #expect(LinkPace(known: Self.satellite, samples: pace.samples).bytesPerSecond == 8_000)
        let stalled = LinkPace(known: nil, samples: [LinkPace.Sample(wire: 100, units: 0, seconds: 30)])
        #expect(stalled.budget == LinkPace.minimumBytes)
    }
}
