import Testing

@testable import TiendoCore

/// `tiendoctl graph --format mermaid`: what Mermaid reads must be what the file says.
@Suite struct MermaidGraphTests {
    @Test("states a-b and a_b are two nodes; a title with «: » or a bracket is quoted in the front matter")
    func idsAndTitle() throws {
        let def = try Fixtures.workflow(
            "hai",
            """
            tiendo: 1
            title: "[Lưu trữ] Bầu cử: ví dụ"
            initial: a-b
            states:
              a-b: {on: {di: a_b}}
              a_b: {final: true}
            """)
        let text = GraphRenderer.mermaid(def)
        #expect(text.hasPrefix("---\ntitle: \"[Lưu trữ] Bầu cử: ví dụ\"\n---\n"))
        #expect(text.contains("s_a_db -->|\"di\"| s_a_ub"), "\(text)")
        #expect(GraphRenderer.mermaidID("s", "a-b") != GraphRenderer.mermaidID("s", "a_b"))
        #expect(GraphRenderer.mermaidID("s", "-_") != GraphRenderer.mermaidID("s", "_-"))
    }
}
