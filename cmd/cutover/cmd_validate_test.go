package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func runValidateCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"cutover", "validate"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateSampleFixture(t *testing.T) {
	code, out, errOut := runValidateCmd(t, "../../fixtures/inventory.xlsx")
	if code != exitOK || out != "60 devices, 0 problems\n" {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

const badCSV = "mac;make;model;owner;sip_password\n" +
	"805EC0000001;Yealink;T54W;a@acme-dental.example;Str0ng!Pw01\n" +
	"805EC0000002;Yealink;T99;b@acme-dental.example;weakpass\n"

func TestValidateReportsProblems(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("inv.csv", []byte(badCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runValidateCmd(t, "inv.csv", "--errors", "marked.xlsx")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	want := `inv.csv::3:C: make and model "Yealink T99" are not in the model catalog (expected one of Yealink T54W, Yealink T57W, Yealink T46U, Poly VVX 450, Poly Edge E350, Grandstream GRP2614, AudioCodes MP-114, AudioCodes MP-118, AudioCodes MP-1288, Generic SIP Phone)
inv.csv::3:E: sip_password does not meet the password policy: has no upper-case letter, has no digit, has no special character (expected at least 8 characters with an upper-case letter, a lower-case letter, a digit and a special character, no spaces)
2 devices (1 valid), 2 problems
`
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out+errOut, "weakpass") || strings.Contains(out+errOut, "Str0ng!Pw01") {
		t.Error("a password reached the output")
	}
	// validate writes no journal and no reports: its last line must not
	// send anyone looking for them.
	if !strings.Contains(errOut, "inv.csv: 2 problems; fix the cells marked in marked.xlsx") || strings.Contains(errOut, "journal") {
		t.Errorf("stderr %q", errOut)
	}
	st, err := os.Stat(filepath.Join(dir, "marked.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("errors workbook mode %v, want 0600", st.Mode().Perm())
	}
}

func TestValidateJSON(t *testing.T) {
	sample, err := filepath.Abs("../../fixtures/inventory.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile("inv.csv", []byte(badCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runValidateCmd(t, "--format", "json", "inv.csv")
	if code != exitFailed {
		t.Fatalf("exit %d", code)
	}
	var r struct {
		File     string
		Rows     int
		Valid    int
		Problems []struct {
			Pos struct {
				File, Sheet, Column, Header string
				Row                         int
			}
			Message  string
			Expected string
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.File != "inv.csv" || r.Rows != 2 || r.Valid != 1 || len(r.Problems) != 2 ||
		r.Problems[1].Pos.Row != 3 || r.Problems[1].Pos.Column != "E" || r.Problems[1].Pos.Header != "sip_password" {
		t.Errorf("report %+v", r)
	}
	code, out, _ = runValidateCmd(t, "--format=json", sample)
	if code != exitOK || !strings.Contains(out, `"problems": []`) || !strings.Contains(out, `"valid": 60`) {
		t.Errorf("exit %d, clean report %s", code, out)
	}
}

func TestValidateUnreadableAndUsage(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("csv.xlsx", []byte("mac,owner\n805EC0000001,a@b.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"missing.xlsx"}, "reading missing.xlsx: no such file"},
		{[]string{"csv.xlsx"}, "holds CSV text, not a workbook"},
		{nil, "expected one INVENTORY file, got 0 arguments"},
		{[]string{"a.xlsx", "b.xlsx"}, "expected one INVENTORY file, got 2 arguments"},
		{[]string{"csv.xlsx", "--format", "yaml"}, `--format "yaml": expected text or json`},
		{[]string{"csv.xlsx", "--bogus"}, "unknown flag --bogus (cutover validate --help lists the flags)"},
		{[]string{"./inv.xlsx", "--errors", "inv.xlsx"}, "--errors inv.xlsx: expected a new file, not the inventory itself"},
	} {
		code, out, errOut := runValidateCmd(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("validate %v: exit %d, stderr %q, stdout %q; want 2 and %q", tc.args, code, errOut, out, tc.want)
		}
	}
}

// A header-only inventory is no migration: validate says so and fails.
func TestValidateHeaderOnlyFails(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("inv.csv", []byte("mac,make,model,owner\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runValidateCmd(t, "inv.csv")
	if code != exitFailed || !strings.Contains(out, "no device") {
		t.Fatalf("exit %d, want 1 and 'no device'\n%s", code, out)
	}
}

// SIGTERM while validating a large file stops it (exit 130) instead of
// running to the end; the time it took is logged, not asserted.
func TestValidateStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test with a large file")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.csv")
	var b bytes.Buffer
	b.WriteString("mac,make,model,owner\n")
	for i := range 1_500_000 {
		fmt.Fprintf(&b, "02%010X,Yealink,T54W,user%d@acme.example\n", i, i)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, out := startCutover(t, []string{"cutover", "validate", path})
	time.Sleep(300 * time.Millisecond) // let it start reading
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Logf("exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d, want 130\n%.2000s", code, out.String())
	}
}
