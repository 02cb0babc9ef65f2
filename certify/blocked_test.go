package certify_test

import (
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
)

// TestCasesAfterAFailedRegisterAreBlocked gives one device of three a
// password the SBC does not hold: its register fails, and the cases that
// need the registration are blocked (not failed a second time), while the
// healthy devices pass them.
func TestCasesAfterAFailedRegisterAreBlocked(t *testing.T) {
	l := devicetest.Start(t)
	targets := fleet(l, 3)
	l.Users.Set(targets[1].Config.User, "Other!Pa55word-1")
	res := run(t, targets, options(l, nil))
	for _, r := range res {
		bad := r.MAC == targets[1].MAC
		switch {
		case bad && r.Case == certify.CaseRegister:
			if r.Outcome != certify.Fail || !strings.Contains(r.Reason, "rejected the credentials") {
				t.Errorf("register: %s %s", r.Outcome, r.Reason)
			}
		case bad && certify.NeedsRegister(r.Case):
			if r.Outcome != certify.Blocked || !strings.Contains(r.Reason, "register failed") {
				t.Errorf("%s after a failed register: %s %s", r.Case, r.Outcome, r.Reason)
			}
		case bad && r.Case == certify.CaseFailover:
			// The failover device holds the same wrong password: a failure of its own.
			if r.Outcome != certify.Fail || !strings.Contains(r.Reason, "rejected the credentials") {
				t.Errorf("failover: %s %s", r.Outcome, r.Reason)
			}
		case bad && r.Case == certify.CaseFailback:
			if r.Outcome != certify.Blocked || !strings.Contains(r.Reason, "never failed over") {
				t.Errorf("failback after a failed failover: %s %s", r.Outcome, r.Reason)
			}
		case !bad && r.Case != certify.CaseCall && r.Outcome != certify.Pass:
			// A healthy device calling the broken one is skipped (callee not registered).
			t.Errorf("healthy %s %s: %s %s", r.MAC, r.Case, r.Outcome, r.Reason)
		case r.Outcome == certify.Blocked:
			t.Errorf("%s %s blocked on a device whose register passed", r.MAC, r.Case)
		}
	}
	var blocked int
	for _, s := range certify.Summarize(res) {
		blocked += s.Blocked
	}
	if blocked != 6 {
		t.Errorf("%d blocked results, want 6 (reregister, options, user-agent, call, unregister, failback)", blocked)
	}
}
