//go:build !linux

package export

// exchangeDirs would swap two paths in one step; only Linux offers that
// (renameat2 RENAME_EXCHANGE), so elsewhere the caller falls back.
func exchangeDirs(a, b string) (bool, error) { return false, nil }
