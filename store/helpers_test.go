package store

import (
	"os"
	"os/exec"
	"testing"
)

// runChild re-executes the test binary running only test name, with dir in the environment.
func runChild(t *testing.T, name, dir string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ROCKETGO_CHILD_DIR="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
