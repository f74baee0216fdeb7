//go:build !unix

package client

import "os"

// lockDir opens the lock file; without flock, a second process using the
// same directory at once is not detected on this platform.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
