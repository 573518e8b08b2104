package model

import "github.com/qfilters/qfilters/safetensors"

// Weights is where a model's tensors come from, under their Hugging Face
// names: a safetensors checkpoint, or any other source (a pytorch_model.bin,
// a GGUF file, a dequantizing or renaming view of another source) that
// presents its tensors as safetensors.Tensor values in F32, F16 or BF16.
// Tensors are read on demand; implementations are safe for concurrent use.
type Weights interface {
	// Info reports a tensor's dtype and shape without reading it.
	Info(name string) (dtype safetensors.DType, shape []int, ok bool)
	// Tensor reads one tensor.
	Tensor(name string) (safetensors.Tensor, error)
	// Names lists every tensor, sorted.
	Names() []string
	// Files lists the files read, for provenance and identity.
	Files() []string
	Close() error
}

var _ Weights = (*safetensors.Checkpoint)(nil)

func hasTensor(w Weights, name string) bool {
	_, _, ok := w.Info(name)
	return ok
}
