import Foundation
import Hummingbird
import Mustache

/// Renders pages from the templates compiled into the binary: every value escaped by
/// Mustache's `{{…}}`; only HTML this module built itself (already escaped) goes in unescaped.
enum WebPage {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in WebTemplates.all {
            // The templates are constants of this module: one that does not parse is a bug caught by every route test.
            try! library.register(text, named: name)
        }
        return library
    }()

    /// A whole page: `template` rendered with `context`, inside the layout with its banner.
    static func render(_ template: String, title: String, context: [String: Any], frame: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let content = library.render(context, withTemplate: template) ?? ""
        var page = frame
        page["title"] = title
        page["content"] = content
        return html(library.render(page, withTemplate: "layout") ?? "", status: status)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A refusal as a short page with one sentence, outside the layout (no data shown).
    static func refusal(_ status: HTTPResponse.Status, _ sentence: String) -> Response {
        html(library.render(["title": "Refused", "sentence": sentence], withTemplate: "refusal") ?? sentence, status: status)
    }

    /// Text escaped for HTML, for the fragments this module builds itself.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A field's name as a heading: `problemStatement` → "Problem statement".
    static func label(_ field: String) -> String {
        var words: [String] = []
        var current = ""
        for character in field {
            if character.isUppercase, !current.isEmpty { words.append(current); current = "" }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        let sentence = words.map { $0.lowercased() }.joined(separator: " ")
        return sentence.prefix(1).uppercased() + sentence.dropFirst()
    }
}
