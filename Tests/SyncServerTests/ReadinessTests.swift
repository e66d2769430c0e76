import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServerCore
import Testing
import TestSupport

/// `GET /v1/ready` asks the database and fails at once when it cannot be reached, so a load
/// balancer routes around the instance; `GET /v1/health` stays public and never asks it.
@Suite struct ReadinessTests {
    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "the PostgreSQL database is unavailable (connection refused)" }
    }

    @Test func readyAnswersReadyWhileTheDatabaseAnswers() async throws {
        let app = try buildApplication(store: MemoryServerStorage(), configuration: ServerConfiguration(host: "127.0.0.1", port: 0, readiness: {}))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/ready", method: .get) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(HealthResponse.self, from: Data(response.body.readableBytesView))
                #expect(answer.status == "ready")
            }
        }
    }

    @Test func readyAnswers503WithTheReasonAtOnceWhileHealthStaysOK() async throws {
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, readiness: { throw Unreachable() })
        let app = try buildApplication(store: MemoryServerStorage(), configuration: configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let error = try JSONDecoder().decode(ErrorResponse.self, from: Data(response.body.readableBytesView))
                #expect(error.error.code == .storeUnavailable)
                #expect(error.error.message == "not ready: the PostgreSQL database is unavailable (connection refused)")
            }
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(HealthResponse.self, from: Data(response.body.readableBytesView))
                #expect(answer.status == "ok")
            }
        }
    }
}
