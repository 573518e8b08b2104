package corpus

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// parquetSource reads a Parquet file row by row, decoding only the text and
// input_ids columns.
type parquetSource struct {
	name      string
	textField string
	f         *os.File
	r         *parquet.Reader

	textCol, idsCol int  // column indexes in the projected schema, -1 when absent
	idsOuterOpt     bool // the input_ids column itself may be null
	idsNullElemDef  int  // definition level of a null list element, -1 when elements are required

	rows []parquet.Row
	n, i int   // rows[i:n] are pending
	row  int64 // index of the next row in the file
	eof  bool
}

func isByteArray(k parquet.Kind) bool {
	return k == parquet.ByteArray || k == parquet.FixedLenByteArray
}

func isInt(k parquet.Kind) bool { return k == parquet.Int32 || k == parquet.Int64 }

func openParquet(name string, opt Options) (src docSource, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: reading Parquet metadata: %v", name, r)
		}
		if err != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	schema := pf.Schema()
	proj := parquet.Group{}
	var textField, idsField parquet.Field
	for _, fd := range schema.Fields() {
		switch fd.Name() {
		case opt.TextField:
			textField = fd
		case IDsField:
			idsField = fd
		}
	}
	if textField != nil {
		if !textField.Leaf() || textField.Repeated() || !isByteArray(textField.Type().Kind()) {
			return nil, fmt.Errorf("%s: column %q is %s, want a string (byte array) column", name, opt.TextField, describeNode(textField))
		}
		proj[opt.TextField] = textField
	}
	if idsField != nil {
		var leaves [][]string
		for _, c := range schema.Columns() {
			if len(c) > 0 && c[0] == IDsField {
				leaves = append(leaves, c)
			}
		}
		var leaf parquet.LeafColumn
		if len(leaves) == 1 {
			leaf, _ = schema.Lookup(leaves[0]...)
		}
		if len(leaves) != 1 || leaf.Node == nil || leaf.MaxRepetitionLevel != 1 || !isInt(leaf.Node.Type().Kind()) {
			return nil, fmt.Errorf("%s: column %q is %s, want a list of integers", name, IDsField, describeNode(idsField))
		}
		proj[IDsField] = idsField
	}
	if len(proj) == 0 {
		return nil, fmt.Errorf("%s: no %q column and no %q column (columns: %s)", name, opt.TextField, IDsField, columnNames(schema))
	}
	ps := parquet.NewSchema(schema.Name(), proj)
	s := &parquetSource{name: name, textField: opt.TextField, f: f, textCol: -1, idsCol: -1, idsNullElemDef: -1}
	if textField != nil {
		leaf, _ := ps.Lookup(opt.TextField)
		s.textCol = leaf.ColumnIndex
	}
	if idsField != nil {
		for _, c := range ps.Columns() {
			if c[0] == IDsField {
				leaf, _ := ps.Lookup(c...)
				s.idsCol = leaf.ColumnIndex
				s.idsOuterOpt = idsField.Optional()
				if leaf.Node.Optional() {
					s.idsNullElemDef = leaf.MaxDefinitionLevel - 1
				}
			}
		}
	}
	s.r = parquet.NewReader(pf, ps)
	s.rows = make([]parquet.Row, 64)
	// No rows (an empty shard): nothing to read. Its row group of 0 rows,
	// as pyarrow writes it, has no data page the reader could seek to.
	s.eof = pf.NumRows() == 0
	return s, nil
}

func describeNode(n parquet.Node) string {
	switch {
	case n.Leaf() && n.Repeated():
		return "a repeated " + n.Type().String()
	case n.Leaf():
		return "of type " + n.Type().String()
	}
	return "a group (" + n.Type().String() + ")"
}

func columnNames(s *parquet.Schema) string {
	var names []string
	for _, fd := range s.Fields() {
		names = append(names, fmt.Sprintf("%q", fd.Name()))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (s *parquetSource) close() error {
	if s.f == nil {
		return nil
	}
	s.r.Close()
	err := s.f.Close()
	s.f = nil
	return err
}

func (s *parquetSource) next() (d Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = Document{}, fmt.Errorf("%s#%d: reading Parquet data: %v", s.name, s.row, r)
		}
	}()
	if s.i >= s.n {
		if s.eof {
			return Document{}, io.EOF
		}
		n, err := s.r.ReadRows(s.rows)
		s.i, s.n = 0, n
		if errors.Is(err, io.EOF) {
			s.eof = true
		} else if err != nil {
			return Document{}, fmt.Errorf("%s#%d: reading Parquet data: %w", s.name, s.row, err)
		}
		if n == 0 {
			if s.eof {
				return Document{}, io.EOF
			}
			return Document{}, fmt.Errorf("%s#%d: reading Parquet data: no rows returned", s.name, s.row)
		}
	}
	row := s.rows[s.i]
	s.i++
	src := fmt.Sprintf("%s#%d", s.name, s.row)
	s.row++
	d, err = s.parseRow(row)
	if err != nil {
		return Document{}, fmt.Errorf("%s: %w", src, err)
	}
	d.Source = src
	return d, nil
}

func (s *parquetSource) parseRow(row parquet.Row) (Document, error) {
	var textVals, idVals []parquet.Value
	row.Range(func(col int, vals []parquet.Value) bool {
		switch col {
		case s.textCol:
			textVals = vals
		case s.idsCol:
			idVals = vals
		}
		return true
	})
	if s.idsCol >= 0 {
		ids, present, err := s.parseIDs(idVals)
		if err != nil {
			return Document{}, err
		}
		if present {
			return Document{IDs: ids}, nil
		}
	}
	if s.textCol >= 0 && len(textVals) == 1 && !textVals[0].IsNull() {
		return Document{Text: string(textVals[0].ByteArray())}, nil
	}
	if s.idsCol >= 0 && s.textCol >= 0 {
		return Document{}, fmt.Errorf("both %q and %q are null", s.textField, IDsField)
	}
	if s.idsCol >= 0 {
		return Document{}, fmt.Errorf("%q is null", IDsField)
	}
	return Document{}, fmt.Errorf("%q is null", s.textField)
}

// parseIDs decodes the values of the input_ids column of one row. present
// is false when the list itself is null.
func (s *parquetSource) parseIDs(vals []parquet.Value) (ids []int, present bool, err error) {
	if len(vals) == 0 {
		return nil, false, nil
	}
	if len(vals) == 1 && vals[0].IsNull() {
		def := vals[0].DefinitionLevel()
		switch {
		case def == s.idsNullElemDef:
			return nil, false, fmt.Errorf("%s[0] is null", IDsField)
		case s.idsOuterOpt && def == 0:
			return nil, false, nil
		}
		return []int{}, true, nil
	}
	ids = make([]int, len(vals))
	for i, v := range vals {
		if v.IsNull() {
			return nil, false, fmt.Errorf("%s[%d] is null", IDsField, i)
		}
		n := v.Int64()
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		}
		if n < 0 {
			return nil, false, fmt.Errorf("%s[%d]: %d is not a non-negative integer", IDsField, i, n)
		}
		ids[i] = int(n)
	}
	return ids, true, nil
}
