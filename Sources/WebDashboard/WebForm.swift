import Foundation
import Hummingbird

/// A posted form (`application/x-www-form-urlencoded`), read only when it carries this
/// dashboard's CSRF token: a form from anywhere else is refused before anything is written.
enum WebForm {
    /// Forms are small: a prose value at the value limit, and room for the rest.
    static let maxBytes = 4 << 20

    struct Refused: Error, HTTPResponseError {
        var status: HTTPResponse.Status
        var sentence: String
        func response(from request: Request, context: some RequestContext) throws -> Response {
            WebPage.refusal(status, sentence)
        }
    }

    static func read(_ request: Request, guardian: WebGuard) async throws -> [String: String] {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw Refused(status: .unsupportedMediaType, sentence: "This page takes forms only; nothing was changed.")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBytes)
        } catch {
            throw Refused(status: .contentTooLarge, sentence: "The form is larger than \(maxBytes >> 20) MiB; nothing was changed. Put long prose in a file and use sync-client cell set --file.")
        }
        let fields = parse(String(buffer: body))
        guard WebGuard.same(fields["csrf"], guardian.csrf) else {
            throw Refused(status: .forbidden, sentence: "This form did not come from this dashboard (its security token is missing or wrong); nothing was changed. Reload the page and try again.")
        }
        return fields
    }

    /// `a=1&b=x+y` as a dictionary (the first of repeated names wins).
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }
}
