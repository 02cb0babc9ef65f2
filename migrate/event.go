// Package migrate is the batch engine: it plans a migration against Webex,
// runs each device through the step pipeline concurrently, journals every step
// so that a crashed or interrupted run resumes without duplicates, and rolls
// back what a run created.
package migrate
