// Placeholder until the TensorPrograms stage lands.
