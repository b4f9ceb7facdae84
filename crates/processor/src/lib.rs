//! earshot-processor
