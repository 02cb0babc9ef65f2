package migrate

import "github.com/cutover-dev/cutover/webex"

var _ API = (*webex.Client)(nil)
