// Package corpus reads calibration documents for Q-Filter computation.
//
// A corpus is a file, a directory (its regular files with a corpus extension,
// sorted by name, not recursive) or a glob pattern (matches sorted by name).
// Documents come out in corpus order: files in sorted order, and within a
// file, lines or rows in order.
//
// Formats, chosen by file extension:
//
//   - JSON Lines (.jsonl, .ndjson, .json): one JSON object per line. The
//     object carries either a string field holding the text (Options.TextField,
//     "text" by default) or an "input_ids" array of non-negative integers that
//     is used as it is, without tokenization. When a line has both, input_ids
//     wins and the text is ignored (a malformed input_ids is an error even
//     when the text is fine). A field whose value is null counts as absent;
//     an empty input_ids array is an empty pre-tokenized document. Blank lines are skipped; a UTF-8 byte order mark at the start of
//     the file is skipped. Any other malformed line (invalid JSON, not an
//     object, neither field present, a field of the wrong type, a line longer
//     than Options.MaxLineBytes) is an error naming "path:line".
//
//     A .json file may instead hold one array of such objects (the first
//     byte after white space is '['): its elements are read one at a time,
//     and anything but white space after the closing ']' is an error.
//
//   - Plain text (.txt): documents are separated by one or more blank lines
//     (lines that are empty or contain only whitespace); single newlines inside
//     a document are kept. This is how TinyStories-style dumps and most plain
//     text corpora separate documents. A file without blank lines is a single
//     document. Line terminators may be "\n" or "\r\n"; documents are joined
//     with "\n" and carry no trailing newline. A document longer than
//     Options.MaxLineBytes is an error.
//
//   - Parquet (.parquet): the Options.TextField column (string / byte array)
//     or an "input_ids" list-of-integers column; as for JSON Lines, input_ids
//     wins when a row has both. A null list counts as absent; an empty list
//     is an empty document; null elements and negative ids are errors.
//
// JSON Lines and text files may be compressed with gzip (every member of a
// multi-member file, zero padding after a member ignored, as gzip(1) and
// Python's gzip read it) or zstd (every frame; skippable frames, with which
// pzstd's output begins, skipped), recognised by the first bytes whatever
// the name; ".gz", ".zst" and ".zstd" after the format's extension name such
// a file. A truncated or corrupt stream is an error naming the file. A file
// compressed otherwise (xz, bzip2, lz4, zip, 7z, lzip, .Z) and UTF-16 or
// UTF-32 text (recognised by the byte order mark) are errors, not
// documents of binary bytes.
//
// Text is never validated as UTF-8: invalid byte sequences, including those
// inside JSON strings, are kept exactly as they are, and the tokenizer
// decides what to do with them. (JSON \u escapes are decoded; an unpaired
// surrogate escape becomes U+FFFD, as in encoding/json.)
//
// Document.Source identifies where a document came from for error messages:
// "path:line" for JSON Lines (the line number), "path[i]" for a JSON array
// (0-based element), "path:line" for text (the line the document starts
// on) and "path#row" for Parquet (0-based row).
//
// Reading is streaming and bounded: no line or document larger than
// Options.MaxLineBytes is ever buffered (an element of a JSON array is
// decoded whole before its size is checked).
package corpus
