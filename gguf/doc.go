// Package gguf reads llama.cpp's GGUF model files (versions 2 and 3) and
// presents them as a Hugging Face checkpoint: the config.json transformers
// would hold for the model, its tensors under their Hugging Face names and
// in Hugging Face row order (llama.cpp's converter permutes some rows), each
// dequantized to F32 when it is read, and its tokenizer from the metadata.
//
// The reader trusts nothing in the file: every count, length, offset and size
// is checked against the file's size before anything is allocated or read.
package gguf
