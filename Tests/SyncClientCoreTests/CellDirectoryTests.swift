import LocalStore
import SyncClientCore
import SyncModel
import Testing

/// References are stored as cell ids and read as numbers.
@Suite struct CellDirectoryTests {
    static let eighteen = RecordID("18181818-0000-4000-8000-000000000018")!
    static let gone = RecordID("77777777-0000-4000-8000-000000000007")!

    static func cell(_ id: RecordID, _ number: Int64, deleted: Bool = false) -> RecordSnapshot {
        RecordSnapshot(id: id, kind: "cell", deleted: deleted, fields: ["number": FieldSnapshot(value: .int(number), conflict: nil, headCount: 1)])
    }

    static let cells = CellDirectory(cells: [cell(eighteen, 18), cell(gone, 7, deleted: true)])
    static let signalCells = RecordSchema.signal.field("cells")

    @Test func aNumberNamingOneLiveCellIsStoredAsItsIDAndShownAsItsNumber() {
        #expect(Self.cells.stored("18") == Self.eighteen.rawValue)
        #expect(Self.cells.shown(Self.eighteen.rawValue) == "18")
        #expect(Self.cells.stored(.list(["18", "99"]), field: Self.signalCells) == .list(["99", Self.eighteen.rawValue].sorted {
            (CellRef.number($0) ?? 0, $0) < (CellRef.number($1) ?? 0, $1)
        }))
    }

    @Test func aNumberNoLiveCellHoldsStaysANumber() {
        #expect(Self.cells.stored("99") == "99", "not held here yet")
        #expect(Self.cells.stored("7") == "7", "a deleted cell does not answer to its number")
        #expect(Self.cells.shown(Self.gone.rawValue) == "7", "a reference to it still reads as its number")
    }

    @Test func aFilesCellsTakeTheirNumbersFirst() {
        let renumbered = Self.cells.overridden(by: [(Self.eighteen, 19)])
        #expect(renumbered.stored("19") == Self.eighteen.rawValue)
        #expect(renumbered.stored("18") == "18")
        #expect(renumbered.shown(Self.eighteen.rawValue) == "19")
    }

    @Test func otherFieldsAreLeftAlone() {
        #expect(Self.cells.stored(.text("18"), field: RecordSchema.cell.field("title")) == .text("18"))
    }
}
