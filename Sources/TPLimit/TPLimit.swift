// Placeholder until the TPLimit stage lands.
