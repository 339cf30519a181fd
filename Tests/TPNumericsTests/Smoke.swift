import Testing

@testable import TPNumerics

@Test func philoxKnownAnswer() {
  let x = CounterRandom.philox4x32(0, 0, 0, 0, key: 0, 0)
  #expect(x == (0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8))
}
