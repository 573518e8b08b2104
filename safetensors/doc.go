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
// model.safetensors.index.json. Files reached through a directory (the
// single file, the index and every shard) must stay where the model is:
//
//   - shard names in the index must be plain file names: no "/", "\",
//     "..", or absolute paths;
//   - each file must be a regular file, or a symlink whose target resolves to
//     a regular file either inside the model directory, or, when the model
//     directory is a snapshot of the Hugging Face hub cache, inside that
//     cache's blobs directory. A snapshot is recognized by its layout once
//     symlinks are resolved: its parent is named "snapshots" and the
//     directory above holds "blobs", a real directory (not a symlink):
//     models--org--name/snapshots/<rev>/model.safetensors -> ../../blobs/<sha>;
//   - anything else is rejected before it is opened, with an error naming
//     the file: a symlink resolving elsewhere (/etc/passwd, ../../secret
//     outside blobs), a dangling or looping symlink, a directory, a device,
//     a FIFO (which would block) or a socket.
//
// The file actually opened is the resolved target, so a symlink swapped
// after the check is not followed again. A single .safetensors file passed
// to Open is opened as given (it must still be a regular file).
//
// Every error starts with the path of the file it concerns.
package safetensors
