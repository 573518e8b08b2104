package model

import "github.com/qfilters/qfilters/kernels"

// Embedding is the token embedding table, read once and looked up row by row.
type Embedding struct {
	m     *Model
	table kernels.Matrix
}

// Embedding reads the embedding table.
func (m *Model) Embedding() (*Embedding, error) {
	c := m.Config
	e, err := m.matrix(m.fam.embed+".weight", c.Vocab, c.Hidden)
	if err != nil {
		return nil, err
	}
	return &Embedding{m: m, table: e}, nil
}

// Embed returns the hidden states [len(ids)][hidden] for ids.
func (e *Embedding) Embed(ids []int) ([]float32, error) { return e.m.embedWith(e.table, ids) }
