//! The ignore filter as a POSIX awk program, for pipelines that have only `sh`, `awk` and `git`.
