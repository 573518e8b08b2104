// Command testrun is `make test`'s test step: it runs `go test -json` with
// its arguments, prints what plain `go test` prints (a line per package and
// the output of what failed), then how many tests skipped because a
// third-party file of ../shared is absent (the fixture.SkipPrefix lines), so
// that a clone with nothing beside it says what it did not run. It exits
// with go test's status.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

func main() {
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.Command(goBin, append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testrun:", err)
		os.Exit(1)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testrun:", err)
		os.Exit(1)
	}
	sum := summarize(stdout, os.Stdout)
	werr := cmd.Wait()
	fmt.Println(sum.line())
	var exit *exec.ExitError
	switch {
	case errors.As(werr, &exit):
		os.Exit(max(exit.ExitCode(), 1))
	case werr != nil:
		fmt.Fprintln(os.Stderr, "testrun:", werr)
		os.Exit(1)
	case sum.failed > 0:
		os.Exit(1) // cannot happen with go test's own status; be safe
	}
}
