//! earshot-collectors
