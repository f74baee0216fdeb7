package api_test

import (
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// Load of the authentication benchmark: authClients clients at once, each
// sending its next request as soon as the last one is answered, for
// authSlices slices of authSlice per side, the sides taking turns.
const (
	authClients = 8
	authSlice   = 500 * time.Millisecond
	authSlices  = 6
)

// BenchmarkAuthRoute compares, in the same run and with the same load,
// the cheapest authenticated route of the API with a bare Fiber handler
// on the same machine (make bench prints the ratios; aims: throughput
// >= 0.6x, p99 within 1 ms):
//
//   - /whistle: GET /v1/auth/session with officer.a's bearer token through
//     the whole API as production serves it (request logging, metrics,
//     tracing, validation against the contract, the token's signature and
//     expiry, the session check of identity.Service.AuthenticateClaims,
//     reused for identity.DefaultSessionCheckTTL as serve wires it), and no
//     other work.
//   - /fiber: a bare fiber.New() app answering GET /v1/auth/session with a
//     JSON body of the same shape, no middleware.
//
// Both serve on loopback ports of this process, driven by authClients
// concurrent keep-alive HTTP clients. The sides take turns, authSlice
// each, authSlices times (the first side alternating), so that the load of
// this shared machine falls on both alike; each side reports its req/s
// over its slices and the 50th and 99th percentile latency in ms
// (whistle-req/s, fiber-req/s, whistle-p99-ms, ...).
func BenchmarkAuthRoute(b *testing.B) {
	pgtest.RequireDurable(b)
	s := newServeStack(b)
	token := s.login(b, "officer.a", "")
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/v1/auth/session", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"user_id": "8d0c6c6e-2a57-4c1e-9d1a-5b0e0f5f6a11", "role": "officer",
			"session_id": "0b6a3c9e-77a4-4a43-8f43-7f3b2f6b1c2d", "expires_at": "2026-11-20T10:00:00Z"})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go bare.Listener(ln)
	b.Cleanup(func() { _ = bare.ShutdownWithTimeout(5 * time.Second) })

	sides := []struct{ name, url string }{
		{"whistle", s.url + "/v1/auth/session"},
		{"fiber", "http://" + ln.Addr().String() + "/v1/auth/session"},
	}
	for range b.N {
		lat := make([][]time.Duration, len(sides))
		for slice := range authSlices {
			for k := range sides {
				i := (slice + k) % len(sides)
				_, l := drive(b, s.client, sides[i].url, token, authClients, authSlice)
				lat[i] = append(lat[i], l...)
			}
		}
		for i, side := range sides {
			b.ReportMetric(float64(len(lat[i]))/(authSlices*authSlice).Seconds(), side.name+"-req/s")
			b.ReportMetric(ms(percentile(lat[i], 0.50)), side.name+"-p50-ms")
			b.ReportMetric(ms(percentile(lat[i], 0.99)), side.name+"-p99-ms")
		}
	}
}

// drive sends GET url with the bearer token from clients goroutines for d
// and returns how many were answered and their latencies; any answer but
// 200 fails the benchmark.
func drive(b *testing.B, hc *http.Client, url, token string, clients int, d time.Duration) (int, []time.Duration) {
	b.Helper()
	var mu sync.Mutex
	var all []time.Duration
	var failed error
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(end) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				start := time.Now()
				res, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = &statusError{res.StatusCode}
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if failed != nil {
		b.Fatalf("GET %s: %v", url, failed)
	}
	return len(all), all
}

type statusError struct{ status int }

func (e *statusError) Error() string { return http.StatusText(e.status) }

// percentile is the q-quantile of ds (nearest rank); ds is sorted in place.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
