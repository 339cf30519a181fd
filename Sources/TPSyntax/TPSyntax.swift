// Placeholder until the TPSyntax stage lands.
