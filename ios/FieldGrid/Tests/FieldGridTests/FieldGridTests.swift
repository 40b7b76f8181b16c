import XCTest
@testable import FieldGrid
import FieldGridFFI

/// The same scenario the Kotlin and Python suites run, offline parts only (the
/// network parts need a server; run them against `fieldgrid-server serve --demo`
/// with FIELDGRID_URL set).
final class FieldGridTests: XCTestCase {
    func testEncryptedStoreRefusesAWrongKey() async throws {
        let path = NSTemporaryDirectory() + UUID().uuidString + ".sqlite"
        _ = try FieldGridClient(path: path, key: Data("swift-test-key-0123456789abcdef!".utf8), serverUrl: "")
        XCTAssertThrowsError(try FieldGridClient(path: path, key: Data("another-key-0123456789abcdef!!!".utf8), serverUrl: "")) {
            guard case ApiError.WrongKey = $0 else { return XCTFail("\($0)") }
        }
    }

    func testAHouseholdRefusesAWrongValue() async throws {
        let path = NSTemporaryDirectory() + UUID().uuidString + ".sqlite"
        let c = try FieldGridClient(path: path, key: nil, serverUrl: "")
        await c.signIn("worker-320722104201001")
        let out = try await c.newHousehold(grid: "320722104201001", answers: [answer("basic.head_name", "周志强")])
        do {
            _ = try await c.save(out.id, answers: [answer("basic.member_count", "五")])
            XCTFail("text saved into a number")
        } catch ApiError.InvalidFields(let problems) {
            XCTAssertEqual(problems.map(\.field), ["basic.member_count"])
        }
    }
}
