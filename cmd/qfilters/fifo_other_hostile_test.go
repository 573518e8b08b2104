//go:build !unix

package main

import "errors"

// mkfifo makes a named pipe at path; not available here (the case skips).
func mkfifo(path string) error { return errors.New("no named pipes on this system") }
