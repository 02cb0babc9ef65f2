// Package reports turns a run directory (plan.json, journal.jsonl and
// certify.jsonl) into what people read after a migration: a self-contained
// HTML report, an Excel workbook and JUnit XML for CI.
//
// Load builds the Data model by replaying the journal; WriteHTML, WriteXLSX
// and WriteJUnit render it; Generate does all of it for a run directory. The
// package does no network I/O, and output is deterministic for a given Data
// (the generation time is part of Data, not read from the clock by writers).
package reports
