package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/shard"
)

// The Kubernetes manifests of README "Bigger than one machine".
var (
	k8sShardsFile = filepath.Join("..", "..", "deploy", "kubernetes", "cutover-shards.yaml")
	k8sMergeFile  = filepath.Join("..", "..", "deploy", "kubernetes", "cutover-merge.yaml")
)

// k8sObjects decodes a multi-document manifest strictly into the real API
// types: an unknown or misspelt field, a wrong type or an unknown kind is an
// error, as kubectl apply --validate=strict would make it.
func k8sObjects(data []byte) (jobs []*batchv1.Job, pvcs []*corev1.PersistentVolumeClaim, err error) {
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		switch tm.APIVersion + " " + tm.Kind {
		case "batch/v1 Job":
			var j batchv1.Job
			if err := yaml.UnmarshalStrict([]byte(doc), &j); err != nil {
				return nil, nil, fmt.Errorf("document %d (Job): %w", i+1, err)
			}
			jobs = append(jobs, &j)
		case "v1 PersistentVolumeClaim":
			var p corev1.PersistentVolumeClaim
			if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
				return nil, nil, fmt.Errorf("document %d (PersistentVolumeClaim): %w", i+1, err)
			}
			pvcs = append(pvcs, &p)
		default:
			return nil, nil, fmt.Errorf("document %d: unexpected %q %q", i+1, tm.APIVersion, tm.Kind)
		}
	}
	return jobs, pvcs, nil
}

// k8sExpand does what the kubelet does to a container's args: $(NAME) is
// the value of env NAME (literal, or the completion index for the
// annotation's field reference), $$ an escaped $.
func k8sExpand(arg string, env []corev1.EnvVar, index int) (string, error) {
	var err error
	out := regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(arg, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := m[2 : len(m)-1]
		for _, e := range env {
			if e.Name != name {
				continue
			}
			switch {
			case e.ValueFrom == nil:
				return e.Value
			case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']":
				return fmt.Sprint(index)
			}
		}
		if name == "JOB_COMPLETION_INDEX" { // set by the Job controller of an Indexed Job
			return fmt.Sprint(index)
		}
		err = fmt.Errorf("%s refers to $(%s), which the container's env does not define", arg, name)
		return m
	})
	return out, err
}

// parseAs runs args through the real CLI's parsing for its command (flags
// anywhere, required flags, the command's own flag parser), with the
// command's action replaced by capture.
func parseAs(args []string, capture func(*cli.Context) error) error {
	app := newApp(io.Discard, io.Discard)
	name := args[0]
	found := false
	for _, c := range app.Commands {
		if c.Name == name {
			c.Action, found = capture, true
		}
	}
	if !found {
		return fmt.Errorf("no command %q", name)
	}
	return app.RunContext(context.Background(), normalizeArgs(app, append([]string{"cutover"}, args...)))
}

// cliEnvNames are the environment variables the CLI reads.
func cliEnvNames() []string {
	names := []string{migrate.SecretKeyEnv}
	app := newApp(io.Discard, io.Discard)
	for _, f := range app.Flags {
		if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
			names = append(names, ev.GetEnvVars()...)
		}
	}
	return names
}

// checkK8s checks the two manifests together; each problem is one error.
func checkK8s(shardsYAML, mergeYAML []byte) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	jobs, pvcs, err := k8sObjects(shardsYAML)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", k8sShardsFile, err)}
	}
	mjobs, _, err := k8sObjects(mergeYAML)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", k8sMergeFile, err)}
	}
	if len(jobs) != 1 || len(pvcs) != 1 || len(mjobs) != 1 {
		return []error{fmt.Errorf("want one Job and one PersistentVolumeClaim, then one merge Job; got %d, %d, %d", len(jobs), len(pvcs), len(mjobs))}
	}
	job, pvc, merge := jobs[0], pvcs[0], mjobs[0]
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		bad("PVC %s: the shards' pods mount it at once from any node: want ReadWriteMany, got %v", pvc.Name, pvc.Spec.AccessModes)
	}

	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		bad("Job %s: completionMode must be Indexed (each pod its JOB_COMPLETION_INDEX)", job.Name)
	}
	if spec.Completions == nil || *spec.Completions < 1 {
		return append(errs, fmt.Errorf("Job %s: completions (the number of shards) is not set", job.Name))
	}
	n := int(*spec.Completions)
	if spec.Parallelism == nil || int(*spec.Parallelism) > n {
		bad("Job %s: parallelism must be set, at most completions (%d)", job.Name, n)
	}
	if spec.Suspend == nil || !*spec.Suspend {
		bad("Job %s: must be created suspended (suspend: true): its pods would start before the inventory is on the volume", job.Name)
	}
	if spec.MaxFailedIndexes != nil {
		bad("Job %s: maxFailedIndexes stops the other shards mid-run when one fails; leave it unset", job.Name)
	}
	if pfp := spec.PodFailurePolicy; pfp != nil {
		for _, r := range pfp.Rules {
			if r.OnExitCodes == nil {
				continue
			}
			for _, v := range r.OnExitCodes.Values {
				if !slices.Contains([]int32{exitFailed, exitUsage, exitFatal, exitInterrupted}, v) {
					bad("Job %s: podFailurePolicy acts on exit code %d, which cutover never exits with", job.Name, v)
				}
				if v == exitFailed && r.Action == batchv1.PodFailurePolicyActionFailJob {
					bad("Job %s: exit 1 (some devices failed) must not fail the whole Job: the other shards' work would stop", job.Name)
				}
			}
		}
	}
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		bad("Job %s: restartPolicy %q; want Never (a retried shard is a new pod resuming the journal)", job.Name, pod.RestartPolicy)
	}
	mount := checkPodVolume(job, pvc.Name, bad)
	if len(pod.Containers) != 1 {
		return append(errs, fmt.Errorf("Job %s: want one container, got %d", job.Name, len(pod.Containers)))
	}
	ctr := pod.Containers[0]
	if !slices.Equal(ctr.Command, []string{"cutover"}) {
		bad("Job %s: command %v; want [cutover]", job.Name, ctr.Command)
	}
	known := cliEnvNames()
	for _, e := range ctr.Env {
		if e.Name == "JOB_COMPLETION_INDEX" {
			continue
		}
		if !slices.Contains(known, e.Name) {
			bad("Job %s: env %s is no variable cutover reads", job.Name, e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name != "cutover-service-app" {
			bad("Job %s: env %s comes from secret %s; want cutover-service-app", job.Name, e.Name, e.ValueFrom.SecretKeyRef.Name)
		}
		if strings.Contains(e.Name, "SECRET") || strings.Contains(e.Name, "TOKEN") {
			if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				bad("Job %s: env %s holds a credential: it must come from a Secret, not the manifest", job.Name, e.Name)
			}
		}
	}
	// Every index: the real migrate parser, the shard it selects, its own
	// run directory on the shared volume.
	runs := map[string]int{}
	for k := range n {
		args := make([]string, len(ctr.Args))
		for i, a := range ctr.Args {
			if args[i], err = k8sExpand(a, ctr.Env, k); err != nil {
				bad("Job %s: %v", job.Name, err)
			}
		}
		if len(args) == 0 || args[0] != "migrate" {
			bad("Job %s: args %v: want migrate ...", job.Name, args)
			break
		}
		var o planOptions
		if err := parseAs(args, func(c *cli.Context) error {
			var err error
			o, err = parsePlanFlags(c)
			return err
		}); err != nil {
			bad("Job %s, index %d: cutover %s: %v", job.Name, k, strings.Join(args, " "), err)
			continue
		}
		if want := (shard.Spec{K: k, N: n}); o.shard != want {
			bad("Job %s, index %d: --shard selects %q; want %q (K from JOB_COMPLETION_INDEX, N = completions %d)", job.Name, k, o.shard, want, n)
		}
		if !under(o.dir, mount) || !under(o.inventory, mount) {
			bad("Job %s, index %d: --run %s and the inventory %s must be on the shared volume %s", job.Name, k, o.dir, o.inventory, mount)
		}
		if prev, ok := runs[path.Clean(o.dir)]; ok {
			bad("Job %s: indexes %d and %d share the run directory %s", job.Name, prev, k, o.dir)
		}
		runs[path.Clean(o.dir)] = k
	}

	// The merge: the real report parser; exactly the shards' directories.
	mpod := merge.Spec.Template.Spec
	mmount := checkPodVolume(merge, pvc.Name, bad)
	if len(mpod.Containers) != 1 {
		return append(errs, fmt.Errorf("Job %s: want one container", merge.Name))
	}
	var ro reportOptions
	if err := parseAs(mpod.Containers[0].Args, func(c *cli.Context) error {
		var err error
		ro, err = parseReportFlags(c)
		return err
	}); err != nil {
		bad("Job %s: cutover %s: %v", merge.Name, strings.Join(mpod.Containers[0].Args, " "), err)
		return errs
	}
	got := map[string]bool{}
	for _, d := range ro.dirs {
		got[path.Clean(d)] = true
		if _, ok := runs[path.Clean(d)]; !ok {
			bad("Job %s: --run %s is no shard's run directory", merge.Name, d)
		}
	}
	for d, k := range runs {
		if !got[d] {
			bad("Job %s: shard %d/%d's run directory %s is not merged", merge.Name, k, n, d)
		}
	}
	if !under(ro.out, mmount) {
		bad("Job %s: --out %s is not on the shared volume %s", merge.Name, ro.out, mmount)
	}
	return errs
}

// checkPodVolume checks that the job mounts the claim, and returns where.
func checkPodVolume(job *batchv1.Job, claim string, bad func(string, ...any)) string {
	pod := job.Spec.Template.Spec
	vol := ""
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
			vol = v.Name
		}
	}
	if vol == "" {
		bad("Job %s: no volume from the claim %s", job.Name, claim)
		return "/nowhere"
	}
	for _, c := range pod.Containers {
		for _, m := range c.VolumeMounts {
			if m.Name == vol {
				return m.MountPath
			}
		}
	}
	bad("Job %s: volume %s is not mounted", job.Name, vol)
	return "/nowhere"
}

func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return strings.HasPrefix(p, dir+"/")
}

// readK8sManifests reads the shards' and the merge Job's manifests.
func readK8sManifests(t *testing.T) (shards, merge []byte) {
	t.Helper()
	shards, err := os.ReadFile(k8sShardsFile)
	if err != nil {
		t.Fatal(err)
	}
	merge, err = os.ReadFile(k8sMergeFile)
	if err != nil {
		t.Fatal(err)
	}
	return shards, merge
}

func TestKubernetesManifests(t *testing.T) {
	shards, merge := readK8sManifests(t)
	if errs := checkK8s(shards, merge); len(errs) > 0 {
		t.Fatalf("the manifests do not hold:\n%v", errorsText(errs))
	}
}

// TestKubernetesCheckCatches breaks the manifests on purpose, one way at a
// time, and wants the check to say so.
func TestKubernetesCheckCatches(t *testing.T) {
	shards, merge := readK8sManifests(t)
	for _, tc := range []struct {
		name     string
		inShards bool
		old, new string
		says     string
	}{
		{"misspelt field", true, "completionMode: Indexed", "completionsMode: Indexed", "unknown field"},
		{"not indexed", true, "completionMode: Indexed", "completionMode: NonIndexed", "must be Indexed"},
		{"N disagrees", true, "completions: 4", "completions: 5", `want "0/5"`},
		{"K not the index", true, "- $(JOB_COMPLETION_INDEX)/4", "- 0/4", `want "1/4"`},
		{"shared run dir", true, "/runs/wave1/shard-$(JOB_COMPLETION_INDEX)", "/runs/wave1/all", "share the run directory"},
		{"unknown flag", true, "- --jobs", "- --job", "unknown flag --job"},
		{"bad variable", true, "$(JOB_COMPLETION_INDEX)/4", "$(JOB_INDEX)/4", "does not define"},
		{"run off the volume", true, "- /runs/wave1/shard-$(JOB_COMPLETION_INDEX)", "- /tmp/shard-$(JOB_COMPLETION_INDEX)", "shared volume"},
		{"credential from elsewhere", true, "secretKeyRef: {name: cutover-service-app, key: client-secret}", "secretKeyRef: {name: other, key: client-secret}", "want cutover-service-app"},
		{"credential inline", true, "- name: WEBEX_CLIENT_SECRET\n              valueFrom:\n                secretKeyRef: {name: cutover-service-app, key: client-secret}",
			"- name: WEBEX_CLIENT_SECRET\n              value: not-a-secret-anymore", "must come from a Secret"},
		{"starts at once", true, "suspend: true", "suspend: false", "created suspended"},
		{"early stop", true, "backoffLimitPerIndex: 3\n", "backoffLimitPerIndex: 3\n  maxFailedIndexes: 0\n", "leave it unset"},
		{"exit code cutover never gives", true, "values: [2]", "values: [4]", "never exits with"},
		{"unknown variable", true, "- name: CUTOVER_QUIET", "- name: CUTOVER_QUIETLY", "no variable cutover reads"},
		{"shard not merged", false, "            - --run\n            - /runs/wave1/shard-3\n", "", "shard 3/4's run directory"},
		{"merge of a stranger", false, "/runs/wave1/shard-3", "/runs/wave2/shard-3", "no shard's run directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, m := string(shards), string(merge)
			target := &m
			if tc.inShards {
				target = &s
			}
			if !strings.Contains(*target, tc.old) {
				t.Fatalf("the manifest no longer has %q", tc.old)
			}
			*target = strings.ReplaceAll(*target, tc.old, tc.new)
			errs := checkK8s([]byte(s), []byte(m))
			if !strings.Contains(errorsText(errs), tc.says) {
				t.Errorf("broken manifest: got %v; want an error saying %q", errorsText(errs), tc.says)
			}
		})
	}
}

func errorsText(errs []error) string {
	var b bytes.Buffer
	for _, e := range errs {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}

// TestKubernetesJobRunsLocally runs the manifests' own command lines, as
// the kubelet would expand them for each index, with the shared volume
// /runs mapped to a temporary directory and Webex to the emulator: N shard
// processes at once, then the merge Job's report over them.
func TestKubernetesJobRunsLocally(t *testing.T) {
	shardsYAML, mergeYAML := readK8sManifests(t)
	jobs, _, err := k8sObjects(shardsYAML)
	if err != nil {
		t.Fatal(err)
	}
	mjobs, _, err := k8sObjects(mergeYAML)
	if err != nil {
		t.Fatal(err)
	}
	const devices = 40
	e := newMigrateEnv(t, devices)
	vol := t.TempDir()
	local := func(a string) string {
		if a == "/runs" || strings.HasPrefix(a, "/runs/") {
			return filepath.Join(vol, strings.TrimPrefix(a, "/runs"))
		}
		return a
	}
	inv, err := os.ReadFile(e.inv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local("/runs/inventory.xlsx"), inv, 0o644); err != nil {
		t.Fatal(err)
	}
	webexArgs := []string{"cutover", "--webex-url", e.url, "--token", e.emu.AdminToken()}
	ctr := jobs[0].Spec.Template.Spec.Containers[0]
	n := int(*jobs[0].Spec.Completions)
	var (
		cmds []*exec.Cmd
		outs []*bytes.Buffer
	)
	for k := range n {
		args := append([]string(nil), webexArgs...)
		for _, a := range ctr.Args {
			x, err := k8sExpand(a, ctr.Env, k)
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, local(x))
		}
		// The emulator allows the manifest's --rate; tests do not wait on it.
		args = append(args, "--rate", "2000")
		cmd, out := startCutover(t, args)
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for k, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("pod %d: %v\n%s", k, err, outs[k].String())
		}
	}
	e.checkExactlyOnce(t)
	margs := []string{"cutover"}
	for _, a := range mjobs[0].Spec.Template.Spec.Containers[0].Args {
		margs = append(margs, local(a))
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), margs, &out, &errb); code != 0 {
		t.Fatalf("merge Job: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("merged %d runs: %d devices", n, devices)) || errb.Len() > 0 {
		t.Errorf("merge Job output:\n%s%s", out.String(), errb.String())
	}
	if _, err := os.Stat(local("/runs/wave1/merged/report.html")); err != nil {
		t.Error(err)
	}
}
