//! Unit tests of model compilation.
