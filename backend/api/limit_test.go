package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOversizeOverSocket sends a body over the limit over a real TCP
// connection, as a phone does, with and without Expect: 100-continue: the
// answer must be a 413 problem every time, never a connection reset (which a
// phone retries as a network failure, forever).
func TestOversizeOverSocket(t *testing.T) {
	f := newFixture(t, options{})
	addr := serve(t, f)
	body := bytes.Repeat([]byte(" "), 8<<20) // 8 MiB: more than the kernel buffers of a loopback connection
	for _, expect := range []bool{false, true} {
		t.Run(fmt.Sprintf("Expect100=%v", expect), func(t *testing.T) {
			for i := range 20 {
				res, problem, err := postOversize(addr, body, expect)
				if err != nil {
					t.Fatalf("try %d: %v", i, err)
				}
				if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") ||
					problem.Code != "payload_too_large" || problem.Status != http.StatusRequestEntityTooLarge {
					t.Fatalf("try %d: %s %q %+v", i, res.Status, res.Header.Get("Content-Type"), problem)
				}
			}
		})
	}
}

// postOversize posts body to the login operation over a new connection and
// reads the final answer. With expect, it sends the body only after
// 100 Continue, as curl does.
func postOversize(addr string, body []byte, expect bool) (*http.Response, struct {
	Code   string `json:"code"`
	Status int    `json:"status"`
}, error) {
	var problem struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, problem, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	head := fmt.Sprintf("POST /v1/auth/login HTTP/1.1\r\nHost: whistle\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	if expect {
		head += "Expect: 100-continue\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		return nil, problem, err
	}
	// The body is sent whole, as a phone's HTTP stack does; a reset while
	// sending is the failure (Node's fetch reports it, not the answer).
	sent := make(chan error, 1)
	send := func() {
		_, err := conn.Write(body)
		sent <- err
	}
	r := bufio.NewReader(conn)
	if !expect {
		go send()
	}
	for {
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			return nil, problem, fmt.Errorf("reading the answer: %w", err)
		}
		if res.StatusCode == http.StatusContinue {
			go send()
			continue
		}
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return nil, problem, fmt.Errorf("reading the answer's body: %w", err)
		}
		if err := json.Unmarshal(b, &problem); err != nil {
			return nil, problem, fmt.Errorf("answer %s: %w: %s", res.Status, err, b)
		}
		if err := <-sent; err != nil {
			return nil, problem, fmt.Errorf("sending the body: %w", err)
		}
		return res, problem, nil
	}
}
