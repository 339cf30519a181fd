import Testing

@Test func TPFiniteTestsBuilds() { #expect(Bool(true)) }
