package client

import (
	"os"
	"path/filepath"
)

// FailWrites makes every later atomic write of c fail after its temporary
// file is written and synced, before the rename: what a crash (or a full
// disk) in the middle of applying a page or recording a mutation leaves.
func (c *Client) FailWrites(err error) {
	c.write = func(path string, data []byte, perm os.FileMode) error {
		f, ferr := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+tmpMarker+"*")
		if ferr == nil {
			f.Write(data[:len(data)/2])
			f.Sync()
			f.Close()
		}
		return err
	}
}

// CanonicalArgs exposes canonicalArgs.
var CanonicalArgs = canonicalArgs
