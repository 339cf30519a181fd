// Placeholder until the TPNetwork stage lands.
