//! earshot-enrichment
