// Placeholder until the TPNumerics stage lands.
