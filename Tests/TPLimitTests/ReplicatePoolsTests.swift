import Testing

@testable import TPLimit

/// ``ReplicatePools/nearestGroups(of:)`` walks a family outward from a scalar's own step; the
/// reference here is the definition itself — every group of the family sorted by
/// (|step − own step|, step).
@Suite struct ReplicatePoolsTests {
  @Test func nearestGroupsAreTheFamilySortedByDistance() {
    // Uneven steps (`every: 3` plus the last step), two points per step, and a second family.
    let steps = [0, 3, 6, 9, 10]
    var family: [(step: Int, scalar: Int)] = []
    for (i, s) in steps.enumerated() { family += [(s, 2 * i), (s, 2 * i + 1)] }
    let other: [(step: Int, scalar: Int)] = [(0, 100), (1, 101), (2, 102)]
    let pools = ReplicatePools(families: [family.shuffled(), other])
    for m in family {
      let expected = steps.sorted { (abs($0 - m.step), $0) < (abs($1 - m.step), $1) }.map { s in
        family.filter { $0.step == s }.map(\.scalar).sorted()
      }
      #expect(Array(pools.nearestGroups(of: m.scalar)).map { $0.sorted() } == expected, "\(m)")
    }
    #expect(Array(pools.nearestGroups(of: 101)) == [[101], [100], [102]])
    #expect(Array(pools.nearestGroups(of: 999)).isEmpty)
    #expect(ReplicatePools().isEmpty && !pools.isEmpty)
  }

  /// A long training run: memory linear in the observations (each family stored once).
  @Test func aLongTrajectoryIsStoredOnce() {
    let family = (0...10_000).flatMap { s in (0..<3).map { (step: s, scalar: 3 * s + $0) } }
    let pools = ReplicatePools(families: [family])
    #expect(pools.groups.joined().joined().count == family.count)
    #expect(
      Array(pools.nearestGroups(of: 3 * 5_000).prefix(3)) == [
        [15_000, 15_001, 15_002], [14_997, 14_998, 14_999], [15_003, 15_004, 15_005],
      ])
  }
}
