// Placeholder until the TPReport stage lands.
