import Testing

@Test func TPSyntaxTestsBuilds() { #expect(Bool(true)) }
