/// Scalars whose replicate spreads ``LimitResult/combining(_:pools:)`` may pool: families (for
/// a network, the observations of one observable), each a list of groups (the observations of
/// one step) in increasing step order.
///
/// Each family is stored once, and a scalar's pool is walked outward from its own step on
/// demand (``nearestGroups(of:)``), so the memory is linear in the number of scalars and a pool
/// costs only the groups it reads — not every step of a long training run for every scalar.
public struct ReplicatePools: Sendable, Equatable {
  struct Place: Sendable, Equatable {
    var family: Int
    var group: Int
  }

  /// Per family, the step of each group, increasing.
  var steps: [[Int]] = []
  /// Per family, the scalars (by `ScalarID.raw`) of each group.
  var groups: [[[Int]]] = []
  /// Where each pooled scalar is.
  var place: [Int: Place] = [:]

  /// No pooling: every scalar keeps its own replicate spread.
  public init() {}

  /// Families of `(step, scalar)` observations; the order within a family does not matter.
  public init(families: [[(step: Int, scalar: Int)]]) {
    for members in families {
      let byStep = Dictionary(grouping: members, by: \.step)
      let sortedSteps = byStep.keys.sorted()
      let f = steps.count
      steps.append(sortedSteps)
      groups.append(sortedSteps.map { byStep[$0]!.map(\.scalar) })  // safe: keys of byStep
      for (g, s) in sortedSteps.enumerated() {
        for m in byStep[s]! { place[m.scalar] = Place(family: f, group: g) }  // safe: keys of byStep
      }
    }
  }

  /// Whether no scalar is pooled.
  public var isEmpty: Bool { place.isEmpty }

  /// The scalars that have a pool.
  var pooled: Dictionary<Int, Place>.Keys { place.keys }

  /// The groups of `k`'s family by distance in steps from `k`'s own, `k`'s group first and the
  /// earlier step first on ties; empty when `k` is in no family.
  func nearestGroups(of k: Int) -> UnfoldSequence<[Int], (left: Int, right: Int, first: Bool)> {
    let p = place[k] ?? Place(family: -1, group: 0)
    let s = p.family >= 0 ? steps[p.family] : []
    let g = p.family >= 0 ? groups[p.family] : []
    return sequence(state: (left: p.group - 1, right: p.group + 1, first: true)) { state in
      guard !g.isEmpty else { return nil }
      if state.first {
        state.first = false
        return g[p.group]
      }
      let own = s[p.group]
      let leftOK = state.left >= 0
      let rightOK = state.right < g.count
      guard leftOK || rightOK else { return nil }
      if leftOK && (!rightOK || own - s[state.left] <= s[state.right] - own) {
        state.left -= 1
        return g[state.left + 1]
      }
      state.right += 1
      return g[state.right - 1]
    }
  }
}
