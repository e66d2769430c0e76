import Crypto
import Foundation
import Testing
import X509
import SwiftASN1
import TestSupport

/// A certificate authority and a `localhost` server certificate it signed, made for one test.
struct TestCertificates {
    let authority: String
    let certificate: String
    let key: String

    init(in workspace: Workspace) throws {
        let now = Date()
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName { CommonName("field-sync test CA") }
        let authorityCertificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(authorityKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(3600),
            issuer: authorityName, subject: authorityName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey)
        )
        let serverKey = P256.Signing.PrivateKey()
        let serverCertificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(3600),
            issuer: authorityName, subject: try DistinguishedName { CommonName("localhost") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost")])
            },
            issuerPrivateKey: Certificate.PrivateKey(authorityKey)
        )
        authority = workspace.path("ca.pem")
        certificate = workspace.path("server.pem")
        key = workspace.path("server.key")
        try authorityCertificate.serializeAsPEM().pemString.write(toFile: authority, atomically: true, encoding: .utf8)
        try serverCertificate.serializeAsPEM().pemString.write(toFile: certificate, atomically: true, encoding: .utf8)
        try serverKey.pemRepresentation.write(toFile: key, atomically: true, encoding: .utf8)
    }
}

@Suite(.serialized, .ownThreads) struct TLSEndToEndTests {
    @Test func syncOverHTTPSTrustsTheGivenAuthorityAndRefusesWithoutIt() throws {
        let workspace = try Workspace()
        let certificates = try TestCertificates(in: workspace)
        let server = try ServerProcess(workspace: workspace, extraArguments: ["--tls-cert", certificates.certificate, "--tls-key", certificates.key])
        defer { server.stop() }
        #expect(server.url.hasPrefix("https://"))
        let url = "https://localhost:\(server.port)"
        // Alice trusts the team's authority from init on
        let alice = workspace.path("alice.sqlite")
        let created = try workspace.run("sync-client", ["init", "--replica", alice, "--server", url, "--token", try server.addAnalyst("alice"), "--ca-file", certificates.authority])
        #expect(created.status == 0, "\(created.stderr)")
        let aliceClient = Client(workspace: workspace, replica: alice)
        try aliceClient.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try aliceClient.ok("sync")

        // Bob has not been given the authority: the handshake fails, clearly, and nothing changes
        let bob = workspace.path("bob.sqlite")
        #expect(try workspace.run("sync-client", ["init", "--replica", bob, "--server", url, "--token", try server.addAnalyst("bob")]).status == 0)
        let bobClient = Client(workspace: workspace, replica: bob)
        try bobClient.ok("cell", "create", "--number", "21", "--title", "Written by bob")
        let before = try Data(contentsOf: URL(fileURLWithPath: server.database))
        let untrusted = try bobClient.fails("sync")
        #expect(untrusted.stderr.contains("TLS") && untrusted.stderr.contains("--ca-file"), "\(untrusted.stderr)")
        // Plain HTTP to the HTTPS port fails too
        let plain = try bobClient.fails("sync", "--server", "http://localhost:\(server.port)", "--connect-timeout", "2")
        #expect(!plain.stderr.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: server.database)) == before)
        #expect((try bobClient.json("status") as? [String: Any])?["pending"] as? Int ?? 0 > 0)

        // With the authority (here from the environment) bob syncs, and both replicas agree
        let trusted = try workspace.run("sync-client", ["sync", "--replica", bob], environment: ["SYNC_CA_FILE": certificates.authority])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        try aliceClient.ok("sync")
        #expect(try aliceClient.ok("export") == (try bobClient.ok("export")))
    }

    @Test func theServerRefusesHalfATLSSetupOrUnreadableFiles() throws {
        let workspace = try Workspace()
        let certificates = try TestCertificates(in: workspace)
        let half = try workspace.run("sync-server", ["--db", workspace.path("s.sqlite"), "--port", "0", "--tls-cert", certificates.certificate])
        #expect(half.status != 0 && half.stderr.contains("--tls-cert and --tls-key go together"), "\(half.stderr)")
        let wrong = try workspace.run("sync-server", ["--db", workspace.path("s.sqlite"), "--create", "--port", "0", "--tls-cert", certificates.key, "--tls-key", certificates.key])
        #expect(wrong.status != 0 && wrong.stderr.contains("cannot read the certificate"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("s.sqlite")), "refused before a database is made")
    }
}
