package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiles are the -cpuprofile and -memprofile flags of run and once.
type profiles struct {
	cpu, mem string
	cpuFile  *os.File
}

func addProfileFlags(fs *flag.FlagSet) *profiles {
	p := &profiles{}
	fs.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the command to this file (go tool pprof)")
	fs.StringVar(&p.mem, "memprofile", "", "write a heap profile to this file as the command ends (go tool pprof)")
	return p
}

// heapSampling is Go's default heap profile sampling rate, which
// -memprofile restores (tuneMemory turns sampling off).
const heapSampling = 512 * 1024

// start begins the CPU profile and heap sampling, if asked for.
func (p *profiles) start() error {
	if p.mem != "" {
		runtime.MemProfileRate = heapSampling
	}
	if p.cpu == "" {
		return nil
	}
	f, err := os.Create(p.cpu)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("cpu profile %s: %w", p.cpu, err)
	}
	p.cpuFile = f
	return nil
}

// stopProfiles stops p, reporting a failure in one line.
func (m *Main) stopProfiles(p *profiles) {
	if err := p.stop(); err != nil {
		m.errorf(exitFailure, "%v", err)
	}
}

// stop ends the CPU profile and writes the heap profile, if asked for;
// after the first call it does nothing.
// It is called while what the command built is still alive, so the heap
// profile's in-use figures show what the command held at its end.
func (p *profiles) stop() error {
	var errs []error
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		if err := p.cpuFile.Close(); err != nil {
			errs = append(errs, fmt.Errorf("cpu profile: %w", err))
		}
		p.cpuFile = nil
	}
	if p.mem != "" {
		defer func() { p.mem = "" }()
		runtime.GC() // up-to-date in-use figures
		f, err := os.Create(p.mem)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("heap profile: %w", err))...)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			errs = append(errs, fmt.Errorf("heap profile %s: %w", p.mem, err))
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("heap profile: %w", err))
		}
	}
	return errors.Join(errs...)
}
