//go:build !unix

package safetensors

import "errors"

// mkfifo makes a named pipe at path; not available here (tests skip).
func mkfifo(path string) error { return errors.New("no named pipes on this system") }
