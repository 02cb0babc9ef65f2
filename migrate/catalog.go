package migrate

import "github.com/cutover-dev/cutover/migrate/inventory"

func defaultCatalog() Catalog { return inventory.DefaultCatalog() }

// checkPassword is the inventory's password policy, which generated
// passwords meet too.
func checkPassword(pw string) error { return inventory.CheckPassword(pw) }
