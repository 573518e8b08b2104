// Package torchbin reads the weights of a pytorch_model.bin (torch.save's
// zip format, PyTorch 1.6 and later) and of sharded checkpoints indexed by
// pytorch_model.bin.index.json, without Python.
//
// A torch.save file is a zip archive whose records sit in one folder:
// <archive>/data.pkl is a pickle of the state dict, in which each tensor is
// rebuilt by torch._utils._rebuild_tensor_v2 from a storage named by a
// persistent id; <archive>/data/<key> holds each storage's raw bytes,
// uncompressed and little-endian. The pickle is read by a restricted
// unpickler that knows the few opcodes and globals torch.save emits and
// never calls anything: every other global or opcode is refused by name.
// Only data.pkl is parsed at Open; storage bytes are read when a tensor is.
package torchbin
