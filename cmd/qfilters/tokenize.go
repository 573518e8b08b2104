package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/assets"
	"github.com/qfilters/qfilters/corpus"
	"github.com/qfilters/qfilters/tokenizer"
)

func init() { commands = append(commands, newTokenizeCmd) }

func newTokenizeCmd() *cobra.Command {
	var model, revision, textField string
	var noSpecial bool
	cmd := &cobra.Command{
		Use:   "tokenize [--model DIR] [--text-field NAME] [--no-special]",
		Short: "Tokenize JSON Lines {\"text\": ...} from stdin into {\"input_ids\": [...]}",
		Long: `Tokenize reads JSON Lines on stdin, each an object with a "text" string (or
the field --text-field names), and writes one line per input line,
{"input_ids": [...]}, with the ids the model's Hugging Face tokenizer gives
(including the special tokens its post-processor adds, such as a BOS, unless
--no-special): the ids calibrate feeds the model for that text. DIR is a model
directory, a directory holding tokenizer.json, a GGUF file or a Hugging Face
id in the local cache; without --model, the embedded stories260K's tokenizer.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if model == "" && revision != "" {
				return usageError{errors.New("--revision needs --model with a Hugging Face id")}
			}
			dir := ""
			if model == "" {
				tmp, err := os.MkdirTemp("", "qfilters-default-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				if dir, _, err = assets.Extract(tmp); err != nil {
					return err
				}
			} else {
				var err error
				if dir, _, _, err = resolveModel(model, revision); err != nil {
					return err
				}
				if _, err := os.Stat(dir); err != nil {
					return fmt.Errorf("--model %s: %w", dir, errors.Unwrap(err))
				}
			}
			tk, _, err := loadTokenizer(dir) // its errors name the file
			if err != nil {
				return err
			}
			return tokenizeLines(cmd.InOrStdin(), cmd.OutOrStdout(), tk, textField, !noSpecial)
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "model `DIR` (or directory holding tokenizer.json, or Hugging Face id org/name, or GGUF file); default: the embedded stories260K")
	cmd.Flags().StringVar(&revision, "revision", "", "branch or commit hash of a Hugging Face id (default main)")
	cmd.Flags().StringVar(&textField, "text-field", "text", "JSON field holding the text")
	cmd.Flags().BoolVar(&noSpecial, "no-special", false, "leave out the special tokens the post-processor adds")
	return cmd
}

// tokenizeLines encodes each JSON line of r and writes the ids to w. Lines
// are decoded as the corpus reader decodes them (invalid UTF-8 reaches the
// tokenizer as it is, so tokenize and calibrate give the same ids) and are
// bounded in length like corpus lines.
func tokenizeLines(r io.Reader, w io.Writer, tk *tokenizer.Tokenizer, textField string, addSpecial bool) error {
	// A gzip or zstd stream is read as a corpus file would be (zcat is not needed).
	r, closeDecompressor, err := corpus.Decompress("standard input", r)
	if err != nil {
		return err
	}
	defer closeDecompressor()
	in := bufio.NewReaderSize(r, 1<<16)
	out := bufio.NewWriter(w)
	defer out.Flush()
	// A UTF-8 byte order mark starting the input is skipped, as the
	// corpus reader skips one starting a file.
	if b, err := in.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		in.Discard(3)
	}
	for n := 1; ; n++ {
		line, err := readLine(in, corpus.DefaultMaxLineBytes)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("standard input, line %d: %w", n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			// One line out per line in: a blank line has no text to tokenize.
			return fmt.Errorf("standard input, line %d: blank line, want a JSON object with a %q string", n, textField)
		}
		// The text is tokenized even when the line carries input_ids too
		// (which calibrate would use instead): it is what was asked for.
		text, err := corpus.ParseJSONText(line, textField)
		if err != nil {
			return fmt.Errorf("standard input, line %d: %w", n, err)
		}
		ids := tk.Encode(text, addSpecial)
		if ids == nil {
			ids = []int{}
		}
		b, _ := json.Marshal(struct {
			InputIDs []int `json:"input_ids"`
		}{ids})
		out.Write(b)
		out.WriteByte('\n')
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing standard output: %w", err)
	}
	return nil
}

// readLine returns the next line of in without its newline, io.EOF at the
// end, or an error once a line exceeds max bytes (never buffering more).
func readLine(in *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := in.ReadSlice('\n')
		if len(line)+len(chunk) > max+1 {
			return nil, fmt.Errorf("line longer than %d MiB", max>>20)
		}
		line = append(line, chunk...)
		switch err {
		case nil:
			return line[:len(line)-1], nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
			return line, nil
		default:
			return nil, err
		}
	}
}
