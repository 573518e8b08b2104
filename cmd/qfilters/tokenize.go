package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/qfilters/qfilters/tokenizer"
)

func init() { commands = append(commands, newTokenizeCmd) }

func newTokenizeCmd() *cobra.Command {
	var model string
	var noSpecial bool
	cmd := &cobra.Command{
		Use:   "tokenize --model DIR [--no-special]",
		Short: "Tokenize JSON Lines {\"text\": ...} from stdin into {\"input_ids\": [...]}",
		Long: `Tokenize reads JSON Lines on stdin, each an object with a "text" string, and
writes one line per input line, {"input_ids": [...]}, with the ids the model's
Hugging Face tokenizer gives (including the special tokens its post-processor
adds, such as a BOS, unless --no-special). DIR is a model directory or a
directory holding tokenizer.json.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if model == "" {
				return usageError{errors.New("tokenize: --model is required")}
			}
			tk, err := tokenizer.Load(model)
			if err != nil {
				return err
			}
			return tokenizeLines(cmd.InOrStdin(), cmd.OutOrStdout(), tk, !noSpecial)
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "model `DIR` (or directory holding tokenizer.json)")
	cmd.Flags().BoolVar(&noSpecial, "no-special", false, "leave out the special tokens the post-processor adds")
	return cmd
}

// tokenizeLines encodes each JSON line of r and writes the ids to w.
func tokenizeLines(r io.Reader, w io.Writer, tk *tokenizer.Tokenizer, addSpecial bool) error {
	in := bufio.NewReaderSize(r, 1<<16)
	out := bufio.NewWriter(w)
	for n := 1; ; n++ {
		line, err := in.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("tokenize: reading line %d: %w", n, err)
		}
		var rec struct {
			Text *string `json:"text"`
		}
		if jerr := json.Unmarshal(bytes.TrimSpace(line), &rec); jerr != nil {
			out.Flush()
			return fmt.Errorf("tokenize: line %d: invalid JSON: %w", n, jerr)
		}
		if rec.Text == nil {
			out.Flush()
			return fmt.Errorf(`tokenize: line %d: no "text" field`, n)
		}
		ids := tk.Encode(*rec.Text, addSpecial)
		if ids == nil {
			ids = []int{}
		}
		b, _ := json.Marshal(struct {
			InputIDs []int `json:"input_ids"`
		}{ids})
		out.Write(b)
		out.WriteByte('\n')
		if err == io.EOF {
			break
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("tokenize: writing output: %w", err)
	}
	return nil
}
