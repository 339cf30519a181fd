// TPLimit lands with TPNumerics.
