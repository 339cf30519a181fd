import Testing

@Test func TPCommandsTestsBuilds() { #expect(Bool(true)) }
