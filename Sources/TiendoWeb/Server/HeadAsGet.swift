import Hummingbird

/// HEAD (an uptime check, a link preview) answered as GET is, without the body. The router finds its routes by
/// method before any middleware runs, and has no HEAD routes, so it answered «Không có trang» for every page: the
/// request is turned into a GET in front of the router.
struct HeadAsGet<Inner: HTTPResponder>: HTTPResponder where Inner.Context == WebContext {
    typealias Context = WebContext
    let inner: Inner

    func respond(to request: Request, context: WebContext) async throws -> Response {
        guard request.method == .head else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        let response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        return Response(status: response.status, headers: response.headers, body: .init())
    }
}
