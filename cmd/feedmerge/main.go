// Command feedmerge polls RSS, Atom and JSON feeds on a schedule, merges
// the stories several outlets publish into one entry each, and serves the
// merged Atom feed. Run `feedmerge help` for its commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	tuneMemory(os.Getenv)
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel() // first signal: shut down gracefully
		<-sigs
		fmt.Fprintln(os.Stderr, "feedmerge: second signal, exiting now")
		os.Exit(1)
	}()
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `usage: feedmerge COMMAND [flags]

commands:
  run      poll feeds on schedule and serve the merged feed (the daemon)
  once     poll every feed once now, store, print a summary, exit
  check    validate the config file
  export   write the merged feed to stdout (-format opml: the configured feeds)
  status   print a table of feeds: state, last fetch, next poll, last error
  explain  show which story a stored item joined and why
  import   add an OPML reading list's feeds to the config file
  add      add one feed to the config file, found from a web page if need be
  demo     offline demo on built-in sample feeds served on loopback
  health   ask the running daemon's /healthz; exit 0 when it is healthy

Run 'feedmerge COMMAND -h' for a command's flags.
`

// Run runs the command line args and returns the exit code. It is main
// without the process: tests drive it end to end.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	m := &Main{Stdout: stdout, Stderr: stderr}
	cmd, rest := args[0], args[1:]
	var run func(context.Context, []string) int
	switch cmd {
	case "run":
		run = m.Daemon
	case "once":
		run = m.Once
	case "check":
		run = m.Check
	case "export":
		run = m.Export
	case "status":
		run = m.Status
	case "explain":
		run = m.Explain
	case "demo":
		run = m.Demo
	case "import":
		run = m.Import
	case "add":
		run = m.Add
	case "health":
		run = m.Health
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "feedmerge: unknown command %q\n%s", cmd, usage)
		return exitUsage
	}
	return run(ctx, rest)
}
