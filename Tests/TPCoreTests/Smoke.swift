import Testing

@Test func TPCoreTestsBuilds() { #expect(Bool(true)) }
