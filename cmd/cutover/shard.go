package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/shard"
)

// flagShard is --shard K/N on plan, migrate and certify (package shard owns
// what it selects).
const flagShard = "shard"

func shardFlag() cli.Flag {
	return &cli.StringFlag{Name: flagShard, Usage: "work on shard `K/N` of the inventory only (K from 0, as Kubernetes' " +
		"JOB_COMPLETION_INDEX; devices split by a hash of the MAC); each shard uses 1/N of --rate and its own --run DIR"}
}

// certifyShardFlag is --shard on certify, which sends no Webex request.
func certifyShardFlag() cli.Flag {
	return &cli.StringFlag{Name: flagShard, Usage: "certify only the devices of shard `K/N` (K from 0; as migrate --shard selects them)"}
}

// parseShard reads --shard; unset is the zero Spec (every device).
func parseShard(c *cli.Context) (shard.Spec, error) {
	s, err := shard.Parse(c.String(flagShard))
	if err != nil {
		return s, usageErrorf("--%s: %v", flagShard, err)
	}
	return s, nil
}

// shardNote is the line a sharded command prints first: which shard, and
// the share of the rate it keeps to. Empty without --shard.
func shardNote(s shard.Spec, selected, total int, rate float64) string {
	if s.All() {
		return ""
	}
	note := fmt.Sprintf("shard %s: %d of the inventory's %d devices", s, selected, total)
	if rate > 0 {
		note += fmt.Sprintf(", at most %.4g requests/s (--rate %g split %d ways)", s.Share(rate), rate, s.N)
	}
	return note
}

// printShardNote prints shardNote for the devices of an inventory (on
// stdout, unless --quiet).
func printShardNote(c *cli.Context, f runFlags, devs []inventory.Device) {
	if f.shard.All() || c.Bool(flagQuiet) {
		return
	}
	n := 0
	for i := range devs {
		if f.shard.Has(devs[i].MAC) {
			n++
		}
	}
	fmt.Fprintln(c.App.Writer, shardNote(f.shard, n, len(devs), c.Float64(flagRate)))
}
