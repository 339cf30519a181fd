import Testing

@Test func TPNumericsTestsBuilds() { #expect(Bool(true)) }
