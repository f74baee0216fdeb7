package argon2id

import (
	"strings"
	"testing"
)

func TestHasher_Verify(t *testing.T) {
	h := Hasher{Params: Params{Memory: 1024, Time: 1, Threads: 1}}
	enc, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id with the given params", enc)
	}
	again, _ := h.Hash("correct horse")
	if again == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name     string
		password string
		encoded  string
		want     bool
		wantErr  bool
	}{
		{"OK", "correct horse", enc, true, false},
		{"WrongPassword", "correct horsf", enc, false, false},
		{"VerifiesOtherParams", "correct horse", mustHash(t, Hasher{Params: Params{Memory: 2048, Time: 2, Threads: 2}}, "correct horse"), true, false},
		{"ErrNotArgon2id", "x", "$2a$10$abcdefghijklmnopqrstuv", false, true},
		{"ErrBadParams", "x", "$argon2id$v=19$m=x$c2FsdA$a2V5", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(tt.password, tt.encoded)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func mustHash(t *testing.T, h Hasher, pw string) string {
	t.Helper()
	enc, err := h.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}
