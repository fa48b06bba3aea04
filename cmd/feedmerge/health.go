package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Health is `feedmerge health`: it asks the running daemon's /healthz
// (at the config's listen address, or -url) and exits 0 when it answers
// 200, 1 otherwise, printing the answer. It suits a readiness check.
func (m *Main) Health(ctx context.Context, args []string) int {
	fs, path := m.flags("health")
	url := fs.String("url", "", "the daemon's /healthz URL (default: from the config's listen address)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if c := m.parse(fs, args); c >= 0 {
		return c
	}
	if *url == "" {
		cfg, code := m.loadConfig(*path)
		if cfg == nil {
			return code
		}
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return m.errorf(exitUsage, "health: listen %q: %v", cfg.Listen, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		*url = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return m.errorf(exitUsage, "health: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m.errorf(exitFailure, "health: %s: %v", *url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return m.errorf(exitFailure, "health: %s: %s %s", *url, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(m.Stdout, strings.TrimSpace(string(body)))
	return exitOK
}
