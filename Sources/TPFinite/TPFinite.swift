// Placeholder until the TPFinite stage lands.
