// Placeholder until the TPCore stage lands.
