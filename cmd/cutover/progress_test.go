package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
)

func TestBarProgressDrawsEveryStep(t *testing.T) {
	var buf bytes.Buffer
	p := &barProgress{w: &buf}
	steps := []migrate.Step{migrate.StepCreate, migrate.StepPassword, migrate.StepInfo}
	p.Begin(steps, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mac := fmt.Sprintf("0004F2%06X", i)
			for _, s := range steps {
				p.StepStarted(mac, s)
				if i == 7 && s == migrate.StepPassword {
					p.StepDone(mac, s, errors.New("boom"))
					return // a failed device never reaches the later steps
				}
				p.StepDone(mac, s, nil)
			}
		}()
	}
	wg.Wait()
	p.End() // must not hang on the info bar that stops at 49/50
	out := buf.String()
	for _, want := range []string{"create", "password", "info", "50/50", "1 failed", "dev/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%s", want, out)
		}
	}
}

func TestProgressOffWhenNotATerminal(t *testing.T) {
	e := newMigrateEnv(t, 2)
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"cutover", "--webex-url", e.url, "--token", e.emu.AdminToken(),
		"migrate", e.inv, "--run", e.dir, "--rate", "1000"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "dev/s") {
		t.Fatalf("bars drawn into a pipe:\n%s", out.String())
	}
}

func TestCertifyProgressCountsResults(t *testing.T) {
	var buf bytes.Buffer
	cp := startCertifyProgress(&buf, 40)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := certify.Result{MAC: fmt.Sprintf("0004F2%06X", i/4), Case: certify.AllCases[i%4], Outcome: certify.Pass}
			if i%10 == 3 {
				r.Outcome = certify.Fail
			}
			cp.result(r)
		}()
	}
	wg.Wait()
	cp.end()
	out := buf.String()
	for _, want := range []string{"certify", "40/40", "4 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%s", want, out)
		}
	}
	var none *certifyProgress // --quiet or no terminal
	none.result(certify.Result{})
	none.end()
}
