// The engines are part of the embedding API.
@_exported import TPFinite
