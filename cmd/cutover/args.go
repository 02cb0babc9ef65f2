package main

import (
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"
)

// normalizeArgs lets people type flags anywhere: urfave/cli v2 parses global
// flags only before the command name, and a command's flags only before its
// first positional argument (GO-NOTES.md). It rewrites args to
//
//	prog [global flags] command [subcommand] [command flags] [positionals]
//
// A flag the command defines itself belongs to the command even when a global
// flag has the same name (emulate webex --token). Everything after "--" is
// left as positionals. Unknown flags stay with the command, whose parser then
// reports them.
func normalizeArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	globals := flagArity(app.Flags)
	var (
		globalArgs, cmdArgs, positionals []string
		path                             []string
		cmds                             = app.Commands
		local                            map[string]bool
		rest                             = args[1:]
	)
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positionals = append(positionals, rest[i:]...)
			break
		}
		if isFlag(a) {
			name, hasValue := flagName(a)
			dst := &cmdArgs
			takes, isLocal := local[name]
			if !isLocal {
				if t, isGlobal := globals[name]; isGlobal {
					dst, takes = &globalArgs, t
				} else if path == nil {
					dst = &globalArgs
				}
			}
			*dst = append(*dst, a)
			if takes && !hasValue && i+1 < len(rest) {
				i++
				*dst = append(*dst, rest[i])
			}
			continue
		}
		if c := findCommand(cmds, a); c != nil && len(positionals) == 0 {
			path = append(path, c.Name)
			cmds = c.Subcommands
			local = flagArity(c.Flags)
			// A subcommand's flags are parsed by the subcommand: move any
			// collected for the parent after it.
			continue
		}
		positionals = append(positionals, a)
	}
	out := make([]string, 0, len(args))
	out = append(out, args[0])
	out = append(out, globalArgs...)
	out = append(out, path...)
	out = append(out, cmdArgs...)
	return append(out, positionals...)
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' && a != "-" }

// flagName returns the name of a flag token and whether it carries its value (--x=v).
func flagName(a string) (string, bool) {
	n := strings.TrimLeft(a, "-")
	if i := strings.IndexByte(n, '='); i >= 0 {
		return n[:i], true
	}
	return n, false
}

// flagArity maps each flag name and alias to whether it takes a value.
func flagArity(flags []cli.Flag) map[string]bool {
	m := make(map[string]bool)
	for _, f := range flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			m[n] = !isBool
		}
	}
	return m
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	if name == "help" {
		return &cli.Command{Name: "help"}
	}
	return nil
}

// didYouMean returns the name closest to s by Jaro-Winkler similarity (the
// measure urfave/cli suggests with), or "" when none is close enough to be
// what was meant.
func didYouMean(s string, names []string) string {
	const threshold = 0.8
	best, score := "", 0.0
	for _, n := range names {
		if d := smetrics.JaroWinkler(strings.ToLower(s), n, 0.7, 4); d > score {
			best, score = n, d
		}
	}
	if score < threshold {
		return ""
	}
	return best
}

// unknownCommand recognises urfave/cli's answer to an unknown command
// ("No help topic for 'x'", exit 3) and returns the word and the command
// names it could have meant, at the level of args (normalized) where it
// stands.
func unknownCommand(app *cli.App, args []string, err error) (string, []string, bool) {
	if err == nil || !strings.HasPrefix(err.Error(), "No help topic for '") {
		return "", nil, false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(err.Error(), "No help topic for '"), "'")
	if i := strings.Index(name, "'"); i >= 0 {
		name = name[:i]
	}
	cmds := app.Commands
	for _, a := range args[1:] {
		if isFlag(a) {
			continue
		}
		c := findCommand(cmds, a)
		if c == nil || len(c.Subcommands) == 0 {
			break
		}
		cmds = c.Subcommands
	}
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return name, names, true
}

// unknownCommandError is a usage error (exit 2) naming the closest command.
func unknownCommandError(name string, names []string) error {
	if s := didYouMean(name, names); s != "" {
		return usageErrorf("unknown command %q; did you mean %q? (cutover --help lists the commands)", name, s)
	}
	return usageErrorf("unknown command %q (cutover --help lists the commands: %s)", name, strings.Join(names, ", "))
}
