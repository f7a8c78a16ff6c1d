"""Monthly snapshots: publishing a month once, and what a build reads of the archive."""
