// Package safetensors reads and writes Hugging Face safetensors checkpoints
// without loading whole files into memory.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON header (tensor name -> dtype, shape, data_offsets, plus an optional
// "__metadata__" map of strings), then the data section holding every
// tensor's raw little-endian bytes.
//
// Open parses and validates only the headers; Checkpoint.Tensor then reads
// one tensor with ReadAt into a fresh buffer. Files are never mmapped and
// never read whole: calibration walks checkpoints bigger than RAM layer by
// layer, each buffer must be collectable once its layer is done, and a file
// truncated after Open must surface as an error rather than a SIGBUS.
//
// Validation follows the reference implementation: the header is at most
// 100 MB, every entry needs a known dtype, a shape and data_offsets whose
// length matches shape x dtype size, and the tensors must cover the data
// section contiguously (no overlaps, no holes, nothing missing at the end,
// which is how a truncated file is caught at Open).
//
// A directory is opened as model.safetensors if present, otherwise through
// model.safetensors.index.json. Files reached through a directory must stay
// inside it: shard names in the index must be plain file names (no "/",
// "..", or absolute paths), and a file that is a symlink whose target
// resolves outside the model directory is rejected. Note that this rejects
// Hugging Face hub cache snapshots, whose files are symlinks into
// ../../blobs; open a copied or downloaded-with-local-dir model instead, or
// pass the path of a single .safetensors file, which is opened as given.
//
// Every error starts with the path of the file it concerns.
package safetensors
