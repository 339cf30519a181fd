import Testing

@Test func TPLimitTestsBuilds() { #expect(Bool(true)) }
