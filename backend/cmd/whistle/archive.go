package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/whistle/whistle/backend/archive"
)

// errBundleInvalid makes `whistle archive verify` exit 1 on a bundle that
// does not verify, after the report has named every failure.
var errBundleInvalid = errors.New("bundle verification failed")

// archiveCommand runs `whistle archive verify BUNDLE.zip [--key KEY]` and
// `whistle archive pubkey`. Neither needs the database or the object store:
// verify needs the public key alone, pubkey the signing key alone.
func archiveCommand(args []string, getenv func(string) string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "verify":
		path, key, err := verifyArgs(args[1:], getenv)
		if err != nil {
			return err
		}
		return verifyBundle(path, key, out)
	case "pubkey":
		if len(args) != 1 {
			return errUsage
		}
		if getenv("WHISTLE_SIGNING_KEY") == "" {
			return errors.New("WHISTLE_SIGNING_KEY is not set: there is no server key to print")
		}
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return err
		}
		pub := cfg.SigningKey.Public().(ed25519.PublicKey)
		fmt.Fprintln(out, base64.StdEncoding.EncodeToString(pub))
		fmt.Fprintln(out, hex.EncodeToString(pub))
		return nil
	}
	return errUsage
}

// verifyArgs reads `BUNDLE.zip [--key KEY]` (or --key=KEY, -key), the key
// falling back on WHISTLE_PUBLIC_KEY.
func verifyArgs(args []string, getenv func(string) string) (path string, key ed25519.PublicKey, err error) {
	text := getenv("WHISTLE_PUBLIC_KEY")
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--key" || a == "-key":
			if i+1 == len(args) {
				return "", nil, errUsage
			}
			i++
			text = args[i]
		case strings.HasPrefix(a, "--key=") || strings.HasPrefix(a, "-key="):
			_, text, _ = strings.Cut(a, "=")
		case path == "" && !strings.HasPrefix(a, "-"):
			path = a
		default:
			return "", nil, errUsage
		}
	}
	if path == "" {
		return "", nil, errUsage
	}
	if text == "" {
		return "", nil, errors.New("no public key: give --key or WHISTLE_PUBLIC_KEY (whistle archive pubkey on the server, or GET /v1/signing-key)")
	}
	key, err = archive.ParsePublicKey(text)
	if err != nil {
		return "", nil, fmt.Errorf("--key: %w", err)
	}
	return path, key, nil
}

// verifyBundle verifies the bundle at path under key and prints the report:
// a short summary when it verifies, else one line per failure.
func verifyBundle(path string, key ed25519.PublicKey, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rep := archive.Verify(f, st.Size(), key)
	if !rep.OK() {
		for _, x := range rep.Failures {
			fmt.Fprintln(out, "FAIL ", x)
		}
		return fmt.Errorf("%w: %s: %d problem(s)", errBundleInvalid, path, len(rep.Failures))
	}
	fmt.Fprintf(out, "OK    manifest.json signed by %s\n", base64.StdEncoding.EncodeToString(key))
	fmt.Fprintf(out, "OK    %d file(s) match the manifest, %d evidence original(s) match their items\n", rep.Files, rep.Evidence)
	fmt.Fprintf(out, "OK    trail seq %d..%d of chain %s chains to the anchored head (seq %d, %s), %d entries of the case in it\n",
		rep.Segment.FirstSeq, rep.Segment.LastSeq, rep.Head.Chain, rep.Head.Seq, rep.Head.Hash[:16], rep.Entries)
	fmt.Fprintf(out, "bundle of case %s verifies\n", rep.CaseID)
	return nil
}
