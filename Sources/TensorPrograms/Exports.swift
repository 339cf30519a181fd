// The engines and reports are part of the embedding API.
@_exported import TPFinite
@_exported import TPReport
